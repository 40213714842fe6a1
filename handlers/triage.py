"""Buttons of onboarding and the safety check: ob:*, tq:*, tc:*, and sq:* (a follow-up
question after something typed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.core.triage import Answer
from bot.flows import concern, triage
from bot.flows.unit import Unit
from handlers.base import Context, act, act_on_tap, answer_query, answer_tap, mark_chosen

ANSWERS = {"y": Answer.YES, "n": Answer.NO, "u": Answer.UNSURE}


async def onboarding_button(update: Update, context: Context) -> None:
    """ob:consent:yes|no, ob:region:<region>, ob:age:<band>."""
    assert update.callback_query and update.callback_query.data
    _, what, value = ([*update.callback_query.data.split(":"), "", ""])[:3]
    toast: str | None
    replaced = False
    try:
        if what == "consent" and value in ("yes", "no"):
            toast = await act(update, context, triage.choose_consent, value == "yes")
        elif what == "region":
            toast, replaced = await act_on_tap(update, context, triage.choose_region, value)
        elif what == "age":
            toast, replaced = await act_on_tap(update, context, triage.choose_age, value)
        else:
            toast = "?"
    except ValueError:  # a forged region or age value
        toast = "?"
    await answer_tap(update, toast, replaced)


async def question_button(update: Update, context: Context) -> None:
    """tq:<question id>:y|n|u."""
    await _answer_button(update, context, triage.answer)


async def concern_button(update: Update, context: Context) -> None:
    """sq:<question id>:y|n|u: the answer to a follow-up question about something typed."""
    await _answer_button(update, context, concern.answer_question)


async def _answer_button(
    update: Update, context: Context, record: Callable[[Unit, str, Answer], Awaitable[str | None]]
) -> None:
    """<prefix>:<question id>:y|n|u, recorded by ``record``; anything else gets a "?"."""
    assert update.callback_query and update.callback_query.data
    parts = update.callback_query.data.split(":")
    answer = ANSWERS.get(parts[2]) if len(parts) == 3 else None
    if answer is None:
        await answer_query(update, "?")
        return
    toast, replaced = await act_on_tap(update, context, record, parts[1], answer)
    await answer_tap(update, toast, replaced)


async def cleared_button(update: Update, context: Context) -> None:
    """tc:ask, tc:yes, tc:no: a clinician has cleared me."""
    assert update.callback_query and update.callback_query.data
    choice = update.callback_query.data.split(":")[1]
    await answer_query(update)
    await mark_chosen(update)
    if choice == "ask":
        await act(update, context, triage.ask_cleared)
    else:
        await act(update, context, triage.confirm_cleared, choice == "yes")


async def checkup(update: Update, context: Context) -> None:
    """/checkup: the safety check again."""
    await act(update, context, triage.checkup)
