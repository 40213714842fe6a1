"""The emulator refuses what Telegram refuses, and stores what it stores, over real HTTP.

HTML parse mode: the cases are tdlib's own (the library inside Telegram's Bot API server,
test/message_entities.cpp, ``parse_html``), so the bot's HTML is held to Telegram's parser,
not to a kinder one. Media: the Bot API reference's limits for sendPhoto (10 MB; width plus
height at most 10,000; ratio at most 20) and sendAnimation (a GIF or an MP4, 50 MB).
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram
from PIL import Image
from telegram.error import BadRequest

from tests.emulator.files import tiny_png
from tests.emulator.server import BotApiEmulator

TOKEN = "424243:emulator-formats-token"
ANN = 1001
MB = 1024 * 1024


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(token=TOKEN)
    await emulator.start()
    await emulator.user(ANN, first_name="Ann").send("/start")
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as b:
        yield b


async def send_html(emu: BotApiEmulator, text: str) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{emu.url}/bot{TOKEN}/sendMessage",
            json={"chat_id": ANN, "text": text, "parse_mode": "HTML"},
        ) as response,
    ):
        return response.status, await response.json()


# (HTML sent, text stored, entities stored as (type, offset, length)); offsets in UTF-16.
PARSED = [
    ("➡️ ➡️<i>➡️ ➡️</i>", "➡️ ➡️➡️ ➡️", [("italic", 5, 5)]),
    ("➡️ ➡️<strong>➡️ ➡️</strong>", "➡️ ➡️➡️ ➡️", [("bold", 5, 5)]),
    ("➡️ ➡️<ins>➡️ ➡️</ins>", "➡️ ➡️➡️ ➡️", [("underline", 5, 5)]),
    ("➡️ ➡️<del>➡️ ➡️</del>", "➡️ ➡️➡️ ➡️", [("strikethrough", 5, 5)]),
    ("➡️ ➡️<blockquote>➡️ ➡️</blockquote>", "➡️ ➡️➡️ ➡️", [("blockquote", 5, 5)]),
    # Only &lt; &gt; &amp; &quot; and numeric references are decoded, ";" or not.
    ("&ge;&lt;&gt;&amp;&quot;&laquo;&#12345678;", '&ge;<>&"&laquo;&#12345678;', []),
    ("🏟 🏟<i>🏟 &lt🏟</i>", "🏟 🏟🏟 <🏟", [("italic", 5, 6)]),
    ("&#65;&#x42; &#X43;", "AB &#X43;", [("hashtag", 4, 4)]),  # "#X43" reads as a hashtag
    ("🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>", "🏟 🏟🏟 ><🏟", [("italic", 5, 7), ("bold", 9, 3)]),
    ("🏟 🏟&lt;<i    aba  =  190azAz-.   >a</i>", "🏟 🏟<a", [("italic", 6, 1)]),
    ("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</i>", "🏟 🏟<a", [("italic", 6, 1)]),
    ("🏟 🏟&lt;<i>a</    >", "🏟 🏟<a", [("italic", 6, 1)]),  # "</ >" closes the innermost tag
    ("🏟 🏟&lt;<i>a</i   >", "🏟 🏟<a", [("italic", 6, 1)]),
    ("🏟 🏟&lt;<b></b>", "🏟 🏟<", []),  # an empty entity is no entity
    (
        'x<span class = "tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
        "xst",
        [("spoiler", 1, 1), ("spoiler", 2, 1)],
    ),
    (
        "<blockquote   expandable>a&lt;<pre  >b;</pre></blockquote>",
        "a<b;",
        [("expandable_blockquote", 0, 4), ("pre", 2, 2)],
    ),
    ('a<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "a👍", [("custom_emoji", 1, 2)]),
    ("1 > 0 & 2 > 1", "1 > 0 & 2 > 1", []),  # a lone ">" or "&" is text
]


@pytest.mark.parametrize(("html", "text", "entities"), PARSED)
async def test_html_is_stored_as_telegram_parses_it(
    emu: BotApiEmulator, html: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    status, body = await send_html(emu, html)
    assert status == 200, body
    seen = emu.user(ANN).messages()[-1]
    assert seen.text == body["result"]["text"] == text
    assert [(e["type"], e["offset"], e["length"]) for e in seen.entities] == entities


# (HTML sent, Telegram's error after "Bad Request: can't parse entities: ").
REFUSED = [
    ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
    ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
    ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
    ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
    ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
    ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
    ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
    ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
    ("🏟 🏟&lt;<i>a</em   >", 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),  # "<" must be written &lt;
    ("I <3 you", 'Unsupported start tag "3" at byte offset 2'),
    ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
    ("<b/>", 'Unsupported start tag "b/" at byte offset 0'),
    ("<!-- note -->", 'Unsupported start tag "!--" at byte offset 0'),
    ("<a href=https://example.org>x</a>", "Unexpected end of name token at byte offset 8"),
    ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ('<tg-emoji emoji-id="0">👍</tg-emoji>', "Invalid custom emoji identifier specified"),
    (
        "&#xDFDF;",
        "Text contains invalid Unicode characters after decoding HTML entities, "
        "check for unmatched surrogate code units",
    ),
]


@pytest.mark.parametrize(("html", "error"), REFUSED)
async def test_html_telegram_cannot_parse_is_refused_in_its_words(
    emu: BotApiEmulator, html: str, error: str
) -> None:
    status, body = await send_html(emu, html)
    description = f"Bad Request: can't parse entities: {error}"
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert emu.user(ANN).messages() == []


def image(width: int, height: int, kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 200)).save(out, format=kind)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "BMP", "WEBP"])
async def test_each_kind_of_photo_is_taken_at_its_size(
    emu: BotApiEmulator, bot: telegram.Bot, kind: str
) -> None:
    sent = await bot.send_photo(ANN, image(640, 480, kind))
    assert (sent.photo[-1].width, sent.photo[-1].height) == (640, 480)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (image(9_000, 1_001, "PNG"), "PHOTO_INVALID_DIMENSIONS"),  # width + height > 10,000
        (image(2_100, 100, "PNG"), "PHOTO_INVALID_DIMENSIONS"),  # ratio 21 > 20
        (image(64, 64, "TIFF"), "IMAGE_PROCESS_FAILED"),
        (b"%PDF-1.4 not a picture", "IMAGE_PROCESS_FAILED"),
        (tiny_png() + bytes(10 * MB), "file is too big"),  # over 10 MB
    ],
    ids=["too_big_sides", "too_narrow", "tiff", "pdf", "over_10_mb"],
)
async def test_photos_past_the_reference_limits_are_refused(
    emu: BotApiEmulator, bot: telegram.Bot, data: bytes, error: str
) -> None:
    # PTB drops "Bad Request: " and capitalises the rest; the words are Telegram's.
    with pytest.raises(BadRequest, match=re.compile(re.escape(error), re.IGNORECASE)):
        await bot.send_photo(ANN, data)
    assert emu.user(ANN).messages() == []


async def test_a_photo_at_the_limits_is_taken(bot: telegram.Bot) -> None:
    sent = await bot.send_photo(ANN, image(2_000, 100, "PNG"))  # ratio exactly 20
    assert (sent.photo[-1].width, sent.photo[-1].height) == (2_000, 100)


async def test_an_animation_is_a_gif_or_an_mp4_and_nothing_else(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    gif = await bot.send_animation(ANN, image(320, 200, "GIF"), filename="hold.gif")
    assert gif.animation is not None
    assert (gif.animation.width, gif.animation.height) == (320, 200)
    assert gif.animation.mime_type == "image/gif"
    mp4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)
    video = await bot.send_animation(ANN, mp4, filename="hold.mp4", width=64, height=48)
    assert video.animation is not None and video.animation.mime_type == "video/mp4"
    assert (video.animation.width, video.animation.height) == (64, 48)
    with pytest.raises(BadRequest):
        await bot.send_animation(ANN, image(32, 32, "PNG"), filename="still.png")
    assert len(emu.user(ANN).messages()) == 2
