"""Several webhook instances on one PostgreSQL database, as in production.

- Two ``python -m bot webhook`` processes get 200 people's updates interleaved (each person's
  consecutive updates go to different instances): what everyone sees and what is stored
  equals a run with one instance.
- One person's updates reaching both instances at the same moment are applied one after
  the other (the per-person advisory lock), a repeated one only once.
- 1,000 timers due at once across two instances: each runs exactly once. Timers claimed by
  an instance that died wait for their lease, then run once.
- Telegram posts through a load balancer to two processes and one is killed with SIGKILL
  mid-run: nobody's conversation is lost, nothing is applied twice, and nothing stays
  claimed by the dead instance.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import re
import signal
import subprocess
import sys
import uuid
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import app as bot_app
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.models import Dialog, Screening, Timer, TriageAnswer, User
from bot.flows.unit import Unit
from bot.runtime import RECENT_UPDATES, Runtime
from bot.webhook import SECRET_HEADER
from tests.conftest import PG_HOST_URL, pg_admin
from tests.e2e.conftest import TOKEN
from tests.e2e.helpers import button, eventually, has_button
from tests.e2e.test_webhook import (
    HOOK_PATH,
    SECRET,
    free_socket,
    made_update,
    post_update,
    url_of,
    webhook_bot,
)
from tests.emulator.chats import StoredMessage
from tests.emulator.server import BotApiEmulator
from tests.emulator.userside import TelegramUser

PEOPLE = 200
REGIONS = ("neck", "upper_back", "lower_back", "lower_back_leg")
AGES = ("16_49", "50_64", "65_74")


# --- webhook instances as processes -------------------------------------------------------------
@dataclass
class Instance:
    """One ``python -m bot webhook`` process."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, http: aiohttp.ClientSession, within: float = 60.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while True:
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            try:
                async with http.get(self.url + "/readyz") as reply:
                    if reply.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert asyncio.get_running_loop().time() < deadline, f"{self.name} never ready"
            await asyncio.sleep(0.1)

    async def counter(self, http: aiohttp.ClientSession, name: str) -> float:
        """The sum of one Prometheus counter over its labels, from /metrics."""
        async with http.get(self.url + "/metrics") as reply:
            text = await reply.text()
        return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))

    async def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.process.wait, 30)


def spawn(
    name: str,
    database_url: str,
    emulator: BotApiEmulator,
    tmp_path: Path,
    *,
    public_url: str | None = None,
    **env: str,
) -> Instance:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    log = tmp_path / f"{name}.log"
    settings = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "WEBHOOK_URL": public_url or f"http://127.0.0.1:{port}{HOOK_PATH}",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_REGISTER": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "INSTANCE_NAME": name,
        "FLOOD_LIMIT_PER_SECOND": "0",
        "LOG_LEVEL": "WARNING",
        # PostgreSQL serves every test run on the machine: keep each instance's share small.
        "DATABASE_POOL_SIZE": "5",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "webhook"],
        env={**os.environ, **settings},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    return Instance(name, port, process, log)


@asynccontextmanager
async def instances(
    count: int, database_url: str, emulator: BotApiEmulator, tmp_path: Path, **env: str
) -> AsyncIterator[list[Instance]]:
    """``count`` instances started together (they migrate one at a time), stopped with SIGTERM."""
    started = [spawn(f"web-{n}", database_url, emulator, tmp_path, **env) for n in range(count)]
    try:
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(instance.ready(http) for instance in started))
        yield started
    finally:
        codes = await asyncio.gather(*(instance.stop() for instance in started))
        assert all(code in (0, -signal.SIGKILL) for code in codes), codes


# --- the people and their conversation ---------------------------------------------------------
# What a person chooses depends only on their kind (id modulo KINDS), so the one-instance
# reference run needs one person of each kind; everyone of that kind must see and store
# exactly what that person did.
FIRST = 7000
KINDS = 60


