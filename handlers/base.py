"""The one way a handler runs a flow: for this person, in one unit of work."""

from __future__ import annotations

import html
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.flows import concern, session
from bot.flows.unit import Unit
from bot.runtime import runtime_of
from content import languages

T = TypeVar("T")
# mark_chosen sends raw requests on purpose (see there).
warnings.filterwarnings("ignore", message="Please use 'Bot.", module="handlers.base")
Context = ContextTypes.DEFAULT_TYPE
# last_seen_at is kept to the hour: writing it on every tap cost an UPDATE of the person's row
# in most updates (python -m bench, conversations), for a precision nothing reads.
LAST_SEEN_STEP = timedelta(hours=1)
# Buttons that answer a yes / no question of the check or of the safety net.
QUESTION_BUTTONS = ("tq:", "sq:", "ob:", "tc:")
# Commands that only show something and ask nothing: a "no" after them is still the answer.
SHOW_ONLY = frozenset({"help", "progress", "report", "mydata"})
# What a flow can hand on to when it ends (Unit.then).
THEN: dict[str, Callable[[Unit], Awaitable[None]]] = {"stretch": session.begin_after_check}


def leaves_the_question(update: Update) -> bool:
    """A command that asks something, or a button of anything else: a typed "yes" after it
    may mean that thing, not the safety question further up."""
    message, query = update.message, update.callback_query
    if message is not None and message.text is not None:
        words = message.text.removeprefix("/").split(maxsplit=1)
        command = words[0].split("@")[0].casefold() if words else ""
        return message.text.startswith("/") and command not in SHOW_ONLY
    data = (query.data or "") if query is not None else ""
    if data.startswith("go:"):  # a menu button: like its command
        return data.removeprefix("go:") not in SHOW_ONLY
    return query is not None and not data.startswith(QUESTION_BUTTONS)


async def act(update: Update, context: Context, flow: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``flow(unit, *args)`` for the person who sent ``update``."""
    result, _ = await act_on_tap(update, context, flow, *args)
    return result


async def act_on_tap(
    update: Update, context: Context, flow: Callable[..., Awaitable[T]], *args: Any
) -> tuple[T, bool]:
    """:func:`act` for a button: also whether the flow put what comes next in place of the
    tapped message (Unit.replace_tapped), so it needs no mark (:func:`answer_tap`)."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    runtime = runtime_of(context.bot_data)
    elsewhere = leaves_the_question(update)
    query = update.callback_query
    tapped = query.message.message_id if query is not None and query.message else None
    replaced = False

    async def work(unit: Unit) -> T:
        nonlocal replaced
        unit.tapped = tapped
        # Writing again re-activates someone who had blocked the bot.
        unit.user.active, unit.user.chat_id = True, chat.id
        if unit.user.language is None:  # first contact: the language their Telegram is set to
            unit.user.language = languages.from_telegram(user.language_code)
            languages.use(unit.user.language)
        seen = unit.user.last_seen_at
        if seen is None or unit.now - seen >= LAST_SEEN_STEP:
            unit.user.last_seen_at = unit.now
        if elsewhere and concern.question_waiting(unit):
            unit.leave_question()  # until the question is asked again
        result = await flow(unit, *args)
        if unit.then is not None:
            await THEN[unit.then](unit)
        replaced = unit.replaced_tapped  # the last attempt's, if SQLite made it retry
        return result

    return await runtime.run_unit(user.id, chat.id, work), replaced


async def answer_tap(update: Update, toast: str | None, replaced: bool) -> None:
    """Stop the spinner, then show the choice: in the toast when the message became the
    next question, else marked under the question (``toast``: a stale or repeated tap)."""
    if toast is None and replaced:
        label = chosen_label(update)
        await answer_query(update, f"✓ {label}" if label else None)
        return
    await answer_query(update, toast)
    if toast is None:
        await mark_chosen(update)


async def answer_query(update: Update, toast: str | None = None) -> None:
    """Stop the button's spinner; a toast explains a stale or repeated tap."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(toast)
        except Exception:
            pass


def chosen_label(update: Update) -> str | None:
    """The label of the button that was tapped, as the person saw it."""
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or message.reply_markup is None:
        return None
    return next(
        (
            button.text
            for row in message.reply_markup.inline_keyboard
            for button in row
            if button.callback_data == query.data
        ),
        None,
    )


async def mark_chosen(update: Update) -> None:
    """Show the tapped choice under the question and remove its buttons (best effort).

    A question answered stays readable in the chat, and its buttons can't be tapped twice.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or message.reply_markup is None:
        return
    label = chosen_label(update)
    where = {"chat_id": message.chat_id, "message_id": message.message_id}
    try:
        # Raw requests: the edited message Telegram returns is not needed, and parsing it
        # cost more than the rest of the edit (python -m bench.profile).
        if label is not None and message.text is not None:
            text = f"{message.text_html}\n\n<i>✓ {html.escape(label)}</i>"
            await message.get_bot().do_api_request(
                "editMessageText", api_kwargs={**where, "text": text, "parse_mode": "HTML"}
            )
        else:
            await message.get_bot().do_api_request("editMessageReplyMarkup", api_kwargs=where)
    except TelegramError:
        pass  # cosmetic: the answer itself is already stored
