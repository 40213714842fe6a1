"""/stretch and the buttons of a session: ss:*, pn:* (pain 0-10), hw:* (where it hurts),
hc:* (after "This hurts": carry on gently, or stop here)."""

from __future__ import annotations

from telegram import Update

from bot.flows import session
from handlers.base import Context, act, answer_query, mark_chosen


async def stretch(update: Update, context: Context) -> None:
    """/stretch: start a session (after the safety gate)."""
    await act(update, context, session.start)


async def stretch_anyway(update: Update, context: Context) -> None:
    """Start without the weekly re-check the person declined."""
    await act(update, context, session.start_anyway)


def _ints(parts: list[str]) -> list[int] | None:
    try:
        return [int(part) for part in parts]
    except ValueError:
        return None


async def session_button(update: Update, context: Context) -> None:
    """ss:<action>:<session id>:<position>."""
    assert update.callback_query and update.callback_query.data
    parts = update.callback_query.data.split(":")
    numbers = _ints(parts[2:4]) if len(parts) == 4 else None
    if numbers is None:
        await answer_query(update, "?")
        return
    toast = await act(update, context, session.press, parts[1], numbers[0], numbers[1])
    await answer_query(update, toast)
    if toast is None and parts[1] in ("start", "skip", "nonote"):
        await mark_chosen(update)  # the step is over: its buttons go


async def pain_button(update: Update, context: Context) -> None:
    """pn:<b|a|h>:<session id>:<0-10>."""
    assert update.callback_query and update.callback_query.data
    parts = update.callback_query.data.split(":")
    numbers = _ints(parts[2:4]) if len(parts) == 4 else None
    if numbers is None or parts[1] not in ("b", "a", "h") or not 0 <= numbers[1] <= 10:
        await answer_query(update, "?")
        return
    toast = await act(update, context, session.rate_pain, parts[1], numbers[0], numbers[1])
    await answer_query(update, toast)
    if toast is None:
        await mark_chosen(update)


async def hurt_where_button(update: Update, context: Context) -> None:
    """hw:<session id>:<place>."""
    assert update.callback_query and update.callback_query.data
    parts = update.callback_query.data.split(":")
    numbers = _ints(parts[1:2]) if len(parts) == 3 else None
    if numbers is None or parts[2] not in ("neck", "back", "arm", "leg", "other"):
        await answer_query(update, "?")
        return
    toast = await act(update, context, session.hurt_where, numbers[0], parts[2])
    await answer_query(update, toast)
    if toast is None:
        await mark_chosen(update)


async def hurt_choice_button(update: Update, context: Context) -> None:
    """hc:<session id>:go|stop."""
    assert update.callback_query and update.callback_query.data
    parts = update.callback_query.data.split(":")
    numbers = _ints(parts[1:2]) if len(parts) == 3 else None
    if numbers is None or parts[2] not in ("go", "stop"):
        await answer_query(update, "?")
        return
    toast = await act(update, context, session.hurt_choice, numbers[0], parts[2])
    await answer_query(update, toast)
    if toast is None:
        await mark_chosen(update)
