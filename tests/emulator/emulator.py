"""A local Telegram Bot API server for tests, the terminal chat and benchmarks.

Telegram cannot be reached from here, so the bot talks real HTTP to this emulator instead.
It follows the Bot API reference (https://core.telegram.org/bots/api): the same routes,
envelopes, objects, error codes and descriptions, so a bot that works here works against
the real service or any independent implementation. People are emulated in
``userside.py``; the world they share with the bot lives in ``state.py``; injected faults and
flood limits in ``faults.py``.

Python use::

    emu = BotApiEmulator(token="123:ABC", bot_username="stretch_test_bot")
    base_url = await emu.start()              # http://127.0.0.1:PORT/bot
    bot = telegram.Bot("123:ABC", base_url=emu.base_url, base_file_url=emu.base_file_url)
    ann = emu.user(1001, first_name="Ann")
    await ann.send("/start")
    reply = await ann.next_message()
    emu.faults.too_many_requests(retry_after=3, method="sendMessage", times=1)
    emu.flood.enable()                        # Telegram's 30/s overall, ~1/s per chat
    print(emu.stats()["errors"])              # {"429": 1}
    await emu.stop()

Bot API routes: ``GET|POST /bot{token}/{method}`` (method names case-insensitive; JSON,
urlencoded and multipart bodies plus query parameters) and ``GET /file/bot{token}/{file_path}``.

As on Telegram, the bot cannot write first to someone who never wrote to it (403 "bot can't
initiate conversation with a user"); ``emu.user(id, started=True)`` is a person who already did.
A request refused by a fault rule or a flood limit never acts, so retrying it is safe.

Divergences from the real service, on purpose: webhooks may be plain ``http://`` on any port
(tests run locally), all sizes of a sent photo share the uploaded bytes, and the Markdown
parse modes keep the text literally (the bot uses HTML, which is parsed in full).

HTTP control API (for other processes; JSON in, ``{"ok": true, "result": ...}`` out)::

    GET    /_emu/stats                      counters: calls per method, errors per status code
    POST   /_emu/reset        {"seed": 1}   forget chats, updates, files, faults, counters
    GET    /_emu/faults                     active fault rules
    POST   /_emu/faults       {"kind": "429"|"403"|"500"|"502"|"delay"|"drop",
                               "method": "sendMessage", "chat_id": 5, "times": 2,
                               "probability": 0.1, "retry_after": 3, "seconds": 1.5}
    DELETE /_emu/faults                     remove all rules
    DELETE /_emu/faults/{rule_id}           remove one rule
    GET    /_emu/flood                      flood-limit settings
    POST   /_emu/flood        {"enabled": true, "global_per_second": 30, "chat_burst": 5,
                               "chat_per_second": 1, "group_per_minute": 20}
    POST   /_emu/users/{user_id}/send   {"text": "/start", "first_name": "Ann"}
                                        or {"kind": "sticker"|"photo"|"voice"|"location"|"contact"}
    POST   /_emu/users/{user_id}/press  {"message_id": 7, "text": "Yes"} or {"callback_data": ...}
    POST   /_emu/users/{user_id}/edit   {"message_id": 3, "text": "new text"}
    POST   /_emu/users/{user_id}/block  and  /unblock
    GET    /_emu/chats/{chat_id}/messages?after=ID&timeout=S&sender=bot|all
                                        messages newer than ID; waits up to S seconds for one
    GET    /_emu/chats/{chat_id}/callback_answers
    GET    /_emu/files/{file_id}            the raw bytes of a file

Standalone: ``python -m tests.emulator.emulator --port 8081 --token 123:ABC``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulator.faults import (
    MESSAGE_SENDING_METHODS,
    Counters,
    FaultInjector,
    FaultKind,
    FaultRule,
    FloodLimiter,
)
from tests.emulator.state import (
    ApiError,
    ChatState,
    FileStore,
    JsonDict,
    StoredFile,
    StoredMessage,
    TelegramState,
    bad_request,
    format_text,
    image_size,
    photo_sizes,
    update_chat_key,
)
from tests.emulator.userside import Channel, GroupChat, TelegramUser

DEFAULT_TOKEN = "123456:TEST-emulator-token"
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
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_MB = 1024 * 1024


def _json_response(body: Any, status: int = 200) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return web.Response(text=text, status=status, content_type="application/json")


# --- request parameters ------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """A request's parameters, typed on demand: form fields are strings, JSON bodies are typed."""

    __slots__ = ("uploads", "values")

    def __init__(self, values: JsonDict, uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            pass
        try:
            return int(float(value))  # "1.0" and 1.5 are numbers to Telegram too
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a valid Number') from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def structured(self, name: str, what: str) -> Any:
        """A JSON-valued parameter; in forms it arrives as a JSON string."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what} JSON object") from None
        return value

    def chat_id_number(self) -> int | None:
        """The chat_id as a number, for matching fault rules and flood buckets."""
        try:
            return int(self.values["chat_id"])
        except (KeyError, TypeError, ValueError):
            return None


async def read_params(request: web.Request) -> Params:
    values: JsonDict = dict(request.query) if request.query_string else {}
    uploads: dict[str, Upload] = {}
    if request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if isinstance(body, dict):
                values.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    uploads[key] = Upload(value.file.read(), value.filename, value.content_type)
                else:
                    values[key] = value
    return Params(values, uploads)


# --- the Bot API methods -----------------------------------------------------------------------

Handler = Callable[["EmulatedBotApi", Params], Awaitable[Any]]


@dataclass(frozen=True)
class BotMethod:
    name: str
    handler: Handler
    sends_message: bool


METHODS: dict[str, BotMethod] = {}


def bot_method(name: str) -> Callable[[Handler], Handler]:
    """Register a Bot API method under its lower-cased name (Telegram ignores case)."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = BotMethod(name, handler, name in MESSAGE_SENDING_METHODS)
        return handler

    return register


@dataclass
class WebhookSettings:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class EmulatedBotApi:
    """The bot's side: answers Bot API requests against the shared :class:`TelegramState`."""

    def __init__(self, state: TelegramState, token: str, seed: int) -> None:
        self.state = state
        self.token = token
        self.counters = Counters()
        self.faults = FaultInjector(seed)
        self.flood = FloodLimiter()
        self.webhook = WebhookDelivery(self)
        self.closing = False
        self._poller: object | None = None
        self._poll_conflict = ""
        state.updates.listeners.append(self.webhook.enqueue)

    def reset(self, seed: int) -> None:
        old_signal = self.state.updates.signal
        self.state.reset()
        self.state.updates.listeners.append(self.webhook.enqueue)
        old_signal.fire()  # a long poll on the old queue sees the queue changed and answers []
        self.counters = Counters()
        self.faults = FaultInjector(seed)
        self.flood = FloodLimiter()

    # HTTP entry points

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        entry = METHODS.get(name.lower())
        method = entry.name if entry is not None else name
        self.counters.call(method)
        if request.match_info["token"] != self.token:
            return self._fail(method, ApiError(401, "Unauthorized"))
        if entry is None:
            return self._fail(method, ApiError(404, "Not Found"))
        try:
            params = await read_params(request)
        except ApiError as error:
            return self._fail(method, error)
        fault = self.faults.pick(method, params.chat_id_number())
        if fault is not None:
            if fault.kind is FaultKind.DROP:
                # Close before acting: the client sees a broken connection, nothing happened.
                self.counters.dropped += 1
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)
            if fault.kind is FaultKind.DELAY:
                await asyncio.sleep(fault.seconds)
            else:
                fault_error = fault.error()
                assert fault_error is not None
                return self._fail(method, fault_error)
        try:
            if entry.sends_message and self.flood.enabled:
                self._check_flood(params)
            result = await entry.handler(self, params)
        except ApiError as error:
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=error.code)  # the client left: nobody sees this
            return self._fail(method, error)
        except Exception as error:  # an emulator bug: say so instead of a bare 500 page
            return self._fail(method, ApiError(500, f"Internal Server Error: {error!r}"))
        return _json_response({"ok": True, "result": result})

    async def download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").payload(), 401)
        stored = self.state.files.by_path(request.match_info["path"])
        if stored is None:
            return _json_response(ApiError(404, "Not Found").payload(), 404)
        content_type = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.data, content_type=content_type)

    async def execute(self, method_name: str, values: JsonDict) -> Any:
        """Run a method without HTTP (a method carried in a webhook response)."""
        entry = METHODS.get(method_name.lower())
        if entry is None:
            raise ApiError(404, "Not Found")
        self.counters.call(entry.name)
        try:
            return await entry.handler(self, Params(values))
        except ApiError as error:
            self.counters.error(entry.name, error.code)
            raise

    def _fail(self, method: str, error: ApiError) -> web.Response:
        self.counters.error(method, error.code)
        return _json_response(error.payload(), error.code)

    def _check_flood(self, params: Params) -> None:
        chat_id = params.chat_id_number()
        chat = self.state.chats.get(chat_id) if chat_id is not None else None
        is_group = chat is not None and chat.type != "private"
        retry_after = self.flood.check(
            chat_id,
            is_group=is_group,
            now=self.flood.clock(),
            paid=params.flag("allow_paid_broadcast"),
        )
        if retry_after is not None:
            self.counters.flood_limited += 1
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )

    # shared checks

    def chat_to_send_to(self, params: Params) -> ChatState:
        chat = self.state.find_chat(params.raw("chat_id"))
        if chat.type == "private":
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def reply_target(self, chat: ChatState, params: Params) -> StoredMessage | None:
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

    def reply_markup(self, params: Params, *, inline_only: bool = False) -> JsonDict | None:
        markup = params.structured("reply_markup", "reply keyboard markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return _checked_inline_keyboard(markup["inline_keyboard"])
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            return _checked_reply_keyboard(markup)
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return dict(markup)
        raise bad_request("can't parse reply keyboard markup JSON object")

    def caption(self, params: Params) -> JsonDict:
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
        self, chat: ChatState, content: JsonDict, params: Params, markup: JsonDict | None
    ) -> JsonDict:
        """Store a bot message with its keyboard; return the Message object."""
        reply_to = self.reply_target(chat, params)
        if markup is not None and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        message = self.state.store_message(
            chat, content, sender=self.state.bot_user, from_bot=True, reply_to=reply_to
        )
        message.paid_broadcast = params.flag("allow_paid_broadcast")
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        return message.to_dict()

    async def input_file(self, params: Params, name: str) -> tuple[bytes, Upload | StoredFile]:
        """The bytes of an InputFile parameter: an upload, attach://name, a URL or a file_id."""
        upload = params.uploads.get(name)
        value = params.text(name)
        if upload is None and value is not None and value.startswith("attach://"):
            upload = params.uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            self.state.files.uploaded(upload.data)
            return upload.data, upload
        if not value:
            raise bad_request(f"there is no {name} in the request")
        if value.startswith(("http://", "https://")):
            data = await _fetch(value)
            return data, Upload(data, value.rsplit("/", 1)[-1] or None, None)
        stored = self.state.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored.data, stored

    def message_to_edit(self, params: Params) -> StoredMessage:
        if params.raw("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.state.find_chat(params.raw("chat_id"))
        message_id = params.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def edit(self, message: StoredMessage, changes: JsonDict, field: str) -> JsonDict:
        if all(message.data.get(key) == value for key, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        self.state.bot_edit(message, changes, field)
        return message.to_dict()

    # getUpdates and webhooks

    def supersede_poll(self, reason: str) -> None:
        if self._poller is not None:
            self._poller = None
            self._poll_conflict = reason
            self.state.updates.signal.fire()

    async def get_updates(self, params: Params) -> list[JsonDict]:
        if self.webhook.settings.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.integer("offset") or 0
        limit = min(100, max(1, params.integer("limit") or 100))
        timeout = max(0, params.integer("timeout") or 0)
        queue = self.state.updates
        queue.set_allowed(params.structured("allowed_updates", "allowed updates"))
        self.supersede_poll(
            "terminated by other getUpdates request; make sure that only one bot instance "
            "is running"
        )
        me = object()
        self._poller = me
        queue.confirm(offset)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    if self._poller is not me:
                        raise ApiError(409, f"Conflict: {self._poll_conflict}")
                    if queue is not self.state.updates:  # the emulator was reset meanwhile
                        return []
                    if queue.pending or self.closing:
                        return queue.peek(limit)
                    await queue.signal.wait()
        except TimeoutError:
            return []
        finally:
            if self._poller is me:
                self._poller = None


def _checked_inline_keyboard(rows: Any) -> JsonDict:
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


def _checked_reply_keyboard(markup: JsonDict) -> JsonDict:
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


async def _fetch(url: str) -> bytes:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
            session.get(url) as response,
        ):
            if response.status == 200:
                return await response.read()
    except (aiohttp.ClientError, TimeoutError):
        pass
    raise bad_request("failed to get HTTP URL content")


# Method bodies. Each takes the API and the request's parameters and returns the "result".


@bot_method("getMe")
async def _get_me(api: EmulatedBotApi, params: Params) -> JsonDict:
    return {
        **api.state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": not api.state.group_privacy,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@bot_method("logOut")
@bot_method("close")
async def _log_out(api: EmulatedBotApi, params: Params) -> bool:
    return True


@bot_method("getUpdates")
async def _get_updates(api: EmulatedBotApi, params: Params) -> list[JsonDict]:
    return await api.get_updates(params)


@bot_method("setWebhook")
async def _set_webhook(api: EmulatedBotApi, params: Params) -> bool:
    url = params.text("url") or ""
    if url and not re.match(r"^https?://[^\s/]+", url):
        raise bad_request("bad webhook: invalid webhook URL specified")
    secret = params.text("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.integer("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    api.state.updates.set_allowed(params.structured("allowed_updates", "allowed updates"))
    if params.flag("drop_pending_updates"):
        api.state.updates.clear()
    await api.webhook.stop()
    if url:
        api.supersede_poll("terminated by setWebhook request")
        api.webhook.start(WebhookSettings(url, secret, max_connections, params.text("ip_address")))
    return True


@bot_method("deleteWebhook")
async def _delete_webhook(api: EmulatedBotApi, params: Params) -> bool:
    if params.flag("drop_pending_updates"):
        api.state.updates.clear()
    await api.webhook.stop()
    return True


@bot_method("getWebhookInfo")
async def _get_webhook_info(api: EmulatedBotApi, params: Params) -> JsonDict:
    settings = api.webhook.settings
    info: JsonDict = {
        "url": settings.url,
        "has_custom_certificate": False,
        "pending_update_count": len(api.state.updates.pending),
    }
    if settings.url:
        info["max_connections"] = settings.max_connections
        if settings.ip_address:
            info["ip_address"] = settings.ip_address
        if api.state.updates.allowed:
            info["allowed_updates"] = sorted(api.state.updates.allowed)
    if settings.last_error_date is not None:
        info["last_error_date"] = settings.last_error_date
        info["last_error_message"] = settings.last_error_message
    return info


@bot_method("sendMessage")
async def _send_message(api: EmulatedBotApi, params: Params) -> JsonDict:
    chat = api.chat_to_send_to(params)
    text, entities = format_text(
        params.raw("text"), params.text("parse_mode"), params.structured("entities", "entities")
    )
    markup = api.reply_markup(params)
    content: JsonDict = {"text": text}
    if entities:
        content["entities"] = entities
    return api.post(chat, content, params, markup)


@bot_method("sendPhoto")
async def _send_photo(api: EmulatedBotApi, params: Params) -> JsonDict:
    chat = api.chat_to_send_to(params)
    data, source = await api.input_file(params, "photo")
    reused = (
        api.state.files.photo_sizes.get(source.file_id) if isinstance(source, StoredFile) else None
    )
    if reused is not None:
        # Like Telegram: a photo sent again by file_id is the same photo, same file_ids.
        content: JsonDict = {"photo": reused, **api.caption(params)}
        return api.post(chat, content, params, api.reply_markup(params))
    size = image_size(data)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > 10_000 or max(width, height) > 20 * max(1, min(width, height)):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    if len(data) > 10 * _MB:
        raise bad_request("file is too big")
    caption = api.caption(params)
    markup = api.reply_markup(params)
    content = {"photo": photo_sizes(api.state.files, data, width, height), **caption}
    if params.flag("has_spoiler"):
        content["has_media_spoiler"] = True
    return api.post(chat, content, params, markup)


@bot_method("sendDocument")
async def _send_document(api: EmulatedBotApi, params: Params) -> JsonDict:
    chat = api.chat_to_send_to(params)
    data, source = await api.input_file(params, "document")
    if len(data) > 50 * _MB:
        raise ApiError(413, "Request Entity Too Large")
    caption = api.caption(params)
    markup = api.reply_markup(params)
    if isinstance(source, StoredFile):
        stored = source
    else:
        file_name = source.filename or "document"
        mime_type = source.content_type
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        extension = file_name.rpartition(".")[2] if "." in file_name else "bin"
        stored = api.state.files.add(
            data, folder="documents", extension=extension, file_name=file_name, mime_type=mime_type
        )
    document: JsonDict = {
        "file_name": stored.file_name or "document",
        "mime_type": stored.mime_type or "application/octet-stream",
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
    }
    return api.post(chat, {"document": document, **caption}, params, markup)


@bot_method("sendAnimation")
async def _send_animation(api: EmulatedBotApi, params: Params) -> JsonDict:
    """A GIF or a silent MP4, looped by the apps. Sent again by file_id: the same file."""
    chat = api.chat_to_send_to(params)
    data, source = await api.input_file(params, "animation")
    if len(data) > 50 * _MB:
        raise ApiError(413, "Request Entity Too Large")
    caption = api.caption(params)
    markup = api.reply_markup(params)
    if isinstance(source, StoredFile):
        stored = source
    else:
        is_gif = data[:6] in (b"GIF87a", b"GIF89a")
        if not is_gif and data[4:8] != b"ftyp":
            raise bad_request("wrong type of the web page content")
        file_name = source.filename or ("animation.gif" if is_gif else "animation.mp4")
        stored = api.state.files.add(
            data,
            folder="animations",
            extension="gif" if is_gif else "mp4",
            file_name=file_name,
            mime_type="image/gif" if is_gif else "video/mp4",
        )
    width, height = image_size(stored.data) or (
        params.integer("width") or 0,
        params.integer("height") or 0,
    )
    animation: JsonDict = {
        "file_name": stored.file_name or "animation",
        "mime_type": stored.mime_type or "video/mp4",
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "width": width,
        "height": height,
        "duration": params.integer("duration") or 0,
    }
    # Telegram's Message carries an animation also as a document, for older clients.
    document = {
        key: animation[key]
        for key in ("file_name", "mime_type", "file_id", "file_unique_id", "file_size")
    }
    return api.post(chat, {"animation": animation, "document": document, **caption}, params, markup)


@bot_method("editMessageText")
async def _edit_message_text(api: EmulatedBotApi, params: Params) -> JsonDict:
    message = api.message_to_edit(params)
    if "text" not in message.data:
        raise bad_request("there is no text in the message to edit")
    text, entities = format_text(
        params.raw("text"), params.text("parse_mode"), params.structured("entities", "entities")
    )
    # Like Telegram: an edit without reply_markup removes the inline keyboard.
    markup = api.reply_markup(params, inline_only=True)
    changes = {"text": text, "entities": entities or None, "reply_markup": markup}
    return api.edit(message, changes, "text")


@bot_method("editMessageCaption")
async def _edit_message_caption(api: EmulatedBotApi, params: Params) -> JsonDict:
    message = api.message_to_edit(params)
    if "text" in message.data:
        raise bad_request("there is no caption in the message to edit")
    caption = api.caption(params)
    markup = api.reply_markup(params, inline_only=True)
    changes = {
        "caption": caption.get("caption"),
        "caption_entities": caption.get("caption_entities"),
        "reply_markup": markup,
    }
    return api.edit(message, changes, "caption")


@bot_method("editMessageReplyMarkup")
async def _edit_message_reply_markup(api: EmulatedBotApi, params: Params) -> JsonDict:
    message = api.message_to_edit(params)
    markup = api.reply_markup(params, inline_only=True)
    return api.edit(message, {"reply_markup": markup}, "reply_markup")


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


def _commands_key(params: Params) -> str:
    scope = params.structured("scope", "bot command scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (params.text("language_code") or "")


@bot_method("setMyCommands")
async def _set_my_commands(api: EmulatedBotApi, params: Params) -> bool:
    commands = params.structured("commands", "bot commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse bot commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    checked = [{"command": c["command"], "description": c["description"]} for c in commands]
    api.state.profile.commands[_commands_key(params)] = checked
    return True


@bot_method("getMyCommands")
async def _get_my_commands(api: EmulatedBotApi, params: Params) -> list[JsonDict]:
    return api.state.profile.commands.get(_commands_key(params), [])


@bot_method("deleteMyCommands")
async def _delete_my_commands(api: EmulatedBotApi, params: Params) -> bool:
    api.state.profile.commands.pop(_commands_key(params), None)
    return True


def _profile_text(field: str, limit: int) -> tuple[Handler, Handler]:
    """setMyX / getMyX pairs for the bot's name and descriptions, per language."""

    async def set_text(api: EmulatedBotApi, params: Params) -> bool:
        value = params.text(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        api.state.profile.texts[f"{field}|{params.text('language_code') or ''}"] = value
        return True

    async def get_text(api: EmulatedBotApi, params: Params) -> JsonDict:
        key = f"{field}|{params.text('language_code') or ''}"
        default = api.state.bot_user["first_name"] if field == "name" else ""
        return {field: api.state.profile.texts.get(key, default)}

    return set_text, get_text


for _name, _field, _limit in (
    ("MyName", "name", 64),
    ("MyDescription", "description", 512),
    ("MyShortDescription", "short_description", 120),
):
    _setter, _getter = _profile_text(_field, _limit)
    bot_method(f"set{_name}")(_setter)
    bot_method(f"get{_name}")(_getter)


@bot_method("setChatMenuButton")
async def _set_chat_menu_button(api: EmulatedBotApi, params: Params) -> bool:
    button = params.structured("menu_button", "menu button") or {"type": "default"}
    api.state.profile.menu_buttons[params.chat_id_number()] = button
    return True


@bot_method("getChatMenuButton")
async def _get_chat_menu_button(api: EmulatedBotApi, params: Params) -> JsonDict:
    return api.state.profile.menu_buttons.get(params.chat_id_number(), {"type": "default"})


@bot_method("sendChatAction")
async def _send_chat_action(api: EmulatedBotApi, params: Params) -> bool:
    chat = api.chat_to_send_to(params)
    action = params.text("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.chat_actions.append(action)
    return True


@bot_method("getFile")
async def _get_file(api: EmulatedBotApi, params: Params) -> JsonDict:
    stored = api.state.files.get(params.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > 20 * _MB:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "file_path": stored.file_path,
    }


@bot_method("getChat")
async def _get_chat(api: EmulatedBotApi, params: Params) -> JsonDict:
    chat = api.state.find_chat(params.raw("chat_id"))
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat.data,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys(gifts, False),
    }


# --- webhook delivery --------------------------------------------------------------------------


class WebhookDelivery:
    """POSTs updates to the bot's webhook: in order per chat, ``max_connections`` at a time.

    A failed delivery (no answer or a non-2xx status) is retried with doubling delays; after
    ``max_attempts`` the update is dropped and the error shows in getWebhookInfo, as Telegram
    does. A JSON answer carrying a "method" is executed like a Bot API call.
    """

    def __init__(self, api: EmulatedBotApi) -> None:
        self.api = api
        self.settings = WebhookSettings()
        self.retry_base = 0.05
        self.retry_cap = 2.0
        self.max_attempts = 8
        self.request_timeout = 10.0
        self._queues: dict[int, deque[JsonDict]] = {}
        self._ready: asyncio.Queue[int] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None
        self.delivered = 0

    def start(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self._ready = asyncio.Queue()
        self._queues.clear()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=settings.max_connections),
            timeout=aiohttp.ClientTimeout(total=self.request_timeout),
        )
        self._workers = [asyncio.create_task(self._work()) for _ in range(settings.max_connections)]
        for update in list(self.api.state.updates.pending.values()):
            self.enqueue(update)

    async def stop(self) -> None:
        self.settings = WebhookSettings()
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._queues.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def enqueue(self, update: JsonDict) -> None:
        if not self.settings.url:
            return
        key = update_chat_key(update)
        queue = self._queues.get(key)
        if queue is None:
            # A chat with no queue has nobody delivering for it: hand it to a worker.
            self._queues[key] = deque([update])
            self._ready.put_nowait(key)
        else:
            queue.append(update)

    async def _work(self) -> None:
        while True:
            key = await self._ready.get()
            queue = self._queues.get(key)
            while queue:
                await self._deliver(queue[0])
                queue.popleft()
            self._queues.pop(key, None)

    async def _deliver(self, update: JsonDict) -> None:
        for attempt in range(self.max_attempts):
            error = await self._send_update(update)
            if error is None:
                self.delivered += 1
                self.api.state.updates.remove(update["update_id"])
                return
            self.settings.last_error_date = self.api.state.now()
            self.settings.last_error_message = error
            await asyncio.sleep(min(self.retry_cap, self.retry_base * 2**attempt))
        self.api.state.updates.remove(update["update_id"])

    async def _send_update(self, update: JsonDict) -> str | None:
        """None on success, else the error as getWebhookInfo reports it."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if self.settings.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.settings.secret_token
        body = json.dumps(update, ensure_ascii=False, separators=(",", ":"))
        try:
            async with self._session.post(self.settings.url, data=body, headers=headers) as reply:
                if not 200 <= reply.status < 300:
                    return f"Wrong response from the webhook: {reply.status} {reply.reason}"
                if reply.content_type == "application/json":
                    await self._run_reply_method(await reply.read())
                return None
        except (aiohttp.ClientError, TimeoutError) as error:
            return f"Connection error: {error.__class__.__name__}"

    async def _run_reply_method(self, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("method"), str):
            values = {k: v for k, v in body.items() if k != "method"}
            try:
                await self.api.execute(body["method"], values)
            except ApiError:
                pass  # Telegram gives the bot no way to see errors of webhook-reply calls


# --- the HTTP control API ----------------------------------------------------------------------


def _control_error(code: int, description: str) -> web.Response:
    return _json_response({"ok": False, "error_code": code, "description": description}, code)


def _ok(result: Any) -> web.Response:
    return _json_response({"ok": True, "result": result})


async def _json_body(request: web.Request) -> JsonDict:
    if not request.body_exists:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ControlApi:
    """``/_emu/...``: what tests do in Python, for benchmarks and soak drivers elsewhere."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.emu = emulator

    def add_routes(self, router: web.UrlDispatcher) -> None:
        routes = (
            ("GET", "/_emu/stats", self.stats),
            ("POST", "/_emu/reset", self.reset),
            ("GET", "/_emu/faults", self.list_faults),
            ("POST", "/_emu/faults", self.add_fault),
            ("DELETE", "/_emu/faults", self.clear_faults),
            ("DELETE", "/_emu/faults/{rule_id}", self.remove_fault),
            ("GET", "/_emu/flood", self.get_flood),
            ("POST", "/_emu/flood", self.set_flood),
            ("POST", "/_emu/users/{user_id}/{action}", self.user_action),
            ("GET", "/_emu/chats/{chat_id}/messages", self.chat_messages),
            ("GET", "/_emu/chats/{chat_id}/callback_answers", self.callback_answers),
            ("GET", "/_emu/files/{file_id}", self.file),
        )
        for method, path, handler in routes:
            router.add_route(method, path, self._guarded(handler))

    @staticmethod
    def _guarded(handler: ControlHandler) -> ControlHandler:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except LookupError as error:
                return _control_error(404, str(error))
            except (ValueError, TypeError, ApiError) as error:
                return _control_error(400, str(error))

        return run

    async def stats(self, request: web.Request) -> web.StreamResponse:
        return _ok(self.emu.stats())

    async def reset(self, request: web.Request) -> web.StreamResponse:
        body = await _json_body(request)
        await self.emu.reset(seed=body.get("seed"))
        return _ok(True)

    async def list_faults(self, request: web.Request) -> web.StreamResponse:
        return _ok([rule.to_dict() for rule in self.emu.faults.rules])

    async def add_fault(self, request: web.Request) -> web.StreamResponse:
        rule = self.emu.faults.add_rule(FaultRule.from_dict(await _json_body(request)))
        return _ok(rule.to_dict())

    async def clear_faults(self, request: web.Request) -> web.StreamResponse:
        self.emu.faults.clear()
        return _ok(True)

    async def remove_fault(self, request: web.Request) -> web.StreamResponse:
        self.emu.faults.remove(int(request.match_info["rule_id"]))
        return _ok(True)

    async def get_flood(self, request: web.Request) -> web.StreamResponse:
        return _ok(vars(self.emu.flood.settings))

    async def set_flood(self, request: web.Request) -> web.StreamResponse:
        return _ok(vars(self.emu.flood.configure(**await _json_body(request))))

    async def user_action(self, request: web.Request) -> web.StreamResponse:
        body = await _json_body(request)
        user_id = int(request.match_info["user_id"])
        user = self.emu.user(user_id, first_name=str(body.get("first_name", f"User{user_id}")))
        action = request.match_info["action"]
        if action == "send":
            return _ok((await self._send(user, body)).to_dict())
        if action in ("press", "edit"):
            message = user.chat.messages.get(int(body["message_id"]))
            if message is None:
                raise LookupError(f"no message {body['message_id']} in chat {user_id}")
            if action == "edit":
                return _ok((await user.edit(message, str(body["text"]))).to_dict())
            return _ok(
                await user.press(message, body.get("text"), callback_data=body.get("callback_data"))
            )
        if action in ("block", "unblock"):
            await (user.block() if action == "block" else user.unblock())
            return _ok(True)
        raise LookupError(f"unknown user action {action!r}")

    @staticmethod
    async def _send(user: TelegramUser, body: JsonDict) -> StoredMessage:
        kind = body.get("kind", "text")
        if kind == "text":
            return await user.send(str(body["text"]))
        if kind == "sticker":
            return await user.send_sticker()
        if kind == "photo":
            return await user.send_photo(caption=body.get("caption"))
        if kind == "voice":
            return await user.send_voice()
        if kind == "location":
            return await user.send_location(
                body.get("latitude", 51.5), body.get("longitude", -0.12)
            )
        if kind == "contact":
            return await user.send_contact()
        raise ValueError(f"unknown message kind {kind!r}")

    async def chat_messages(self, request: web.Request) -> web.StreamResponse:
        chat = self.emu.state.chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            raise LookupError("chat not found")
        after = int(request.query.get("after", 0))
        timeout = float(request.query.get("timeout", 0))
        bot_only = request.query.get("sender", "bot") == "bot"
        try:
            async with asyncio.timeout(timeout):
                while not (found := self._messages_after(chat, after, bot_only)):
                    await chat.changed.wait()
        except TimeoutError:
            found = []
        return _ok(found)

    @staticmethod
    def _messages_after(chat: ChatState, after: int, bot_only: bool) -> list[JsonDict]:
        found = []
        # Newest first, stopping at "after": cheap even for a long chat.
        for message_id in range(chat.last_message_id, after, -1):
            message = chat.messages.get(message_id)
            if message and not message.deleted and (message.from_bot or not bot_only):
                found.append(message.to_dict())
        return found[::-1]

    async def callback_answers(self, request: web.Request) -> web.StreamResponse:
        chat = self.emu.state.chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            raise LookupError("chat not found")
        return _ok([vars(answer) for answer in chat.callback_answers])

    async def file(self, request: web.Request) -> web.StreamResponse:
        stored = self.emu.files[request.match_info["file_id"]]
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


# --- the emulator as a whole -------------------------------------------------------------------


class BotApiEmulator:
    """A running emulator: the HTTP server, the shared state and the people in it."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "stretch_test_bot",
        bot_name: str = "Stretch Bot",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        callback_ttl: float = 15.0,
        group_privacy: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        prefix = token.partition(":")[0]
        self.token = token
        self.host = host
        self.port = port
        self.state = TelegramState(
            bot_id=int(prefix) if prefix.isdigit() else 1,
            bot_username=bot_username,
            bot_name=bot_name,
            clock=clock,
            callback_ttl=callback_ttl,
            group_privacy=group_privacy,
        )
        self.api = EmulatedBotApi(self.state, token, seed)
        self._people: dict[int, TelegramUser] = {}
        self._runner: web.AppRunner | None = None

    # lifecycle

    async def start(self) -> str:
        """Start serving; returns :attr:`base_url` (for ``telegram.Bot(base_url=...)``)."""
        app = web.Application(client_max_size=64 * _MB)
        app.router.add_route("*", "/bot{token}/{method}", self.api.handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self.api.download)
        ControlApi(self).add_routes(app.router)
        # handler_cancellation: a long poll whose client hung up ends at once, as on Telegram.
        # Safe because every method acts only after its last await.
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.api.closing = False
        return self.base_url

    async def stop(self) -> None:
        self.api.closing = True
        self.state.updates.signal.fire()  # release long polls at once
        await self.api.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # people and chats

    def user(
        self,
        user_id: int,
        first_name: str = "Ann",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        started: bool = False,
    ) -> TelegramUser:
        """The person with this id (created on first use) and their private chat.

        ``started=True`` is a person who wrote to the bot before the test began, so the bot may
        message them first (otherwise Telegram answers 403 until they write).
        """
        person = self._people.get(user_id)
        if person is None:
            user = self.state.add_user(
                user_id,
                first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
            person = self._people[user_id] = TelegramUser(self.state, user)
        if started:
            person.chat.started = True
        return person

    def group(
        self, title: str = "Stretch group", *, chat_id: int | None = None, supergroup: bool = False
    ) -> GroupChat:
        return GroupChat(self.state, self.state.add_group(chat_id, title, supergroup=supergroup))

    def channel(
        self,
        title: str = "Stretch channel",
        *,
        chat_id: int | None = None,
        username: str | None = None,
    ) -> Channel:
        return Channel(self.state, self.state.add_channel(chat_id, title, username))

    # knobs and numbers

    @property
    def faults(self) -> FaultInjector:
        return self.api.faults

    @property
    def flood(self) -> FloodLimiter:
        return self.api.flood

    @property
    def files(self) -> FileStore:
        return self.state.files

    @property
    def webhook(self) -> WebhookDelivery:
        return self.api.webhook

    def stats(self) -> JsonDict:
        """Counters since start or reset, plus a few sizes; JSON-ready."""
        return {
            **self.api.counters.snapshot(),
            "faults_fired": dict(self.api.faults.fired),
            "pending_updates": len(self.state.updates.pending),
            "webhook_delivered": self.api.webhook.delivered,
            "chats": len(self.state.chats),
            "bot_messages": sum(len(c.bot_messages) for c in self.state.chats.values()),
            "uploads": sum(self.state.files.uploads.values()),
            "repeated_uploads": sum(n - 1 for n in self.state.files.uploads.values() if n > 1),
        }

    async def reset(self, seed: int | None = None) -> None:
        """Forget everything (people, chats, updates, files, faults, counters); keep serving.

        Handles from :meth:`user`, :meth:`group` and :meth:`channel` made before are stale.
        """
        await self.api.webhook.stop()
        self.api.reset(seed if seed is not None else 0)
        self._people.clear()


async def _serve(args: argparse.Namespace) -> None:
    emu = BotApiEmulator(args.token, args.username, host=args.host, port=args.port, seed=args.seed)
    await emu.start()
    if args.flood:
        emu.flood.enable()
    print(f"Bot API emulator on {emu.base_url} (token {emu.token}); control API {emu.url}/_emu/")
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the local Telegram Bot API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default="stretch_test_bot")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--flood", action="store_true", help="enforce Telegram's flood limits")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
