"""The error handler: log with context (ids only), apologise, never leak the exception."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError

from content.schema.texts import t
from handlers.base import Context

log = logging.getLogger("bot.errors")


async def on_error(update: object, context: Context) -> None:
    """Record the failure by update id and type; tell the person briefly if we can."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, (Forbidden, NetworkError)):
        log.warning("update %s: Telegram error %s", update_id, type(error).__name__)
        return
    log.error("update %s failed", update_id, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, t("common.error"))
        except Exception:
            log.warning("could not send the error apology for update %s", update_id)
