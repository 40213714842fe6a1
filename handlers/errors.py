"""The error handler: log with context (ids only), apologise, never leak the exception."""

from __future__ import annotations

import logging
from collections import deque

from telegram import Update
from telegram.error import Forbidden, NetworkError

from bot.runtime import current_update
from content.schema.texts import t
from handlers.base import Context

log = logging.getLogger("bot.errors")

# Webhook updates that failed on the database are sent again by Telegram until applied;
# the person hears about it once, not on every retry. Bounded: an outage can be long.
_told_will_retry: deque[int] = deque(maxlen=1000)


async def on_error(update: object, context: Context) -> None:
    """Record the failure by update id and type; tell the person briefly if we can."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, (Forbidden, NetworkError)):
        log.warning("update %s: Telegram error %s", update_id, type(error).__name__)
        return
    log.error("update %s failed", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    in_flight = current_update.get()
    if in_flight is not None and in_flight.database_failed:
        # Rolled back and answered 503: it will be applied when Telegram re-sends it.
        if update.update_id in _told_will_retry:
            return
        _told_will_retry.append(update.update_id)
        apology = t("common.error_will_retry")
    else:
        apology = t("common.error")
    try:
        await context.bot.send_message(update.effective_chat.id, apology)
    except Exception:
        log.warning("could not send the error apology for update %s", update_id)
