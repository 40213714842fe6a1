"""Message text as Telegram stores it: HTML parse mode, trimming, automatic entities, limits.

:func:`format_text` is the one entry: the raw text and its ``parse_mode`` or ``entities`` in,
the stored text and entities out, or the error Telegram would give. HTML is parsed into plain
text plus entities (errors worded like Telegram's ``can't parse entities``), surrounding
whitespace is trimmed, and commands, mentions, hashtags and links are detected as entities.
Offsets and lengths count UTF-16 code units, as Telegram's do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.emulator.protocol import ApiError, JsonDict, bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


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
