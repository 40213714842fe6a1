"""Message text as Telegram stores it: HTML parse mode, trimming, automatic entities, limits.

:func:`format_text` is the one entry: the raw text and its ``parse_mode`` or ``entities`` in,
the stored text and entities out, or the error Telegram would give. HTML is read with the
standard library's ``html.parser`` and Telegram's rules on top, into plain text plus entities
(errors worded like Telegram's ``can't parse entities``); surrounding whitespace is trimmed,
and commands, mentions, hashtags and links are detected as entities.
Offsets and lengths count UTF-16 code units, as Telegram's do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
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
# The only named references Telegram decodes ("&nbsp;" and the like stay as they are), and
# numeric ones; a reference without its ";" counts too.
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]*)|#([0-9]*)|([a-zA-Z]*));?")
_TRIM = " \t\r\n"
# Telegram reads a tag's name up to a space or ">"; it names that in its errors.
_TAG_NAME = re.compile(r"[^\s>]*")
# In a start tag: quoted values (skipped) and unquoted ones, which must be name tokens.
_ATTRIBUTE_VALUES = re.compile(r"""\"[^\"]*\"|'[^']*'|=\s*([^\s\"'>]+)""")
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.-]*")


def _decode_reference(match: re.Match[str]) -> str:
    hexadecimal, decimal, name = match.groups()
    if name is not None:
        decoded = _NAMED_REFERENCES.get(name)
        return match.group(0) if decoded is None else decoded
    digits = hexadecimal if hexadecimal is not None else decimal
    code = int(digits, 16 if hexadecimal is not None else 10) if digits else 0
    if not 0 < code < 0x10FFFF or len(digits) > (6 if hexadecimal is not None else 7):
        return match.group(0)  # not a character: kept as written, as Telegram does
    if 0xD800 <= code <= 0xDFFF:
        raise bad_request(
            "can't parse entities: Text contains invalid Unicode characters after decoding "
            "HTML entities, check for unmatched surrogate code units"
        )
    return chr(code)


def decode_references(text: str) -> str:
    """``text`` with its character references decoded the way Telegram decodes them."""
    return _REFERENCE.sub(_decode_reference, text) if "&" in text else text


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the output
    attrs: dict[str, str | None]
    language: str | None = None


