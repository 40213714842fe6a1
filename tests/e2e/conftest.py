"""A running bot against the emulator, over real HTTP, for end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.launch import RunningBot, start_bot
from tests.emulator.server import BotApiEmulator
from tests.emulator.userside import TelegramUser

TOKEN = "123456789:AAE2e-test-token-not-a-real-one-xyz"
# Holds and rests at 1/100 of real time: a 20 s hold takes 0.2 s.
FAST = 0.01
# Every stretch picture, drawn before the first test (stretch_pictures_drawn) and shared
# by every bot of the run.
PICTURES: Path | None = None


def _draw(stretch_id: str, kind: str, language: str, folder: Path) -> None:
    from bot.pictures import KINDS, Pictures, content_hash

    pictures = Pictures(None, folder, 0, lambda: None)  # type: ignore[arg-type]
    digest = content_hash(stretch_id, kind, language)
    asyncio.run(pictures.bytes_of(stretch_id, kind, digest, KINDS[kind][2], language))


@pytest.fixture(scope="session", autouse=True)
def stretch_pictures_drawn(request: pytest.FixtureRequest) -> Iterator[None]:
    """A movement drawn on first use takes a second or more, so a person tapping Start at
    once would see the countdown that much late, into a hold 100 times shorter than a real
    one: a test acting mid-hold would then pass or fail by which test drew it first. A
    person reads the card for longer than the drawing takes (bot/pictures.py warms it).
    Kept in pytest's cache folder between runs: a file's name holds its content hash, so
    a changed pose or renderer is drawn again (about 30 s for all of them, two at a time)."""
    global PICTURES
    from bot.render.stretch_pictures import poses
    from content import languages

    folder = Path(request.config.cache.mkdir("stretch-pictures"))
    jobs = [
        (pose.stretch, kind, language, folder)
        for pose in poses().poses
        for kind in ("still", "motion")
        for language in languages.languages()
    ]
    with ProcessPoolExecutor(max_workers=2) as pool:
        list(pool.map(_draw, *zip(*jobs, strict=True)))
    PICTURES = folder
    yield
    PICTURES = None


@dataclass
class Harness:
    emulator: BotApiEmulator
    running: RunningBot
    settings: Settings

    def user(
        self, user_id: int = 1001, first_name: str = "Ann", language_code: str | None = "en"
    ) -> TelegramUser:
        """A person; ``language_code`` is what their Telegram app is set to."""
        return self.emulator.user(user_id, first_name, language_code=language_code)

    def shift_clock(self, delta: timedelta) -> None:
        """Move the bot's clock forward (reminders, idle sessions) without waiting."""
        self.running.runtime.clock.shift(delta)
        self.running.runtime.wake()

    async def restart(self) -> None:
        """Stop the bot and start a fresh process-equivalent on the same database."""
        offset = self.running.runtime.clock.offset
        await self.running.stop()
        self.running = await start_bot(self.settings)
        self.running.runtime.clock.offset = offset


def make_settings(database_url: str, base_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": base_url,
        "database_url": database_url,
        "stretch_time_scale": FAST,
        "flood_limit_per_second": 0,
        "log_level": "WARNING",
    }
    if PICTURES is not None:
        values["picture_cache_dir"] = PICTURES
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def harness(sqlite_url: str) -> AsyncIterator[Harness]:
    async with bot_on(sqlite_url) as running:
        yield running


@pytest.fixture
async def harness_any_db(database_url: str) -> AsyncIterator[Harness]:
    """The same end-to-end test on SQLite and on PostgreSQL."""
    async with bot_on(database_url) as running:
        yield running


class bot_on:
    def __init__(self, database_url: str, **overrides: Any) -> None:
        self.database_url, self.overrides = database_url, overrides

    async def __aenter__(self) -> Harness:
        self.emulator = BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot")
        await self.emulator.start()
        settings = make_settings(self.database_url, self.emulator.base_url, **self.overrides)
        self.harness = Harness(self.emulator, await start_bot(settings), settings)
        return self.harness

    async def __aexit__(self, *exc: object) -> None:
        await self.harness.running.stop()
        await self.emulator.stop()


def texts_of(user: TelegramUser) -> list[str]:
    return [message.text for message in user.messages()]


def data_dir(tmp_path: Path) -> Path:
    return tmp_path
