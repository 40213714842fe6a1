"""Telegram failing in every way it does, while people go through the whole bot: every
message arrives once, every answer is stored, and the token never reaches a log line."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.db.models import Outbox, User
from bot.logs import install_secret_filter
from tests.e2e.conftest import TOKEN, Harness
from tests.reliability.journey import everyone, reference_run, settled

PEOPLE = 3
# Each call fails with this chance, for every kind at once; "delay" is a slow Telegram that
# still answers within the bot's read timeout (a timeout beyond it is in the soak).
MIXED_FAULTS = {"429": 0.015, "500": 0.015, "502": 0.015, "drop": 0.015, "delay": 0.015}


def inject_mixed_faults(harness: Harness, seed: int) -> None:
    faults = harness.emulator.faults
    faults.reseed(seed)
    for kind, chance in MIXED_FAULTS.items():
        faults.add(kind, probability=chance, retry_after=1, seconds=0.3)


async def test_under_mixed_faults_every_message_arrives_once_and_every_answer_is_stored(
    harness_any_db: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness = harness_any_db
    caplog.set_level(logging.DEBUG)
    install_secret_filter(harness.settings.secrets())
    reference = await reference_run(harness, 9000)
    inject_mixed_faults(harness, seed=9)
    tally = await everyone(harness, range(9001, 9001 + PEOPLE), reference)
    fired = sum(harness.emulator.faults.fired.values())
    assert fired >= 8, f"the faults really happened ({fired})"
    assert tally.lost == 0, tally.problems
    assert tally.duplicated == 0, tally.problems
    assert tally.delivered == tally.expected == PEOPLE * sum(reference.values())
    assert tally.answers_stored == tally.answers_given, tally.problems
    assert_clean_logs(caplog.records)


def assert_clean_logs(records: list[logging.LogRecord]) -> None:
    """No secret anywhere; no error from the bot's own code (python-telegram-bot's note that
    a getUpdates call failed and is retried is expected under these faults)."""
    for record in records:
        text = record.getMessage() + (record.exc_text or "")
        assert TOKEN not in text
        if record.name.startswith(("bot", "handlers")):
            assert record.levelno < logging.ERROR, text


async def test_people_who_blocked_the_bot_are_dropped_and_nobody_else_notices(
    harness: Harness,
) -> None:
    reference = await reference_run(harness, 9100)
    blocked = [harness.user(9190 + n) for n in range(2)]
    for user in blocked:
        # They blocked the bot right after writing: every answer to them meets a 403.
        harness.emulator.faults.blocked(chat_id=user.chat_id)
        await user.send("/start")
    tally = await everyone(harness, range(9101, 9105), reference)
    assert tally.lost == tally.duplicated == 0, tally.problems
    assert tally.answers_stored == tally.answers_given
    await settled(harness)
    async with harness.running.runtime.sessions() as db:
        for user in blocked:
            person = await db.get(User, user.id)
            assert person is not None and not person.active, "marked inactive after the 403"
            left = await db.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.user_id == user.id)
            )
            assert left == 0, "nothing keeps retrying to a person who blocked the bot"
