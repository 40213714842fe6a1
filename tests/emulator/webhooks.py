"""Webhooks: setWebhook and friends, and delivering each update to the bot's URL.

Once a webhook is set, every pending and new update is POSTed to it as JSON, with the secret
token header when one was set; in order per chat (a chat's next update waits for the
previous one), and up to ``max_connections`` chats at a time. A failed delivery (no answer or
a non-2xx status) is retried with doubling delays; after ``max_attempts`` the update is dropped
and the error shows in getWebhookInfo, as on Telegram. A JSON answer that carries a "method"
is run like a Bot API call. While a webhook is set, getUpdates answers 409 Conflict.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp

from tests.emulator.protocol import ApiError, JsonDict, Params, bad_request, bot_method
from tests.emulator.updates import update_chat_key

if TYPE_CHECKING:
    from tests.emulator.server import EmulatedBotApi

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass
class WebhookSettings:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


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
        api.polls.supersede("terminated by setWebhook request")
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