def kind_of(person: int) -> int:
    return (person - FIRST) % KINDS


def answer_for(person: int, question_id: str, asked: int) -> str:
    """Most say "yes" from their 1st, 2nd or 3rd question on (an emergency question answered
    "yes" ends the check); one kind in six goes through every question. Otherwise "no", now
    and then "not sure"."""
    kind = kind_of(person)
    if kind % 6 != 5 and asked > kind % 3:
        return "y"
    return "u" if zlib.crc32(f"{kind}:{question_id}".encode()) % 7 == 0 else "n"


class Driver:
    """Plays Telegram's part: takes each update a person makes and POSTs it, with the
    secret, to the instances in turn, waiting for the 200 as Telegram does before it sends
    that person's next update."""

    def __init__(self, emulator: BotApiEmulator, urls: list[str], http: aiohttp.ClientSession):
        self.emulator, self.urls, self.http = emulator, urls, http
        self._turn = itertools.count()

    async def turn(
        self, user: TelegramUser, act: Callable[[], Awaitable[object]]
    ) -> list[StoredMessage]:
        """Do one thing; returns what the bot said in answer: its new messages, then those
        it edited (a question answered becomes the next one)."""
        before, edits_before = len(user.messages()), len(user.edits())
        update_id = self.emulator.state.updates.next_id  # what the action is about to push
        await act()
        update = self.emulator.state.updates.pending.pop(update_id)
        for attempt in itertools.count():
            # Like Telegram: a dropped connection or a 5xx is sent again (a re-sent update
            # is applied once), here to the next instance.
            url = self.urls[next(self._turn) % len(self.urls)] + HOOK_PATH
            try:
                headers = {SECRET_HEADER: SECRET}
                async with self.http.post(url, json=update, headers=headers) as reply:
                    if reply.status == 200:
                        break
                    assert reply.status >= 500, reply.status
            except aiohttp.ClientConnectionError:
                pass
            assert attempt < 5, f"update {update_id} never accepted"
            await asyncio.sleep(0.1 * 2**attempt)
        edited = {edit.message_id for edit in user.edits()[edits_before:]}
        new = user.messages()[before:]
        return new + [m for m in user.messages()[:before] if m.message_id in edited]


def last_with(messages: list[StoredMessage], prefix: str) -> StoredMessage | None:
    for message in reversed(messages):
        if has_button(prefix)(message):
            return message
    return None


async def onboard_and_check(driver: Driver, user: TelegramUser) -> None:
    """/start, consent (some say no), region, age, then the red-flag questions."""
    kind = kind_of(user.id)
    said = await driver.turn(user, lambda: user.send("/start"))
    questions = 0
    while True:
        if (message := last_with(said, "ob:consent:")) is not None:
            choice = "ob:consent:no" if kind % 5 == 0 else "ob:consent:yes"
        elif (message := last_with(said, "ob:region:")) is not None:
            choice = f"ob:region:{REGIONS[kind % len(REGIONS)]}"
        elif (message := last_with(said, "ob:age:")) is not None:
            choice = f"ob:age:{AGES[kind // 4 % len(AGES)]}"
        elif (message := last_with(said, "tq:")) is not None:
            question = button(message, "tq:")
            questions += 1
            choice = question[:-1] + answer_for(user.id, question.split(":")[1], questions)
        else:
            return
        said = await driver.turn(user, functools.partial(user.press, message, callback_data=choice))


def transcript(user: TelegramUser) -> list[tuple[str, tuple[str, ...]]]:
    """Each message as it stands, then each edit as it left its message (the questions
    that took an answered one's place)."""
    sent = [
        (m.text, tuple(str(b["callback_data"]) for row in m.inline_keyboard for b in row))
        for m in user.messages()
    ]
    edited = [
        (e.text, tuple(str(b["callback_data"]) for row in keyboard_of(e.markup) for b in row))
        for e in user.edits()
    ]
    return sent + edited


