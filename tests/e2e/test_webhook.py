"""Webhook mode end to end: the emulator POSTs updates to a real uvicorn server.

The secret is checked before anything happens; a re-sent update is applied once; a
database failure answers 503 so Telegram re-sends; probes and metrics answer; stopping hands
claimed timers over at once; SIGTERM lets the update in flight finish before a clean exit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot import app as bot_app
from bot.db.models import Dialog, Timer, User
from bot.flows.unit import Unit
from bot.runtime import Runtime
from bot.webhook import SECRET_HEADER, WebhookInstance, start_webhook
from content.schema.texts import t
from tests.e2e.conftest import TOKEN, make_settings
from tests.e2e.helpers import eventually, has_button
from tests.emulator.server import BotApiEmulator

SECRET = "hook-secret_42"
HOOK_PATH = "/telegram/hook"


def free_socket() -> socket.socket:
    return socket.create_server(("127.0.0.1", 0))


@asynccontextmanager
async def webhook_bot(
    database_url: str,
    emulator: BotApiEmulator,
    *,
    public_url: str | None = None,
    register: bool = True,
    **overrides: Any,
) -> AsyncIterator[WebhookInstance]:
    """One webhook instance on a free port; ``public_url`` is where Telegram POSTs (a load
    balancer in front of several instances), by default this instance itself."""
    sock = free_socket()
    port = sock.getsockname()[1]
    settings = make_settings(
        database_url,
        emulator.base_url,
        webhook_url=public_url or f"http://127.0.0.1:{port}{HOOK_PATH}",
        webhook_secret=SECRET,
        webhook_register=register,
        **overrides,
    )
    instance = await start_webhook(settings, sock)
    try:
        yield instance
    finally:
        await instance.stop()


def url_of(instance: WebhookInstance, path: str = HOOK_PATH) -> str:
    return f"http://127.0.0.1:{instance.port}{path}"


async def post_update(
    http: aiohttp.ClientSession, url: str, update: dict[str, Any], secret: str | None = SECRET
) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with http.post(url, json=update, headers=headers) as reply:
        return reply.status


async def made_update(emulator: BotApiEmulator, user_id: int, text: str) -> dict[str, Any]:
    """The update Telegram would send for ``text``, taken from the emulator's queue (with no
    webhook registered nobody else reads it)."""
    await emulator.user(user_id, started=True).send(text)
    return emulator.state.updates.pending.popitem(last=True)[1]


async def users_in_db(instance: WebhookInstance) -> list[int]:
    async with instance.running.runtime.sessions() as db:
        return list((await db.execute(select(User.id))).scalars())


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot") as emu:
        yield emu


async def test_a_person_talks_to_the_bot_through_the_registered_webhook(
    emulator: BotApiEmulator, sqlite_url: str
) -> None:
    async with webhook_bot(sqlite_url, emulator) as bot:
        assert emulator.webhook.settings.url == url_of(bot)
        assert emulator.webhook.settings.secret_token == SECRET
        ann = emulator.user(4001, "Ann")
        await ann.send("/start")
        consent = await ann.wait_for(has_button("ob:consent:"))
        await ann.press(consent, callback_data="ob:consent:yes")
        await ann.wait_for(has_button("ob:region:"))
    assert emulator.stats()["webhook_delivered"] == 2


WRONG_SECRETS = [None, "", "wrong-secret", SECRET + "x", SECRET[:-1], SECRET.upper()]


async def test_a_missing_or_wrong_secret_gets_403_and_changes_nothing(
    emulator: BotApiEmulator, sqlite_url: str
) -> None:
    async with webhook_bot(sqlite_url, emulator, register=False) as bot:
        update = await made_update(emulator, 4002, "/start")
        async with aiohttp.ClientSession() as http:
            for secret in WRONG_SECRETS:
                assert await post_update(http, url_of(bot), update, secret) == 403, secret
            await asyncio.sleep(0.2)
            assert await users_in_db(bot) == []
            assert emulator.user(4002).messages() == []
            metrics = await (await http.get(url_of(bot, "/metrics"))).text()
            rejected = (
                f'stretchbot_webhook_rejected_total{{reason="secret"}} {len(WRONG_SECRETS)}.0'
            )
            assert rejected in metrics
            assert "stretchbot_updates_received_total 0.0" in metrics
            # The same update with the right secret is handled: the refusal was the secret.
            assert await post_update(http, url_of(bot), update) == 200
        assert await users_in_db(bot) == [4002]
        await emulator.user(4002).wait_for(has_button("ob:consent:"))


async def test_a_resent_update_is_applied_once(emulator: BotApiEmulator, sqlite_url: str) -> None:
    """Telegram re-sends an update whose answer was slow: at once, and again later."""
    async with webhook_bot(sqlite_url, emulator, register=False) as bot:
        bo = emulator.user(4003, "Bo", started=True)
        start = await made_update(emulator, 4003, "/start")
        async with aiohttp.ClientSession() as http:
            statuses = await asyncio.gather(
                *(post_update(http, url_of(bot), start) for _ in range(3))
            )
            assert statuses == [200, 200, 200]
            consent = await bo.wait_for(has_button("ob:consent:"))
            await bo.press(consent, callback_data="ob:consent:yes")
            press = emulator.state.updates.pending.popitem(last=True)[1]
            for _ in range(2):
                assert await post_update(http, url_of(bot), press) == 200
            assert await post_update(http, url_of(bot), start) == 200
            metrics = await (await http.get(url_of(bot, "/metrics"))).text()
        texts = [message.text for message in bo.messages()]
        # The introduction, the consent question, thanks with the region question: once each.
        assert len(texts) == len(set(texts)) == 3, texts
        assert sum(map(has_button("ob:region:"), bo.messages())) == 1
        async with bot.running.runtime.sessions() as db:
            dialog = await db.get(Dialog, 4003)
            user = await db.get(User, 4003)
        assert dialog is not None and user is not None
        assert (dialog.flow, dialog.step) == ("onboarding", "region")
        assert user.consent == "given"
        assert 'stretchbot_updates_processed_total{outcome="duplicate"} 4.0' in metrics
        assert 'stretchbot_updates_processed_total{outcome="ok"} 2.0' in metrics


async def test_a_database_failure_answers_503_and_the_resent_update_is_applied_once(
    emulator: BotApiEmulator, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """503 makes Telegram send the update again; the person's /start is not lost, and they
    are told once (not on every retry) that it will be answered, not asked to send it again."""
    async with webhook_bot(sqlite_url, emulator, register=False) as bot:
        runtime = bot.running.runtime
        real_transaction = runtime._transaction
        outage = [
            OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))
            for _ in range(3)
        ]

        async def flaky(*args: Any) -> Any:
            if outage:
                raise outage.pop()
            return await real_transaction(*args)

        monkeypatch.setattr(runtime, "_transaction", flaky)
        eve = emulator.user(4006, "Eve", started=True)
        update = await made_update(emulator, 4006, "/start")
        async with aiohttp.ClientSession() as http:
            for _ in range(3):
                assert await post_update(http, url_of(bot), update) == 503
            assert await users_in_db(bot) == []
            for _ in range(2):
                assert await post_update(http, url_of(bot), update) == 200
            metrics = await (await http.get(url_of(bot, "/metrics"))).text()
        questions = [m for m in eve.messages() if has_button("ob:consent:")(m)]
        assert len(questions) == 1
        texts = [m.text.strip() for m in eve.messages()]
        assert texts.count(t("common.error_will_retry").strip()) == 1
        assert t("common.error").strip() not in texts
        assert 'stretchbot_database_errors_total{where="update"} 3.0' in metrics


async def test_probes_and_metrics_answer_without_personal_data(
    emulator: BotApiEmulator, sqlite_url: str
) -> None:
    async with webhook_bot(sqlite_url, emulator) as bot, aiohttp.ClientSession() as http:
        async with http.get(url_of(bot, "/healthz")) as reply:
            assert (reply.status, await reply.text()) == (200, "ok")
        async with http.get(url_of(bot, "/readyz")) as reply:
            assert (reply.status, await reply.text()) == (200, "ready")
        person = emulator.user(987654321, "Dee")
        await person.send("/start")
        await person.wait_for(has_button("ob:consent:"))
        async with http.get(url_of(bot, "/metrics")) as reply:
            assert reply.status == 200
            assert reply.content_type == "text/plain"

        async def counted() -> str | None:
            # The answer reaches the person a moment before the update counts as processed.
            text = await (await http.get(url_of(bot, "/metrics"))).text()
            return text if "updates_processed_total{" in text else None

        metrics = await eventually(counted)
        # A GET is not an update: the webhook path takes POSTs only.
        async with http.get(url_of(bot)) as reply:
            assert reply.status == 405
    assert "stretchbot_updates_received_total 1.0" in metrics
    assert 'stretchbot_updates_processed_total{outcome="ok"} 1.0' in metrics
    assert 'stretchbot_bot_api_calls_total{method="setWebhook",status="200"} 1.0' in metrics
    assert 'stretchbot_bot_api_calls_total{method="sendMessage",status="200"} 2.0' in metrics
    assert 'stretchbot_handler_seconds_count{kind="update"} 1.0' in metrics
    for private in ("987654321", "Dee", TOKEN, TOKEN.split(":")[1], SECRET):
        assert private not in metrics


async def test_an_instance_told_not_to_register_leaves_the_webhook_alone(
    emulator: BotApiEmulator, sqlite_url: str
) -> None:
    async with webhook_bot(sqlite_url, emulator, register=False):
        assert emulator.stats()["calls"].get("setWebhook", 0) == 0
        assert emulator.webhook.settings.url == ""


async def test_readyz_says_stopping_once_shutdown_begins(
    emulator: BotApiEmulator, sqlite_url: str
) -> None:
    async with webhook_bot(sqlite_url, emulator) as bot, aiohttp.ClientSession() as http:
        bot.stopping = True  # what begin_shutdown sets before the server closes
        async with http.get(url_of(bot, "/readyz")) as reply:
            assert (reply.status, await reply.text()) == (503, "stopping")


async def test_stopping_hands_claimed_timers_to_the_next_instance_at_once(
    emulator: BotApiEmulator, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An instance holding claimed timers stops: the next fires them now, not after the lease."""
    ann = emulator.user(4004, "Ann", started=True)

    async def ping(unit: Unit, timer: Timer) -> None:
        unit.say(f"ping {timer.key}")

    def with_ping(runtime: Runtime) -> None:
        register_app_timers(runtime)
        runtime.register_timer("ping", ping)

    register_app_timers = bot_app._register_timers
    monkeypatch.setattr(bot_app, "_register_timers", with_ping)
    async with webhook_bot(sqlite_url, emulator) as first:
        runtime = first.running.runtime
        now = runtime.clock.now()
        async with runtime.sessions() as db, db.begin():
            db.add(User(id=4004, chat_id=4004, created_at=now, consent="unknown", level=1))
            await db.flush()
            for n in range(3):
                # Claimed by this instance with a long lease, as if it were about to fire them.
                db.add(
                    Timer(
                        key=f"ping:{n}",
                        kind="ping",
                        user_id=4004,
                        due_at=now - timedelta(seconds=1),
                        claimed_by=runtime.instance,
                        lease_until=now + timedelta(minutes=10),
                    )
                )
        await asyncio.sleep(0.3)
        assert ann.messages() == []  # its own claims: this instance would fire them later
    async with webhook_bot(sqlite_url, emulator) as second:
        for n in range(3):
            await ann.wait_for(f"ping ping:{n}", timeout=5)
        assert await eventually(lambda: no_timers_left(second))


