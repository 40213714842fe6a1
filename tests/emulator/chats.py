"""One chat as both sides see it: its messages, the bot's edits and answers, who waits on it.

A message is kept as the JSON dict the real Bot API returns (:class:`StoredMessage`), current
through the bot's edits; each new bot message and each edit is also an event in its chat, in
the order they happened, so a reader (a test, the terminal chat) can follow the chat. Whoever
waits for a change (a long poll, ``user.next_message()``) waits on a :class:`Signal`, fired on
every change, and re-checks its own condition.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

from tests.emulator.protocol import JsonDict


class Signal:
    """Wakes every coroutine waiting for "something changed"; waiters re-check their condition."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self) -> None:
        """Return on the next :meth:`fire`; callers bound the wait with ``asyncio.timeout``."""
        if self._event is None:
            self._event = asyncio.Event()
        await self._event.wait()


class StoredMessage:
    """One message as the real API would return it, kept current through edits."""

    __slots__ = ("bot_index", "chat", "data", "deleted", "from_bot", "paid_broadcast")

    def __init__(self, chat: ChatState, data: JsonDict, *, from_bot: bool) -> None:
        self.chat = chat
        self.data = data
        self.from_bot = from_bot
        self.deleted = False
        self.bot_index = -1  # position among the bot's messages in its chat
        # Sent with allow_paid_broadcast (Bot API 7.11); Telegram does not echo it back.
        self.paid_broadcast = False

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    @property
    def text(self) -> str:
        """The text, or the caption of a photo/document; empty for stickers and the like."""
        return str(self.data.get("text") or self.data.get("caption") or "")

    @property
    def entities(self) -> list[JsonDict]:
        return list(self.data.get("entities") or self.data.get("caption_entities") or [])

    @property
    def inline_keyboard(self) -> list[list[JsonDict]]:
        markup = self.data.get("reply_markup") or {}
        return list(markup.get("inline_keyboard", []))

    @property
    def buttons(self) -> list[list[str]]:
        """Inline button texts, row by row, as the person sees them."""
        return [[button["text"] for button in row] for row in self.inline_keyboard]

    def find_button(self, text: str | None = None, *, callback_data: str | None = None) -> JsonDict:
        for row in self.inline_keyboard:
            for button in row:
                if (text is not None and button.get("text") == text) or (
                    callback_data is not None and button.get("callback_data") == callback_data
                ):
                    return button
        wanted = repr(text) if text is not None else f"callback_data={callback_data!r}"
        raise LookupError(
            f"no button {wanted} on message {self.message_id} {self.text[:60]!r}; "
            f"buttons: {self.buttons}"
        )

    def to_dict(self) -> JsonDict:
        """A snapshot: later edits do not change it (updates carry the state at that time)."""
        return dict(self.data)

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        extra = f" buttons={self.buttons}" if self.inline_keyboard else ""
        return f"<message {self.message_id} from {who}: {self.text[:60]!r}{extra}>"


class ChatEvent(NamedTuple):
    kind: str  # "new" or "edit": what the bot did to a message in this chat
    message: StoredMessage


@dataclass(frozen=True)
class EditRecord:
    """The bot changed one of its messages."""

    message_id: int
    field: str  # "text", "caption" or "reply_markup"
    before: Any
    after: Any
    date: int
    # The message as this edit left it: its text and buttons at that moment (later edits
    # change the stored message, so a reader printing edits in order needs this).
    text: str = ""
    markup: Any = None


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for a button press (the spinner stops, a toast may show)."""

    query_id: str
    message_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass
class CallbackQueryRecord:
    query_id: str
    chat_id: int
    message_id: int
    data: str | None
    created: float  # monotonic seconds
    answer: CallbackAnswer | None = None


class ChatState:
    """Everything in one chat: its messages, the bot's edits and answers, and who waits on it."""

    def __init__(self, data: JsonDict) -> None:
        self.data = data
        self.id: int = data["id"]
        self.type: str = data["type"]
        self.last_message_id = 0
        self.messages: dict[int, StoredMessage] = {}
        self.bot_messages: list[StoredMessage] = []
        self.events: list[ChatEvent] = []
        self.edits: list[EditRecord] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[str] = []
        self.reply_keyboard: JsonDict | None = None
        self.blocked = False  # private chat: the person blocked the bot
        self.started = False  # private chat: the person has written to the bot
        self.changed = Signal()
        self.chat_instance = str(
            int.from_bytes(hashlib.blake2b(str(self.id).encode(), digest_size=8).digest()) >> 1
        )

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    def record(self, kind: str, message: StoredMessage) -> None:
        self.events.append(ChatEvent(kind, message))
        self.changed.fire()
