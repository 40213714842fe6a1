"""Concurrent across people, strictly in order for one person.

PTB's ``concurrent_updates`` runs every update as its own task with no per-chat order.
Here each task first takes its person's lock; ``asyncio.Lock`` wakes waiters first in,
first out, and tasks reach the lock in arrival order (the outer semaphore is sized so it
never blocks), so one person's updates run in the order Telegram sent them while a slow
write for one person holds up nobody else. An inner semaphore bounds the handlers that
actually run at once. Timers take the same locks (see :class:`UserLocks`).

A person flooding the bot (a stuck key, a script) is throttled here, before any database work:
each person has a cap on updates waiting in their queue and a token bucket (a burst, then a
steady rate no human taps faster than) that is charged only while earlier updates of theirs are
still in flight. Someone who waits for each answer before the next tap, however quick (a fast
thumb, a test client, a scripted check), paces themself and is never throttled; someone who
sends faster than they are answered is. Excess updates are dropped, and the person is told once
per flood to slow down. Only that person's updates are dropped; nobody else waits for them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from content.schema.texts import t

log = logging.getLogger(__name__)

# A person may send this many updates at once, then this many per second on average: far
# above anyone reading and tapping, far below a script.
FLOOD_BURST = 30
FLOOD_RATE_PER_SECOND = 5.0
# Updates of one person waiting for their turn; more than this and new ones are dropped.
FLOOD_QUEUE_DEPTH = 20


class UserLocks:
    """One lock per person with updates in flight; idle locks are dropped."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]

    async def take_if_free(self, key: int) -> bool:
        """Take the person's lock only if nothing of theirs holds or waits for it.

        Never waits: a free lock is acquired without suspending, so nothing can come
        between the check and the taking. Hand it back with :meth:`give_back`.
        """
        if key in self._users:
            return False
        lock = self._locks[key] = asyncio.Lock()
        self._users[key] = 1
        await lock.acquire()
        return True

    def give_back(self, key: int) -> None:
        self._locks[key].release()
        self._users[key] -= 1
        if self._users[key] == 0:
            del self._users[key]
            del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)

    def waiting(self, key: int) -> int:
        """Updates and timers of this person holding or waiting for the lock."""
        return self._users.get(key, 0)


class FloodGate:
    """Per-person token buckets; says whether an update may go on, and when to warn once."""

    def __init__(
        self,
        burst: int = FLOOD_BURST,
        rate: float = FLOOD_RATE_PER_SECOND,
        depth: int = FLOOD_QUEUE_DEPTH,
    ) -> None:
        self.burst, self.rate, self.depth = burst, rate, depth
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, stamp)
        self._warned: set[int] = set()
        self.dropped = 0

    def admit(self, key: int, waiting: int, now: float) -> bool:
        """``waiting``: this person's updates still queued or running."""
        tokens, stamp = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        paced = waiting == 0  # nothing of theirs in flight: this update queues behind nothing
        if waiting >= self.depth or (tokens < 1 and not paced):
            self._buckets[key] = (tokens, now)
            self.dropped += 1
            return False
        if tokens + 1 >= self.burst:
            self._warned.discard(key)  # calm again: a later flood is warned about anew
        self._buckets[key] = (tokens if paced else tokens - 1, now)
        if len(self._buckets) > 10_000:
            self._forget_full(now)
        return True

    def first_warning(self, key: int) -> bool:
        """True once per flood: the moment to tell the person to slow down."""
        if key in self._warned:
            return False
        self._warned.add(key)
        return True

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold nothing a new bucket would not."""
        for key, (tokens, stamp) in list(self._buckets.items()):
            if tokens + (now - stamp) * self.rate >= self.burst:
                del self._buckets[key]


def person_key(update: object) -> int | None:
    """The id whose updates must stay in order: the person, else the chat."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    # Large outer bound: waiting tasks are cheap; ``running`` bounds the work itself.
    QUEUE_BOUND = 100_000

    def __init__(self, locks: UserLocks, max_running: int, gate: FloodGate | None = None) -> None:
        super().__init__(max_concurrent_updates=self.QUEUE_BOUND)
        self.locks = locks
        self.gate = gate or FloodGate()
        self._running = asyncio.Semaphore(max_running)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = person_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        if not self.gate.admit(key, self.locks.waiting(key), time.monotonic()):
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # never run: no "was never awaited" warning
            if self.gate.first_warning(key):
                await _ask_to_slow_down(update)
            return
        async with self.locks.hold(key), self._running:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


async def _ask_to_slow_down(update: object) -> None:
    """Best effort and direct: stored nowhere, so a flood never fills the outbox."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await update.get_bot().send_message(update.effective_chat.id, t("common.slow_down"))
    except (TelegramError, RuntimeError):
        log.info("could not ask a flooding chat to slow down")
