"""The people on the other side of the emulated Bot API, for tests written like a conversation.

A :class:`TelegramUser` is one person in a private chat with the bot: they send text,
stickers, photos, voice notes and locations, edit their messages, press inline buttons, tap
reply-keyboard buttons and block the bot. Each action becomes the update the real Telegram
would send. Reading is what the person sees: the bot's messages in order, with their current
text after edits.

Waiting is event-driven (no sleep polling) and uses cursors, so a test reads as a dialogue::

    await user.send("/start")
    hello = await user.next_message()        # the first bot message not yet returned
    await user.press(hello, "Yes")
    await user.wait_for("How bad is the pain")  # skips ahead to a message (or edit) matching

``next_message`` returns each new bot message once, in order. ``wait_for`` looks at new
messages and edits since its last match and returns the first whose current state matches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.emulator.chats import CallbackAnswer, ChatState, EditRecord, StoredMessage
from tests.emulator.files import photo_sizes, sniff_image, tiny_png
from tests.emulator.protocol import JsonDict
from tests.emulator.state import TelegramState
from tests.emulator.text import format_text

MessageMatch = str | Callable[[StoredMessage], bool]


class ChatView:
    """One chat as a person sees it, with awaitable "the bot said something" helpers."""

    def __init__(self, state: TelegramState, chat: ChatState) -> None:
        self._state = state
        self._chat = chat
        self._new_cursor = 0  # next index into chat.bot_messages for next_message
        self._event_cursor = 0  # next index into chat.events for wait_for

    @property
    def chat_id(self) -> int:
        return self._chat.id

    @property
    def chat(self) -> ChatState:
        return self._chat

    def messages(self) -> list[StoredMessage]:
        """The bot's messages in this chat, oldest first, as they look now (deleted ones gone)."""
        return [m for m in self._chat.bot_messages if not m.deleted]

    def history(self) -> list[StoredMessage]:
        """Every message in the chat from both sides, oldest first."""
        return [m for m in self._chat.messages.values() if not m.deleted]

    def last_message(self) -> StoredMessage | None:
        messages = self.messages()
        return messages[-1] if messages else None

    def edits(self) -> list[EditRecord]:
        return list(self._chat.edits)

    def callback_answers(self) -> list[CallbackAnswer]:
        return list(self._chat.callback_answers)

    def chat_actions(self) -> list[str]:
        """Chat actions the bot sent ("typing", "upload_photo", ...), oldest first."""
        return list(self._chat.chat_actions)

    def skip_pending(self) -> None:
        """Treat everything the bot has said so far as already read."""
        self._new_cursor = len(self._chat.bot_messages)
        self._event_cursor = len(self._chat.events)

    # The brief asks for ``timeout=`` parameters on these helpers, hence the noqa (ASYNC109).

    async def next_message(self, timeout: float = 5.0) -> StoredMessage:  # noqa: ASYNC109
        """The next new bot message not yet returned; waits up to ``timeout`` seconds for it."""
        chat = self._chat
        try:
            async with asyncio.timeout(timeout):
                while True:
                    while self._new_cursor < len(chat.bot_messages):
                        message = chat.bot_messages[self._new_cursor]
                        self._new_cursor += 1
                        if not message.deleted:
                            return message
                    await chat.changed.wait()
        except TimeoutError:
            raise TimeoutError(self._silence("a new message", timeout)) from None

    async def wait_for(
        self,
        match: MessageMatch,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> StoredMessage:
        """The first bot message, new or edited since the last match, that ``match`` accepts.

        ``match`` is a substring of the text (or caption) or a predicate on the message.
        """
        accepts = match if callable(match) else (lambda m: match in m.text)
        chat = self._chat
        index = self._event_cursor  # committed only on a match, so a timeout loses nothing
        try:
            async with asyncio.timeout(timeout):
                while True:
                    while index < len(chat.events):
                        kind, message = chat.events[index]
                        index += 1
                        already_read = kind == "new" and message.bot_index < self._new_cursor
                        if message.deleted or already_read or not accepts(message):
                            continue
                        self._event_cursor = index
                        if kind == "new":
                            self._new_cursor = max(self._new_cursor, message.bot_index + 1)
                        return message
                    await chat.changed.wait()
        except TimeoutError:
            raise TimeoutError(self._silence(f"a message matching {match!r}", timeout)) from None

    async def wait_for_answer(
        self,
        query: JsonDict | str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """The bot's answerCallbackQuery for a button press."""
        query_id = query if isinstance(query, str) else str(query["id"])
        record = self._state.callback_queries[query_id]
        try:
            async with asyncio.timeout(timeout):
                while record.answer is None:
                    await self._chat.changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not answer callback query {query_id} in {timeout}s"
            ) from None
        return record.answer

    def _silence(self, wanted: str, timeout: float) -> str:
        recent = [repr(m) for m in self.messages()[-3:]]
        return f"waited {timeout}s for {wanted} in chat {self.chat_id}; last bot messages: {recent}"


class GroupChat(ChatView):
    """A group or supergroup the bot is in; people write to it with ``user.send(..., chat=)``."""

    @property
    def title(self) -> str:
        return str(self._chat.data["title"])


class Channel(ChatView):
    """A channel where the bot reads posts."""

    async def post(self, text: str) -> StoredMessage:
        text, entities = format_text(text, None, None)
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._state.channel_post(self._chat, content)


class TelegramUser(ChatView):
    """One person and their private chat with the bot."""

    def __init__(self, state: TelegramState, user: JsonDict) -> None:
        super().__init__(state, state.private_chat(user))
        self.user = user

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def first_name(self) -> str:
        return str(self.user["first_name"])

    def _target(self, chat: ChatView | None) -> ChatState:
        return self._chat if chat is None else chat.chat

    def _post(
        self, content: JsonDict, chat: ChatView | None, reply_to: StoredMessage | None = None
    ) -> StoredMessage:
        return self._state.user_message(self.user, self._target(chat), content, reply_to=reply_to)

    async def send(
        self,
        text: str,
        *,
        chat: ChatView | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Write a text message; commands get their bot_command entity like in a real client."""
        text, entities = format_text(text, None, None)
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._post(content, chat, reply_to)

    async def send_sticker(
        self, emoji: str = "👍", *, chat: ChatView | None = None
    ) -> StoredMessage:
        stored = self._state.files.add(
            b"RIFF\x00\x00\x00\x00WEBPVP8 ", folder="stickers", extension="webp"
        )
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.file_size,
        }
        return self._post({"sticker": sticker}, chat)

    async def send_photo(
        self,
        data: bytes | None = None,
        *,
        caption: str | None = None,
        chat: ChatView | None = None,
    ) -> StoredMessage:
        data = data if data is not None else tiny_png()
        picture = sniff_image(data)
        width, height = (picture.width, picture.height) if picture else (1, 1)
        content: JsonDict = {"photo": photo_sizes(self._state.files, data, width, height)}
        self._add_caption(content, caption)
        return self._post(content, chat)

    async def send_document(
        self,
        data: bytes,
        *,
        file_name: str = "file.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        chat: ChatView | None = None,
    ) -> StoredMessage:
        extension = file_name.rpartition(".")[2] or "bin"
        stored = self._state.files.add(
            data, folder="documents", extension=extension, file_name=file_name, mime_type=mime_type
        )
        document = {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }
        content: JsonDict = {"document": document}
        self._add_caption(content, caption)
        return self._post(content, chat)

    async def send_voice(self, duration: int = 2, *, chat: ChatView | None = None) -> StoredMessage:
        stored = self._state.files.add(b"OggS" + bytes(60), folder="voice", extension="oga")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.file_size,
        }
        return self._post({"voice": voice}, chat)

    async def send_location(
        self, latitude: float = 51.5, longitude: float = -0.12, *, chat: ChatView | None = None
    ) -> StoredMessage:
        return self._post({"location": {"latitude": latitude, "longitude": longitude}}, chat)

    async def send_contact(
        self, phone_number: str = "+440000000000", *, chat: ChatView | None = None
    ) -> StoredMessage:
        contact = {
            "phone_number": phone_number,
            "first_name": self.first_name,
            "user_id": self.id,
        }
        return self._post({"contact": contact}, chat)

    def _add_caption(self, content: JsonDict, caption: str | None) -> None:
        if caption:
            text, entities = format_text(caption, None, None, caption=True)
            content["caption"] = text
            if entities:
                content["caption_entities"] = entities

    async def edit(self, message: StoredMessage, text: str) -> StoredMessage:
        """Edit one of this person's own messages; the bot gets an edited_message update."""
        return self._state.user_edit(self.user, message, text)

    async def press(
        self,
        message: StoredMessage,
        text: str | None = None,
        *,
        callback_data: str | None = None,
    ) -> JsonDict:
        """Tap an inline button (by its text or callback_data) on a bot message.

        Returns the CallbackQuery sent to the bot; raises LookupError if the button is not
        on the message as it looks now.
        """
        if text is None and callback_data is None:
            raise ValueError("say which button: its text or callback_data")
        current = message.chat.messages.get(message.message_id)
        if current is None or current.deleted or not current.from_bot:
            raise LookupError(f"message {message.message_id} is not a bot message in this chat")
        button = current.find_button(text, callback_data=callback_data)
        return self._state.press_button(self.user, current, button)

    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard the bot is showing in this chat, as rows of button texts."""
        markup = self._chat.reply_keyboard
        if markup is None:
            return None
        return [[button["text"] for button in row] for row in markup["keyboard"]]

    async def choose(self, text: str) -> StoredMessage:
        """Tap a reply-keyboard button: sends its text (or the contact/location it asks for)."""
        markup = self._chat.reply_keyboard
        buttons = [b for row in (markup or {}).get("keyboard", []) for b in row]
        button = next((b for b in buttons if b["text"] == text), None)
        if markup is None or button is None:
            raise LookupError(
                f"no reply keyboard button {text!r}; keyboard: {self.reply_keyboard()}"
            )
        if markup.get("one_time_keyboard"):
            self._chat.reply_keyboard = None
        if button.get("request_contact"):
            return await self.send_contact()
        if button.get("request_location"):
            return await self.send_location()
        return await self.send(text)

    async def block(self) -> None:
        """Block the bot: its sends to this person now fail with 403 Forbidden."""
        self._state.set_blocked(self.user, self._chat, blocked=True)

    async def unblock(self) -> None:
        self._state.set_blocked(self.user, self._chat, blocked=False)
