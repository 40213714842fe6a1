"""The emulator's HTTP server: Bot API routing, then faults and flood limits, then the method.

Every request to ``/bot{token}/{method}`` is counted under its method name (``stats()``),
its token checked (401), its method looked up case-insensitively (404), its parameters read
(``protocol.py``); then a matching fault rule may refuse it, delay it or drop the connection
(``faults.py``), and a message send over Telegram's flood limits gets 429; only then does the
method act (``messages.py``, ``media.py``, ``updates.py``, ``webhooks.py``, ``profile.py``).
A refused request never acts, so retrying it is safe. ``/file/bot{token}/{path}`` serves file
downloads and ``/_emu/`` the control API (``control.py``). :class:`BotApiEmulator` is what
tests hold: the server, the shared state and the people in it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

# The method modules register their methods when imported.
from tests.emulator import media, messages, profile, updates, webhooks  # noqa: F401
from tests.emulator.control import ControlApi
from tests.emulator.faults import (
    MESSAGE_SENDING_METHODS,
    Counters,
    FaultInjector,
    FaultKind,
    FloodLimiter,
)
from tests.emulator.files import FileStore
from tests.emulator.protocol import (
    MB,
    METHODS,
    ApiError,
    JsonDict,
    Params,
    json_response,
    read_params,
)
from tests.emulator.state import TelegramState
from tests.emulator.updates import LongPoll
from tests.emulator.userside import Channel, GroupChat, TelegramUser
from tests.emulator.webhooks import WebhookDelivery

DEFAULT_TOKEN = "123456:TEST-emulator-token"
# A send that reaches the emulator this soon after a 429 was answered may have left the bot
# before the 429 reached it, so it is not counted as sent while told to wait.
IN_FLIGHT_SECONDS = 0.2


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
        self.polls = LongPoll(state)
        self._told_to_wait = (0.0, 0.0)  # (when a 429 was answered, when its wait ends)
        state.updates.listeners.append(self.webhook.enqueue)

    def reset(self, seed: int) -> None:
        old_signal = self.state.updates.signal
        self.state.reset()
        self.state.updates.listeners.append(self.webhook.enqueue)
        old_signal.fire()  # a long poll on the old queue sees the queue changed and answers []
        self.counters = Counters()
        self.faults = FaultInjector(seed)
        self.flood = FloodLimiter()
        self._told_to_wait = (0.0, 0.0)

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
        if entry.name in MESSAGE_SENDING_METHODS:
            told, until = self._told_to_wait
            if told + IN_FLIGHT_SECONDS < time.monotonic() < until:
                self.counters.sent_while_told_to_wait += 1
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
            if self.flood.enabled and entry.name in MESSAGE_SENDING_METHODS:
                self._check_flood(params)
            result = await entry.handler(self, params)
        except ApiError as error:
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=error.code)  # the client left: nobody sees this
            return self._fail(method, error)
        except Exception as error:  # an emulator bug: say so instead of a bare 500 page
            return self._fail(method, ApiError(500, f"Internal Server Error: {error!r}"))
        return json_response({"ok": True, "result": result})

    async def download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return json_response(ApiError(401, "Unauthorized").payload(), 401)
        stored = self.state.files.by_path(request.match_info["path"])
        if stored is None:
            return json_response(ApiError(404, "Not Found").payload(), 404)
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
        if error.retry_after is not None:
            now = time.monotonic()
            self._told_to_wait = (now, max(self._told_to_wait[1], now + error.retry_after))
        return json_response(error.payload(), error.code)

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
        app = web.Application(client_max_size=64 * MB)
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
