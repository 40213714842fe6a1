"""The long reliability run (``make soak``): many people, faults, restarts; prints the table.

For each database (SQLite, and PostgreSQL when reachable), three runs:

- **Telegram faults**: a bot in this process; one person goes through the whole journey with
  nothing failing (what everyone should receive), then PEOPLE people do the same journey at
  once (onboarding, red-flag questions, a session, a reminder set up and received) while
  Telegram fails at random (429, 500, 502, dropped connections, slow answers, now and then an
  answer slower than the bot's 10 s read timeout) and the bot is stopped and started RESTARTS
  times at random moments.
- **kill -9**: the bot as a webhook process, killed with SIGKILL KILLS times at random moments
  (mid update, mid hold, mid write) and once while reminders are being dispatched. On
  PostgreSQL the database server itself is restarted under the running bot once as well.
- **fuzz**: the hypothesis fuzzer of ``tests/reliability/test_fuzz.py`` with many examples.

Each person's messages are held against the reference and their answers against the
database. Exit status 1 if anything was lost, an exception was logged or a secret leaked.

    python -m tests.soak [--people 200] [--restarts 20] [--kills 20] [--seed 1] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.db.engine import make_engine, make_sessionmaker
from bot.launch import start_bot
from content.schema.texts import t
from tests.e2e.conftest import TOKEN, Harness, bot_on
from tests.emulator.server import BotApiEmulator
from tests.reliability.journey import (
    Journey,
    Tally,
    reference_run,
    settled,
    settled_outbox,
    tally_of,
    transcript,
)
from tests.reliability.killing import (
    SECRET,
    BotProcess,
    kill_now_and_then,
    make_reminders_due,
    patient_webhook,
    remind_through_kills,
)

FAULTS = {"429": 0.01, "500": 0.01, "502": 0.01, "drop": 0.01, "delay": 0.01}
TIMEOUT_CHANCE = 0.0005  # an answer slower than the bot's 10 s read timeout


@dataclass
class Row:
    database: str
    kind: str = "Telegram faults"
    faults: int = 0
    restarts: int = 0
    updates: int = 0
    tally: Tally = field(default_factory=Tally)
    exceptions: int = 0
    secrets_in_logs: int = 0
    apologies: int = 0
    seconds: float = 0.0


class Recorder(logging.Handler):
    """Counts errors from the bot's own code and any line carrying the token."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors: list[str] = []
        self.secrets = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (record.exc_text or "")
        if TOKEN in text:
            self.secrets += 1
        if record.levelno >= logging.ERROR and record.name.startswith(("bot", "handlers")):
            self.errors.append(text[:200])


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield recorder
    finally:
        root.removeHandler(recorder)
        root.setLevel(level)


async def soak(database_url: str, name: str, people: int, restarts: int, seed: int) -> Row:
    row = Row(name)
    rng = random.Random(seed)
    started = time.monotonic()
    with recording() as recorder:
        async with bot_on(database_url) as harness:
            reference = await reference_run(harness, 50_000)
            first_update = harness.emulator.state.updates.next_id
            faults = harness.emulator.faults
            faults.reseed(seed)
            for kind, chance in FAULTS.items():
                faults.add(kind, probability=chance, retry_after=1, seconds=0.5)
            faults.add("delay", probability=TIMEOUT_CHANCE, seconds=11.0)
            journeys = [Journey(harness.user(50_001 + n), timeout=180) for n in range(people)]
            running = asyncio.gather(*(journey.run() for journey in journeys))
            row.restarts = await restart_now_and_then(harness, running, restarts, rng)
            await running
            await remind_everyone(harness, journeys)
            faults.clear()
            await settled(harness, within=60)
            row.faults = sum(faults.fired.values())
            row.updates = harness.emulator.state.updates.next_id - first_update
            row.tally = await tally_of(harness.running.runtime.sessions, journeys, reference)
            row.apologies = apologies(journeys)
    row.exceptions = len(recorder.errors)
    row.secrets_in_logs = recorder.secrets
    row.seconds = time.monotonic() - started
    for problem in row.tally.problems[:20] + recorder.errors[:10]:
        print(f"  {name}: {problem}", file=sys.stderr)
    return row


async def restart_now_and_then(
    harness: Harness, running: asyncio.Future[list[None]], restarts: int, rng: random.Random
) -> int:
    """Restart the bot at random moments while people are mid-conversation."""
    done = 0
    while done < restarts and not running.done():
        await asyncio.sleep(rng.uniform(0.5, 3.0))
        if running.done():
            break
        await restart(harness)
        done += 1
    return done


async def restart(harness: Harness) -> None:
    """Stop and start again; a start that meets a Telegram fault (getMe answered 502) exits,
    and is started again, as a process supervisor would."""
    offset = harness.running.runtime.clock.offset
    await harness.running.stop()
    # Faults rest while the bot starts: a start that meets an outage exits half-started,
    # which a supervisor handles by starting a fresh process, not this one in-process restart.
    faults = harness.emulator.faults
    rules = faults.rules
    faults.clear()
    try:
        for attempt in range(20):
            try:
                harness.running = await start_bot(harness.settings)
                break
            except SystemExit:
                await asyncio.sleep(0.2 * (attempt + 1))
        else:
            raise RuntimeError("the bot would not start again")
    finally:
        for rule in rules:
            faults.add_rule(rule)
    harness.running.runtime.clock.offset = offset


async def remind_everyone(harness: Harness, journeys: list[Journey]) -> None:
    from datetime import timedelta

    from tests.reliability.journey import reminders_due

    due = max(timer.due_at for timer in await reminders_due(harness.running.runtime.sessions))
    harness.shift_clock(due - harness.running.runtime.clock.now() + timedelta(seconds=1))
    await asyncio.gather(*(journey.reminded() for journey in journeys))