class _TelegramHtml(HTMLParser):
    """Telegram's HTML subset, read with the standard library's HTML parser.

    The stdlib finds the tags and their attributes; this class keeps Telegram's rules on top
    (its Bot API server's ``parse_html`` in tdlib): only the tags the Bot API lists, every tag
    closed in order, a "<" that starts no tag refused, each error in Telegram's words at its
    byte offset, and text decoded with :func:`decode_references` from the source (the stdlib
    would decode every HTML5 name, "&nbsp;" too). Known differences, all refusals of text
    Telegram accepts or too kind to attribute values: ``</>`` (close the innermost tag) is
    dropped by the stdlib, so its tag counts as unclosed; attribute values decode every HTML5
    reference and keep their case.
    """

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.lines = [0] + [i + 1 for i, char in enumerate(source) if char == "\n"]
        self.out: list[str] = []
        self.pos = 0  # UTF-16 length of the output so far
        self.stack: list[_OpenTag] = []
        self.entities: list[JsonDict] = []

    def parse(self) -> tuple[str, list[JsonDict]]:
        self.feed(self.source)
        if self.rawdata:  # the stdlib holds back what is unfinished at the end
            self.handle_data(self.rawdata)
        if self.stack:
            name = self.stack[-1].name
            raise self.error(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    # where the construct being handled starts, and errors that name it

    def index(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def error(self, message: str) -> ApiError:
        return bad_request(f"can't parse entities: {message}")

    def tag_name_at(self, index: int) -> tuple[str, bool]:
        """The name Telegram reads for the tag at ``index``, and whether the text ends in it."""
        name = _TAG_NAME.match(self.source, index + 1)
        assert name is not None  # the pattern also matches the empty string
        return name.group(0).lower(), name.end() == len(self.source)

    def not_a_tag(self, index: int) -> ApiError:
        """A "<" that opens no tag Telegram knows, or one cut off by the end of the text."""
        at = f"at byte offset {self.byte_offset(index)}"
        if self.source.startswith("</", index):
            return self.error(f"{'Unclosed' if self.stack else 'Unexpected'} end tag {at}")
        name, cut_off = self.tag_name_at(index)
        if not cut_off and name not in _TAG_ENTITY:
            return self.error(f'Unsupported start tag "{name}" {at}')
        if not cut_off:  # a tag Telegram knows, cut off by the end inside its attributes
            self.check_values(index, self.source[index:])
            if re.search(r"=\s*$", self.source):
                return self.error(f'Unclosed start tag "{name}" {at}')
        return self.error(f"Unclosed start tag {at}")

    def check_values(self, index: int, raw: str) -> None:
        """Telegram's rule for unquoted attribute values: letters, digits, "." and "-"."""
        for value in _ATTRIBUTE_VALUES.finditer(raw):
            token = value.group(1)
            if token is not None and not _NAME_TOKEN.fullmatch(token):  # href=https://...
                offset = self.byte_offset(index + value.start(1))
                raise self.error(f"Unexpected end of name token at byte offset {offset}")

    # text

    def handle_data(self, data: str) -> None:
        # The stdlib has decoded ``data`` by HTML5's rules; take the text from the source.
        index = self.index()
        if self.source.startswith("<", index):  # a "<" that opens no tag, or an unfinished one
            raise self.not_a_tag(index)
        end = self.source.find("<", index)
        text = decode_references(self.source[index : end if end >= 0 else len(self.source)])
        self.out.append(text)
        self.pos += utf16_len(text)

    # tags

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        index = self.index()
        if tag not in _TAG_ENTITY:
            raise self.not_a_tag(index)
        at = f"at byte offset {self.byte_offset(index)}"
        raw = self.get_starttag_text() or ""
        self.check_values(index, raw)
        if any(quote in _ATTRIBUTE_VALUES.sub("", raw) for quote in "\"'"):
            raise self.error(f"Unclosed start tag {at}")  # a quote that never closes
        if any(name.startswith("=") for name, _ in attrs):
            raise self.error(f'Empty attribute name in the tag "{tag}" {at}')
        values = dict(attrs)
        if tag == "span" and values.get("class") != "tg-spoiler":
            raise self.error(f'Tag "span" must have class "tg-spoiler" {at}')
        emoji_id = values.get("emoji-id") or ""
        if tag == "tg-emoji" and not (emoji_id.isdigit() and int(emoji_id)):
            raise self.error("Invalid custom emoji identifier specified")
        self.stack.append(_OpenTag(tag, self.pos, values))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<b/>" is the tag "b/" to Telegram; in '<a href="x"/>' the "/" is an attribute.
        index = self.index()
        if self.tag_name_at(index)[0] not in _TAG_ENTITY:
            raise self.not_a_tag(index)
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self.end_tag(self.index(), tag)

    def handle_comment(self, data: str) -> None:
        index = self.index()
        if not self.source.startswith("</", index):
            raise self.not_a_tag(index)  # "<!--": Telegram has no comments
        # "</ >" or "</3>", a "bogus comment" to the stdlib, is an end tag to Telegram.
        name = _TAG_NAME.match(self.source, index + 2)
        assert name is not None
        self.end_tag(index, name.group(0).lower() or None)

    def handle_decl(self, decl: str) -> None:
        raise self.not_a_tag(self.index())  # "<!DOCTYPE ...>"

    def handle_pi(self, data: str) -> None:
        raise self.not_a_tag(self.index())  # "<?...>"

    def unknown_decl(self, data: str) -> None:
        raise self.not_a_tag(self.index())  # "<![CDATA[...]]>"

    def end_tag(self, index: int, name: str | None) -> None:
        """Close the innermost tag; ``name`` None closes whichever it is, as "</ >" does."""
        at = f"at byte offset {self.byte_offset(index)}"
        if not self.stack:
            raise self.error(f"Unexpected end tag {at}")
        tag = self.stack.pop()
        if name is not None and name != tag.name:
            raise self.error(f'Unmatched end tag {at}, expected "</{tag.name}>", found "</{name}>"')
        length = self.pos - tag.start
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> gives one pre entity with a language.
            language = tag.attrs.get("class") or ""
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
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Plain text and entities of a text sent with ``parse_mode=HTML``."""
    return _TelegramHtml(source).parse()


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
