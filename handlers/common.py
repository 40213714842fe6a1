"""/start, /help, /cancel, and what to say to anything the bot does not expect."""

from __future__ import annotations

from telegram import Update

from bot.flows import basics, triage
from bot.flows import session as session_flow
from bot.flows.dialog import Flow
from bot.flows.unit import Unit
from content.schema.texts import t
from handlers.base import Context, act, answer_query


async def start(update: Update, context: Context) -> None:
    """Introduce the bot to newcomers; show the menu to people it knows."""
    await act(update, context, triage.start)


async def help_command(update: Update, context: Context) -> None:
    """List what the bot can do."""
    await act(update, context, basics.show_help)


async def cancel(update: Update, context: Context) -> None:
    """Stop whatever is going on, including a running session."""
    await act(update, context, _cancel)


async def _cancel(unit: Unit) -> None:
    running = await session_flow.active_session(unit)
    if running is not None:
        await session_flow.stop(unit, running)
        return
    if unit.expect(Flow.IDLE):
        unit.say(t("common.nothing_to_cancel"))
        return
    unit.idle()
    unit.say(t("common.cancelled"))


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have."""
    await act(update, context, basics.say_text, "common.unknown_command")


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, locations: say what the bot can read."""
    await act(update, context, basics.say_text, "common.only_text")


async def edited(update: Update, context: Context) -> None:
    """Edited messages are screened for red flags but not taken as answers."""
    from bot import meaning
    from bot.core import meaning as meaning_core
    from bot.core import safety
    from bot.flows.text import raise_alarm

    message = update.edited_message
    text = message.text if message and message.text else ""
    found = meaning_core.classify(safety.load_banks(), text, meaning.reader()) if text else None
    alarm = found.alarm if isinstance(found, safety.Concern) else found

    async def flow(unit: Unit) -> None:
        if alarm is not None:
            await raise_alarm(unit, alarm)
        else:
            unit.say(t("common.edited"))

    await act(update, context, flow)


async def group_chat(update: Update, context: Context) -> None:
    """Groups and channels: explain, store nothing."""
    chat = update.effective_chat
    if chat is not None and update.effective_message is not None:
        await context.bot.send_message(chat.id, t("common.private_only"))


async def go_button(update: Update, context: Context) -> None:
    """Menu buttons ("go:stretch", ...) do what the command of the same name does."""
    from handlers import commands_by_name

    query = update.callback_query
    assert query is not None and query.data is not None
    target = query.data.split(":", 1)[1]
    handler = commands_by_name().get(target)
    await answer_query(update)
    if handler is None:
        return
    await handler(update, context)


async def stale_button(update: Update, context: Context) -> None:
    """Any button the bot does not recognise (old, malformed or forged)."""
    await answer_query(update, t("common.stale_button"))
