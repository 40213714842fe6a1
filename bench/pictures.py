"""Measure 7: what a stretch picture costs a session step, first upload against file_id.

People who screened clear are seeded; one at a time (so each figure is one step's own
cost, not a queue), each asks for /help (the text baseline), then /stretch, rates their
pain, reads the steps for READ_SECONDS and taps "Start the hold". The bot starts with an
empty picture cache, so the first person's warm-up picture and animation are rendered and
uploaded; everyone after gets them by file_id. Timed from the tap to the message arriving:

- step: the pain rating -> the step's photo (the stretch picture with its steps);
- hold: "Start the hold" -> the countdown animation.

The emulator's upload counter says whether anything was uploaded twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.control import Message, button_starting
from bench.people import Person
from bench.seed import seed_people
from bench.stack import Stack, fresh_database

FIRST_PERSON = 3_000_000
# Before "Start the hold": the steps are read and the position taken. Real people take far
# longer; this is how long the animation has to be drawn before the first one asks for it.
READ_SECONDS = 2.0


@dataclass
class PictureRun:
    text_ms: list[float]  # /help -> its reply, per person
    step_ms: list[float]  # pain rating -> the step's photo; the first is the upload
    hold_ms: list[float]  # Start the hold -> the countdown animation; the first is the upload
    uploads: int
    repeated_uploads: int


async def _timed(person: Person, act: Awaitable[None], wanted: str) -> tuple[float, Message]:
    """Milliseconds from ``act`` to the first new message with a ``wanted`` field."""
    started = time.monotonic()
    await act
    message = await person.wait_for(lambda m: wanted in m)
    return (time.monotonic() - started) * 1000, message


async def one_person(person: Person) -> tuple[float, float, float]:
    help_ms, _ = await _timed(person, person.send("/help"), "text")
    await person.send("/stretch")
    rating = await person.wait_for_button("pn:b:")
    data = button_starting(rating, "pn:b:")
    assert data is not None
    step_ms, step = await _timed(
        person, person.press(rating, data.rsplit(":", 1)[0] + ":3"), "photo"
    )
    await asyncio.sleep(READ_SECONDS)
    hold_ms, _ = await _timed(person, person.tap(step, "ss:start:"), "animation")
    return help_ms, step_ms, hold_ms


async def run_pictures(scratch: Path, database: str, people: int) -> PictureRun:
    ids = range(FIRST_PERSON, FIRST_PERSON + people)
    async with Stack(scratch) as stack, fresh_database(database, scratch) as url:
        await seed_people(url, ids, datetime.now(UTC))
        client = await stack.emulator()
        cache = scratch / f"pictures-{uuid.uuid4().hex[:8]}"  # empty: the first send renders
        # Holds last a minute, so the countdown is the only message after the tap.
        await stack.bot(url, time_scale=1.0, picture_cache_dir=cache)
        run = PictureRun([], [], [], 0, 0)
        for user_id in ids:
            text_ms, step_ms, hold_ms = await one_person(Person(client, user_id))
            run.text_ms.append(text_ms)
            run.step_ms.append(step_ms)
            run.hold_ms.append(hold_ms)
        stats = await client.stats()
        run.uploads, run.repeated_uploads = stats["uploads"], stats["repeated_uploads"]
        return run
