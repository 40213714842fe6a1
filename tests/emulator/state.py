"""The emulated Telegram world one bot sees: its people, chats, files and pending updates.

Both sides act on this one state: the Bot API methods (``messages.py``, ``media.py``,
``profile.py``: the bot's side) and the emulated people (``userside.py``). What a person does
is stored as a message in their chat and queued as the update Telegram would send: a message,
an edit, a button press (callback_query), blocking the bot (my_chat_member). It opens no
sockets; objects are kept as the JSON dicts the real Bot API returns, so answering a request
is a dict lookup and a ``json.dumps``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.emulator.chats import (
    CallbackAnswer,
    CallbackQueryRecord,
    ChatState,
    EditRecord,
    StoredMessage,
)
from tests.emulator.files import FileStore
from tests.emulator.protocol import JsonDict, bad_request
from tests.emulator.text import format_text
from tests.emulator.updates import UpdateQueue


@dataclass
class BotProfile:
    """What the bot set about itself: commands, name, descriptions, menu button."""

    commands: dict[str, list[JsonDict]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    menu_buttons: dict[int | None, JsonDict] = field(default_factory=dict)


class TelegramState:
    """The people, chats, files and updates one emulated bot can see."""

    def __init__(
        self,
        *,
        bot_id: int,
        bot_username: str,
        bot_name: str,
        clock: Callable[[], float] = time.time,
        callback_ttl: float = 15.0,
        group_privacy: bool = True,
    ) -> None:
        self.clock = clock
        self.callback_ttl = callback_ttl
        self.group_privacy = group_privacy
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.reset()

    def reset(self) -> None:
        self.users: dict[int, JsonDict] = {}
        self.chats: dict[int, ChatState] = {}
        self.chat_by_username: dict[str, ChatState] = {}
        self.updates = UpdateQueue()
        self.files = FileStore()
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.profile = BotProfile()
        self._query_ids = itertools.count(4_000_000_000_000_001)
        self._group_ids = itertools.count(1)

    def now(self) -> int:
        return int(self.clock())

    # people and chats

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JsonDict:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self.users[user_id] = user
        return user

    def private_chat(self, user: JsonDict) -> ChatState:
        chat = self.chats.get(user["id"])
        if chat is None:
            data = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    data[key] = user[key]
            chat = self._add_chat(data)
        return chat

    def add_group(self, chat_id: int | None, title: str, *, supergroup: bool) -> ChatState:
        number = next(self._group_ids)
        if chat_id is None:
            chat_id = -(1_000_000_000_000 + number) if supergroup else -(4_000_000 + number)
        kind = "supergroup" if supergroup else "group"
        return self._add_chat({"id": chat_id, "type": kind, "title": title})

    def add_channel(self, chat_id: int | None, title: str, username: str | None) -> ChatState:
        if chat_id is None:
            chat_id = -(1_000_000_000_000 + 500_000 + next(self._group_ids))
        data: JsonDict = {"id": chat_id, "type": "channel", "title": title}
        if username:
            data["username"] = username
        return self._add_chat(data)

    def _add_chat(self, data: JsonDict) -> ChatState:
        chat = ChatState(data)
        self.chats[chat.id] = chat
        if "username" in data:
            self.chat_by_username[str(data["username"]).lower()] = chat
        return chat

    def find_chat(self, chat_ref: Any) -> ChatState:
        """The chat a ``chat_id`` parameter names (number or ``@username``), or Telegram's error."""
        if chat_ref is None or chat_ref == "":
            raise bad_request("chat_id is empty")
        chat: ChatState | None = None
        if isinstance(chat_ref, str) and chat_ref.startswith("@"):
            chat = self.chat_by_username.get(chat_ref[1:].lower())
        else:
            try:
                chat = self.chats.get(int(chat_ref))
            except (TypeError, ValueError):
                chat = None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    # messages

    def store_message(
        self,
        chat: ChatState,
        content: JsonDict,
        *,
        sender: JsonDict | None,
        from_bot: bool,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Give ``content`` the chat's next message_id (shared by both sides) and keep it."""
        chat.last_message_id += 1
        data: JsonDict = {"message_id": chat.last_message_id}
        if sender is not None:
            data["from"] = sender
        else:  # channel posts are signed by the channel itself
            data["sender_chat"] = chat.data
        data["chat"] = chat.data
        data["date"] = self.now()
        if reply_to is not None:
            replied = reply_to.to_dict()
            replied.pop("reply_to_message", None)
            data["reply_to_message"] = replied
        data.update(content)
        message = StoredMessage(chat, data, from_bot=from_bot)
        chat.messages[message.message_id] = message
        if from_bot:
            message.bot_index = len(chat.bot_messages)
            chat.bot_messages.append(message)
            chat.record("new", message)
        return message

    def bot_edit(self, message: StoredMessage, changes: JsonDict, field_name: str) -> None:
        """Apply a bot's edit; keys mapped to None are removed (e.g. the keyboard)."""
        before = _edit_view(message.data, field_name)
        for key, value in changes.items():
            if value is None:
                message.data.pop(key, None)
            else:
                message.data[key] = value
        message.data["edit_date"] = self.now()
        after = _edit_view(message.data, field_name)
        message.chat.edits.append(
            EditRecord(
                message.message_id,
                field_name,
                before,
                after,
                message.data["edit_date"],
                text=message.text,
                markup=message.data.get("reply_markup"),
            )
        )
        message.chat.record("edit", message)

    # what people do: each action becomes an update for the bot

    def user_message(
        self,
        user: JsonDict,
        chat: ChatState,
        content: JsonDict,
        *,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        if chat.type == "private" and chat.blocked:
            # Writing to a blocked bot means pressing "Restart", which unblocks it first.
            self.set_blocked(user, chat, blocked=False)
        chat.started = True
        message = self.store_message(chat, content, sender=user, from_bot=False, reply_to=reply_to)
        if self._bot_sees(chat, message):
            self.updates.push("message", message.to_dict())
        return message

    def _bot_sees(self, chat: ChatState, message: StoredMessage) -> bool:
        """Group privacy mode: only commands and replies to the bot reach it in groups."""
        if not chat.is_group or not self.group_privacy:
            return True
        text = message.data.get("text", "")
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            target = command.partition("@")[2]
            return not target or target.lower() == self.bot_user["username"].lower()
        replied = message.data.get("reply_to_message")
        return bool(replied and replied.get("from", {}).get("id") == self.bot_user["id"])

    def user_edit(self, user: JsonDict, message: StoredMessage, text: str) -> StoredMessage:
        if message.from_bot or message.data.get("from", {}).get("id") != user["id"]:
            raise ValueError("a person can only edit their own messages")
        text, entities = format_text(text, None, None)
        message.data["text"] = text
        message.data.pop("entities", None)
        if entities:
            message.data["entities"] = entities
        message.data["edit_date"] = self.now()
        if self._bot_sees(message.chat, message):
            self.updates.push("edited_message", message.to_dict())
        return message

    def channel_post(self, chat: ChatState, content: JsonDict) -> StoredMessage:
        message = self.store_message(chat, content, sender=None, from_bot=False)
        self.updates.push("channel_post", message.to_dict())
        return message

    def press_button(self, user: JsonDict, message: StoredMessage, button: JsonDict) -> JsonDict:
        """A tap on an inline button with callback_data becomes a callback_query update."""
        if "callback_data" not in button:
            raise ValueError(f"button {button.get('text')!r} opens a link, it sends no callback")
        query_id = str(next(self._query_ids))
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id,
            message.chat.id,
            message.message_id,
            button["callback_data"],
            time.monotonic(),
        )
        query = {
            "id": query_id,
            "from": user,
            "message": message.to_dict(),
            "chat_instance": message.chat.chat_instance,
            "data": button["callback_data"],
        }
        self.updates.push("callback_query", query)
        return query

    def set_blocked(self, user: JsonDict, chat: ChatState, *, blocked: bool) -> None:
        """Blocking or unblocking the bot; Telegram tells the bot with a my_chat_member update."""
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        old_member: JsonDict = {"status": old, "user": self.bot_user}
        new_member: JsonDict = {"status": new, "user": self.bot_user}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        self.updates.push(
            "my_chat_member",
            {
                "chat": chat.data,
                "from": user,
                "date": self.now(),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    def answer_callback(
        self,
        query_id: str,
        *,
        text: str | None,
        show_alert: bool,
        url: str | None,
        cache_time: int,
    ) -> CallbackAnswer:
        query = self.callback_queries.get(query_id)
        too_old = query is not None and time.monotonic() - query.created > self.callback_ttl
        if query is None or query.answer is not None or too_old:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        answer = CallbackAnswer(
            query_id, query.message_id, query.data, text, show_alert, url, cache_time
        )
        query.answer = answer
        chat = self.chats.get(query.chat_id)
        if chat is not None:
            chat.callback_answers.append(answer)
            chat.changed.fire()
        return answer


def _edit_view(data: JsonDict, field_name: str) -> Any:
    if field_name == "reply_markup":
        return data.get("reply_markup")
    return data.get(field_name, "")
