"""A running bot against the emulator, over real HTTP, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
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
