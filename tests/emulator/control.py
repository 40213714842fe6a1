"""``/_emu/...``: the HTTP control API, so other processes can do what tests do in Python.

Benchmarks and the soak run the emulator in its own process and drive it over HTTP: read the
counters, reset, add or remove fault rules, set flood limits, make a person send, press, edit
or block, and read a chat's messages (waiting for a new one, like a long poll). JSON in,
``{"ok": true, "result": ...}`` out; an unknown person, message or rule is 404, a malformed
request 400. The routes are listed in the package docstring (``__init__.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.emulator.chats import ChatState, StoredMessage
from tests.emulator.faults import FaultRule
from tests.emulator.protocol import ApiError, JsonDict, json_response
from tests.emulator.userside import TelegramUser

if TYPE_CHECKING:
    from tests.emulator.server import BotApiEmulator


def _control_error(code: int, description: str) -> web.Response:
    return json_response({"ok": False, "error_code": code, "description": description}, code)


def _ok(result: Any) -> web.Response:
    return json_response({"ok": True, "result": result})


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
            ("GET", "/_emu/chats/{chat_id}/events", self.chat_events),
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

    async def chat_events(self, request: web.Request) -> web.StreamResponse:
        """The bot's new and edited messages from event ``after`` on, as a person's phone
        sees them arrive (an edit that turns a question into the next one included); waits
        up to ``timeout`` for one. ``next``: where to read on from."""
        chat = self.emu.state.chats.get(int(request.match_info["chat_id"]))
        if chat is None:
            raise LookupError("chat not found")
        after = int(request.query.get("after", 0))
        try:
            async with asyncio.timeout(float(request.query.get("timeout", 0))):
                while len(chat.events) <= after:
                    await chat.changed.wait()
        except TimeoutError:
            pass
        found = [
            {"kind": kind, **message.to_dict()}
            for kind, message in chat.events[after:]
            if not message.deleted
        ]
        return _ok({"events": found, "next": max(after, len(chat.events))})

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
