"""What every handler and timer needs at hand: database, clock, locks, delivery.

:meth:`Runtime.run_unit` is the one road into the database for a person: take the
person's row lock (an advisory lock on PostgreSQL, so two instances never interleave one
person's updates), run the flow, commit, then deliver what it said.

Webhook deliveries carry their ``update_id`` here (:data:`current_update`): Telegram sends an
update again when the answer was slow, and the ids applied lately are kept in the person's
dialog row, written in the same transaction as the change, so a re-sent update is seen and
skipped on whichever instance it lands.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.db.models import Dialog, Outbox, StretchSession, Timer, User
from bot.delivery import Delivery
from bot.flows.unit import Unit
from bot.metrics import Metrics
from bot.processing import UserLocks
from content import languages

log = logging.getLogger(__name__)
T = TypeVar("T")
TimerHandler = Callable[[Unit, Timer], Awaitable[None]]
# Runs many claimed timers of one kind at once; returns those to run one at a time instead.
BatchHandler = Callable[["Runtime", list[Timer]], Awaitable[list[Timer]]]

# Other instances' timers and rows left behind are looked for this often; this instance's
# own timers wake the dispatcher when they are booked (Runtime.timer_booked).
IDLE_POLL_SECONDS = 1.0
SWEEP_SECONDS = 1.0
CLAIM_BATCH = 500
# Statements every unit runs, built once: SQLAlchemy spends about as long building a statement
# (and its cache key) as running it on SQLite (python -m bench, conversations).
# With the person: their dialog and their unfinished stretch session, if any (the newest),
# so the flows of a session unit read no row twice (Unit.running_session).
PERSON_AND_DIALOG = (
    select(User, Dialog, StretchSession)
    .outerjoin(Dialog, Dialog.user_id == User.id)
    .outerjoin(
        StretchSession,
        and_(StretchSession.user_id == User.id, StretchSession.phase != "done"),
    )
    .where(User.id == bindparam("user_id"))
    .order_by(StretchSession.id.desc())
    .limit(1)
)
# A timer's unit reads, with the person, whether the timer is still to fire: still ours and
# not moved since (the person's lock keeps it so until the commit). A flow that books the
# same key again moves the row (Unit.schedule), so it is deleted only when it was not
# (FIRED): one statement where a delete and an insert were two. On the table, not the
# mapped class: the ORM's bulk-delete path costs more than the statement.
_TIMERS = cast(Table, Timer.__table__)
PERSON_DIALOG_AND_TIMER = PERSON_AND_DIALOG.add_columns(_TIMERS.c.id).outerjoin(
    _TIMERS,
    and_(
        _TIMERS.c.id == bindparam("timer_id"),
        _TIMERS.c.user_id == User.id,
        _TIMERS.c.claimed_by == bindparam("instance"),
        _TIMERS.c.due_at == bindparam("due_at"),
    ),
)
FIRED = delete(_TIMERS).where(_TIMERS.c.id == bindparam("timer_id"))
# Dialog data key: the last few update ids applied for this person (webhook redelivery).
RECENT_UPDATES = "recent_updates"
RECENT_UPDATES_KEPT = 8
UNIT_ATTEMPTS = 6


def connect_errors() -> tuple[type[BaseException], ...]:
    """Raised as they are while connecting (SQLAlchemy wraps only errors on an open
    connection): the server refused, or is shutting down or starting up. asyncpg's own are
    looked up only once SQLAlchemy loaded it for a PostgreSQL URL: on SQLite the bot never
    imports it (about 3 MB of memory)."""
    asyncpg = sys.modules.get("asyncpg.exceptions")
    if asyncpg is None:
        return (OSError,)
    return (OSError, asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError)


def database_unreachable(exc: BaseException | None) -> bool:
    """The database dropped the connection or could not be reached: the unit can run again.

    Connecting errors come either as they are or wrapped by SQLAlchemy (DBAPIError, not
    marked invalidated: there was no connection yet), so the chain of causes is searched.
    """
    errors = connect_errors()
    while exc is not None:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        if isinstance(exc, errors):
            return True
        exc = exc.__cause__
    return False


def default_instance_name() -> str:
    # claimed_by columns hold 64 characters; host names may be longer.
    return f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:8]}"


@dataclass
class UpdateInFlight:
    """The Telegram update this task is handling (set by the webhook for each POST)."""

    update_id: int
    applied: bool = False  # a unit of this delivery committed (a handler may run several)
    duplicate: bool = False  # seen before: nothing was run
    failed: bool = False
    # The database failed (not the flow): worth Telegram sending the update again.
    database_failed: bool = False


current_update: ContextVar[UpdateInFlight | None] = ContextVar("current_update", default=None)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    delivery: Delivery  # shares this runtime's clock and instance name (bot/app.py wires both)
    clock: Clock = field(default_factory=Clock)
    locks: UserLocks = field(default_factory=UserLocks)
    timer_handlers: dict[str, TimerHandler] = field(default_factory=dict)
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)
    instance: str = field(default_factory=default_instance_name)
    metrics: Metrics = field(default_factory=Metrics)
    timers_fired: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    # A few timer units at once: each needs pool connections (the unit, then the outbox
    # settle), and hundreds queued on a small pool time out and leave sent rows behind.
    _firing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))
    _stopping: bool = False
    # The earliest due time known (booked here, or the database's earliest); None: ask.
    _next_due: datetime | None = None
    _claim_asked: bool = False  # wake(): claim at once whatever is known (a shifted clock)
    _last_claim: datetime | None = None
    _last_sweep: datetime | None = None

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def claim_lease(self) -> timedelta:
        return timedelta(seconds=self.settings.claim_lease_seconds)

    async def run_unit(
        self,
        user_id: int,
        chat_id: int | None,
        work: Callable[[Unit], Awaitable[T]],
        timer: Timer | None = None,
    ) -> T:
        """Run ``work`` for one person in one transaction, then send what it said.

        ``chat_id`` None (a timer): the person must exist already; LookupError if not.
        ``timer``: the claimed timer this unit fires; ``Unit.timer_due`` says whether it is
        still to fire.
        """
        delivery = current_update.get()
        for attempt in range(UNIT_ATTEMPTS):
            try:
                unit, result = await self._transaction(user_id, chat_id, work, timer)
                break
            except Exception as exc:
                # Retry the whole unit (nothing was sent yet) when SQLite was busy with another
                # writer, or when PostgreSQL dropped a connection or is restarting (a few
                # seconds: the waits add up to 7.5 s).
                locked = isinstance(exc, DBAPIError) and "locked" in str(exc)
                if not (locked or database_unreachable(exc)) or attempt == UNIT_ATTEMPTS - 1:
                    self._count_failure(delivery, exc)
                    raise
                await asyncio.sleep((0.05 if locked else 0.5) * (attempt + 1))
        if delivery is not None and not delivery.duplicate:
            delivery.applied = True
        if unit.earliest_booked is not None:
            self.timer_booked(unit.earliest_booked)
        await self.delivery.send_rows(unit.outbox)
        await self.delivery.send_direct(unit.direct)
        return result

    def _count_failure(self, delivery: UpdateInFlight | None, exc: Exception) -> None:
        database = isinstance(exc, SQLAlchemyError) or database_unreachable(exc)
        if delivery is not None:
            delivery.failed = True
            delivery.database_failed = delivery.database_failed or database
        if database:
            self.metrics.database_errors.labels("update" if delivery else "timer").inc()

    async def _transaction(
        self,
        user_id: int,
        chat_id: int | None,
        work: Callable[[Unit], Awaitable[T]],
        timer: Timer | None,
    ) -> tuple[Unit, T]:
        now = self.clock.now()
        delivery = current_update.get()
        async with self.sessions() as session, session.begin():
            if self.is_postgres:
                await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": user_id})
            user, dialog, running, timer_due = await self._read_person(session, user_id, timer)
            if user is None:
                if chat_id is None:  # a timer's person is gone
                    raise LookupError(f"no user {user_id}")
                user = User(
                    id=user_id,
                    chat_id=chat_id,
                    created_at=now,
                    consent="unknown",
                    level=1,
                    conditions=[],
                    active=True,
                )
                session.add(user)
                await session.flush()  # the dialog row refers to it
            if dialog is None:
                dialog = Dialog(
                    user_id=user_id, flow="idle", step="", data={}, version=0, updated_at=now
                )
                session.add(dialog)
            # Every text from here on is in the person's language (content/languages.py).
            languages.use(user.language or languages.SOURCE_LANGUAGE)
            unit = Unit(session, user, dialog, now, self.settings.stretch_time_scale)
            unit.running_session = running
            unit.timer_due = timer_due
            unit.paid_broadcast = self.settings.paid_broadcast
            # Leased from now, not from the start: a wait for a pool connection or a lock
            # must not leave the lease already expired at commit.
            unit.lease = (self.delivery.instance, self.clock.now() + self.delivery.lease)
            recent: list[int] = list(dialog.data.get(RECENT_UPDATES, []))
            if delivery is not None and not delivery.applied and delivery.update_id in recent:
                # Telegram sent this update again; it was applied before: change nothing.
                delivery.duplicate = True
                return unit, cast(T, None)
            result = await work(unit)
            if delivery is not None and unit.dialog in session:
                # Kept even if the flow replaced its data (goto): the record is the row's.
                recent = [*recent, delivery.update_id][-RECENT_UPDATES_KEPT:]
                unit.dialog.data = {**unit.dialog.data, RECENT_UPDATES: recent}
            unclaimed = [row for row in unit.outbox if row.claimed_by is None]
            if unclaimed:
                self.delivery.claim_new(unclaimed, self.clock.now())
            await unit.write_outbox()
            await session.flush()
        return unit, result

    async def _read_person(
        self, session: AsyncSession, user_id: int, timer: Timer | None
    ) -> tuple[User | None, Dialog | None, StretchSession | None, bool]:
        """The person, their dialog and running session, and for a timer's unit whether the
        timer is still to fire: one statement, as a unit's fixed cost is mostly statements."""
        if timer is None:
            found = (await session.execute(PERSON_AND_DIALOG, {"user_id": user_id})).first()
            return (None, None, None, False) if found is None else (*found, False)
        values = {
            "user_id": user_id,
            "timer_id": timer.id,
            "instance": self.instance,
            "due_at": timer.due_at,
        }
        row = (await session.execute(PERSON_DIALOG_AND_TIMER, values)).first()
        if row is None:
            return None, None, None, False
        user, dialog, running, due_id = row
        return user, dialog, running, due_id is not None

    # --- durable timers -----------------------------------------------------------------
    def wake(self) -> None:
        """Claim due timers now (after a batch, or a test moving the clock)."""
        self._claim_asked = True
        self._wake.set()

    def timer_booked(self, due_at: datetime) -> None:
        """A committed unit booked a timer: wake for it, without asking the database."""
        if self._next_due is None or due_at < self._next_due:
            self._next_due = due_at
            self._wake.set()

    @property
    def claim_batch(self) -> int:
        """How many due timers to claim at once: no more than the flood limit lets this
        instance send in half a lease, or a batch's last messages would be taken over (and
        sent again) by another instance while they still wait for the limiter."""
        rate = self.settings.flood_limit_per_second
        if self.settings.paid_broadcast:
            rate = paid_broadcast_rate(self.settings)
        if not rate:
            return CLAIM_BATCH
        return max(1, min(CLAIM_BATCH, int(rate * self.settings.claim_lease_seconds / 2)))

    async def claim_due_timers(self, limit: int = CLAIM_BATCH) -> list[Timer]:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            due = (
                select(Timer.id)
                .where(
                    Timer.due_at <= now,
                    or_(Timer.lease_until.is_(None), Timer.lease_until < now),
                )
                .order_by(Timer.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claimed = await session.execute(
                update(Timer)
                .where(Timer.id.in_(due.scalar_subquery()))
                .values(claimed_by=self.instance, lease_until=now + self.claim_lease)
                .returning(Timer)
            )
            timers = list(claimed.scalars())
        for timer in timers:
            self.metrics.timers_due.labels(timer.kind).inc()
        return timers

    async def fire(self, timer: Timer) -> None:
        """Run one claimed timer under its person's lock; on failure retry it later."""
        handler = self.timer_handlers.get(timer.kind)
        started, said = time.perf_counter(), 0
        try:
            async with self.locks.hold(timer.user_id):
                if handler is None:
                    raise LookupError(f"no handler for timer kind {timer.kind}")

                async def work(unit: Unit) -> None:
                    nonlocal said
                    # Gone or moved since we claimed it (cancelled, rescheduled): nothing to do.
                    if not unit.timer_due:
                        return
                    await handler(unit, timer)
                    if timer.key not in unit.booked_keys:  # else moved by the flow: still due
                        await unit.session.execute(FIRED, {"timer_id": timer.id})
                    said = len(unit.outbox)

                await self.run_unit(timer.user_id, None, work, timer)
            self.timers_fired += 1
            self.metrics.handler_seconds.labels("timer").observe(time.perf_counter() - started)
            late = (self.clock.now() - timer.due_at).total_seconds()
            self.metrics.timer_fired(timer.kind, late, said)
        except Exception as exc:
            if database_unreachable(exc):
                # An outage or a restart of the database (already retried): no traceback.
                log.warning("timer %s (%s): database unreachable; will retry", timer.id, timer.kind)
            else:
                log.exception("timer %s (%s) failed; will retry", timer.id, timer.kind)
            async with self.sessions() as session, session.begin():
                await session.execute(
                    update(Timer)
                    .where(Timer.id == timer.id, Timer.claimed_by == self.instance)
                    .values(
                        claimed_by=None,
                        lease_until=None,
                        attempts=Timer.attempts + 1,
                        due_at=self.clock.now() + timedelta(seconds=min(300, 2**timer.attempts)),
                    )
                )

    async def _fire_bounded(self, timer: Timer) -> None:
        async with self._firing:
            await self.fire(timer)

    async def _fire_all(self, timers: list[Timer]) -> None:
        """Kinds with a batch handler run as a batch; the rest, and whatever a batch hands
        back, one unit of work each. A person with other timers due as well keeps them all
        on that path, in the order they were claimed (a session closed for idling before the
        reminder that it held back, say)."""
        others = {timer.user_id for timer in timers if timer.kind not in self.batch_handlers}
        by_kind: dict[str, list[Timer]] = {}
        single: list[Timer] = []
        for timer in timers:
            if timer.kind in self.batch_handlers and timer.user_id not in others:
                by_kind.setdefault(timer.kind, []).append(timer)
            else:
                single.append(timer)

        async def batch(kind: str, claimed: list[Timer]) -> None:
            left = await self.batch_handlers[kind](self, claimed)
            await asyncio.gather(*(self._fire_bounded(timer) for timer in left))

        await asyncio.gather(
            *(self._fire_bounded(timer) for timer in single),
            *(batch(kind, claimed) for kind, claimed in by_kind.items()),
        )

    async def _learn_next_due(self) -> None:
        """The database's earliest timer, with whatever units booked meanwhile."""
        async with self.sessions() as session:
            earliest = (await session.execute(select(func.min(Timer.due_at)))).scalar()
        if earliest is not None and (self._next_due is None or earliest < self._next_due):
            self._next_due = earliest

    def seconds_to_next_timer(self) -> float:
        if self._next_due is None:
            return IDLE_POLL_SECONDS
        left = (self._next_due - self.clock.now()).total_seconds()
        return max(0.0, min(IDLE_POLL_SECONDS, left))

    def _claim_due_now(self, now: datetime) -> bool:
        """Claim when a timer is due by what is known, when asked to, and once a poll
        interval (other instances' timers, retried ones)."""
        if self._claim_asked or self._last_claim is None:
            return True
        if self._next_due is not None and self._next_due <= now:
            return True
        return (now - self._last_claim).total_seconds() >= IDLE_POLL_SECONDS

    async def dispatch_step(self) -> float:
        """Fire what is due, sweep the outbox when its time comes; seconds to wait next."""
        now = self.clock.now()
        if self._claim_due_now(now):
            self._claim_asked, self._last_claim = False, now
            self._next_due = None  # what was known is claimed now; learnt again below
            timers = await self.claim_due_timers(self.claim_batch)
            if timers:
                await self._fire_all(timers)
                if len(timers) >= self.claim_batch:
                    return 0.0  # more may be due
            await self._learn_next_due()
        if self._last_sweep is None or (now - self._last_sweep).total_seconds() >= SWEEP_SECONDS:
            self._last_sweep = now
            await self.delivery.sweep()
        return min(self.seconds_to_next_timer(), SWEEP_SECONDS)

    async def dispatch_forever(self) -> None:
        """Fire due timers and retry left-over outbox rows until cancelled."""
        while not self._stopping:
            try:
                self._wake.clear()
                delay = await self.dispatch_step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._next_due = None
                if isinstance(exc, SQLAlchemyError):
                    self.metrics.database_errors.labels("dispatch").inc()
                if database_unreachable(exc):
                    # Every second while the database is down: one line, not a traceback.
                    log.warning("database unreachable; timer dispatch retries in a second")
                else:
                    log.exception("timer dispatch failed; retrying in a second")
                delay = IDLE_POLL_SECONDS
            if delay <= 0:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    def dispatching(self) -> bool:
        return not self._stopping

    def stop_dispatch(self) -> None:
        """Finish the timers in hand, then leave the loop (unclaimed rows wait for the next run)."""
        self._stopping = True
        self._wake.set()

    async def release_claims(self) -> None:
        """On shutdown: hand this instance's claimed timers and messages back at once.

        Without this another instance would wait for the lease to run out; call it only
        after this instance stopped firing timers and sending.
        """
        async with self.sessions() as session, session.begin():
            for table in (Timer, Outbox):
                await session.execute(
                    update(table)
                    .where(table.claimed_by == self.instance)
                    .values(claimed_by=None, lease_until=None)
                )

    def register_timer(self, kind: str, handler: TimerHandler) -> None:
        self.timer_handlers[kind] = handler

    def register_batch(self, kind: str, handler: BatchHandler) -> None:
        """``kind``'s timers due together also run as one batch (the single handler stays
        for what the batch hands back)."""
        self.batch_handlers[kind] = handler


# Telegram's limits: 30 messages a second, 1,000 with allow_paid_broadcast (Bot API 7.11).
FREE_MESSAGES_PER_SECOND = 30.0
PAID_MESSAGES_PER_SECOND = 1000.0


def paid_broadcast_rate(settings: Settings) -> float:
    """This instance's share of the paid limit: the share of the free one it was given
    (FLOOD_LIMIT_PER_SECOND of 30); 0 when the limiter is off."""
    share = settings.flood_limit_per_second / FREE_MESSAGES_PER_SECOND
    return PAID_MESSAGES_PER_SECOND * share


def runtime_of(bot_data: dict[str, Any]) -> Runtime:
    runtime = bot_data["runtime"]
    assert isinstance(runtime, Runtime)
    return runtime