async def no_timers_left(instance: WebhookInstance) -> bool:
    async with instance.running.runtime.sessions() as db:
        return not list((await db.execute(select(Timer.id))).scalars())


async def test_sigterm_finishes_the_update_in_flight_and_exits_cleanly(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    log = tmp_path / "webhook.log"
    process = start_webhook_process(emulator, tmp_path, port, log)
    try:
        await eventually(lambda: _webhook_set(emulator), within=20)
        assert emulator.webhook.settings.url.endswith(f":{port}{HOOK_PATH}"), log.read_text()
        # Every message the bot sends now takes a second: the update is still in flight
        # when SIGTERM arrives.
        emulator.faults.delay(1.0, method="sendMessage")
        cy = emulator.user(4005, "Cy")
        await cy.send("/start")
        await eventually(lambda: _sending_started(emulator), within=5)
        process.send_signal(signal.SIGTERM)
        await cy.wait_for(has_button("ob:consent:"), timeout=10)
        assert await asyncio.to_thread(process.wait, 20) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = log.read_text(errors="replace")
    assert "webhook instance stopped" in output
    for secret in (TOKEN, SECRET):
        assert secret not in output


def start_webhook_process(
    emulator: BotApiEmulator, tmp_path: Path, port: int, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}{HOOK_PATH}",
        "WEBHOOK_SECRET": SECRET,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "FLOOD_LIMIT_PER_SECOND": "0",
        "LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "webhook"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def _webhook_set(emulator: BotApiEmulator) -> bool:
    return bool(emulator.webhook.settings.url)


async def _sending_started(emulator: BotApiEmulator) -> bool:
    return bool(emulator.stats()["calls"].get("sendMessage"))
