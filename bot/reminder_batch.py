"""Many reminders due at once: one transaction for a whole batch, then the sends side by side.

The dispatcher (:meth:`bot.runtime.Runtime.dispatch_forever`) claims due timers in batches;
the reminder timers among them come here instead of running one unit of work each (as
units they cost 2.2 ms of CPU each on SQLite and 3.9 on PostgreSQL, as a batch 0.4:
python -m bench, dispatch). A person with other timers due too stays on the single path,
so their timers keep their order. For a batch:

1. Take the people's locks: anyone with an update or a timer in flight in this process, and
   on PostgreSQL anyone whose lock another transaction holds (``pg_try_advisory_xact_lock``,
   the key :meth:`Runtime.run_unit` locks), is left to the one-at-a-time path, which waits.
2. Take the timers: delete them if they are still ours and were not moved since the claim.
3. Read the people, their reminders and their sessions: one query each.
4. Decide each with :func:`bot.flows.reminders.decide_due`, as the one-at-a-time path does,
   so every message and booking is the same.
5. Write the reminders' changed columns (one executemany), the next timers and the messages
   (bulk inserts, the messages leased to this instance), and commit once.
6. Send the messages concurrently (:meth:`bot.delivery.Delivery.send_many`); each person's
   lock is handed back once their message is sent and its row deleted.

If the transaction fails, every timer of the batch goes the one-at-a-time path, which
retries and backs off: the batch is a faster road, never the only one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.inserts import IdInserts
from bot.db.models import Outbox, Reminder, Timer, User
from bot.flows import reminders
from bot.flows.unit import message_params
from bot.runtime import Runtime, database_unreachable
from content import languages

log = logging.getLogger(__name__)

_USERS = cast(Table, User.__table__)
_REMINDERS = cast(Table, Reminder.__table__)
_TIMERS = cast(Table, Timer.__table__)
_OUTBOX = cast(Table, Outbox.__table__)

# Built once: building a statement costs SQLAlchemy about as much as running it.
LOCK_FREE = text(
    "SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k WHERE pg_try_advisory_xact_lock(k)"
)
TAKE_TIMERS = (
    delete(_TIMERS)
    .where(
        tuple_(_TIMERS.c.id, _TIMERS.c.due_at).in_(bindparam("taken", expanding=True)),
        _TIMERS.c.claimed_by == bindparam("instance"),
    )
    .returning(_TIMERS.c.id)
)
PEOPLE = select(
    _USERS.c.id, _USERS.c.chat_id, _USERS.c.consent, _USERS.c.active, _USERS.c.language
).where(_USERS.c.id.in_(bindparam("user_ids", expanding=True)))
THEIR_REMINDERS = select(_REMINDERS).where(
    _REMINDERS.c.user_id.in_(bindparam("user_ids", expanding=True))
)
CHANGE_REMINDER = (
    update(_REMINDERS)
    .where(_REMINDERS.c.user_id == bindparam("reminder_of"))
    .values({column: bindparam(f"new_{column}") for column in reminders.DUE_COLUMNS})
)
FORGET_REMINDERS = delete(_REMINDERS).where(
    _REMINDERS.c.user_id.in_(bindparam("user_ids", expanding=True))
)
BOOK_TIMERS = insert(_TIMERS)
SAY = IdInserts(_OUTBOX)


async def fire_reminders(runtime: Runtime, timers: Sequence[Timer]) -> list[Timer]:
    """Run a batch of claimed reminder timers; returns those left to the one-at-a-time path."""
    started = time.perf_counter()
    locks = runtime.locks
    held = [timer for timer in timers if await locks.take_if_free(timer.user_id)]
    held_ids = {timer.id for timer in held}
    others = [timer for timer in timers if timer.id not in held_ids]
    if not held:
        return others
    locked = {timer.user_id for timer in held}

    def give_back(user_id: int) -> None:
        if user_id in locked:
            locked.discard(user_id)
            locks.give_back(user_id)

    try:
        try:
            busy, done, messages, notes = await _write(runtime, held)
        except Exception as exc:
            if database_unreachable(exc):
                log.warning("reminder batch: database unreachable; one at a time instead")
            else:
                log.exception("reminder batch failed; one at a time instead")
            return others + held
        for user_id, due in notes:
            reminders.log_due(user_id, due)
        said = {row.user_id for row in messages}
        for user_id in list(locked - said):
            give_back(user_id)
        if done:
            runtime.wake()
        if messages:
            await runtime.delivery.send_many(
                messages,
                concurrency=max(32, runtime.settings.max_concurrent_updates),
                settled=lambda row: give_back(row.user_id),
                go_on=runtime.dispatching,
            )
    finally:
        for user_id in list(locked):
            give_back(user_id)
    seconds = time.perf_counter() - started
    now = runtime.clock.now()
    for timer in held:
        if timer.id in done:
            runtime.timers_fired += 1
            runtime.metrics.handler_seconds.labels("timer").observe(seconds)
            late = (now - timer.due_at).total_seconds()
            runtime.metrics.timer_fired(timer.kind, late, int(timer.user_id in said))
    return others + [timer for timer in held if timer.user_id in busy]


Notes = list[tuple[int, reminders.DueReminder]]


async def _write(
    runtime: Runtime, timers: Sequence[Timer]
) -> tuple[set[int], set[int], list[Outbox], Notes]:
    """The batch's one transaction: (people busy elsewhere, timers taken, messages to send,
    what to log once committed)."""
    now = runtime.clock.now()
    ids = [timer.user_id for timer in timers]
    async with runtime.engine.begin() as db:
        if runtime.is_postgres:
            free = set((await db.execute(LOCK_FREE, {"keys": ids})).scalars())
        else:
            free = set(ids)  # one process per SQLite file; its locks are taken above
        busy = set(ids) - free
        mine = [timer for timer in timers if timer.user_id in free]
        if not mine:
            return busy, set(), [], []
        taken_rows = await db.execute(
            TAKE_TIMERS,
            {"taken": [(t.id, t.due_at) for t in mine], "instance": runtime.instance},
        )
        taken = set(taken_rows.scalars())
        mine = [timer for timer in mine if timer.id in taken]
        notes: Notes = []
        messages = await _decide_and_store(runtime, db, mine, now, notes) if mine else []
    return busy, taken, messages, notes


async def _decide_and_store(
    runtime: Runtime, db: AsyncConnection, timers: Sequence[Timer], now: datetime, notes: Notes
) -> list[Outbox]:
    ids = {"user_ids": [timer.user_id for timer in timers]}
    people = {row.id: row for row in await db.execute(PEOPLE, ids)}
    their_reminders = {row.user_id: row for row in await db.execute(THEIR_REMINDERS, ids)}
    sessions = {
        row[0]: reminders.SessionsSeen(row[1], bool(row[2]))
        for row in await db.execute(reminders.SESSIONS_OF_MANY, ids)
    }
    changed: list[dict[str, Any]] = []
    forgotten: list[int] = []
    booked: list[dict[str, Any]] = []
    said: list[dict[str, Any]] = []
    paid = runtime.settings.paid_broadcast
    lease = (runtime.delivery.instance, runtime.clock.now() + runtime.delivery.lease)
    for timer in timers:
        person = people.get(timer.user_id)
        reminder = their_reminders.get(timer.user_id)
        if person is None:
            continue  # erased since: nothing left to remind
        with languages.speaking(person.language or languages.SOURCE_LANGUAGE):
            due = reminders.decide_due(
                reminder,
                timer,
                now,
                stores_data=person.consent == "given",
                active=person.active,
                sessions=sessions.get(person.id, reminders.SessionsSeen()),
            )
        if due is None or reminder is None:
            continue
        if due.forget:
            forgotten.append(person.id)
            continue
        row = {f"new_{c}": due.changes.get(c, getattr(reminder, c)) for c in reminders.DUE_COLUMNS}
        changed.append({"reminder_of": person.id, **row})
        if due.book is not None:
            booked.append(
                {
                    "key": reminders.timer_key(person.id),
                    "kind": reminders.TIMER_KIND,
                    "user_id": person.id,
                    "due_at": due.book,
                    "payload": reminders.booking(due.book),
                    "attempts": 0,
                }
            )
        if due.say is not None:
            text_, keyboard = due.say
            said.append(
                {
                    "user_id": person.id,
                    "chat_id": person.chat_id,
                    "method": "sendMessage",
                    "params": message_params(person.chat_id, text_, keyboard, paid_broadcast=paid),
                    "tag": None,
                    "not_before": now,
                    "claimed_by": lease[0],
                    "lease_until": lease[1],
                    "attempts": 0,
                }
            )
        notes.append((person.id, due))
    if changed:
        await db.execute(CHANGE_REMINDER, changed)
    if forgotten:
        await db.execute(FORGET_REMINDERS, {"user_ids": forgotten})
    if booked:
        await db.execute(BOOK_TIMERS, booked)
    if not said:
        return []
    new_ids = await SAY(db, said)
    return [Outbox(id=row_id, **values) for row_id, values in zip(new_ids, said, strict=True)]
