"""/progress and /report: the person's history as a chart and as a PDF record."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.flows import progress as progress_flow
from handlers.base import Context, act, answer_query, mark_chosen


async def progress(update: Update, context: Context) -> None:
    """/progress: the chart, the week in numbers, and what the weekly averages say."""
    await progress_flow.show_progress(partial(act, update, context))


async def report(update: Update, context: Context) -> None:
    """/report: a PDF to show a doctor or physiotherapist; the first name on it if agreed."""
    user = update.effective_user
    name = user.first_name if user is not None else None
    await progress_flow.show_report(partial(act, update, context), name)


async def report_button(update: Update, context: Context) -> None:
    """rp:name:yes|no: the Telegram first name on the record, or not; then the record."""
    assert update.callback_query and update.callback_query.data
    choice = update.callback_query.data.split(":")[-1]
    if choice not in ("yes", "no"):
        await answer_query(update, "?")
        return
    await answer_query(update)
    await mark_chosen(update)
    await act(update, context, progress_flow.choose_name_on_report, choice == "yes")
    await report(update, context)
