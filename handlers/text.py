"""Any typed text: the safety net, then the answer the dialog is waiting for."""

from __future__ import annotations

from telegram import Update

from bot.flows import text
from handlers.base import Context, act


async def on_text(update: Update, context: Context) -> None:
    """Screen for red flags, then treat as an answer (yes/no, 0-10, a time, a note)."""
    assert update.message is not None and update.message.text is not None
    await act(update, context, text.on_text, update.message.text)
