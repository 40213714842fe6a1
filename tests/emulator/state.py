"""The emulated Telegram world: people, chats, messages, files and pending updates.

Both sides act on this one state: the Bot API methods in ``emulator.py`` (the bot's side)
and the emulated people in ``userside.py``. It opens no sockets; coroutines that wait for
something to happen use :class:`Signal`. Objects are kept as the JSON dicts the real Bot API
returns, so answering a request is a dict lookup and a ``json.dumps``.

Message text follows Telegram's rules: HTML is parsed into plain text plus entities (errors
worded like Telegram's ``can't parse entities``), surrounding whitespace is trimmed, and
commands, mentions, hashtags and links are detected as entities.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

JsonDict = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

# Update kinds a bot gets when it never said otherwise (Bot API, getUpdates.allowed_updates).
ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}


class ApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional ``retry_after``."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


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


# --- message text: HTML parse mode, trimming, automatic entities ------------------------------


def utf16_len(text: str) -> int:
    """Entity offsets and lengths are counted in UTF-16 code units, as Telegram does."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});")
_NAME_RE = re.compile(r"[a-zA-Z0-9-]*")
_SPECIAL_RE = re.compile(r"[<&]")
_ATTR_RE = re.compile(r"[a-zA-Z0-9_-]*")
_TRIM = " \t\r\n"


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str]
    language: str | None = None


def _decode_entity(source: str, i: int) -> tuple[str | None, int]:
    match = _ENTITY_RE.match(source, i)
    if match is None:
        return None, i
    body = match.group(1)
    if body[0] != "#":
        return _NAMED_ENTITIES.get(body), match.end()
    code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
    if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None, i
    return chr(code), match.end()


def _decode_all(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        decoded, _ = _decode_entity(match.string, match.start())
        return decoded if decoded is not None else match.group(0)

    return _ENTITY_RE.sub(replace, value)


class _HtmlParser:
    """Telegram's HTML subset; unknown tags and unbalanced tags are errors, like the real API."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out: list[str] = []
        self.pos = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JsonDict] = []

    def error(self, message: str) -> ApiError:
        return bad_request(f"can't parse entities: {message}")

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.pos += utf16_len(text)

    def parse(self) -> tuple[str, list[JsonDict]]:
        source, i, n = self.source, 0, len(self.source)
        while i < n:
            ch = source[i]
            if ch == "&":
                decoded, end = _decode_entity(source, i)
                if decoded is not None:
                    self.emit(decoded)
                    i = end
                    continue
                self.emit(ch)  # a lone "&" is kept as text, like Telegram
                i += 1
            elif ch == "<":
                i = self.end_tag(i) if source.startswith("</", i) else self.start_tag(i)
            else:
                special = _SPECIAL_RE.search(source, i)
                end = special.start() if special else n
                self.emit(source[i:end])
                i = end
        if self.stack:
            name = self.stack[-1].name
            raise self.error(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def skip_spaces(self, i: int) -> int:
        while i < len(self.source) and self.source[i] in _TRIM:
            i += 1
        return i

    def start_tag(self, begin: int) -> int:
        source = self.source
        name_match = _NAME_RE.match(source, begin + 1)
        assert name_match is not None  # the pattern also matches the empty string
        name = name_match.group(0).lower()
        if name not in _TAG_ENTITY:
            raise self.error(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        i, attrs = name_match.end(), {}
        while True:
            i = self.skip_spaces(i)
            if i >= len(source):
                raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if source[i] == ">":
                i += 1
                break
            attr_match = _ATTR_RE.match(source, i)
            assert attr_match is not None
            attr = attr_match.group(0).lower()
            if not attr:
                raise self.error(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            i = self.skip_spaces(attr_match.end())
            value = ""
            if i < len(source) and source[i] == "=":
                i = self.skip_spaces(i + 1)
                if i < len(source) and source[i] in "\"'":
                    close = source.find(source[i], i + 1)
                    if close < 0:
                        raise self.error(
                            f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                        )
                    value, i = source[i + 1 : close], close + 1
                else:
                    end = i
                    while end < len(source) and source[end] not in " \t\r\n>":
                        end += 1
                    value, i = source[i:end], end
            attrs[attr] = _decode_all(value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_OpenTag(name, self.pos, attrs))
        return i

    def end_tag(self, begin: int) -> int:
        name_match = _NAME_RE.match(self.source, begin + 2)
        assert name_match is not None
        name = name_match.group(0).lower()
        i = self.skip_spaces(name_match.end())
        if i >= len(self.source) or self.source[i] != ">":
            raise self.error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        tag = self.stack.pop()
        if tag.name != name:
            raise self.error(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        self.close(tag)
        return i + 1

    def close(self, tag: _OpenTag) -> None:
        length = self.pos - tag.start
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> gives one pre entity with a language.
            language = tag.attrs.get("class", "")
            if language.startswith("language-"):
                parent.language = language.removeprefix("language-")
            return
        if length <= 0:
            return
        entity: JsonDict = {"type": _TAG_ENTITY[tag.name], "offset": tag.start, "length": length}
        if tag.name == "a":
            href = tag.attrs.get("href")
            if not href:
                return
            entity["url"] = href
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
        self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Plain text and entities of a text sent with ``parse_mode=HTML``."""
    return _HtmlParser(source).parse()


def _trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Telegram drops leading and trailing whitespace; entities move and shrink with the text."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    left = utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - left)
        end = min(total, entity["offset"] + entity["length"] - left)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


_AUTO_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/]))"
    r"|(?P<url>\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
    r"|(?P<mention>(?<![\w@])@[a-zA-Z0-9_]{4,32}\b)"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
)
# Auto-detected entities are not added inside these formatted spans, like Telegram.
_OPAQUE_ENTITIES = frozenset({"code", "pre", "text_link", "url", "text_mention"})


