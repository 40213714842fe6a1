"""kill -9 of the bot at random moments, restarted each time: nothing lost, nothing twice
(beyond the documented window), every answer stored; on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from bot.db.engine import make_engine, make_sessionmaker
from tests.e2e.conftest import TOKEN
from tests.emulator.server import BotApiEmulator
from tests.reliability.journey import Journey, settled_outbox, tally_of, transcript
from tests.reliability.killing import (
    SECRET,
    BotProcess,
    kill_now_and_then,
    make_reminders_due,
    patient_webhook,
    remind_through_kills,
)

PEOPLE = 3
KILLS = 2  # during the conversations; one more while reminders are dispatched


async def test_kill_9_at_random_moments_loses_nothing(database_url: str, tmp_path: Path) -> None:
    rng = random.Random(3)
    async with BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot") as emulator:
        patient_webhook(emulator)
        bot = BotProcess(emulator, database_url, tmp_path / "bot.log", scale=0.01)
        bot.start()
        await bot.ready()
        engine = make_engine(database_url)
        sessions = make_sessionmaker(engine)
        try:
            first = Journey(emulator.user(9600), timeout=120)
            await first.run()
            await make_reminders_due(sessions)
            await first.reminded()
            await settled_outbox(sessions)
            reference = transcript(first.user)

            journeys = [Journey(emulator.user(9601 + n), timeout=120) for n in range(PEOPLE)]
            running = asyncio.gather(*(journey.run() for journey in journeys))
            await kill_now_and_then(bot, running, KILLS, rng)
            await running
            await remind_through_kills(bot, sessions, journeys, rng)
            await settled_outbox(sessions)
            tally = await tally_of(sessions, journeys, reference)
        finally:
            await bot.stop()
            await engine.dispose()
    assert bot.kills >= KILLS + 1
    assert tally.lost == 0, tally.problems
    # The documented window: a kill after Telegram accepted a message and before its outbox
    # row was deleted sends it again. Each row is deleted right after its own send, so a kill
    # repeats at most the one message in flight per person.
    print(f"kills {bot.kills}, duplicated {tally.duplicated}: {tally.duplicates}")
    assert tally.duplicated <= bot.kills * PEOPLE, tally.duplicates
    assert tally.answers_stored == tally.answers_given, tally.problems
    log = bot.log_text()
    assert TOKEN not in log and SECRET not in log
    assert " failed" not in log, [line for line in log.splitlines() if " failed" in line]
