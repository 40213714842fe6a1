"""A durable timer fires once, at the time the person's flows last gave it.

Driven through :class:`bot.runtime.Runtime` on a real database: a timer is booked by a
unit, claimed by the dispatcher, and fired, the way a hold's end is. Between the claim and
the firing the person's own updates may move or cancel it (Pause, then Resume; Stop):
the claimed copy must then do nothing, or a resumed hold would end early. A timer its
handler books again (the hold's end becoming the rest's end) is moved, not doubled, and one
that is not booked again is gone, so it never fires a second time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db.models import Timer
from bot.flows.unit import Unit
from bot.runtime import Runtime

PERSON = 3001
KEY = f"step:{PERSON}"


@pytest.fixture
async def runtime(bare_runtime: Runtime) -> Runtime:
    fired.clear()
    bare_runtime.register_timer("ping", ping)
    await bare_runtime.run_unit(PERSON, PERSON, nothing)  # the person, as a first update makes
    return bare_runtime


fired: list[tuple[str, datetime]] = []
again_in: list[timedelta] = []  # ping books its own key again this much later, once


async def ping(unit: Unit, timer: Timer) -> None:
    fired.append((timer.key, timer.due_at))
    if again_in:
        await unit.schedule(timer.key, "ping", unit.now + again_in.pop(), {"n": 2})


async def nothing(unit: Unit) -> None:
    return None


async def book(runtime: Runtime, due: datetime) -> None:
    async def work(unit: Unit) -> None:
        await unit.schedule(KEY, "ping", due, {"n": 1})

    await runtime.run_unit(PERSON, None, work)


async def cancel(runtime: Runtime) -> None:
    async def work(unit: Unit) -> None:
        await unit.cancel_timers(KEY)

    await runtime.run_unit(PERSON, None, work)


async def timers(runtime: Runtime) -> list[Timer]:
    async with runtime.sessions() as db:
        return list((await db.execute(select(Timer))).scalars())


async def claimed_now(runtime: Runtime) -> Timer:
    await book(runtime, runtime.clock.now() - timedelta(seconds=1))
    [timer] = await runtime.claim_due_timers()
    return timer


async def test_a_timer_fires_once_and_is_then_gone(runtime: Runtime) -> None:
    timer = await claimed_now(runtime)
    await runtime.fire(timer)
    assert fired == [(KEY, timer.due_at)]
    assert await timers(runtime) == []  # nothing left to fire again once the claim lapses


async def test_a_timer_moved_after_its_claim_does_not_fire_at_the_old_time(
    runtime: Runtime,
) -> None:
    """Pause, then Resume, while the hold's end was already claimed: it ends later, not now."""
    timer = await claimed_now(runtime)
    later = runtime.clock.now() + timedelta(minutes=5)
    await book(runtime, later)
    await runtime.fire(timer)
    assert fired == []
    [moved] = await timers(runtime)
    assert (moved.due_at, moved.claimed_by) == (later, None)


async def test_a_timer_cancelled_after_its_claim_does_not_fire(runtime: Runtime) -> None:
    """Stop while the hold's end was already claimed: nothing arrives after the stop."""
    timer = await claimed_now(runtime)
    await cancel(runtime)
    await runtime.fire(timer)
    assert fired == [] and await timers(runtime) == []


async def test_a_timer_its_handler_books_again_is_moved_and_fires_again(runtime: Runtime) -> None:
    """The hold's end books the rest's end under the same key: one row, due then, unclaimed."""
    again_in.append(timedelta(seconds=-1))  # due at once, so the dispatcher takes it next
    first = await claimed_now(runtime)
    await runtime.fire(first)
    [moved] = await timers(runtime)
    assert (moved.id, moved.claimed_by, moved.payload) == (first.id, None, {"n": 2})
    [second] = await runtime.claim_due_timers()
    await runtime.fire(second)
    assert [due for _key, due in fired] == [first.due_at, moved.due_at]
    assert await timers(runtime) == []
