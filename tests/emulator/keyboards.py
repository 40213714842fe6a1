"""Keyboards under a message: the reply_markup parameter, checked as Telegram checks it.

:func:`reply_markup` reads the parameter (a JSON object, or a JSON string in a form) and
returns it in the shape it is stored in: an inline keyboard (buttons under the message, each
with an action: callback_data of 1-64 bytes, a URL, ...), a reply keyboard (buttons
that replace the person's keyboard), or an order to remove the keyboard or force a reply.
Anything else is refused with Telegram's words.
"""

from __future__ import annotations

import re
from typing import Any

from tests.emulator.protocol import JsonDict, Params, bad_request

_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_BUTTON_URL = re.compile(r"^(https?|tg)://\S+$")


def reply_markup(params: Params, *, inline_only: bool = False) -> JsonDict | None:
    markup = params.structured("reply_markup", "reply keyboard markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _inline_keyboard(markup["inline_keyboard"])
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        return _reply_keyboard(markup)
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return dict(markup)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_keyboard(rows: Any) -> JsonDict:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    checked = []
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not any(action in button for action in _INLINE_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if "callback_data" in button and (
                not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64
            ):
                raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not _BUTTON_URL.match(str(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")
        checked.append([dict(button) for button in row])
    return {"inline_keyboard": checked}


def _reply_keyboard(markup: JsonDict) -> JsonDict:
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    keyboard = []
    for row in rows:
        buttons = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
            buttons.append(dict(button))
        keyboard.append(buttons)
    return {**markup, "keyboard": keyboard}
