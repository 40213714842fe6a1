"""Commands of later features register here (reminders, progress, privacy)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from handlers.base import Context

COMMANDS: dict[str, Callable[[Update, Context], Coroutine[Any, Any, None]]] = {}
