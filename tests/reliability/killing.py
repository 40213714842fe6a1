"""The bot as a real process, killed with SIGKILL at random moments and started again.

The bot runs in webhook mode: Telegram (the emulator) keeps an update until the bot answered
it with 200, and the bot answers only after the update was applied and its messages sent, so
an update in flight when the process dies is delivered again to the next process (and applied
once: the update id is kept with the person's dialog). In polling mode getUpdates confirms a
batch as soon as the next batch is asked for, before the first is applied, so a kill there
loses what was confirmed; the tests use the mode a deployment that cares about this uses.

Leases are short (3 s) so the restarted process takes over the dead one's claimed timers and
messages quickly instead of after the default minute.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Timer
from tests.e2e.conftest import TOKEN
from tests.emulator.server import BotApiEmulator
from tests.reliability.journey import Journey

SECRET = "reliability-hook_secret"
HOOK_PATH = "/telegram/hook"
SCALE = 0.02  # holds at 1/50: a 30 s hold takes 0.6 s, long enough to die inside one


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port: int = sock.getsockname()[1]
        return port


@dataclass
class BotProcess:
    emulator: BotApiEmulator
    database_url: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    kills: int = 0
    scale: float = SCALE

    def start(self) -> None:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.emulator.base_url,
            "DATABASE_URL": self.database_url,
            "WEBHOOK_URL": f"http://127.0.0.1:{self.port}{HOOK_PATH}",
            "WEBHOOK_SECRET": SECRET,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "STRETCH_TIME_SCALE": str(self.scale),
            "FLOOD_LIMIT_PER_SECOND": "0",
            "CLAIM_LEASE_SECONDS": "3",
            "LOG_LEVEL": "INFO",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "webhook"],
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    async def ready(self, within: float = 60.0) -> None:
        assert self.process is not None
        deadline = asyncio.get_running_loop().time() + within
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/readyz") as reply:
                        if reply.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, "the bot never got ready"
                await asyncio.sleep(0.1)

    async def kill_and_restart(self, down_for: float = 0.3) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 10)
        self.kills += 1
        await asyncio.sleep(down_for)
        self.start()
        await self.ready()

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.process.wait, 30)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def patient_webhook(emulator: BotApiEmulator) -> None:
    """Telegram retries a webhook for a long time; the emulator's default gives up in seconds."""
    emulator.webhook.max_attempts = 100_000
    emulator.webhook.retry_cap = 0.5


async def kill_now_and_then(
    bot: BotProcess, running: asyncio.Future[list[None]], kills: int, rng: random.Random
) -> None:
    """SIGKILL at random moments while people are mid-conversation (mid update, mid hold,
    mid write: whatever the process happens to be doing).

    Spaced closely enough (a restart takes about 2 s) that all ``kills`` land before the
    conversations end: once the bot answered faster, wider gaps left some kills unused."""
    while bot.kills < kills and not running.done():
        await asyncio.sleep(rng.uniform(0.1, 0.6))
        if not running.done():
            await bot.kill_and_restart(down_for=rng.uniform(0.0, 1.0))


async def make_reminders_due(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Bring every booked reminder forward to now (the process's clock cannot be shifted)."""
    now = datetime.now(UTC)
    async with sessions() as db, db.begin():
        timers = list((await db.execute(select(Timer).where(Timer.kind == "reminder"))).scalars())
        for timer in timers:
            timer.due_at = now
            timer.payload = {**timer.payload, "slot": now.isoformat()}
    return len(timers)


async def remind_through_kills(
    bot: BotProcess,
    sessions: async_sessionmaker[AsyncSession],
    journeys: list[Journey],
    rng: random.Random,
) -> None:
    """Reminders come due, and the bot is killed while it dispatches them."""
    await make_reminders_due(sessions)
    await asyncio.sleep(rng.uniform(0.0, 0.4))
    await bot.kill_and_restart()
    await asyncio.gather(*(journey.reminded() for journey in journeys))