def keyboard_of(markup: Any) -> list[list[dict[str, Any]]]:
    return list((markup or {}).get("inline_keyboard", []))


async def stored_state(sessions: async_sessionmaker[AsyncSession], people: range) -> dict[int, Any]:
    """Everything kept about each person, without times and ids that differ between runs."""
    state: dict[int, Any] = {}
    async with sessions() as db:
        for person in people:
            user = await db.get(User, person)
            dialog = await db.get(Dialog, person)
            assert user is not None and dialog is not None
            answers = await db.execute(
                select(TriageAnswer.question_id, TriageAnswer.answer)
                .where(TriageAnswer.user_id == person)
                .order_by(TriageAnswer.question_id)
            )
            screenings = await db.execute(
                select(
                    Screening.region, Screening.age_band, Screening.level, Screening.findings
                ).where(Screening.user_id == person)
            )
            data = {
                key: value
                for key, value in dialog.data.items()
                if key != RECENT_UPDATES and not key.endswith("_at")
            }
            state[person] = {
                "user": (user.consent, user.region, user.age_band, user.gate_level),
                "conditions": user.conditions,
                "dialog": (dialog.flow, dialog.step, dialog.version, data),
                "answers": [tuple(row) for row in answers],
                "screenings": [tuple(row) for row in screenings],
            }
    return state


async def converse(
    database_url: str, count: int, people: range, tmp_path: Path
) -> tuple[dict[int, Any], dict[int, Any]]:
    """Everyone's onboarding and check through ``count`` instances; returns what each person
    saw and what was stored about them."""
    async with AsyncExitStack() as stack:
        emulator = await stack.enter_async_context(
            BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot")
        )
        http = await stack.enter_async_context(aiohttp.ClientSession())
        running = await stack.enter_async_context(
            instances(count, database_url, emulator, tmp_path)
        )
        driver = Driver(emulator, [instance.url for instance in running], http)
        users = [emulator.user(person, "Ann") for person in people]
        await asyncio.gather(*(onboard_and_check(driver, user) for user in users))
        seen = {user.id: transcript(user) for user in users}
        for instance in running:
            # Each instance handled its share of everyone's updates.
            received = await instance.counter(http, "stretchbot_updates_received_total")
            assert received > len(people)
    engine = make_engine(database_url)
    try:
        stored = await stored_state(make_sessionmaker(engine), people)
    finally:
        await engine.dispose()
    return seen, stored


@pytest.fixture
def other_pg_url(pg_url: str) -> Iterator[str]:
    """A second empty database on the same server (for the one-instance reference run)."""
    name = f"stretchbot_test_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_HOST_URL}/{name}"
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_two_instances_see_and_store_what_one_instance_does(
    pg_url: str, other_pg_url: str, tmp_path: Path
) -> None:
    one_seen, one_stored = await converse(other_pg_url, 1, range(FIRST, FIRST + KINDS), tmp_path)
    two_seen, two_stored = await converse(pg_url, 2, range(FIRST, FIRST + PEOPLE), tmp_path)
    # The reference went somewhere: consent both ways, several outcomes, long talks.
    assert {state["user"][0] for state in one_stored.values()} == {"given", "refused"}
    assert len({state["dialog"][3].get("verdict") for state in one_stored.values()}) > 2
    assert max(len(seen) for seen in one_seen.values()) > 12
    for person in two_seen:
        like = FIRST + kind_of(person)
        assert two_seen[person] == one_seen[like], f"person {person} saw something else"
        assert two_stored[person] == one_stored[like], f"person {person}'s rows differ"


