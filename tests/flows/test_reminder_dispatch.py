"""What happens when a reminder timer fires, decided case by case on a real database.

Each case sets up a person, their reminder and their sessions, fires the timer at a given
moment through :func:`bot.flows.reminders.on_reminder`, and checks what the person would
get (the message, if any) and when the next reminder is booked. The buttons on a
reminder (Snooze, Skip today) are checked the same way, including taps on old reminders.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import reminder_batch
from bot.clock import Clock
from bot.core import schedule
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade
from bot.db.models import Dialog, Reminder, StretchSession, Timer, User
from bot.flows import reminders
from bot.flows.unit import Unit
from bot.runtime import Runtime
from content.schema.texts import t

BERLIN = "Europe/Berlin"
# Monday 23 Nov 2026: Berlin is UTC+1, so 07:30 local is 06:30 UTC.
SLOT = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
TOMORROW = SLOT + timedelta(days=1)
TURNED_ON = SLOT - timedelta(days=1, hours=12)
NUDGE = t("reminders.nudge")
PERSON = 1001


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await upgrade(engine)
    yield make_sessionmaker(engine)
    await engine.dispose()


@dataclass
class Person:
    """How things stand when the timer fires."""

    consent: str = "given"
    active: bool = True
    enabled: bool = True
    sent_without_session: int = 0
    last_sent_at: datetime | None = None
    turned_on_at: datetime = TURNED_ON
    skipped_on: str | None = None
    sessions: list[tuple[datetime, str]] = field(default_factory=list)  # (started, phase)
    weekdays: frozenset[int] = schedule.EVERY_DAY


async def seed(db: AsyncSession, person: Person) -> None:
    db.add(
        User(
            id=PERSON,
            chat_id=PERSON,
            created_at=TURNED_ON,
            consent=person.consent,
            level=1,
            conditions=[],
            active=person.active,
            zone_name=BERLIN,
        )
    )
    await db.flush()
    db.add(Dialog(user_id=PERSON, flow="idle", step="", data={}, version=0, updated_at=TURNED_ON))
    db.add(
        Reminder(
            user_id=PERSON,
            enabled=person.enabled,
            local_time="07:30",
            weekdays=reminders.bits_of(person.weekdays),
            zone_name=BERLIN,
            zone_label="Central Europe",
            turned_on_at=person.turned_on_at,
            sent_without_session=person.sent_without_session,
            last_sent_at=person.last_sent_at,
            last_due_at=person.last_sent_at,
            skipped_on=person.skipped_on,
        )
    )
    for started, phase in person.sessions:
        db.add(
            StretchSession(
                user_id=PERSON,
                started_at=started,
                level=1,
                plan=[],
                phase=phase,
                status="completed" if phase == "done" else "active",
                last_activity_at=started,
            )
        )


@dataclass
class Outcome:
    said: list[str]
    keyboards: list[Any]
    booked: Timer | None
    reminder: Reminder | None
    user: User


async def run(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    work: Any,
) -> Outcome:
    """Run ``work(unit)`` for the person at ``now`` in one transaction, as the runtime does."""
    async with sessions() as db, db.begin():
        user = await db.get(User, PERSON)
        dialog = await db.get(Dialog, PERSON)
        assert user is not None and dialog is not None
        unit = Unit(db, user, dialog, now)
        await work(unit)
        await db.flush()
        booked = (
            await db.execute(select(Timer).where(Timer.key == reminders.timer_key(PERSON)))
        ).scalar()
        reminder = await db.get(Reminder, PERSON)
    said = [row.params["text"] for row in unit.outbox]
    keyboards = [row.params.get("reply_markup") for row in unit.outbox]
    return Outcome(said, keyboards, booked, reminder, user)


async def fire(
    sessions: async_sessionmaker[AsyncSession],
    person: Person,
    now: datetime,
    *,
    due: datetime = SLOT,
    slot: datetime | None = None,
) -> Outcome:
    async with sessions() as db, db.begin():
        await seed(db, person)
    timer = Timer(
        key=reminders.timer_key(PERSON),
        kind=reminders.TIMER_KIND,
        user_id=PERSON,
        due_at=due,
        payload={"slot": (slot or due).isoformat(), "snoozed": slot is not None},
    )

    async def work(unit: Unit) -> None:
        await reminders.on_reminder(unit, timer)

    return await run(sessions, now, work)


# (case, person, fired at, what the person gets, next booked at); all due at SLOT except
# the Friday case.
SENT_ONCE = [NUDGE]
FRIDAY = SLOT + timedelta(days=4)
CASES: list[tuple[str, Person, datetime, list[str], datetime | None]] = [
    ("on time", Person(), SLOT, SENT_ONCE, TOMORROW),
    ("59 minutes late", Person(), SLOT + timedelta(minutes=59), SENT_ONCE, TOMORROW),
    ("an hour late: skipped", Person(), SLOT + timedelta(hours=1), [], TOMORROW),
    (
        "the bot was down two days: skipped, the next is still ahead",
        Person(),
        SLOT + timedelta(days=2, hours=3),
        [],
        SLOT + timedelta(days=3),
    ),
    ("blocked the bot: paused, nothing booked", Person(active=False), SLOT, [], None),
    ("consent withdrawn: nothing", Person(consent="refused"), SLOT, [], None),
    ("turned off: nothing", Person(enabled=False), SLOT, [], None),
    ("skipped today", Person(skipped_on="2026-11-23"), SLOT, [], TOMORROW),
    ("skipped yesterday: sent", Person(skipped_on="2026-11-22"), SLOT, SENT_ONCE, TOMORROW),
    (
        "in a session right now: not interrupted",
        Person(sessions=[(SLOT - timedelta(minutes=5), "ready")]),
        SLOT,
        [],
        TOMORROW,
    ),
    (
        "3 unanswered over 3 quiet days: paused once",
        Person(
            sent_without_session=3,
            last_sent_at=SLOT - timedelta(days=1),
            turned_on_at=SLOT - timedelta(days=3, hours=2),
        ),
        SLOT,
        [t("reminders.paused", days=3)],
        None,
    ),
    (
        "3 unanswered but only 2 quiet days: sent",
        Person(
            sent_without_session=3,
            last_sent_at=SLOT - timedelta(days=1),
            turned_on_at=SLOT - timedelta(days=2, hours=2),
        ),
        SLOT,
        SENT_ONCE,
        TOMORROW,
    ),
    (
        "a session since the last reminder starts the count again",
        Person(
            sent_without_session=3,
            last_sent_at=SLOT - timedelta(days=1),
            turned_on_at=SLOT - timedelta(days=9),
            sessions=[(SLOT - timedelta(hours=20), "done")],
        ),
        SLOT,
        SENT_ONCE,
        TOMORROW,
    ),
    (
        "an old session does not count",
        Person(
            sent_without_session=3,
            last_sent_at=SLOT - timedelta(days=1),
            turned_on_at=SLOT - timedelta(days=9),
            sessions=[(SLOT - timedelta(days=4), "done")],
        ),
        SLOT,
        [t("reminders.paused", days=4)],
        None,
    ),
    (
        "weekdays only: Friday's reminder books Monday's",
        Person(weekdays=schedule.WEEKDAYS),
        FRIDAY,
        SENT_ONCE,
        SLOT + timedelta(days=7),
    ),
]


@pytest.mark.parametrize(
    ("person", "now", "said", "next_at"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_when_a_reminder_is_due(
    sessions: async_sessionmaker[AsyncSession],
    person: Person,
    now: datetime,
    said: list[str],
    next_at: datetime | None,
) -> None:
    outcome = await fire(sessions, person, now, due=FRIDAY if now == FRIDAY else SLOT)
    assert outcome.said == said
    assert (outcome.booked.due_at if outcome.booked else None) == next_at


async def test_a_reminder_carries_its_buttons_and_is_counted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outcome = await fire(sessions, Person(sent_without_session=1), SLOT + timedelta(seconds=3))
    [keyboard] = outcome.keyboards
    labels = [b["text"] for row in keyboard["inline_keyboard"] for b in row]
    assert labels == [
        t("reminders.button.start"),
        t("reminders.button.snooze"),
        t("reminders.button.skip"),
        t("reminders.button.change"),
        t("reminders.button.off"),
    ]
    assert outcome.reminder is not None
    assert outcome.reminder.sent_without_session == 2
    assert outcome.reminder.last_due_at == SLOT


async def test_a_paid_broadcast_reminder_says_so_only_when_that_is_on(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as db, db.begin():
        await seed(db, Person())
    timer = Timer(
        key=reminders.timer_key(PERSON),
        kind=reminders.TIMER_KIND,
        user_id=PERSON,
        due_at=SLOT,
        payload={"slot": SLOT.isoformat(), "snoozed": False},
    )
    for paid in (False, True):

        async def work(unit: Unit, paid: bool = paid) -> None:
            unit.paid_broadcast = paid
            await reminders.on_reminder(unit, timer)
            [row] = unit.outbox
            assert row.params.get("allow_paid_broadcast", False) is paid
            raise Rollback

        with pytest.raises(Rollback):
            await run(sessions, SLOT, work)


class Rollback(Exception):
    """Leaves the database as it was, for the next try."""


async def test_a_blocked_person_is_paused_and_the_timer_stops(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outcome = await fire(sessions, Person(active=False), SLOT)
    assert outcome.reminder is not None
    assert (outcome.reminder.enabled, outcome.reminder.paused_reason) == (False, "blocked")
    assert outcome.booked is None


async def test_withdrawn_consent_forgets_the_reminder(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outcome = await fire(sessions, Person(consent="refused"), SLOT)
    assert outcome.reminder is None


async def test_a_snoozed_reminder_comes_back_then_the_next_regular_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    back = SLOT + timedelta(minutes=30)
    outcome = await fire(sessions, Person(), back, due=back, slot=SLOT)
    assert outcome.said == [NUDGE]
    assert outcome.booked is not None and outcome.booked.due_at == TOMORROW
    assert outcome.booked.payload["slot"] == TOMORROW.isoformat()


async def test_a_snoozed_reminder_is_not_turned_into_the_pause_notice(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    quiet = Person(
        sent_without_session=3,
        last_sent_at=SLOT,
        turned_on_at=SLOT - timedelta(days=3, hours=2),
    )
    back = SLOT + timedelta(minutes=30)
    outcome = await fire(sessions, quiet, back, due=back, slot=SLOT)
    assert outcome.said == [NUDGE]
    assert outcome.booked is not None and outcome.booked.due_at == TOMORROW


class StoppedClock(Clock):
    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def now(self) -> datetime:
        return self.at


async def fire_in_batch(runtime: Runtime, person: Person, now: datetime, due: datetime) -> Outcome:
    """The same as :func:`fire`, through the batch path's one transaction."""
    async with runtime.sessions() as db, db.begin():
        await seed(db, person)
        timer = Timer(
            key=reminders.timer_key(PERSON),
            kind=reminders.TIMER_KIND,
            user_id=PERSON,
            due_at=due,
            payload={"slot": due.isoformat(), "snoozed": False},
            claimed_by=runtime.instance,
            lease_until=now + timedelta(minutes=1),
            attempts=0,
        )
        db.add(timer)
    runtime.clock = StoppedClock(now)
    busy, taken, messages, _ = await reminder_batch._write(runtime, [timer])
    assert (busy, taken) == (set(), {timer.id})
    async with runtime.sessions() as db:
        booked = (
            await db.execute(select(Timer).where(Timer.key == reminders.timer_key(PERSON)))
        ).scalar()
        reminder = await db.get(Reminder, PERSON)
        user = await db.get(User, PERSON)
    assert user is not None
    said = [row.params["text"] for row in messages]
    keyboards = [row.params.get("reply_markup") for row in messages]
    return Outcome(said, keyboards, booked, reminder, user)


