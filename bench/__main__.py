"""``python -m bench [--quick]``: every benchmark, each figure next to the echo baseline.

Three kinds of process on 127.0.0.1: the Bot API emulator, the bot under test (``python -m
bot run``) or the baseline echo bot, and this driver. Results go to ``bench/results/``
(``latest.json``, ``latest.md``); ``--quick`` runs reduced sizes in under two minutes.

    python -m bench                       # the full run (tens of minutes)
    python -m bench --quick               # the reduced run
    python -m bench --only startup,holds  # some sections, written to a scratch folder
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from bench import conversations, dispatch, holds, pictures, safety_net, startup
from bench.conversations import LoadRun
from bench.dispatch import DispatchRun
from bench.processes import REPO, load_average
from bench.results import Figure, Report, Target, percentile
from bench.stack import postgres_available

T = TypeVar("T")
RESULTS = REPO / "bench" / "results"
SECTIONS = ("conversations", "dispatch", "flood", "holds", "startup", "safety_net", "pictures")
DATABASE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@dataclass(frozen=True)
class Sizes:
    mode: str
    runs: int  # repetitions behind each median
    large_runs: int  # for conversations of more than LARGE people (each run takes minutes)
    people: tuple[int, ...]  # measure 1: simulated people at once
    latency_people: int  # measure 2
    reminders: int  # measure 3
    dispatch_budget: float  # seconds before measure 3 stops waiting
    flood_reminders: int  # measure 4
    hold_sessions: int  # measure 5
    hold_scale: float  # STRETCH_TIME_SCALE for measure 5 (1.0: real holds and countdowns)
    startup_runs: int
    picture_people: int  # measure 7: people one after another, the first uploads


LARGE = 200
FULL = Sizes("full", 3, 1, (100, 1000), 200, 100_000, 120.0, 1200, 500, 1.0, 5, 30)
QUICK = Sizes("quick", 1, 1, (10,), 10, 2000, 15.0, 300, 50, 0.1, 2, 10)
TINY = Sizes("tiny", 1, 1, (2,), 2, 20, 20.0, 10, 2, 0.02, 1, 3)


@dataclass
class Bench:
    sizes: Sizes
    scratch: Path
    databases: list[str]
    report: Report
    failures: list[str] = field(default_factory=list)
    echo_latency: dict[str, float] = field(default_factory=dict)  # p50/p99 of the baseline
    echo_rate: list[float] = field(default_factory=list)  # replies/s of the largest run
    echo_rss: list[float] = field(default_factory=list)

    async def repeat(
        self, what: str, make: Callable[[], Awaitable[T]], runs: int | None = None
    ) -> list[T]:
        """``runs`` (default ``sizes.runs``) runs of one measurement; a failed run is retried
        once."""
        results = []
        for run in range(runs or self.sizes.runs):
            for attempt in (1, 2):
                try:
                    results.append(await make())
                    break
                except Exception as error:
                    message = f"{what}, run {run + 1}, attempt {attempt}: {error!r}"
                    print("  failed:", message, file=sys.stderr, flush=True)
                    if attempt == 2:
                        raise
            print(f"  {what}: run {run + 1} done", flush=True)
        return results

    # --- measures 1 and 2 -----------------------------------------------------------------
    async def conversations(self) -> None:
        sizes = self.sizes
        people_sizes = sorted({*sizes.people, sizes.latency_people})
        for people in people_sizes:
            runs = sizes.runs if people <= LARGE else sizes.large_runs
            # PostgreSQL is reported for throughput; latency's target is on SQLite.
            databases = self.databases if people in sizes.people else ["sqlite"]
            bot_runs: dict[str, list[LoadRun]] = {}
            for database in databases:
                try:
                    bot_runs[database] = await self.repeat(
                        f"{people} people, {database}",
                        partial(conversations.run_bot, self.scratch, database, people),
                        runs,
                    )
                except Exception as error:
                    # One database failing (a shared server out of connections) keeps the rest.
                    if database == "sqlite":
                        raise
                    self.failures.append(f"{people} people on {database}")
                    self.report.note(f"{people} people on {database} failed: {error!r}")
            first = next(iter(bot_runs.values()))[0]
            each = round(first.updates / first.people)
            echo = await self.repeat(
                f"{people} people, echo",
                partial(conversations.run_echo, self.scratch, people, each),
                runs,
            )
            ceiling = await self.repeat(
                f"{people} people, bare echo",
                partial(conversations.run_echo, self.scratch, people, each, raw=True),
                runs,
            )
            self._context(f"{people} people", bot_runs, echo, ceiling)
            if people in sizes.people:
                self._throughput(people, each, bot_runs, echo, ceiling)
            if people == min(sizes.people):
                self._work(people, bot_runs, echo)
            if people == sizes.latency_people:
                self._latency(people, bot_runs, echo)
                await self._open_loop(people, each, bot_runs["sqlite"])
            if people == max(people_sizes):
                self.echo_rate = [run.rate for run in echo]
                self.echo_rss = [run.peak_rss_mb for run in echo]

    def _throughput(
        self,
        people: int,
        each: int,
        bot_runs: dict[str, list[LoadRun]],
        echo: list[LoadRun],
        ceiling: list[LoadRun],
    ) -> None:
        for database, runs in bot_runs.items():
            self.report.add(
                Figure(
                    f"throughput_{database}_{people}_people",
                    "updates/s",
                    [run.rate for run in runs],
                    [run.rate for run in echo],
                    Target(0.75, "min", on_ratio=True) if database == "sqlite" else None,
                    note=f"{people} people at once, each a full conversation of {each} updates "
                    "(onboarding, triage, a session with holds scaled to zero, two pain "
                    f"ratings); the baseline sends {each} texts per person to the echo bot",
                )
            )
        self.report.add(
            Figure(
                f"emulator_ceiling_{people}_people",
                "updates/s",
                [run.rate for run in ceiling],
                [run.rate for run in echo],
                note="the same load answered by a bare aiohttp echo loop (no framework): "
                "what the emulator and this driver allow on this machine; the ratio is how "
                "far above the python-telegram-bot baseline that ceiling is",
            )
        )

    def _work(self, people: int, bot_runs: dict[str, list[LoadRun]], echo: list[LoadRun]) -> None:
        """What one update costs: CPU, SQL statements, commits, Bot API requests, counted
        over every update of the run (and whatever it caused: timers, deliveries)."""
        where = f"over the {people}-people conversation runs"
        for database, runs in bot_runs.items():
            suffix = "" if database == "sqlite" else f"_{database}"
            name = DATABASE_NAMES[database]
            self.report.add(
                Figure(
                    f"cpu_ms_per_update_{database}",
                    "ms",
                    [run.cpu_ms_per_update for run in runs],
                    [run.cpu_ms_per_update for run in echo],
                    Target(4.0 if database == "sqlite" else 6.0, "max"),
                    note=f"CPU time (user + system) of the bot process divided by the updates "
                    f"sent, {where} on {name}: each update with the timers and deliveries it "
                    "causes; the baseline is the echo bot's for the same number of texts",
                )
            )
            self.report.add(
                Figure(
                    f"statements_per_update{suffix}",
                    "statements",
                    [run.statements_per_update for run in runs],
                    [run.statements_per_update for run in echo],
                    Target(8, "max"),
                    note="SQL statements the bot sent (SQLAlchemy's before_cursor_execute on "
                    f"every engine, an executemany counted once) per update, {where} on "
                    f"{name}, timers and outbox included; the echo bot has no database",
                )
            )
            self.report.add(
                Figure(
                    f"commits_per_update{suffix}",
                    "commits",
                    [run.commits_per_update for run in runs],
                    [run.commits_per_update for run in echo],
                    Target(1, "max"),
                    note=f"commits (SQLAlchemy's commit event) per update, {where} on {name}",
                )
            )
            self.report.add(
                Figure(
                    f"commits_per_unit{suffix}",
                    "commits",
                    [run.commits_per_unit for run in runs],
                    [0.0 for _ in echo],
                    note="commits per unit of work (an update, or a timer it caused: a hold's "
                    f"end, a rest's end), {where} on {name}, the outbox's and the timer "
                    "claims' commits included; units per update: "
                    + ", ".join(f"{run.units_per_update:.2f}" for run in runs),
                )
            )
        sqlite = bot_runs.get("sqlite", next(iter(bot_runs.values())))
        self.report.add(
            Figure(
                "bot_api_calls_per_update",
                "requests",
                [run.api_calls_per_update for run in sqlite],
                [run.api_calls_per_update for run in echo],
                Target(2.5, "max"),
                note="Bot API requests per update as the emulator counted them (every method "
                f"but getUpdates: one long poll brings many updates), {where} on SQLite; "
                "the baseline is the echo bot's (one sendMessage per text)",
            )
        )

    def _latency(
        self, people: int, bot_runs: dict[str, list[LoadRun]], echo: list[LoadRun]
    ) -> None:
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            echo_ms = [percentile(run.latencies, fraction) * 1000 for run in echo]
            self.echo_latency[name] = statistics.median(echo_ms)
            for database, runs in bot_runs.items():
                self.report.add(
                    Figure(
                        f"reply_latency_{name}_{database}_{people}_people",
                        "ms",
                        [percentile(run.latencies, fraction) * 1000 for run in runs],
                        echo_ms,
                        Target(3.0, "max", on_ratio=True)
                        if name == "p99" and database == "sqlite"
                        else None,
                        note="from just before an update is handed to the emulator to the "
                        "first new message from the bot reaching the person, over every "
                        f"update of {people} people in full conversations",
                    )
                )

    async def _open_loop(self, people: int, each: int, closed: list[LoadRun]) -> None:
        """People arriving at a fixed rate, half the bot's capacity measured just before
        (closed loop, SQLite): the latency a real crowd sees, which a closed loop hides (a
        slow answer there only slows the next question)."""
        capacity = statistics.median(run.rate for run in closed)
        arrivals = capacity / 2 / each  # people per second
        label = f"{people} people arriving at {arrivals:.2f}/s"
        bot = await self.repeat(
            f"{label}, sqlite",
            partial(conversations.run_bot, self.scratch, "sqlite", people, arrivals=arrivals),
            self.sizes.large_runs,
        )
        echo = await self.repeat(
            f"{label}, echo",
            partial(conversations.run_echo, self.scratch, people, each, arrivals=arrivals),
            self.sizes.large_runs,
        )
        self._context(label, {"sqlite": bot}, echo, [])
        offered = f"{capacity / 2:.0f} updates/s offered (half the {capacity:.0f} measured)"
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            self.report.add(
                Figure(
                    f"reply_latency_{name}_open_loop",
                    "ms",
                    [percentile(run.latencies, fraction) * 1000 for run in bot],
                    [percentile(run.latencies, fraction) * 1000 for run in echo],
                    Target(3.0, "max", on_ratio=True) if name == "p99" else None,
                    note=f"open loop: {people} people, one every {1 / arrivals:.2f} s, each a "
                    f"full conversation of {each} updates, {offered}, SQLite; the baseline "
                    "is the echo bot with the same arrivals and as many texts",
                )
            )

    def _context(
        self,
        label: str,
        bot_runs: dict[str, list[LoadRun]],
        echo: list[LoadRun],
        ceiling: list[LoadRun],
    ) -> None:
        every = [(f"bot on {db}", run) for db, runs in bot_runs.items() for run in runs]
        every += [("echo", run) for run in echo] + [("bare echo", run) for run in ceiling]
        for name, run in every:
            self.report.note(
                f"{label}, {name}: {run.updates} updates in {run.seconds:.1f} s, "
                f"{run.cpu_ms_per_update:.1f} ms of CPU, {run.statements_per_update:.1f} "
                f"statements, {run.commits_per_update:.2f} commits and "
                f"{run.api_calls_per_update:.2f} Bot API requests per update; load average "
                f"{run.load:.1f} at start; CPU of one core: {run.cpu}"
            )

    # --- measure 3 ------------------------------------------------------------------------
    async def dispatch(self) -> None:
        sizes = self.sizes
        people = f"{sizes.reminders:,}".replace(",", "_")
        for database in self.databases:
            try:
                runs = await self.repeat(
                    f"{sizes.reminders} reminders, {database}",
                    partial(
                        dispatch.run_dispatch,
                        self.scratch,
                        database,
                        sizes.reminders,
                        flood=False,
                        budget=sizes.dispatch_budget,
                    ),
                )
            except Exception as error:
                if database == "sqlite":
                    raise
                self.failures.append(f"reminders on {database}")
                self.report.note(f"reminders on {database} failed: {error!r}")
                continue
            self._dispatch_figures(database, people, runs)

    def _dispatch_figures(self, database: str, people: str, runs: list[DispatchRun]) -> None:
        sizes = self.sizes
        for run in runs:
            self.report.note(
                f"reminders, {database}: {run.sent:,} of {run.due:,} delivered in "
                f"{run.seconds:.1f} s ({run.cpu_seconds * 1000 / max(1, run.sent):.1f} ms of "
                f"CPU each); {run.recorded:,} recorded as sent; bot memory "
                f"{run.idle_rss_mb:.0f} MB before they were due, {run.peak_rss_mb:.0f} MB at "
                f"peak; load average {run.load:.1f}; CPU of one core: {run.cpu}"
            )
        budget_note = (
            f"; runs stop after {sizes.dispatch_budget:.0f} s, so the rate is what was "
            "delivered by then"
            if any(run.sent < run.due for run in runs)
            else ""
        )
        suffix = "" if database == "sqlite" else f"_{database}"
        self.report.add(
            Figure(
                f"reminders_per_s_{people}_due{suffix}",
                "reminders/s",
                [run.rate for run in runs],
                self.echo_rate,
                Target(1000, "min"),
                note=f"{sizes.reminders:,} people with a reminder all due at the same moment, "
                f"emulator flood limit off, bot limiter off, {DATABASE_NAMES[database]}; from "
                "the moment they are due to the last one delivered; the baseline is the echo "
                "bot's replies per second in the largest conversation run"
                f"{budget_note}",
            )
        )
        self.report.add(
            Figure(
                f"bot_peak_rss_{people}_people{suffix}",
                "MB",
                [run.peak_rss_mb for run in runs],
                self.echo_rss,
                Target(150, "below"),
                note="peak resident memory (VmHWM) of the bot process while the reminders "
                f"were dispatched ({DATABASE_NAMES[database]}); the baseline is the echo "
                "bot's peak in the largest conversation run",
            )
        )

    # --- measure 4 ------------------------------------------------------------------------
    async def flood(self) -> None:
        sizes = self.sizes
        runs = await self.repeat(
            f"{sizes.flood_reminders} reminders at 30/s",
            lambda: dispatch.run_dispatch(
                self.scratch, "sqlite", sizes.flood_reminders, flood=True, budget=600
            ),
        )
        limit = [30.0 for _ in runs]
        for run in runs:
            self.report.note(
                f"reminders at 30/s: {run.sent} delivered in {run.seconds:.1f} s after they "
                f"were due ({run.rate:.1f}/s from that moment), "
                f"{run.answers_429} answers 429, {run.wrong_counts} people without exactly "
                f"one message; CPU of one core: {run.cpu}"
            )
        self.report.add(
            Figure(
                "flood_limited_rate",
                "messages/s",
                [run.sustained_rate for run in runs],
                limit,
                Target(28, "min"),
                note=f"{sizes.flood_reminders} reminders due at once, emulator enforcing "
                "Telegram's limits (30/s overall, counted over any one second), the bot's "
                "limiter as deployed (FLOOD_LIMIT_PER_SECOND=30, paced at 95%); the pace "
                "between 30% and 90% delivered; the baseline is the limit itself "
                "(not a measurement)",
            )
        )
        self.report.add(
            Figure(
                "flood_429_answers",
                "answers",
                [float(run.answers_429) for run in runs],
                target=Target(0, "max", text="0"),
                note="429 Too Many Requests answers the emulator gave in that run",
            )
        )
        self.report.add(
            Figure(
                "flood_delivered_exactly_once",
                "share of people",
                [1 - run.wrong_counts / run.due for run in runs],
                target=Target(1.0, "min", text="1.0 (everyone once)"),
                note="each person's chat read back from the emulator: exactly one reminder",
            )
        )

    # --- measure 5 ------------------------------------------------------------------------
    async def holds(self) -> None:
        sizes = self.sizes
        runs = await self.repeat(
            f"{sizes.hold_sessions} holds",
            lambda: holds.run_holds(self.scratch, "sqlite", sizes.hold_sessions, sizes.hold_scale),
        )
        for run in runs:
            self.report.note(
                f"holds: {run.sessions} sessions, lateness max "
                f"{max(run.lateness) * 1000:.0f} ms; load average {run.load:.1f}; "
                f"CPU of one core: {run.cpu}"
            )
        hold = holds.WARM_UP_HOLD * sizes.hold_scale
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            baseline = self.echo_latency.get(name)
            self.report.add(
                Figure(
                    f"hold_end_lateness_{name}_{sizes.hold_sessions}_sessions",
                    "ms",
                    [percentile(run.lateness, fraction) * 1000 for run in runs],
                    [baseline] if baseline is not None else [],
                    Target(500, "below") if name == "p99" else None,
                    note=f"{sizes.hold_sessions} sessions started together, each in a "
                    f"{hold:.0f} s hold (STRETCH_TIME_SCALE={sizes.hold_scale}) with its "
                    "countdown edits; lateness of the message ending the hold, against the "
                    "end the bot recorded; the baseline is the echo bot's reply latency",
                )
            )

    # --- measure 6 ------------------------------------------------------------------------
    async def startup(self) -> None:
        runs = self.sizes.startup_runs
        bot = [await startup.bot_first_reply(self.scratch) for _ in range(runs)]
        echo = [await startup.echo_first_reply(self.scratch) for _ in range(runs)]
        self.report.add(
            Figure(
                "start_to_first_reply",
                "s",
                bot,
                echo,
                Target(2.0, "below"),
                note="from creating the process to the reply to a waiting /start reaching "
                "the person; a fresh SQLite database, so the migrations run too",
            )
        )
        bot_imports = [startup.timed_import(startup.BOT_START_IMPORTS) for _ in range(runs)]
        echo_imports = [startup.timed_import(startup.ECHO_START_IMPORTS) for _ in range(runs)]
        heavy = [startup.timed_import(startup.HEAVY_IMPORTS) for _ in range(runs)]
        loaded = sorted({module for cost in bot_imports for module in cost.loaded})
        self.report.add(
            Figure(
                "start_imports",
                "ms",
                [cost.seconds * 1000 for cost in bot_imports],
                [cost.seconds * 1000 for cost in echo_imports],
                note="importing what `python -m bot run` needs before it can answer, in a "
                "fresh interpreter; the baseline imports the echo bot",
            )
        )
        self.report.add(
            Figure(
                "heavy_imports_kept_out",
                "ms",
                [cost.seconds * 1000 for cost in heavy],
                fixed_met=not loaded,
                note="what importing matplotlib.pyplot and fpdf costs; start-up must not pay "
                "it (met: none of "
                f"{', '.join(startup.HEAVY)} is loaded by the start-up imports"
                + (f"; loaded: {', '.join(loaded)}" if loaded else "")
                + ")",
            )
        )

    # --- measure 7 ------------------------------------------------------------------------
    async def safety_net(self) -> None:
        runs = [await safety_net.measure() for _ in range(self.sizes.startup_runs)]
        echo = self.echo_latency
        for layers, key in (("rules", "rules_seconds"), ("both_layers", "both_seconds")):
            for name, fraction in (("p50", 0.5), ("p99", 0.99)):
                self.report.add(
                    Figure(
                        f"safety_net_{layers}_ms_per_message_{name}",
                        "ms",
                        [percentile(run[key], fraction) * 1000 for run in runs],
                        [echo[name]] if name in echo else [],
                        Target(15, "below") if layers == "both_layers" and name == "p99" else None,
                        note=f"screening one message ({runs[0]['messages']} statements from "
                        "tests/core/data, up to "
                        f"{runs[0]['longest']} characters, in English, Spanish and German) with "
                        + ("the phrase rules alone" if layers == "rules" else "both layers")
                        + "; the baseline is the echo bot's reply latency",
                    )
                )
        self.report.add(
            Figure(
                "safety_net_meaning_layer_rss_mb",
                "MB",
                [run["rss_after_mb"] - run["rss_before_mb"] for run in runs],
                self.echo_rss,
                Target(150, "below"),
                note="what loading the meaning layer (encoder and weights) adds to the bot's "
                "resident memory; the baseline is the echo bot's peak",
            )
        )
        self.report.add(
            Figure(
                "safety_net_meaning_layer_load_s",
                "s",
                [run["load_seconds"] for run in runs],
                note="loading the encoder in its background thread after start-up; until "
                "it is ready the phrase rules answer alone",
            )
        )

    # --- measure 8 ------------------------------------------------------------------------
    async def pictures(self) -> None:
        people = self.sizes.picture_people
        runs = await self.repeat(
            f"pictures, {people} people",
            lambda: pictures.run_pictures(self.scratch, "sqlite", people),
        )
        text = [ms for run in runs for ms in run.text_ms]
        for run in runs:
            self.report.note(
                f"pictures: first step {run.step_ms[0]:.0f} ms, first hold "
                f"{run.hold_ms[0]:.0f} ms (rendered and uploaded); later steps "
                f"{statistics.median(run.step_ms[1:]):.0f} ms, holds "
                f"{statistics.median(run.hold_ms[1:]):.0f} ms (by file_id); "
                f"{run.uploads} uploads, {run.repeated_uploads} repeated"
            )
        for name, pick, what in (
            ("step", lambda run: run.step_ms, "pain rating to the step's photo"),
            ("hold", lambda run: run.hold_ms, '"Start the hold" to the countdown animation'),
        ):
            self.report.add(
                Figure(
                    f"picture_{name}_first_upload",
                    "ms",
                    [pick(run)[0] for run in runs],
                    text,
                    note=f"{what}, the first time the bot sends that picture: rendered (an "
                    "empty picture cache; the animation is drawn once the step's picture is "
                    f"sent, during the {pictures.READ_SECONDS:.0f} s the person reads) and "
                    "uploaded; the baseline is /help's text reply for the same people",
                )
            )
            self.report.add(
                Figure(
                    f"picture_{name}_by_file_id",
                    "ms",
                    [ms for run in runs for ms in pick(run)[1:]],
                    text,
                    Target(2.0, "max", on_ratio=True) if name == "step" else None,
                    note=f"{what} for everyone after the first, one person at a time: the "
                    "picture goes by its stored file_id; the baseline is /help's text reply",
                )
            )
        self.report.add(
            Figure(
                "picture_repeated_uploads",
                "uploads",
                [float(run.repeated_uploads) for run in runs],
                target=Target(0, "max", text="0"),
                note="the same picture's bytes uploaded more than once in a run (the "
                "emulator hashes every upload)",
            )
        )


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes, under two minutes")
    parser.add_argument("--tiny", action="store_true", help="smallest sizes (the smoke test)")
    parser.add_argument("--only", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, help="folder for latest.json and latest.md")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs)")
    args = parser.parse_args(argv)
    sizes = TINY if args.tiny else QUICK if args.quick else FULL
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    scratch = Path(tempfile.mkdtemp(prefix="stretchbot-bench-"))
    partial_run = bool(args.only or args.tiny)
    out = args.out or (
        Path(tempfile.mkdtemp(prefix="stretchbot-bench-results-")) if partial_run else RESULTS
    )
    databases = ["sqlite"]
    report = Report(sizes.mode)
    if not args.no_postgres and await postgres_available():
        databases.append("postgres")
    elif not args.no_postgres:
        report.note("PostgreSQL was not reachable on 127.0.0.1:5432: its figures are missing")
    bench = Bench(sizes, scratch, databases, report)
    started = time.monotonic()
    report.note(f"load average when the benchmark began: {load_average():.1f}")
    try:
        for section in SECTIONS:
            if section not in chosen:
                continue
            print(f"{section} ...", flush=True)
            began = time.monotonic()
            try:
                await getattr(bench, section)()
            except Exception as error:
                bench.failures.append(section)
                report.note(f"section {section} failed: {error!r}")
                traceback.print_exc()
            report.note(f"section {section} took {time.monotonic() - began:.0f} s")
    finally:
        report.note(f"whole benchmark: {time.monotonic() - started:.0f} s")
        json_path, md_path = report.write(out)
        print(md_path.read_text())
        print(f"written: {json_path} and {md_path}")
        if args.keep:
            print(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
