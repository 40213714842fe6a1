"""/privacy, /mydata, /delete, /settings, /language and their buttons: pv:*, set:*, lang:*."""

from __future__ import annotations

from telegram import Update

from bot.flows import language, privacy
from handlers.base import Context, act, answer_query


async def privacy_command(update: Update, context: Context) -> None:
    """/privacy: what is kept, and the choice to stop or allow it."""
    await act(update, context, privacy.show_privacy)


async def mydata(update: Update, context: Context) -> None:
    """/mydata: everything kept about the person, as files."""
    await act(update, context, privacy.export_data)


async def delete(update: Update, context: Context) -> None:
    """/delete: ask to confirm erasing everything."""
    await act(update, context, privacy.ask_to_erase)


async def settings(update: Update, context: Context) -> None:
    """/settings: region, level, reminders and time zone in one place."""
    await act(update, context, privacy.show_settings)


PRIVACY_ACTIONS = {
    "withdraw": privacy.withdraw_consent,
    "allow": privacy.allow_storage,
    "erase": privacy.erase,
    "keep": privacy.keep_data,
}


async def privacy_button(update: Update, context: Context) -> None:
    """pv:withdraw|allow|delete|erase|keep."""
    assert update.callback_query and update.callback_query.data
    action = update.callback_query.data.removeprefix("pv:")
    if action == "delete":
        await answer_query(update)
        await act(update, context, privacy.ask_to_erase)
        return
    flow = PRIVACY_ACTIONS.get(action)
    toast = await act(update, context, flow) if flow is not None else "?"
    await answer_query(update, toast)


async def settings_button(update: Update, context: Context) -> None:
    """set:region, set:level, set:level:<n>."""
    assert update.callback_query and update.callback_query.data
    parts = update.callback_query.data.split(":")
    toast: str | None = "?"
    if parts[1:] == ["region"]:
        toast = await act(update, context, privacy.change_region)
    elif parts[1:] == ["level"]:
        toast = await act(update, context, privacy.ask_level)
    elif len(parts) == 3 and parts[1] == "level" and parts[2].isdigit():
        toast = await act(update, context, privacy.choose_level, int(parts[2]))
    await answer_query(update, toast)


async def language_command(update: Update, context: Context) -> None:
    """/language: the list of languages."""
    await act(update, context, language.ask_language)


async def language_button(update: Update, context: Context) -> None:
    """lang:<code>."""
    assert update.callback_query and update.callback_query.data
    code = update.callback_query.data.removeprefix(language.CALLBACK)
    toast = await act(update, context, language.choose_language, code)
    await answer_query(update, toast)
