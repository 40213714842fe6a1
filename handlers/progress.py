"""/progress and /report: the person's history as a chart and as a PDF record."""

from __future__ import annotations

from functools import partial

from telegram import Update

from bot.flows import progress as progress_flow
from handlers.base import Context, act


async def progress(update: Update, context: Context) -> None:
    """/progress: the chart, the week in numbers, and what the weekly averages say."""
    await progress_flow.show_progress(partial(act, update, context))


async def report(update: Update, context: Context) -> None:
    """/report: a PDF to show a doctor or physiotherapist, headed with the person's first name."""
    user = update.effective_user
    name = user.first_name if user is not None else None
    await progress_flow.show_report(partial(act, update, context), name)