async def test_one_persons_updates_at_two_instances_at_once_are_serialised(pg_url: str) -> None:
    """Telegram would not do this to one chat, a misbehaving proxy might: a brand-new person's
    /start reaches one instance while their /help reaches the other, and one update reaches
    both. Each update is applied once, one after the other, without an error."""
    people = range(9500, 9550)
    async with (
        BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot") as emulator,
        webhook_bot(pg_url, emulator, register=False, instance_name="at-once-a") as a,
        webhook_bot(pg_url, emulator, register=False, instance_name="at-once-b") as b,
        aiohttp.ClientSession() as http,
    ):
        users = [emulator.user(person, "Ann", started=True) for person in people]
        posts = []
        for user in users:
            start = await made_update(emulator, user.id, "/start")
            help_ = await made_update(emulator, user.id, "/help")
            posts += [
                post_update(http, url_of(a), start),
                post_update(http, url_of(b), help_),
                post_update(http, url_of(b), start),  # the same /start again, elsewhere
            ]
        assert set(await asyncio.gather(*posts)) == {200}
        for instance in (a, b):
            metrics = instance.running.runtime.metrics
            assert metrics.updates_processed.labels("error")._value.get() == 0
    for user in users:
        texts = [message.text for message in user.messages()]
        assert sum(has_button("ob:consent:")(m) for m in user.messages()) == 1, texts
        assert len(texts) == 3, texts  # the introduction, the consent question, the help
    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as db:
            dialogs = (await db.execute(select(Dialog).where(Dialog.user_id.in_(people)))).all()
            assert len(dialogs) == len(people)
            assert {row.Dialog.flow for row in dialogs} == {"onboarding"}
    finally:
        await engine.dispose()


# --- timers -------------------------------------------------------------------------------------
TIMERS_PER_PERSON = 10


