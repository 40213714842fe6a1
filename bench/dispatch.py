"""Measures 3 and 4: many reminders due at the same moment.

The people, their reminders and their timers are written into the database first
(:mod:`bench.seed`), the emulator knows them as people who wrote to the bot before, and the
bot is started. Then every timer is made due at once with one UPDATE from the driver, and
the driver watches the emulator's count of delivered messages until all arrived.

- Flood limit off (measure 3): how many reminders per second, and the bot's peak memory.
- Flood limit on, 30/s as Telegram (measure 4): the rate held, 429 answers, and each person
  getting exactly one message.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bench.control import EmulatorClient
from bench.processes import load_average
from bench.seed import reminders_sent, seed_people
from bench.stack import Stack, fresh_database
from bot.db.engine import make_engine
from bot.db.models import Timer

FIRST_PERSON = 1_000_000


@dataclass
class DispatchRun:
    due: int
    sent: int
    seconds: float  # from the moment all were due to the last one delivered (or the budget)
    idle_rss_mb: float  # the bot's peak memory before the reminders were due
    peak_rss_mb: float
    answers_429: int
    recorded: int  # reminders the bot marked as sent in its database
    wrong_counts: int  # people who got no message or more than one (checked per chat)
    cpu: str
    load: float
    sustained_rate: float  # from the first reminder delivered to the last
    cpu_seconds: float  # the bot's CPU time while dispatching

    @property
    def rate(self) -> float:
        """From the moment all were due to the last one delivered."""
        return self.sent / self.seconds if self.seconds else 0.0


async def make_all_due(database_url: str, now: datetime) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(update(Timer).values(due_at=now))
    finally:
        await engine.dispose()


async def delivered(client: EmulatorClient) -> tuple[int, int]:
    """Messages the emulator stored from the bot, and its 429 answers so far."""
    stats = await client.stats()
    return int(stats["bot_messages"]), int(stats["errors"].get("429", 0))


def steady_rate(samples: list[tuple[float, int]], total: int) -> float:
    """Messages per second between 30% and 90% delivered: the pace held, without the start
    (a burst of up to a second's worth that the limiters allow) or the tail."""
    low = next(((t, n) for t, n in samples if n >= total * 0.3), None)
    high = next(((t, n) for t, n in samples if n >= total * 0.9), None)
    if low is None or high is None or high[0] <= low[0]:
        return 0.0
    return (high[1] - low[1]) / (high[0] - low[0])


async def run_dispatch(
    scratch: Path, database: str, people: int, *, flood: bool, budget: float
) -> DispatchRun:
    ids = range(FIRST_PERSON, FIRST_PERSON + people)
    async with Stack(scratch) as stack, fresh_database(database, scratch) as url:
        now = datetime.now(UTC)
        # Booked for tomorrow at first, so nothing fires while the bot starts.
        await seed_people(url, ids, now, reminder_due=now + timedelta(days=1))
        client = await stack.emulator(started_people=ids)
        if flood:
            # Counted over any one second, the stricter of the emulator's two ways: a
            # burst after a quiet spell draws 429s here where a token bucket lets it by.
            await client.flood(enabled=True, overall_counting="window")
        # With the flood limit on, the bot runs as deployed: its own limiter, default setting.
        bot = await stack.bot(url, flood_limit=None if flood else 0.0)
        await asyncio.sleep(1.0)  # let start-up settle before reading its memory
        idle_rss = bot.peak_rss_mb()
        load = load_average()
        stack.mark_cpu()
        await make_all_due(url, datetime.now(UTC))
        started = time.monotonic()
        sent, answers_429 = 0, 0
        samples: list[tuple[float, int]] = []  # (when, delivered so far)
        while time.monotonic() - started < budget:
            sent, answers_429 = await delivered(client)
            samples.append((time.monotonic(), sent))
            if sent >= people:
                break
            await asyncio.sleep(0.1)
        seconds = time.monotonic() - started
        peak_rss = bot.peak_rss_mb()
        cpu = stack.cpu_shares(seconds)
        cpu_seconds = bot.cpu_since_mark()
        await asyncio.sleep(0.5)  # any duplicate still in flight lands before counting
        sent_after, answers_429 = await delivered(client)
        wrong = await _wrong_counts(client, ids) if flood else max(0, sent_after - people)
        recorded = await reminders_sent(url)
        return DispatchRun(
            due=people,
            sent=sent,
            seconds=seconds,
            idle_rss_mb=idle_rss,
            peak_rss_mb=peak_rss,
            answers_429=answers_429,
            recorded=recorded,
            wrong_counts=wrong,
            cpu=cpu,
            load=load,
            sustained_rate=steady_rate(samples, sent),
            cpu_seconds=cpu_seconds,
        )


async def _wrong_counts(client: EmulatorClient, ids: range) -> int:
    """People whose chat does not hold exactly one message from the bot."""
    wrong = 0
    for user_id in ids:
        if len(await client.messages(user_id, 0, 0)) != 1:
            wrong += 1
    return wrong
