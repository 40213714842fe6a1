"""Thin Telegram handlers: parse an update, run a flow, let the flow say what to send."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from handlers.base import Context

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def commands_by_name() -> dict[str, Handler]:
    """Commands by name; menu buttons ("go:<name>") reuse them."""
    from handlers import common, session, triage
    from handlers import privacy as privacy_handlers
    from handlers import progress as progress_handlers
    from handlers import reminders as reminders_handlers

    found: dict[str, Handler] = {
        "start": common.start,
        "help": common.help_command,
        "cancel": common.cancel,
        "stretch": session.stretch,
        "stretch_anyway": session.stretch_anyway,
        "checkup": triage.checkup,
        "progress": progress_handlers.progress,
        "report": progress_handlers.report,
        "mydata": privacy_handlers.mydata,
        "delete": privacy_handlers.delete,
        "privacy": privacy_handlers.privacy_command,
        "settings": privacy_handlers.settings,
        "language": privacy_handlers.language_command,
        "reminders": reminders_handlers.reminders_command,
    }
    return found
