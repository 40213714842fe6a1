"""A bot killed with SIGKILL mid-hold, restarted: the hold's end arrives once, late not never."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.conftest import TOKEN
from tests.e2e.helpers import answer_no_until_offer, button, has_button
from tests.emulator.server import BotApiEmulator
from tests.emulator.userside import TelegramUser

SCALE = 0.05  # the 90 s warm-up holds for 4.5 s: long enough to kill the bot inside it


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot") as emu:
        yield emu


def start_bot_process(
    emulator: BotApiEmulator, database_url: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "STRETCH_TIME_SCALE": str(SCALE),
        "FLOOD_LIMIT_PER_SECOND": "0",
        "LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def onboard(user: TelegramUser) -> None:
    """Consent, region, age, and "No" to every question: screened clear."""
    await user.send("/start")
    consent = await user.wait_for(has_button("ob:consent:"), timeout=20)
    await user.press(consent, callback_data="ob:consent:yes")
    await user.press(await user.wait_for(has_button("ob:region:")), callback_data="ob:region:neck")
    await user.press(await user.wait_for(has_button("ob:age:")), callback_data="ob:age:16_49")
    await answer_no_until_offer(user)


async def test_kill_9_mid_hold_then_restart_delivers_the_end_of_hold_once(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    log = tmp_path / "bot.log"
    first = start_bot_process(emulator, database_url, log)
    try:
        user = emulator.user(3001, "Kim")
        await onboard(user)
        await user.send("/stretch")
        pain = await user.wait_for(has_button("pn:b:"))
        await user.press(pain, callback_data=button(pain, "pn:b:")[:-1] + "3")
        warm_up = await user.wait_for(has_button("ss:start:"))
        await user.press(warm_up, callback_data=button(warm_up, "ss:start:"))
        await user.wait_for(has_button("ss:hurt:"))  # the countdown: the hold is running
    finally:
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 10)
    assert not any("release" in m.text for m in user.messages())
    await asyncio.sleep(90 * SCALE + 0.5)  # the hold's end passes while no bot runs
    second = start_bot_process(emulator, database_url, log)
    try:
        released = await user.wait_for("And release", timeout=30)
        assert has_button("ss:start:")(released)  # heading the next stretch: the session goes on
        await asyncio.sleep(1.0)
        releases = [m for m in user.messages() if "release" in m.text]
        assert len(releases) == 1
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(second.wait, 20) == 0, "SIGTERM stops the bot cleanly"
    assert TOKEN not in log.read_text(errors="replace")