def detect_entities(text: str, existing: Iterable[JsonDict] = ()) -> list[JsonDict]:
    """Commands, links, mentions and hashtags that Telegram marks up in any message."""
    opaque = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _OPAQUE_ENTITIES
    ]
    found = []
    for match in _AUTO_ENTITY_RE.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        start = utf16_len(text[: match.start()])
        length = utf16_len(match.group(0))
        if any(start < end and begin < start + length for begin, end in opaque):
            continue
        found.append({"type": kind, "offset": start, "length": length})
    return found


def format_text(
    raw: Any,
    parse_mode: str | None,
    entities: list[JsonDict] | None,
    *,
    caption: bool = False,
) -> tuple[str, list[JsonDict]]:
    """Text and entities as Telegram would store them, or the error Telegram would give."""
    text = "" if raw is None else str(raw)
    mode = (parse_mode or "").lower()
    if mode == "html":
        text, parsed = parse_html(text)
    elif mode in ("", "markdown", "markdownv2"):
        # Markdown modes are kept literally: the bot is written for HTML parse mode.
        parsed = _checked_entities(entities or [])
    else:
        raise bad_request("unsupported parse_mode")
    text, parsed = _trim(text, parsed)
    if not text and not caption:
        raise bad_request("message text is empty")
    if len(text) > (CAPTION_LIMIT if caption else TEXT_LIMIT):
        raise bad_request("message caption is too long" if caption else "message is too long")
    merged = parsed + detect_entities(text, parsed)
    merged.sort(key=lambda e: (e["offset"], -e["length"]))
    return text, merged


def _checked_entities(entities: Any) -> list[JsonDict]:
    if not isinstance(entities, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and isinstance(e.get("offset"), int)
        and isinstance(e.get("length"), int)
        for e in entities
    ):
        raise bad_request("can't parse entities JSON object")
    return [dict(e) for e in entities]


# --- files -------------------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG, GIF, BMP or WebP image; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"BM") and len(data) >= 26:
        width = int.from_bytes(data[18:22], "little", signed=True)
        return width, abs(int.from_bytes(data[22:26], "little", signed=True))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(
                data[27:30], "little"
            )
        if chunk == b"VP8 ":
            return (
                int.from_bytes(data[26:28], "little") & 0x3FFF,
                int.from_bytes(data[28:30], "little") & 0x3FFF,
            )
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            return int.from_bytes(data[i + 7 : i + 9], "big"), height
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