def booking(timer: Timer | None) -> tuple[datetime, dict[str, Any]] | None:
    return (timer.due_at, timer.payload) if timer else None


def columns(reminder: Reminder | None) -> dict[str, Any] | None:
    if reminder is None:
        return None
    return {c.name: getattr(reminder, c.name) for c in Reminder.__table__.columns}


@pytest.mark.parametrize(
    ("person", "now"), [case[1:3] for case in CASES], ids=[case[0] for case in CASES]
)
async def test_a_batch_decides_each_reminder_as_one_timer_does(
    sessions: async_sessionmaker[AsyncSession],
    bare_runtime: Runtime,
    person: Person,
    now: datetime,
) -> None:
    """Many due at once go the batch's way (bot.reminder_batch): the same message, buttons,
    booking and stored reminder as one timer's unit of work."""
    due = FRIDAY if now == FRIDAY else SLOT
    one = await fire(sessions, person, now, due=due)
    batch = await fire_in_batch(bare_runtime, person, now, due)
    assert (batch.said, batch.keyboards) == (one.said, one.keyboards)
    assert booking(batch.booked) == booking(one.booked)
    assert columns(batch.reminder) == columns(one.reminder)


# --- the buttons on a reminder -------------------------------------------------------------------
async def sent_reminder(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The person got today's reminder at SLOT."""
    await fire(sessions, Person(), SLOT)


def press(action: Any, *args: Any) -> Any:
    async def work(unit: Unit) -> None:
        work.toast = await action(unit, *args)  # type: ignore[attr-defined]

    return work


async def test_snooze_brings_it_back_in_30_minutes_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await sent_reminder(sessions)
    at = SLOT + timedelta(minutes=2)
    outcome = await run(sessions, at, press(reminders.snooze, reminders.stamp_of(SLOT)))
    assert outcome.said == [t("reminders.snoozed", time="08:02")]
    assert outcome.booked is not None and outcome.booked.due_at == at + timedelta(minutes=30)
    assert outcome.reminder is not None and outcome.reminder.snoozed_until == outcome.booked.due_at
    double = press(reminders.snooze, reminders.stamp_of(SLOT))
    again = await run(sessions, at + timedelta(seconds=1), double)
    assert again.said == [] and double.toast == t("common.done_button")
    assert again.booked is not None and again.booked.due_at == at + timedelta(minutes=30)


async def test_skip_today_books_tomorrow_and_is_remembered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await sent_reminder(sessions)
    at = SLOT + timedelta(minutes=1)
    outcome = await run(sessions, at, press(reminders.skip, reminders.stamp_of(SLOT)))
    assert outcome.said == [t("reminders.skipped", next_date="Tue 24 Nov", time="07:30")]
    assert outcome.booked is not None and outcome.booked.due_at == TOMORROW
    assert outcome.reminder is not None and outcome.reminder.skipped_on == "2026-11-23"


async def test_skip_today_before_it_is_sent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as db, db.begin():
        await seed(db, Person())
    early = SLOT - timedelta(hours=2)

    async def book_today(unit: Unit) -> None:
        await reminders.book(unit, SLOT)

    await run(sessions, early, book_today)
    outcome = await run(sessions, early, press(reminders.skip, reminders.stamp_of(SLOT)))
    assert outcome.booked is not None and outcome.booked.due_at == TOMORROW


STALE = t("common.stale_button")


@pytest.mark.parametrize(
    ("action", "stamp", "at"),
    [
        (reminders.snooze, SLOT - timedelta(days=1), SLOT + timedelta(minutes=1)),
        (reminders.skip, SLOT - timedelta(days=1), SLOT + timedelta(minutes=1)),
        (reminders.snooze, SLOT, SLOT + timedelta(days=1, minutes=1)),
        (reminders.skip, SLOT + timedelta(hours=3), SLOT + timedelta(minutes=1)),
    ],
    ids=["yesterday's snooze", "yesterday's skip", "snooze a day later", "forged time"],
)
async def test_taps_on_other_reminders_are_stale(
    sessions: async_sessionmaker[AsyncSession], action: Any, stamp: datetime, at: datetime
) -> None:
    await sent_reminder(sessions)
    tap = press(action, reminders.stamp_of(stamp))
    outcome = await run(sessions, at, tap)
    assert tap.toast == STALE and outcome.said == []
    assert outcome.booked is not None and outcome.booked.due_at == TOMORROW


def test_weekday_bits_round_trip() -> None:
    for days in (schedule.EVERY_DAY, schedule.WEEKDAYS, frozenset({0, 6}), frozenset({3})):
        assert reminders.days_of(reminders.bits_of(days)) == days
    assert reminders.bits_of(schedule.EVERY_DAY) == 0b1111111
    assert reminders.rule_of(
        Reminder(local_time="07:30", weekdays=0b0000001, zone_name=BERLIN)
    ) == (time(7, 30), frozenset({0}), BERLIN)
