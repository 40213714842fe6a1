"""A bot killed with SIGKILL mid-hold, restarted: the hold's end arrives once, late not never;
killed between marking the hold done and sending what follows, likewise."""

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
    emulator: BotApiEmulator, database_url: str, log: Path, **settings: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "STRETCH_TIME_SCALE": str(SCALE),
        "FLOOD_LIMIT_PER_SECOND": "0",
        "LOG_LEVEL": "INFO",
        **settings,
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


async def test_kill_9_between_done_and_the_next_card_sends_the_card_once(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    """The end of a hold is two rows: the countdown edited to "Done ✓", then the next card.
    The edit is recorded with the card (bot/delivery.py), so a kill after Telegram applied
    the edit sends it again after the restart: it must change nothing the person sees, and
    the card must still arrive, once."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    log = tmp_path / "bot.log"
    lease = {"CLAIM_LEASE_SECONDS": "2"}  # a dead instance's rows are taken over soon
    first = start_bot_process(emulator, database_url, log, **lease)
    user = emulator.user(3002, "Ana")
    try:
        await onboard(user)
        await user.send("/stretch")
        pain = await user.wait_for(has_button("pn:b:"))
        await user.press(pain, callback_data=button(pain, "pn:b:")[:-1] + "3")
        warm_up = await user.wait_for(has_button("ss:start:"))
        # The next card hangs until the bot is killed: Telegram never shows it.
        held = emulator.faults.delay(120, method="sendPhoto", chat_id=user.chat_id)
        await user.press(warm_up, callback_data=button(warm_up, "ss:start:"))
        countdown = await user.wait_for(has_button("ss:hurt:"))
        for _ in range(200):
            if "Done ✓" in user.chat.messages[countdown.message_id].text:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the countdown was never marked done")
        await asyncio.sleep(0.3)  # the card is on its way, held by the emulator
    finally:
        first.send_signal(signal.SIGKILL)
        await asyncio.to_thread(first.wait, 10)
    assert not any("release" in m.text for m in user.messages())
    emulator.faults.remove(held)
    second = start_bot_process(emulator, database_url, log, **lease)
    try:
        released = await user.wait_for("And release", timeout=30)
        assert has_button("ss:start:")(released)
        await asyncio.sleep(1.0)
        assert len([m for m in user.messages() if "release" in m.text]) == 1
        done = user.chat.messages[countdown.message_id]
        assert done.text.startswith("Done ✓") and not has_button("ss:")(done)
        marked = [e for e in user.edits() if e.message_id == countdown.message_id]
        assert len([e for e in marked if "Done ✓" in str(e.after)]) == 1
        # It was the case meant: the edit went again and Telegram found nothing to change.
        refused = emulator.api.counters.errors_by_method.get("editMessageCaption", {})
        assert refused.get(400) == 1
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(second.wait, 20) == 0, "SIGTERM stops the bot cleanly"