async def test_1000_timers_due_across_two_instances_each_run_once(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each timer adds one to its person's level, so a timer run twice shows in the row."""
    ran_on: dict[str, int] = {}

    def with_count(runtime: Runtime) -> None:
        register_app_timers(runtime)

        async def count(unit: Unit, timer: Timer) -> None:
            unit.user.level += 1
            ran_on[runtime.instance] = ran_on.get(runtime.instance, 0) + 1

        runtime.register_timer("count", count)

    register_app_timers = bot_app._register_timers
    monkeypatch.setattr(bot_app, "_register_timers", with_count)
    people = range(9000, 9100)
    async with BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot") as emulator:
        async with (
            webhook_bot(pg_url, emulator, register=False, instance_name="timers-a") as a,
            webhook_bot(pg_url, emulator, register=False, instance_name="timers-b") as b,
        ):
            now = a.running.runtime.clock.now()
            due = now + timedelta(seconds=1)
            async with a.running.runtime.sessions() as db, db.begin():
                db.add_all(
                    User(id=p, chat_id=p, created_at=now, consent="given", level=1, conditions=[])
                    for p in people
                )
                await db.flush()
                db.add_all(
                    Timer(key=f"count:{p}:{n}", kind="count", user_id=p, due_at=due, payload={})
                    for p in people
                    for n in range(TIMERS_PER_PERSON)
                )

            async def all_done() -> bool:
                async with a.running.runtime.sessions() as db:
                    left = (await db.execute(select(func.count(Timer.id)))).scalar()
                return left == 0

            assert await eventually(all_done, within=60)
            async with a.running.runtime.sessions() as db:
                levels = (
                    await db.execute(select(User.level).where(User.id.in_(list(people))))
                ).scalars()
                assert sorted(set(levels)) == [1 + TIMERS_PER_PERSON]
            # The operator's view agrees: 1,000 claimed, 1,000 fired, over both instances.
            for counter in ("timers_due", "timers_fired"):
                counted = sum(
                    getattr(instance.running.runtime.metrics, counter).labels("count")._value.get()
                    for instance in (a, b)
                )
                assert counted == len(people) * TIMERS_PER_PERSON, counter
    assert sum(ran_on.values()) == len(people) * TIMERS_PER_PERSON  # no handler ran twice
    assert ran_on["timers-a"] > 0 and ran_on["timers-b"] > 0  # both took a share


async def test_a_dead_instances_claimed_timers_wait_for_the_lease_then_run_once(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows a killed instance leaves behind: due timers claimed by it, lease running.
    The living instance leaves them alone until the lease ends, then runs each once."""
    ran: list[str] = []

    def with_count(runtime: Runtime) -> None:
        register_app_timers(runtime)

        async def count(unit: Unit, timer: Timer) -> None:
            unit.user.level += 1
            ran.append(timer.key)

        runtime.register_timer("count", count)

    register_app_timers = bot_app._register_timers
    monkeypatch.setattr(bot_app, "_register_timers", with_count)
    async with (
        BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot") as emulator,
        webhook_bot(pg_url, emulator, register=False, instance_name="alive") as alive,
    ):
        runtime = alive.running.runtime
        now = runtime.clock.now()
        lease = timedelta(seconds=runtime.settings.claim_lease_seconds)
        async with runtime.sessions() as db, db.begin():
            db.add(User(id=9900, chat_id=9900, created_at=now, consent="given", level=1))
            await db.flush()
            db.add_all(
                Timer(
                    key=f"count:9900:{n}",
                    kind="count",
                    user_id=9900,
                    due_at=now - timedelta(seconds=5),
                    claimed_by="dead",
                    lease_until=now + lease,
                )
                for n in range(20)
            )
        runtime.wake()
        await asyncio.sleep(1.5)
        assert ran == []  # the lease still holds
        runtime.clock.shift(lease)
        runtime.wake()

        async def all_ran() -> bool:
            return len(ran) >= 20

        assert await eventually(all_ran, within=10)
        await asyncio.sleep(0.5)
        async with runtime.sessions() as db:
            user = await db.get(User, 9900)
            assert user is not None and user.level == 21
    assert sorted(ran) == sorted(f"count:9900:{n}" for n in range(20))


# --- a load balancer, and an instance killed mid-run --------------------------------------------
class LoadBalancer:
    """Round robin over the instances, as a hosting platform's router does. A backend that
    drops a connection is taken out of rotation and that request answered 502, so Telegram
    sends it again, to a live instance."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.dead: set[str] = set()
        self._turn = itertools.count()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = free_socket()
        await web.SockSite(self._runner, sock).start()
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return f"http://127.0.0.1:{sock.getsockname()[1]}{HOOK_PATH}"

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        live = [backend for backend in self.backends if backend not in self.dead]
        if not live:
            return web.Response(status=502)
        backend = live[next(self._turn) % len(live)]
        assert self._http is not None
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        try:
            async with self._http.post(
                backend + request.path, data=await request.read(), headers=headers
            ) as reply:
                return web.Response(status=reply.status, body=await reply.read())
        except aiohttp.ClientError:
            self.dead.add(backend)
            return web.Response(status=502)


SURVIVORS = range(8000, 8024)
LEASE_SECONDS = 3


async def check_then_hold(user: TelegramUser) -> None:
    """Onboard, answer "no" to every question, start a session, hold the first stretch and
    wait for its end. Waits for messages (not answers to POSTs): after the kill, Telegram's
    retries and the lease decide when things arrive. Repeats of a message already handled
    (the documented crash window) are skipped, not answered twice."""
    await user.send("/start")
    consent = await user.wait_for(has_button("ob:consent:"), timeout=30)
    await user.press(consent, callback_data="ob:consent:yes")
    region = await user.wait_for(has_button("ob:region:"), timeout=30)
    await user.press(region, callback_data="ob:region:neck")
    age = await user.wait_for(has_button("ob:age:"), timeout=30)
    await user.press(age, callback_data="ob:age:16_49")
    answered: set[str] = set()

    def new_question_or_done(message: StoredMessage) -> bool:
        if has_button("go:stretch")(message):
            return True
        return has_button("tq:")(message) and button(message, "tq:") not in answered

    while True:
        asked = await user.wait_for(new_question_or_done, timeout=30)
        if has_button("go:stretch")(asked) and not has_button("tq:")(asked):
            break
        question = button(asked, "tq:")
        answered.add(question)
        await user.press(asked, callback_data=question[:-1] + "n")
    await user.send("/stretch")
    pain = await user.wait_for(has_button("pn:b:"), timeout=30)
    await user.press(pain, callback_data=button(pain, "pn:b:")[:-1] + "3")
    stretch = await user.wait_for(has_button("ss:start:"), timeout=30)
    await user.press(stretch, callback_data=button(stretch, "ss:start:"))
    await user.wait_for("And release", timeout=30)


async def test_killing_an_instance_mid_run_loses_nothing(pg_url: str, tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        emulator = await stack.enter_async_context(
            BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot")
        )
        balancer = LoadBalancer([])
        public_url = await balancer.start()
        stack.push_async_callback(balancer.stop)
        env = {
            "STRETCH_TIME_SCALE": "0.01",
            "CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        doomed = spawn("doomed", pg_url, emulator, tmp_path, public_url=public_url, **env)
        survivor = spawn(
            "survivor",
            pg_url,
            emulator,
            tmp_path,
            public_url=public_url,
            WEBHOOK_REGISTER="true",  # this one registers the balancer's URL with Telegram
            **env,
        )
        http = await stack.enter_async_context(aiohttp.ClientSession())
        try:
            await asyncio.gather(doomed.ready(http), survivor.ready(http))
            await eventually(lambda: _registered(emulator), within=10)
            balancer.backends.extend([doomed.url, survivor.url])
            users = [emulator.user(person, "Ann") for person in SURVIVORS]
            talks = asyncio.gather(*(check_then_hold(user) for user in users))

            async def well_under_way() -> bool:
                # Mid-run: some people hold a stretch (its timers are due), others still talk.
                holding = sum(any(map(has_button("ss:hurt:"), u.messages())) for u in users)
                return holding >= len(users) // 4

            assert await eventually(well_under_way, within=60)
            doomed.process.send_signal(signal.SIGKILL)
            await talks
            assert doomed.url in balancer.dead
            # Its claims are taken over once their lease ends. The talks can end sooner: a
            # hold's countdown committed by the dead instance just before the kill is not
            # waited for (the survivor ends the hold), so it may still be in its lease here.
            assert await eventually(
                functools.partial(nothing_left_with_the_dead, pg_url),
                within=LEASE_SECONDS + 15,
            )
        finally:
            codes = await asyncio.gather(doomed.stop(), survivor.stop())
        assert codes == [-signal.SIGKILL, 0]
    engine = make_engine(pg_url)
    try:
        async with make_sessionmaker(engine)() as db:
            for person in SURVIVORS:
                answers = list(
                    (
                        await db.execute(
                            select(TriageAnswer.question_id).where(TriageAnswer.user_id == person)
                        )
                    ).scalars()
                )
                assert len(answers) == len(set(answers)) > 5, f"{person}: answers doubled"
                for model in ("screenings", "stretch_sessions"):
                    rows = await db.execute(
                        text(f"SELECT count(*) FROM {model} WHERE user_id = :p"), {"p": person}
                    )
                    assert rows.scalar() == 1, f"{person}: not one row in {model}"
    finally:
        await engine.dispose()


async def nothing_left_with_the_dead(database_url: str) -> bool:
    """Nothing is left with the dead instance's name on it: its claims were taken over."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as db:
            for claimed in ("timers", "outbox"):
                left = await db.execute(
                    text(f"SELECT count(*) FROM {claimed} WHERE claimed_by = 'doomed'")
                )
                if left.scalar():
                    return False
        return True
    finally:
        await engine.dispose()


async def _registered(emulator: BotApiEmulator) -> bool:
    return bool(emulator.webhook.settings.url)
