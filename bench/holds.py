"""Measure 5: how late the end of a hold arrives when many people are holding at once.

People who screened clear are seeded; each starts a session (/stretch, a pain rating) and
waits at the first "Start the hold". Then all of them tap it as fast as the driver can, and
each notes the wall-clock moment the message after the countdown (the end of the hold)
reached them. Lateness is that moment minus the hold's end the bot itself recorded
(``stretch_sessions.hold_ends_at``), so it covers the timer dispatcher, the database, the
outbox and the HTTP hop to the person. The countdown edits run meanwhile (one per
TICK_SECONDS of scaled time per session), as they would for real.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.control import Message, button_starting
from bench.people import Person
from bench.processes import load_average
from bench.seed import hold_ends, seed_people
from bench.stack import Stack, fresh_database

FIRST_PERSON = 2_000_000
WARM_UP_HOLD = 90.0  # seconds: the warm-up, the first hold of every session


@dataclass
class HoldRun:
    sessions: int
    lateness: list[float]  # seconds, one per session
    cpu: str
    load: float


async def ready_to_hold(person: Person) -> Message:
    await person.send("/stretch")
    rating = await person.wait_for_button("pn:b:")
    data = button_starting(rating, "pn:b:")
    assert data is not None
    await person.press(rating, data.rsplit(":", 1)[0] + ":3")
    return await person.wait_for_button("ss:start:")


async def hold_and_wait(person: Person, ready: Message, hold_seconds: float) -> float:
    """Tap Start; return the wall-clock time the message after the countdown arrived (its
    edits, the ticks and "Done", are not that message)."""
    await person.tap(ready, "ss:start:")
    await person.wait_for(_new)  # the countdown
    await person.wait_for(_new, timeout=hold_seconds + 120)  # the end: "And release"
    return time.time()


def _new(message: Message) -> bool:
    return message.get("kind") == "new"


async def run_holds(scratch: Path, database: str, sessions: int, time_scale: float) -> HoldRun:
    ids = range(FIRST_PERSON, FIRST_PERSON + sessions)
    async with Stack(scratch) as stack, fresh_database(database, scratch) as url:
        await seed_people(url, ids, datetime.now(UTC))
        client = await stack.emulator()
        await stack.bot(url, time_scale=time_scale)
        persons = [Person(client, user_id) for user_id in ids]
        ready = await asyncio.gather(*(ready_to_hold(person) for person in persons))
        load = load_average()
        stack.mark_cpu()
        started = time.monotonic()
        hold = WARM_UP_HOLD * time_scale
        arrivals = await asyncio.gather(
            *(hold_and_wait(p, message, hold) for p, message in zip(persons, ready, strict=True))
        )
        cpu = stack.cpu_shares(time.monotonic() - started)
        ends = await hold_ends(url)
        lateness = [
            arrived - ends[person.user_id].timestamp()
            for person, arrived in zip(persons, arrivals, strict=True)
        ]
        return HoldRun(sessions=sessions, lateness=lateness, cpu=cpu, load=load)
