"""The Bot API's wire format: parameters in, the ``{"ok": ...}`` envelope out, and the methods.

A request's parameters come from the query string and a JSON, urlencoded or multipart body
(:func:`read_params`); :class:`Params` types each one on demand, as Telegram does (form fields
are strings, JSON bodies are typed). A method is an ``async`` function registered with
:func:`bot_method` under its name; the server looks it up case-insensitively, runs it, and
answers its result as ``{"ok": true, "result": ...}`` or an :class:`ApiError` as
``{"ok": false, "error_code": ..., "description": ...}`` with the same HTTP status.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.emulator.server import EmulatedBotApi

JsonDict = dict[str, Any]
MB = 1024 * 1024


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


def json_response(body: Any, status: int = 200) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return web.Response(text=text, status=status, content_type="application/json")


# --- request parameters ---------------------------------------------------------------------------


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


# --- the methods ----------------------------------------------------------------------------------

Handler = Callable[["EmulatedBotApi", Params], Awaitable[Any]]


@dataclass(frozen=True)
class BotMethod:
    name: str
    handler: Handler


METHODS: dict[str, BotMethod] = {}


def bot_method(name: str) -> Callable[[Handler], Handler]:
    """Register a Bot API method under its lower-cased name (Telegram ignores case)."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = BotMethod(name, handler)
        return handler

    return register
