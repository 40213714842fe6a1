"""The Bot API emulator answers like Telegram, to raw HTTP and to python-telegram-bot alike."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.emulator.faults import FaultInjector
from tests.emulator.files import tiny_png
from tests.emulator.server import BotApiEmulator

TOKEN = "424242:emulator-test-token"
ANN = 1001


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot", callback_ttl=60)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as b:
        yield b


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def api_url(emu: BotApiEmulator, method: str, token: str = TOKEN) -> str:
    return f"{emu.url}/bot{token}/{method}"


async def call(
    http: aiohttp.ClientSession, emu: BotApiEmulator, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    """A raw JSON Bot API call: (HTTP status, decoded envelope)."""
    async with http.post(api_url(emu, method), json=params) as response:
        return response.status, await response.json()


async def started(emu: BotApiEmulator, user_id: int = ANN) -> Any:
    """A person who has written /start, so the bot may message them."""
    person = emu.user(user_id, first_name="Ann")
    await person.send("/start")
    return person


def says(text: str) -> re.Pattern[str]:
    """PTB strips "Bad Request: " and capitalises descriptions; match the words regardless."""
    return re.compile(re.escape(text), re.IGNORECASE)


def seconds(retry_after: int | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after


async def updates(bot: telegram.Bot) -> list[Update]:
    """Fetch and confirm every pending update, like a polling bot does."""
    batch = await bot.get_updates(timeout=0)
    if batch:
        await bot.get_updates(offset=batch[-1].update_id + 1, timeout=0)
    return list(batch)


KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Yes", callback_data="pain:yes")],
        [InlineKeyboardButton("No", callback_data="pain:no")],
    ]
)


# --- basics ------------------------------------------------------------------------------------


async def test_get_me_answers_the_bot_user_over_raw_http_and_ptb(
    emu: BotApiEmulator, bot: telegram.Bot, http: aiohttp.ClientSession
) -> None:
    async with http.get(api_url(emu, "getme")) as response:  # method names ignore case
        body = await response.json()
    assert response.status == 200
    assert body["ok"] is True
    assert body["result"]["id"] == 424242
    assert body["result"]["is_bot"] is True
    me = await bot.get_me()
    assert me.username == "stretch_test_bot"


async def test_unknown_method_is_404_and_wrong_token_is_401(
    emu: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.post(api_url(emu, "sendTelepathy")) as response:
        assert response.status == 404
        assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with http.post(api_url(emu, "getMe", token="1:wrong")) as response:
        assert response.status == 401
        assert (await response.json())["description"] == "Unauthorized"


async def test_sent_message_reaches_the_user_with_html_parsed_into_entities(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    sent = await bot.send_message(
        ANN, "  <b>Hello</b> Ann &amp; welcome  ", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    seen = await ann.next_message()
    assert seen.text == "Hello Ann & welcome"  # tags parsed, whitespace trimmed as Telegram does
    assert seen.entities == [{"type": "bold", "offset": 0, "length": 5}]
    assert seen.buttons == [["Yes"], ["No"]]
    # The user's /start was message 1 in this chat; the bot's reply shares the counter.
    assert sent.message_id == seen.message_id == 2
    assert sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.is_bot


async def test_get_updates_long_polls_until_the_user_writes(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = emu.user(ANN, first_name="Ann")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()  # nothing to say yet: the request waits
    await ann.send("/start now")
    (update,) = await asyncio.wait_for(poll, 2)
    message = update.message
    assert message is not None and message.text == "/start now"
    assert message.from_user is not None and message.from_user.first_name == "Ann"
    assert message.chat.id == ANN and message.chat.type == "private"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 6)]
    # Confirming by offset forgets it, as on Telegram.
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_raw_update_json_has_exactly_telegrams_shape(
    emu: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    await emu.user(ANN, first_name="Ann").send("hi")
    status, body = await call(http, emu, "getUpdates")
    assert status == 200
    (update,) = body["result"]
    assert set(update) == {"update_id", "message"}
    assert set(update["message"]) == {"message_id", "from", "chat", "date", "text"}
    assert isinstance(update["message"]["date"], int)


async def test_pressing_a_button_sends_a_callback_query_that_ptb_parses(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    await updates(bot)
    await bot.send_message(ANN, "Does it hurt?", reply_markup=KEYBOARD)
    question = await ann.next_message()
    await ann.press(question, "No")
    (update,) = await updates(bot)
    query = update.callback_query
    assert query is not None
    assert query.data == "pain:no"
    assert query.from_user.id == ANN
    assert isinstance(query.message, telegram.Message)
    assert query.message.message_id == question.message_id
    assert query.message.text == "Does it hurt?"
    assert await query.answer("Noted")  # PTB's shortcut for answerCallbackQuery
    assert [a.text for a in ann.callback_answers()] == ["Noted"]
    with pytest.raises(BadRequest, match=says("query is too old")):
        await bot.answer_callback_query(query.id)  # a query is answered once


async def test_pressing_a_missing_button_raises(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    ann = await started(emu)
    await bot.send_message(ANN, "Does it hurt?", reply_markup=KEYBOARD)
    question = await ann.next_message()
    with pytest.raises(LookupError, match="Maybe"):
        await ann.press(question, "Maybe")


async def test_edit_changes_the_text_and_an_identical_edit_is_not_modified(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    sent = await bot.send_message(ANN, "Pick one", reply_markup=KEYBOARD)
    await bot.edit_message_text("You picked Yes", chat_id=ANN, message_id=sent.message_id)
    (message,) = ann.messages()
    assert message.text == "You picked Yes"
    assert message.buttons == []  # an edit without reply_markup drops the keyboard
    assert [(e.before, e.after) for e in ann.edits()] == [("Pick one", "You picked Yes")]
    with pytest.raises(BadRequest, match=says("message is not modified")):
        await bot.edit_message_text("You picked Yes", chat_id=ANN, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=says("message to edit not found")):
        await bot.edit_message_text("x", chat_id=ANN, message_id=999)


async def test_edit_reply_markup_and_delete_are_what_the_user_sees(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    sent = await bot.send_message(ANN, "Pick one", reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(ANN, sent.message_id, reply_markup=None)
    assert ann.messages()[0].buttons == []
    assert await bot.delete_message(ANN, sent.message_id)
    assert ann.messages() == []
    with pytest.raises(BadRequest, match=says("message to delete not found")):
        await bot.delete_message(ANN, sent.message_id)


# Invalid requests: the real Bot API's status and description; nothing reaches the user.
INVALID_SENDS = [
    ({"text": ""}, "Bad Request: message text is empty"),
    ({"text": "   "}, "Bad Request: message text is empty"),
    ({"text": "x" * 4097}, "Bad Request: message is too long"),
    ({"text": "hi", "chat_id": 5555}, "Bad Request: chat not found"),
    (
        {"text": "a <br> b", "parse_mode": "HTML"},
        'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 2',
    ),
    (
        {"text": "<b>bold", "parse_mode": "HTML"},
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    ),
    (
        {
            "text": "hi",
            "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]},
        },
        "Bad Request: BUTTON_DATA_INVALID",
    ),
    (
        {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "plain"}]]}},
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard",
    ),
    ({"text": "hi", "reply_to_message_id": 77}, "Bad Request: message to be replied not found"),
]


@pytest.mark.parametrize(("params", "description"), INVALID_SENDS)
async def test_invalid_send_message_is_refused_like_telegram(
    emu: BotApiEmulator, http: aiohttp.ClientSession, params: dict[str, Any], description: str
) -> None:
    ann = await started(emu)
    status, body = await call(http, emu, "sendMessage", **{"chat_id": ANN, **params})
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})
    assert ann.messages() == []


async def test_the_bot_cannot_write_first_and_a_blocked_bot_is_forbidden(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = emu.user(ANN, first_name="Ann")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(ANN, "Hello?")
    await ann.send("/start")
    await ann.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ANN, "Still there?")
    kinds = [
        u.my_chat_member.new_chat_member.status for u in await updates(bot) if u.my_chat_member
    ]
    assert kinds == ["kicked"]
    assert ann.messages() == []


# --- request encodings and files ---------------------------------------------------------------


async def test_form_encoded_request_with_json_string_markup(
    emu: BotApiEmulator, http: aiohttp.ClientSession
) -> None:
    ann = await started(emu)
    form = {
        "chat_id": str(ANN),
        "text": "Choose",
        "reply_markup": json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}),
    }
    async with http.post(api_url(emu, "sendMessage"), data=form) as response:
        body = await response.json()
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Go"
    assert ann.messages()[0].buttons == [["Go"]]
    async with http.get(api_url(emu, "sendMessage"), params={"chat_id": ANN, "text": "q"}) as r:
        assert (await r.json())["result"]["text"] == "q"  # query-string parameters work too


async def test_multipart_document_upload_then_get_file_download(
    emu: BotApiEmulator, bot: telegram.Bot, http: aiohttp.ClientSession
) -> None:
    ann = await started(emu)
    pdf = b"%PDF-1.4 a small report"
    sent = await bot.send_document(
        ANN, pdf, filename="report.pdf", caption="Your <i>week</i>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.mime_type) == ("report.pdf", "application/pdf")
    assert sent.caption == "Your week"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == pdf
    assert emu.files.of_message(await ann.next_message()) == pdf
    # The same upload as raw multipart/form-data with a JSON-string field.
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ANN))
    form.add_field(
        "reply_markup",
        json.dumps({"inline_keyboard": [[{"text": "Open", "url": "https://example.org"}]]}),
    )
    form.add_field("document", b"raw bytes", filename="notes.txt", content_type="text/plain")
    async with http.post(api_url(emu, "sendDocument"), data=form) as response:
        result = (await response.json())["result"]
    assert result["document"]["file_name"] == "notes.txt"
    assert result["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://example.org"


async def test_photo_comes_back_as_photo_sizes_and_non_images_are_refused(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    png = tiny_png(400, 300)
    sent = await bot.send_photo(ANN, png, caption="Stretch 1")
    sizes = [(p.width, p.height) for p in sent.photo]
    assert sizes == [(90, 68), (320, 240), (400, 300)]
    assert emu.files.of_message(await ann.next_message()) == png
    with pytest.raises(BadRequest, match=says("IMAGE_PROCESS_FAILED")):
        await bot.send_photo(ANN, b"%PDF-1.4 not an image")
    assert len(ann.messages()) == 1


async def test_set_and_get_my_commands(bot: telegram.Bot) -> None:
    assert await bot.set_my_commands([("start", "Begin"), ("stop", "Pause reminders")])
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("start", "Begin"),
        ("stop", "Pause reminders"),
    ]
    with pytest.raises(BadRequest, match=says("BOT_COMMAND_INVALID")):
        await bot.set_my_commands([("Start Now", "bad")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()


# --- faults and flood limits -------------------------------------------------------------------


async def test_429_rule_gives_retry_after_and_stores_nothing(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    emu.faults.too_many_requests(retry_after=3, method="sendMessage", times=1)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(ANN, "first try")
    assert raised.value.retry_after == 3
    assert ann.messages() == []
    await bot.send_message(ANN, "second try")  # the rule fired once and retired
    assert [m.text for m in ann.messages()] == ["second try"]
    assert emu.stats()["errors"] == {"429": 1}


async def test_403_rule_gives_forbidden_for_one_chat_only(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    bob = await started(emu, 2002)
    emu.faults.blocked(chat_id=ANN)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ANN, "hello")
    await bot.send_message(2002, "hello")
    assert ann.messages() == []
    assert [m.text for m in bob.messages()] == ["hello"]


async def test_dropped_connection_is_a_network_error_and_nothing_happened(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    emu.faults.drop(method="sendMessage", times=1)
    with pytest.raises(NetworkError):
        await bot.send_message(ANN, "lost")
    assert ann.messages() == []
    await bot.send_message(ANN, "retried")
    assert [m.text for m in ann.messages()] == ["retried"]
    assert emu.stats()["dropped"] == 1


@pytest.mark.parametrize(
    ("code", "description"), [(500, "Internal Server Error"), (502, "Bad Gateway")]
)
async def test_server_errors_surface_as_network_errors(
    emu: BotApiEmulator, bot: telegram.Bot, code: int, description: str
) -> None:
    ann = await started(emu)
    emu.faults.server_error(code, method="sendMessage", times=1)
    with pytest.raises(NetworkError, match=description):
        await bot.send_message(ANN, "x")
    assert ann.messages() == []
    assert emu.stats()["errors"] == {str(code): 1}


async def test_delay_rule_holds_the_answer_back(emu: BotApiEmulator, bot: telegram.Bot) -> None:
    ann = await started(emu)
    emu.faults.delay(0.3, method="sendMessage", times=1)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await bot.send_message(ANN, "slow")
    assert loop.time() - began >= 0.3
    assert [m.text for m in ann.messages()] == ["slow"]


def test_probability_rules_replay_the_same_way_with_the_same_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = FaultInjector(seed)
        faults.server_error(probability=0.5)
        return [faults.pick("sendMessage", 1) is not None for _ in range(40)]

    assert pattern(7) == pattern(7)
    assert 5 < sum(pattern(7)) < 35
    assert pattern(7) != pattern(8)


async def test_flood_limit_answers_429_when_sending_fast_to_many_chats(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    people = [await started(emu, 3000 + n) for n in range(40)]
    # All 40 sends land in the same instant, however busy the machine is.
    frozen = time.monotonic()
    emu.flood.clock = lambda: frozen
    emu.flood.enable()  # Telegram's default: about 30 messages per second overall
    results = await asyncio.gather(
        *(bot.send_message(p.id, "reminder") for p in people), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, RetryAfter)]
    assert refused and all(seconds(r.retry_after) >= 1 for r in refused)
    delivered = sum(len(p.messages()) for p in people)
    assert delivered == len(results) - len(refused)  # a refused send stores nothing
    assert emu.stats()["flood_limited"] == len(refused)


@pytest.mark.parametrize(("counting", "refused_at_half_a_second"), [("bucket", 0), ("window", 15)])
async def test_flood_limit_counted_over_any_one_second_refuses_a_second_burst(
    emu: BotApiEmulator, bot: telegram.Bot, counting: str, refused_at_half_a_second: int
) -> None:
    """30 at once, then 15 half a second later: a token bucket has refilled 15 by then, but
    counted over any one second the first 30 still count, so all 15 are refused."""
    people = [await started(emu, 3100 + n) for n in range(45)]
    now = [time.monotonic()]
    emu.flood.clock = lambda: now[0]
    emu.flood.enable(global_per_second=30, overall_counting=counting)
    for person in people[:30]:
        await bot.send_message(person.id, "reminder")
    now[0] += 0.5
    results = await asyncio.gather(
        *(bot.send_message(p.id, "reminder") for p in people[30:]), return_exceptions=True
    )
    assert sum(isinstance(r, RetryAfter) for r in results) == refused_at_half_a_second
    now[0] += 0.6  # the first 30 are more than a second ago
    await bot.send_message(people[30].id, "reminder", disable_notification=True)


async def test_flood_limit_per_chat_allows_a_short_burst(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    emu.flood.enable(chat_burst=3)
    for n in range(3):
        await bot.send_message(ANN, f"part {n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(ANN, "one too many")
    assert len(ann.messages()) == 3


# --- getUpdates conflicts and webhooks ---------------------------------------------------------


async def test_a_second_get_updates_terminates_the_first(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    # Two copies of the bot polling at once, as when an old process was left running.
    async with telegram.Bot(TOKEN, base_url=emu.base_url) as second_copy:
        first = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(second_copy.get_updates(timeout=1))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        assert await second == ()


async def test_webhook_delivers_updates_with_the_secret_header_and_blocks_polling(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        await received.put((secret, await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret-1")
        await emu.user(ANN, first_name="Ann").send("/start")
        secret, body = await asyncio.wait_for(received.get(), 5)
        assert secret == "s3cret-1"
        update = Update.de_json(body, bot)
        assert update.message is not None and update.message.text == "/start"
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


async def test_webhook_retries_until_the_receiver_accepts_and_keeps_chat_order(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    texts: list[str] = []
    all_three = asyncio.Event()
    failures = {"left": 2}

    async def flaky(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=503)
        texts.append((await request.json())["message"]["text"])
        if len(texts) == 3:
            all_three.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook")
        ann = emu.user(ANN, first_name="Ann")
        for text in ("one", "two", "three"):
            await ann.send(text)
        await asyncio.wait_for(all_three.wait(), 5)
        assert texts == ["one", "two", "three"]
        assert "503" in ((await bot.get_webhook_info()).last_error_message or "")
    finally:
        await bot.delete_webhook()
        await runner.cleanup()


# --- what people can send ----------------------------------------------------------------------


async def test_every_kind_of_user_message_parses_in_ptb(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = emu.user(ANN, first_name="Ann")
    await ann.send_sticker()
    await ann.send_photo(caption="my posture")
    await ann.send_voice()
    await ann.send_location(48.85, 2.35)
    await ann.send_contact()
    messages = [u.message for u in await updates(bot)]
    assert all(m is not None for m in messages)
    assert messages[0].sticker is not None  # type: ignore[union-attr]
    assert messages[1].photo and messages[1].caption == "my posture"  # type: ignore[union-attr]
    assert messages[2].voice is not None  # type: ignore[union-attr]
    assert messages[3].location is not None and messages[3].location.latitude == 48.85  # type: ignore[union-attr]
    assert messages[4].contact is not None  # type: ignore[union-attr]
    photo = await bot.get_file(messages[1].photo[-1].file_id)  # type: ignore[union-attr]
    assert bytes(await photo.download_as_bytearray()) == tiny_png()


async def test_user_edits_reach_the_bot_as_edited_message(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = emu.user(ANN, first_name="Ann")
    original = await ann.send("pain 4")
    await ann.edit(original, "pain 6")
    edited = [u.edited_message for u in await updates(bot) if u.edited_message]
    assert [(m.message_id, m.text) for m in edited] == [(original.message_id, "pain 6")]
    assert edited[0].edit_date is not None


async def test_groups_follow_privacy_mode_and_channels_post(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = emu.user(ANN, first_name="Ann")
    group = emu.group("Office stretch", supergroup=True)
    await ann.send("chatting among ourselves", chat=group)
    await ann.send("/start@stretch_test_bot", chat=group)
    await emu.channel("Stretch news").post("New routine today")
    received = await updates(bot)
    assert [u.message.text for u in received if u.message] == ["/start@stretch_test_bot"]
    group_message = received[0].message
    assert group_message is not None and group_message.chat.type == "supergroup"
    assert group_message.chat.id < 0
    assert [u.channel_post.text for u in received if u.channel_post] == ["New routine today"]
    await bot.send_message(group.chat_id, "Hello group")
    assert [m.text for m in group.messages()] == ["Hello group"]


async def test_reply_keyboard_is_shown_and_tapping_sends_its_text(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)
    await updates(bot)
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Neck"), KeyboardButton("Back")]], one_time_keyboard=True
    )
    await bot.send_message(ANN, "Where does it hurt?", reply_markup=keyboard)
    assert ann.reply_keyboard() == [["Neck", "Back"]]
    await ann.choose("Back")
    assert [u.message.text for u in await updates(bot) if u.message] == ["Back"]
    assert ann.reply_keyboard() is None  # a one-time keyboard hides after use


# --- waiting helpers ---------------------------------------------------------------------------


async def test_next_message_and_wait_for_follow_the_conversation(
    emu: BotApiEmulator, bot: telegram.Bot
) -> None:
    ann = await started(emu)

    async def bot_talks() -> None:
        await asyncio.sleep(0.05)
        first = await bot.send_message(ANN, "Question 1", reply_markup=KEYBOARD)
        await bot.send_message(ANN, "Question 2")
        await asyncio.sleep(0.05)
        await bot.edit_message_text(
            "Question 1: answered", chat_id=ANN, message_id=first.message_id
        )
        await bot.send_message(ANN, "Question 3")

    talking = asyncio.create_task(bot_talks())
    assert (await ann.next_message()).text == "Question 1"
    assert (await ann.wait_for("answered")).text == "Question 1: answered"  # an edit counts
    assert (await ann.next_message()).text == "Question 2"
    assert (await ann.wait_for(lambda m: m.text.endswith("3"))).text == "Question 3"
    await talking
    with pytest.raises(TimeoutError, match="Question 3"):
        await ann.next_message(timeout=0.1)


# --- the HTTP control API ----------------------------------------------------------------------


async def test_control_api_drives_a_user_and_reads_the_chat(
    emu: BotApiEmulator, bot: telegram.Bot, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{emu.url}/_emu/users/77/send", json={"text": "/start"}) as r:
        sent = (await r.json())["result"]
    assert sent["text"] == "/start" and sent["from"]["id"] == 77

    async def reply_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(77, "Welcome", reply_markup=KEYBOARD)

    replying = asyncio.create_task(reply_later())
    url = f"{emu.url}/_emu/chats/77/messages?after={sent['message_id']}&timeout=3"
    async with http.get(url) as r:  # long-polls until the bot answers
        (reply,) = (await r.json())["result"]
    await replying
    assert reply["text"] == "Welcome"
    press = {"message_id": reply["message_id"], "text": "Yes"}
    async with http.post(f"{emu.url}/_emu/users/77/press", json=press) as r:
        assert (await r.json())["result"]["data"] == "pain:yes"
    async with http.post(
        f"{emu.url}/_emu/faults",
        json={"kind": "429", "method": "sendMessage", "retry_after": 2, "times": 1},
    ) as r:
        assert (await r.json())["result"]["kind"] == "429"
    with pytest.raises(RetryAfter):
        await bot.send_message(77, "too fast")
    async with http.get(f"{emu.url}/_emu/stats") as r:
        stats = (await r.json())["result"]
    assert stats["errors"] == {"429": 1}
    assert stats["calls"]["sendMessage"] == 2
    async with http.post(
        f"{emu.url}/_emu/users/77/press", json={"message_id": 999, "text": "Yes"}
    ) as r:
        assert r.status == 404
    async with http.post(f"{emu.url}/_emu/reset") as r:
        assert (await r.json())["result"] is True
    assert emu.stats()["chats"] == 0


# --- a whole python-telegram-bot Application against the emulator ------------------------------


async def test_a_polling_ptb_application_holds_a_conversation(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(
            update.effective_chat.id, "Any pain today?", reply_markup=KEYBOARD
        )

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Thanks")
        await query.edit_message_text(f"You chose {query.data}")

    app = Application.builder().token(TOKEN).base_url(emu.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(answer))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            ann = emu.user(ANN, first_name="Ann")
            await ann.send("/start")
            question = await ann.next_message()
            assert question.text == "Any pain today?"
            query = await ann.press(question, "Yes")
            assert (await ann.wait_for_answer(query)).text == "Thanks"
            assert (await ann.wait_for("You chose")).text == "You chose pain:yes"
        finally:
            await app.updater.stop()
            await app.stop()
    assert emu.stats()["errors"] == {}


async def test_a_late_callback_answer_is_refused() -> None:
    async with BotApiEmulator(token=TOKEN, callback_ttl=0.05) as emulator:
        async with telegram.Bot(TOKEN, base_url=emulator.base_url) as b:
            ann = await started(emulator)
            await b.send_message(ANN, "Pick", reply_markup=KEYBOARD)
            query = await ann.press(await ann.next_message(), "Yes")
            await asyncio.sleep(0.1)
            with pytest.raises(BadRequest, match=says("query is too old")):
                await b.answer_callback_query(query["id"])
            assert ann.callback_answers() == []


# --- message text as Telegram stores it --------------------------------------------------------

FORMATTED = [
    ("plain", None, "plain", []),
    ("<b>a</b><i>b</i>", "HTML", "ab", [("bold", 0, 1), ("italic", 1, 1)]),
    ("<b>bold <i>both</i></b>", "HTML", "bold both", [("bold", 0, 9), ("italic", 5, 4)]),
    ("😀 <u>x</u>", "HTML", "😀 x", [("underline", 3, 1)]),  # offsets count UTF-16 units
    ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "HTML", "1 < 2 && 3 > 2", []),
    ('<a href="https://e.org">site</a>', "HTML", "site", [("text_link", 0, 4)]),
    (
        '<pre><code class="language-python">x = 1</code></pre>',
        "HTML",
        "x = 1",
        [("pre", 0, 5)],
    ),
    ('<span class="tg-spoiler">s</span>', "HTML", "s", [("spoiler", 0, 1)]),
    (
        "Try /stretch or #neck",
        None,
        "Try /stretch or #neck",
        [("bot_command", 4, 8), ("hashtag", 16, 5)],
    ),
    ("see https://example.org.", None, "see https://example.org.", [("url", 4, 19)]),
    ("<b>  hi  </b>", "HTML", "hi", [("bold", 0, 2)]),
]


@pytest.mark.parametrize(("raw", "mode", "text", "entities"), FORMATTED)
async def test_text_and_entities_match_telegrams(
    emu: BotApiEmulator,
    http: aiohttp.ClientSession,
    raw: str,
    mode: str | None,
    text: str,
    entities: list[tuple[str, int, int]],
) -> None:
    ann = await started(emu)
    params: dict[str, Any] = {"chat_id": ANN, "text": raw}
    if mode:
        params["parse_mode"] = mode
    status, body = await call(http, emu, "sendMessage", **params)
    assert status == 200, body
    seen = ann.messages()[-1]
    assert seen.text == body["result"]["text"] == text
    assert [(e["type"], e["offset"], e["length"]) for e in seen.entities] == entities
