"""Any typed text: the safety net, then the answer the dialog is waiting for."""

from __future__ import annotations

from telegram import Update

from bot.flows import text
from handlers.base import Context, act


async def on_text(update: Update, context: Context) -> None:
    """Screen for red flags, then treat as an answer (yes/no, 0-10, a time, a note), or as a
    command typed without its slash ("stretch", "help")."""
    from handlers import commands_by_name

    assert update.message is not None and update.message.text is not None
    command = await act(update, context, text.on_text, update.message.text)
    handler = commands_by_name().get(command) if command is not None else None
    if handler is not None:
        await handler(update, context)
