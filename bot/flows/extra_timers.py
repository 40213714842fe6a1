"""Timer kinds of later features (reminders) register here."""

from __future__ import annotations

from bot.runtime import TimerHandler

TIMERS: dict[str, TimerHandler] = {}
