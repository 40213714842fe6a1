"""The bot itself: getMe, its commands, name, descriptions and menu button, and getChat.

What the bot sets about itself (setMyCommands, setMyName, ...) is kept per scope and language
in the state's profile and read back by the matching get method, checked as Telegram checks it
(command names of 1-32 lowercase letters, digits and underscores; descriptions of 1-256
characters; a name of at most 64 characters).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from tests.emulator.protocol import Handler, JsonDict, Params, bad_request, bot_method

if TYPE_CHECKING:
    from tests.emulator.server import EmulatedBotApi

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


@bot_method("getMe")
async def _get_me(api: EmulatedBotApi, params: Params) -> JsonDict:
    return {
        **api.state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": not api.state.group_privacy,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@bot_method("logOut")
@bot_method("close")
async def _log_out(api: EmulatedBotApi, params: Params) -> bool:
    return True


def _commands_key(params: Params) -> str:
    scope = params.structured("scope", "bot command scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (params.text("language_code") or "")


@bot_method("setMyCommands")
async def _set_my_commands(api: EmulatedBotApi, params: Params) -> bool:
    commands = params.structured("commands", "bot commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse bot commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    checked = [{"command": c["command"], "description": c["description"]} for c in commands]
    api.state.profile.commands[_commands_key(params)] = checked
    return True


@bot_method("getMyCommands")
async def _get_my_commands(api: EmulatedBotApi, params: Params) -> list[JsonDict]:
    return api.state.profile.commands.get(_commands_key(params), [])


@bot_method("deleteMyCommands")
async def _delete_my_commands(api: EmulatedBotApi, params: Params) -> bool:
    api.state.profile.commands.pop(_commands_key(params), None)
    return True


def _profile_text(field: str, limit: int) -> tuple[Handler, Handler]:
    """setMyX / getMyX pairs for the bot's name and descriptions, per language."""

    async def set_text(api: EmulatedBotApi, params: Params) -> bool:
        value = params.text(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        api.state.profile.texts[f"{field}|{params.text('language_code') or ''}"] = value
        return True

    async def get_text(api: EmulatedBotApi, params: Params) -> JsonDict:
        key = f"{field}|{params.text('language_code') or ''}"
        default = api.state.bot_user["first_name"] if field == "name" else ""
        return {field: api.state.profile.texts.get(key, default)}

    return set_text, get_text


for _name, _field, _limit in (
    ("MyName", "name", 64),
    ("MyDescription", "description", 512),
    ("MyShortDescription", "short_description", 120),
):
    _setter, _getter = _profile_text(_field, _limit)
    bot_method(f"set{_name}")(_setter)
    bot_method(f"get{_name}")(_getter)


@bot_method("setChatMenuButton")
async def _set_chat_menu_button(api: EmulatedBotApi, params: Params) -> bool:
    button = params.structured("menu_button", "menu button") or {"type": "default"}
    api.state.profile.menu_buttons[params.chat_id_number()] = button
    return True


@bot_method("getChatMenuButton")
async def _get_chat_menu_button(api: EmulatedBotApi, params: Params) -> JsonDict:
    return api.state.profile.menu_buttons.get(params.chat_id_number(), {"type": "default"})


@bot_method("getChat")
async def _get_chat(api: EmulatedBotApi, params: Params) -> JsonDict:
    chat = api.state.find_chat(params.raw("chat_id"))
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat.data,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(gifts, False),
    }
