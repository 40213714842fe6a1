"""What every handler and timer needs at hand: database, clock, locks, delivery.

:meth:`Runtime.run_unit` is the one road into the database for a person: take the
person's row lock (an advisory lock on PostgreSQL, so two instances never interleave one
person's updates), run the flow, commit, then deliver what it said.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.db.models import Dialog, Timer, User
from bot.delivery import Delivery
from bot.flows.unit import Unit
from bot.processing import UserLocks

log = logging.getLogger(__name__)
T = TypeVar("T")
TimerHandler = Callable[[Unit, Timer], Awaitable[None]]

TIMER_LEASE = timedelta(seconds=60)
IDLE_POLL_SECONDS = 1.0


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock = field(default_factory=Clock)
    locks: UserLocks = field(default_factory=UserLocks)
    delivery: Delivery | None = None
    timer_handlers: dict[str, TimerHandler] = field(default_factory=dict)
    instance: str = field(default_factory=lambda: f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}")
    timers_fired: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def run_unit(self, user_id: int, chat_id: int, work: Callable[[Unit], Awaitable[T]]) -> T:
        """Run ``work`` for one person in one transaction, then send what it said."""
        for attempt in range(4):
            try:
                unit, result = await self._transaction(user_id, chat_id, work)
                break
            except OperationalError as exc:
                # SQLite under concurrent writers: retry the whole unit; nothing was sent yet.
                if "locked" not in str(exc) or attempt == 3:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        if unit.wake_timers:
            self._wake.set()
        assert self.delivery is not None
        await self.delivery.send_rows(unit.outbox)
        await self.delivery.send_direct(unit.direct)
        return result

    async def _transaction(
        self, user_id: int, chat_id: int, work: Callable[[Unit], Awaitable[T]]
    ) -> tuple[Unit, T]:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            if self.is_postgres:
                await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": user_id})
            user = await session.get(User, user_id)
            if user is None:
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
            dialog = await session.get(Dialog, user_id)
            if dialog is None:
                dialog = Dialog(
                    user_id=user_id, flow="idle", step="", data={}, version=0, updated_at=now
                )
                session.add(dialog)
            unit = Unit(session, user, dialog, now, self.settings.stretch_time_scale)
            result = await work(unit)
            if unit.outbox:
                assert self.delivery is not None
                self.delivery.claim_new(unit.outbox, now)
            await session.flush()
        return unit, result

    # --- durable timers -----------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    async def claim_due_timers(self, limit: int = 500) -> list[Timer]:
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
                .values(claimed_by=self.instance, lease_until=now + TIMER_LEASE)
                .returning(Timer)
            )
            return list(claimed.scalars())

    async def fire(self, timer: Timer) -> None:
        """Run one claimed timer under its person's lock; on failure retry it later."""
        handler = self.timer_handlers.get(timer.kind)
        try:
            async with self.locks.hold(timer.user_id):
                user = await self._chat_of(timer.user_id)
                if handler is None or user is None:
                    raise LookupError(f"no handler or user for timer kind {timer.kind}")

                async def work(unit: Unit) -> None:
                    current = await unit.session.get(Timer, timer.id)
                    # Gone or moved since we claimed it (cancelled, rescheduled): nothing to do.
                    if (
                        current is None
                        or current.claimed_by != self.instance
                        or (current.due_at != timer.due_at)
                    ):
                        return
                    await unit.session.delete(current)
                    await handler(unit, timer)

                await self.run_unit(timer.user_id, user, work)
            self.timers_fired += 1
        except Exception:
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

    async def _chat_of(self, user_id: int) -> int | None:
        async with self.sessions() as session:
            return (await session.execute(select(User.chat_id).where(User.id == user_id))).scalar()

    async def seconds_to_next_timer(self) -> float:
        async with self.sessions() as session:
            earliest = (await session.execute(select(func.min(Timer.due_at)))).scalar()
        if earliest is None:
            return IDLE_POLL_SECONDS
        return max(0.0, min(IDLE_POLL_SECONDS, (earliest - self.clock.now()).total_seconds()))

    async def dispatch_forever(self) -> None:
        """Fire due timers and retry left-over outbox rows until cancelled."""
        while not self._stopping:
            try:
                self._wake.clear()
                timers = await self.claim_due_timers()
                if timers:
                    await asyncio.gather(*(self.fire(timer) for timer in timers))
                assert self.delivery is not None
                await self.delivery.sweep()
                if timers:
                    continue
                delay = await self.seconds_to_next_timer()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("timer dispatch failed; retrying in a second")
                delay = IDLE_POLL_SECONDS
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    def stop_dispatch(self) -> None:
        """Finish the timers in hand, then leave the loop (unclaimed rows wait for the next run)."""
        self._stopping = True
        self._wake.set()

    def register_timer(self, kind: str, handler: TimerHandler) -> None:
        self.timer_handlers[kind] = handler


def runtime_of(bot_data: dict[str, Any]) -> Runtime:
    runtime = bot_data["runtime"]
    assert isinstance(runtime, Runtime)
    return runtime