def apologies(journeys: list[Journey]) -> int:
    """People told "something went wrong", or that the bot can't save just now and will answer
    later (a database lock, an outage or a crash reaching a person)."""
    sorry = [t(key).split(".")[0] for key in ("common.error", "common.error_will_retry")]
    return sum(any(s in m.text for s in sorry for m in j.user.messages()) for j in journeys)


async def kill_soak(database_url: str, name: str, people: int, kills: int, seed: int) -> Row:
    """The bot as a process, SIGKILLed at random moments; PostgreSQL restarted once too."""
    row = Row(name, kind="kill -9")
    rng = random.Random(seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        async with BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot") as emulator:
            patient_webhook(emulator)
            bot = BotProcess(emulator, database_url, Path(folder) / "bot.log")
            bot.start()
            await bot.ready()
            engine = make_engine(database_url)
            sessions = make_sessionmaker(engine)
            try:
                first = Journey(emulator.user(60_000), timeout=300)
                await first.run()
                await make_reminders_due(sessions)
                await first.reminded()
                await settled_outbox(sessions)
                reference = transcript(first.user)
                first_update = emulator.state.updates.next_id
                journeys = [Journey(emulator.user(60_001 + n), timeout=300) for n in range(people)]
                running = asyncio.gather(*(journey.run() for journey in journeys))
                if name == "PostgreSQL":
                    await asyncio.sleep(rng.uniform(2.0, 6.0))
                    await asyncio.to_thread(restart_postgres)
                    row.restarts += 1
                await kill_now_and_then(bot, running, kills, rng)
                await running
                await remind_through_kills(bot, sessions, journeys, rng)
                await settled_outbox(sessions, within=60)
                row.tally = await tally_of(sessions, journeys, reference)
                row.updates = emulator.state.updates.next_id - first_update
                row.apologies = apologies(journeys)
            finally:
                await bot.stop()
                await engine.dispose()
            log = bot.log_text()
    row.restarts += bot.kills
    row.faults = bot.kills
    row.secrets_in_logs = sum(secret in log for secret in (TOKEN, SECRET))
    failures = [line for line in log.splitlines() if " failed" in line or "Traceback" in line]
    row.exceptions = len(failures)
    row.seconds = time.monotonic() - started
    for problem in row.tally.problems[:20] + failures[:10]:
        print(f"  {name} kill -9: {problem}", file=sys.stderr)
    for duplicate in row.tally.duplicates:
        print(f"  {name} kill -9 duplicated: {duplicate}", file=sys.stderr)
    return row


def restart_postgres() -> None:
    """Restart the PostgreSQL server under the running bot (the bot must reconnect)."""
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        capture_output=True,
    )


def fuzz(examples: int) -> int:
    """The fuzzer with many examples, in its own pytest run; returns its exit status."""
    env = {**os.environ, "FUZZ_EXAMPLES": str(examples)}
    command = [sys.executable, "-m", "pytest", "-q", "tests/reliability/test_fuzz.py"]
    return subprocess.run(command, env=env, check=False).returncode


def table(rows: list[Row]) -> str:
    head = (
        "| run | database | people | faults injected | restarts | updates sent "
        "| messages expected | delivered | duplicated | lost | answers given | stored "
        "| exceptions | apologies | secrets in logs | minutes |"
    )
    lines = [head, "|" + "---|" * 16]
    for r in rows:
        t = r.tally
        lines.append(
            f"| {r.kind} | {r.database} | {t.people} | {r.faults} | {r.restarts} | {r.updates} "
            f"| {t.expected} | {t.delivered} | {t.duplicated} | {t.lost} | {t.answers_given} "
            f"| {t.answers_stored} | {r.exceptions} | {r.apologies} | {r.secrets_in_logs} "
            f"| {r.seconds / 60:.1f} |"
        )
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--restarts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--kill-people", type=int, default=20)
    parser.add_argument("--fuzz-examples", type=int, default=300)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args(argv)
    rows: list[Row] = []

    def done(row: Row) -> None:
        rows.append(row)
        print(table([row]).splitlines()[-1], file=sys.stderr, flush=True)  # progress

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/soak.db"
        done(await soak(url, "SQLite", args.people, args.restarts, args.seed))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/kill.db"
        done(await kill_soak(url, "SQLite", args.kill_people, args.kills, args.seed))
    for run in () if args.sqlite_only else ("faults", "kill"):
        postgres = postgres_url()
        if postgres is None:
            print("PostgreSQL not reachable: skipped", file=sys.stderr)
            break
        url, drop = postgres
        try:
            if run == "faults":
                done(await soak(url, "PostgreSQL", args.people, args.restarts, args.seed))
            else:
                done(await kill_soak(url, "PostgreSQL", args.kill_people, args.kills, args.seed))
        finally:
            drop()
    fuzzed = fuzz(args.fuzz_examples) if args.fuzz_examples else 0
    print(table(rows))
    print(f"fuzz: {args.fuzz_examples} examples, {'passed' if fuzzed == 0 else 'FAILED'}")
    lost = sum(r.tally.lost + r.tally.answers_given - r.tally.answers_stored for r in rows)
    bad = any(r.exceptions or r.secrets_in_logs or r.apologies for r in rows)
    return 1 if lost or bad or fuzzed else 0


def postgres_url() -> tuple[str, Callable[[], None]] | None:
    from tests.conftest import PG_HOST_URL, pg_admin

    name = f"stretchbot_soak_{uuid.uuid4().hex[:8]}"
    try:
        pg_admin(f'CREATE DATABASE "{name}"')
    except Exception:
        return None
    return f"{PG_HOST_URL}/{name}", lambda: pg_admin(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
