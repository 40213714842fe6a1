"""/stretch and the buttons of a session (their callback data: bot/flows/buttons.py)."""

from __future__ import annotations

from telegram import Update

from bot.flows import session
from bot.flows.buttons import HurtChoiceButton, HurtWhereButton, PainButton, SessionButton
from handlers.base import Context, act, act_on_tap, answer_query, answer_tap, mark_chosen


async def stretch(update: Update, context: Context) -> None:
    """/stretch: start a session (after the safety gate)."""
    await act(update, context, session.start)


async def stretch_anyway(update: Update, context: Context) -> None:
    """Start without the weekly re-check the person declined."""
    await act(update, context, session.start_anyway)


async def session_button(update: Update, context: Context) -> None:
    """Start / Pause / Resume / Skip / Stop / This hurts / No note (SessionButton)."""
    assert update.callback_query is not None
    button = SessionButton.parse(update.callback_query.data)
    if button is None:
        await answer_query(update, "?")
        return
    toast = await act(
        update, context, session.press, button.action, button.session_id, button.position
    )
    await answer_query(update, toast)
    if toast is None and button.action in ("start", "skip", "nonote"):
        await mark_chosen(update)  # the step is over: its buttons go


async def pain_button(update: Update, context: Context) -> None:
    """A pain score (PainButton)."""
    assert update.callback_query is not None
    button = PainButton.parse(update.callback_query.data)
    if button is None:
        await answer_query(update, "?")
        return
    toast, replaced = await act_on_tap(
        update, context, session.rate_pain, button.purpose, button.session_id, button.value
    )
    await answer_tap(update, toast, replaced)


async def hurt_where_button(update: Update, context: Context) -> None:
    """Where it hurts (HurtWhereButton)."""
    assert update.callback_query is not None
    button = HurtWhereButton.parse(update.callback_query.data)
    if button is None:
        await answer_query(update, "?")
        return
    toast = await act(update, context, session.hurt_where, button.session_id, button.place)
    await answer_query(update, toast)
    if toast is None:
        await mark_chosen(update)


async def hurt_choice_button(update: Update, context: Context) -> None:
    """Carry on gently, or stop here (HurtChoiceButton)."""
    assert update.callback_query is not None
    button = HurtChoiceButton.parse(update.callback_query.data)
    if button is None:
        await answer_query(update, "?")
        return
    toast = await act(update, context, session.hurt_choice, button.session_id, button.choice)
    await answer_query(update, toast)
    if toast is None:
        await mark_chosen(update)
