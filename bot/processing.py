"""Concurrent across people, strictly in order for one person.

PTB's ``concurrent_updates`` runs every update as its own task with no per-chat order.
Here each task first takes its person's lock; ``asyncio.Lock`` wakes waiters first in,
first out, and tasks reach the lock in arrival order (the outer semaphore is sized so it
never blocks), so one person's updates run in the order Telegram sent them while a slow
write for one person holds up nobody else. An inner semaphore bounds the handlers that
actually run at once. Timers take the same locks (see :class:`UserLocks`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


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

    def __len__(self) -> int:
        return len(self._locks)


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

    def __init__(self, locks: UserLocks, max_running: int) -> None:
        super().__init__(max_concurrent_updates=self.QUEUE_BOUND)
        self.locks = locks
        self._running = asyncio.Semaphore(max_running)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = person_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        async with self.locks.hold(key), self._running:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
