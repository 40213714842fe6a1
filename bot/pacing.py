"""Telegram's flood limits: every send paced, and a 429 waited out without a burst after it.

python-telegram-bot's ``AIORateLimiter`` lets a send take its turn in the pace first and
only then waits out a 429. The sends that took their turns during the wait all go at once
when it ends: a second's worth in an instant, which Telegram refuses too, so one 429 set off
more (tests/e2e/test_reminders.py; seen as 40 answers 429 in one ``make bench`` flood run).
Here a send waits out any pause first and takes its turn after it; a turn taken while a
pause began is given up and taken again once the pause is over.

Flow: :meth:`PacedRateLimiter.process_request` -> wait while paused -> take a turn
(the paid-broadcast pace for ``allow_paid_broadcast`` sends, else the overall one; requests
without a chat, such as answerCallbackQuery, are not paced) -> send; on ``RetryAfter``,
pause every send for ``retry_after`` and try again, up to ``max_retries`` times.
The bot talks in private chats only (bot/app.py filters them), so there is no group limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

# Paced at 95% of the limit, with the other 5% let out at once at most, so that in any one
# second no more than the limit goes out, however Telegram counts. A bucket of a second's
# worth (the library's default) lets a whole second's sends out at once after a quiet spell,
# then the paced rest: nearly twice the limit in one second (tests/e2e/test_reminders.py).
# A bucket of one send loses pace whenever the event loop is late (aiolimiter alone,
# 32 senders: 28.3 a second where 29.1 was asked); 1.5 does not.
FLOOD_MARGIN = 0.95
# After retry_after, as python-telegram-bot's limiter waits: a little more than asked.
PAUSE_MARGIN_SECONDS = 0.1
Send = Callable[..., Coroutine[Any, Any, Any]]


def paced(limit: float) -> AsyncLimiter | None:
    """A leaky bucket that stays within ``limit`` sends in any one second: 1.5 sends per
    53 ms at 30 a second, 50 per 53 ms at 1,000. None for no limit (0)."""
    rate = limit * FLOOD_MARGIN
    if not rate:
        return None
    burst = max(1.0, limit - rate)
    return AsyncLimiter(max_rate=burst, time_period=burst / rate)


class PacedRateLimiter(BaseRateLimiter[int]):
    """``overall``: the pace of every send to a chat; ``paid``: of sends with
    allow_paid_broadcast (their own limit, Bot API 7.11), else they share ``overall``."""

    def __init__(
        self,
        overall: AsyncLimiter | None,
        paid: AsyncLimiter | None = None,
        *,
        max_retries: int = 3,
    ) -> None:
        self._overall, self._paid = overall, paid
        self._max_retries = max_retries
        self._running = asyncio.Event()  # cleared while a 429's retry_after is waited out
        self._running.set()
        self._paused_until = 0.0  # the event loop's clock
        self._resume: asyncio.TimerHandle | None = None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        if self._resume is not None:
            self._resume.cancel()
        self._running.set()

    async def process_request(
        self,
        callback: Send,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        pace = self._pace_of(data)
        for attempt in range(retries + 1):
            await self._take_turn(pace)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    log.warning("%s: still refused with 429 after %d retries", endpoint, retries)
                    raise
                self._pause(exc.retry_after)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _pace_of(self, data: dict[str, Any]) -> AsyncLimiter | None:
        if data.get("chat_id") is None:
            return None
        if data.get("allow_paid_broadcast") and self._paid is not None:
            return self._paid
        return self._overall

    async def _take_turn(self, pace: AsyncLimiter | None) -> None:
        while True:
            await self._running.wait()
            if pace is not None:
                await pace.acquire()
            if self._running.is_set():
                return
            # A 429 came while this send waited for its turn: that turn would end the pause
            # in a burst with every other one taken meanwhile. Wait, and take a new one.

    def _pause(self, retry_after: float | timedelta) -> None:
        seconds = retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after
        loop = asyncio.get_running_loop()
        until = loop.time() + float(seconds) + PAUSE_MARGIN_SECONDS
        if until <= self._paused_until:
            return  # a longer pause is on already
        self._paused_until = until
        self._running.clear()
        if self._resume is not None:
            self._resume.cancel()
        self._resume = loop.call_at(until, self._running.set)
        log.info("Telegram asked to wait %.1f s; every send waits", float(seconds))