@dataclass
class StoredFile:
    """One uploaded file; every file_id Telegram hands out resolves to one of these."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)


# file_id prefixes close to Telegram's, so ids look like the real thing in logs.
_FILE_ID_PREFIX = {
    "photos": "AgAC",
    "documents": "BQAC",
    "stickers": "CAAC",
    "voice": "AwAC",
    "animations": "CgAC",
}


class FileStore:
    """Bytes of every photo, document, sticker and voice note, by file_id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)
        # Bytes the bot uploaded, by SHA-256: more than 1 is the same file uploaded again.
        self.uploads: Counter[str] = Counter()
        # A photo's sizes by any of their file_ids: re-sending by file_id shows the same photo.
        self.photo_sizes: dict[str, list[JsonDict]] = {}

    def uploaded(self, data: bytes) -> None:
        self.uploads[hashlib.sha256(data).hexdigest()] += 1

    def add(
        self,
        data: bytes,
        *,
        folder: str,
        extension: str,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        digest = hashlib.blake2b(f"{folder}{number}".encode(), digest_size=16).hexdigest()
        stored = StoredFile(
            file_id=f"{_FILE_ID_PREFIX.get(folder, 'BAAC')}AgAD{digest}{number}",
            file_unique_id=f"AQAD{number}",
            data=data,
            file_path=f"{folder}/file_{number}.{extension}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def forget(self, file_id: str) -> None:
        """Tests: a file_id Telegram no longer accepts (another bot's, or expired)."""
        stored = self._by_id.pop(file_id, None)
        if stored is not None:
            self._by_path.pop(stored.file_path, None)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def read(self, file_id: str) -> bytes:
        """The bytes behind a file_id from any message (raises KeyError if unknown)."""
        return self._by_id[file_id].data

    def of_message(self, message: StoredMessage) -> bytes:
        """The bytes of a message's photo (largest size), document, sticker or voice note."""
        data = message.data
        if "photo" in data:
            return self.read(data["photo"][-1]["file_id"])
        for kind in ("document", "sticker", "voice", "audio", "video", "animation"):
            if kind in data:
                return self.read(data[kind]["file_id"])
        raise KeyError(f"message {message.message_id} has no file")

    def __getitem__(self, file_id: str) -> StoredFile:
        return self._by_id[file_id]

    def __contains__(self, file_id: object) -> bool:
        return file_id in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)


_PHOTO_SIDES = (90, 320, 800, 1280, 2560)


def photo_sizes(files: FileStore, data: bytes, width: int, height: int) -> list[JsonDict]:
    """PhotoSize list like Telegram's thumbnails (all sizes share the original bytes)."""
    longest = max(width, height, 1)
    sides = [side for side in _PHOTO_SIDES if side < longest] + [min(longest, 2560)]
    sizes = []
    for side in sides:
        scale = side / longest
        stored = files.add(data, folder="photos", extension="jpg", mime_type="image/jpeg")
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": max(1, round(len(data) * scale * scale)),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            }
        )
    for size in sizes:
        files.photo_sizes[str(size["file_id"])] = sizes
    return sizes


# --- chats and messages ------------------------------------------------------------------------


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


# --- the pending updates -----------------------------------------------------------------------


class UpdateQueue:
    """Updates not yet confirmed by the bot, oldest first, with Telegram's offset rules."""

    def __init__(self) -> None:
        self.pending: OrderedDict[int, JsonDict] = OrderedDict()
        self.next_id = 1
        self.allowed: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.signal = Signal()
        self.listeners: list[Callable[[JsonDict], None]] = []

    def set_allowed(self, types: Any) -> None:
        """None keeps the previous choice; an empty list means the default set."""
        if types is None:
            return
        if not isinstance(types, list):
            raise bad_request("can't parse allowed updates JSON object")
        chosen = frozenset(str(kind) for kind in types) & ALL_UPDATE_TYPES
        self.allowed = chosen or DEFAULT_UPDATE_TYPES

    def push(self, kind: str, payload: JsonDict) -> JsonDict | None:
        """Queue an update unless its kind is filtered out (then it is lost, as on Telegram)."""
        if kind not in self.allowed:
            return None
        update = {"update_id": self.next_id, kind: payload}
        self.pending[self.next_id] = update
        self.next_id += 1
        self.signal.fire()
        for listener in self.listeners:
            listener(update)
        return update

    def confirm(self, offset: int) -> None:
        pending = self.pending
        if offset > 0:
            while pending and next(iter(pending)) < offset:
                pending.popitem(last=False)
        elif offset < 0:
            while len(pending) > -offset:
                pending.popitem(last=False)

    def peek(self, limit: int) -> list[JsonDict]:
        return list(itertools.islice(self.pending.values(), limit))

    def remove(self, update_id: int) -> None:
        self.pending.pop(update_id, None)

    def clear(self) -> None:
        self.pending.clear()


def update_chat_key(update: JsonDict) -> int:
    """The chat (or person) an update belongs to: webhook deliveries keep order per key."""
    for kind, payload in update.items():
        if kind == "update_id" or not isinstance(payload, dict):
            continue
        if "chat" in payload:
            return int(payload["chat"]["id"])
        message = payload.get("message")
        if isinstance(message, dict) and "chat" in message:
            return int(message["chat"]["id"])
        if "from" in payload:
            return int(payload["from"]["id"])
    return 0


# --- the whole world ---------------------------------------------------------------------------


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
