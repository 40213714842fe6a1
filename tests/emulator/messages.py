"""Messages the bot sends, edits and deletes, and its answers to button presses.

A send checks the chat (the bot may not write first to a person, nor to one who blocked it),
formats the text (``text.py``), checks the keyboard (``keyboards.py``) and the message it
replies to, then stores the message in the chat, where the person sees it. An edit changes a
stored bot message in place and is recorded as an event, so a reader sees each edit in the
order made; an edit that changes nothing is refused ("message is not modified"), and an edit
without reply_markup drops the inline keyboard, both as on Telegram.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.emulator.chats import ChatState, StoredMessage
from tests.emulator.keyboards import reply_markup
from tests.emulator.protocol import ApiError, JsonDict, Params, bad_request, bot_method
from tests.emulator.text import format_text

if TYPE_CHECKING:
    from tests.emulator.server import EmulatedBotApi
    from tests.emulator.state import TelegramState

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


# --- shared by the sending methods (and media.py) -------------------------------------------------


def chat_to_send_to(state: TelegramState, params: Params) -> ChatState:
    """The chat a send goes to; 403 where Telegram forbids the bot to write."""
    chat = state.find_chat(params.raw("chat_id"))
    if chat.type == "private":
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    return chat


def reply_target(chat: ChatState, params: Params) -> StoredMessage | None:
    """The message a send replies to (reply_parameters or the older reply_to_message_id)."""
    reply = params.structured("reply_parameters", "reply parameters")
    allow_missing = params.flag("allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = params.integer("reply_to_message_id")
    if message_id is None:
        return None
    target = chat.messages.get(int(message_id))
    if target is None or target.deleted:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return target


def caption_content(params: Params) -> JsonDict:
    """A media message's caption and caption_entities, formatted like a message's text."""
    raw = params.raw("caption")
    if raw is None:
        return {}
    text, entities = format_text(
        raw,
        params.text("parse_mode"),
        params.structured("caption_entities", "caption entities"),
        caption=True,
    )
    content: JsonDict = {}
    if text:
        content["caption"] = text
        if entities:
            content["caption_entities"] = entities
    return content


def post(
    state: TelegramState,
    chat: ChatState,
    content: JsonDict,
    params: Params,
    markup: JsonDict | None,
) -> JsonDict:
    """Store a bot message with its keyboard; return the Message object."""
    reply_to = reply_target(chat, params)
    if markup is not None and "inline_keyboard" in markup:
        content["reply_markup"] = markup
    message = state.store_message(
        chat, content, sender=state.bot_user, from_bot=True, reply_to=reply_to
    )
    message.paid_broadcast = params.flag("allow_paid_broadcast")
    if markup is not None and "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup is not None and markup.get("remove_keyboard"):
        chat.reply_keyboard = None
    return message.to_dict()


def message_to_edit(state: TelegramState, params: Params) -> StoredMessage:
    """The bot message an edit names, or Telegram's error (inline messages are not emulated)."""
    if params.raw("inline_message_id") is not None:
        raise bad_request("MESSAGE_ID_INVALID")
    chat = state.find_chat(params.raw("chat_id"))
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def edit(state: TelegramState, message: StoredMessage, changes: JsonDict, field: str) -> JsonDict:
    """Apply an edit and return the edited Message; an edit that changes nothing is refused."""
    if all(message.data.get(key) == value for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    state.bot_edit(message, changes, field)
    return message.to_dict()


# --- the methods ----------------------------------------------------------------------------------


@bot_method("sendMessage")
async def _send_message(api: EmulatedBotApi, params: Params) -> JsonDict:
    chat = chat_to_send_to(api.state, params)
    text, entities = format_text(
        params.raw("text"), params.text("parse_mode"), params.structured("entities", "entities")
    )
    markup = reply_markup(params)
    content: JsonDict = {"text": text}
    if entities:
        content["entities"] = entities
    return post(api.state, chat, content, params, markup)


@bot_method("editMessageText")
async def _edit_message_text(api: EmulatedBotApi, params: Params) -> JsonDict:
    message = message_to_edit(api.state, params)
    if "text" not in message.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = format_text(
        params.raw("text"), params.text("parse_mode"), params.structured("entities", "entities")
    )
    # Like Telegram: an edit without reply_markup removes the inline keyboard.
    markup = reply_markup(params, inline_only=True)
    changes = {"text": text, "entities": entities or None, "reply_markup": markup}
    return edit(api.state, message, changes, "text")


@bot_method("editMessageCaption")
async def _edit_message_caption(api: EmulatedBotApi, params: Params) -> JsonDict:
    message = message_to_edit(api.state, params)
    if "text" in message.data:
        raise bad_request("there is no caption in the message to edit")
    caption = caption_content(params)
    markup = reply_markup(params, inline_only=True)
    changes = {
        "caption": caption.get("caption"),
        "caption_entities": caption.get("caption_entities"),
        "reply_markup": markup,
    }
    return edit(api.state, message, changes, "caption")


@bot_method("editMessageReplyMarkup")
async def _edit_message_reply_markup(api: EmulatedBotApi, params: Params) -> JsonDict:
    message = message_to_edit(api.state, params)
    markup = reply_markup(params, inline_only=True)
    return edit(api.state, message, {"reply_markup": markup}, "reply_markup")


@bot_method("deleteMessage")
async def _delete_message(api: EmulatedBotApi, params: Params) -> bool:
    chat = api.state.find_chat(params.raw("chat_id"))
    message_id = params.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    chat.changed.fire()
    return True


@bot_method("deleteMessages")
async def _delete_messages(api: EmulatedBotApi, params: Params) -> bool:
    chat = api.state.find_chat(params.raw("chat_id"))
    message_ids = params.structured("message_ids", "message identifiers")
    if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
        raise bad_request("message identifiers are not specified")
    for message_id in message_ids:
        message = chat.messages.get(int(message_id))
        if message is not None:
            message.deleted = True
    chat.changed.fire()
    return True


@bot_method("answerCallbackQuery")
async def _answer_callback_query(api: EmulatedBotApi, params: Params) -> bool:
    api.state.answer_callback(
        params.text("callback_query_id") or "",
        text=params.text("text"),
        show_alert=params.flag("show_alert"),
        url=params.text("url"),
        cache_time=params.integer("cache_time") or 0,
    )
    return True


@bot_method("sendChatAction")
async def _send_chat_action(api: EmulatedBotApi, params: Params) -> bool:
    chat = chat_to_send_to(api.state, params)
    action = params.text("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.chat_actions.append(action)
    return True
