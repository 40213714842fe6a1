"""Updates: the queue of what the bot has not yet confirmed, and getUpdates' long poll.

People's actions become updates (``state.py``) pushed onto the :class:`UpdateQueue`, unless
the bot's ``allowed_updates`` filter them out (then they are lost, as on Telegram). The bot
confirms them by ``offset``, as the Bot API says. A getUpdates call waits up to ``timeout``
seconds for one; a second getUpdates, or a setWebhook, ends the first with 409 Conflict, as
when two copies of a bot poll at once. A webhook (``webhooks.py``) is told of each new update.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.emulator.chats import Signal
from tests.emulator.protocol import ApiError, JsonDict, Params, bad_request, bot_method

if TYPE_CHECKING:
    from tests.emulator.server import EmulatedBotApi
    from tests.emulator.state import TelegramState

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


class LongPoll:
    """Who is polling: Telegram serves one getUpdates at a time and ends the older one."""

    def __init__(self, state: TelegramState) -> None:
        self.state = state
        self._poller: object | None = None
        self._conflict = ""

    def supersede(self, reason: str) -> None:
        """End the waiting getUpdates, if any, with 409 Conflict: ``reason``."""
        if self._poller is not None:
            self._poller = None
            self._conflict = reason
            self.state.updates.signal.fire()

    async def wait(self, limit: int, seconds: int, closing: Callable[[], bool]) -> list[JsonDict]:
        """Up to ``limit`` pending updates, waiting up to ``seconds`` for the first."""
        self.supersede(
            "terminated by other getUpdates request; make sure that only one bot instance "
            "is running"
        )
        me = object()
        self._poller = me
        queue = self.state.updates
        try:
            async with asyncio.timeout(seconds):
                while True:
                    if self._poller is not me:
                        raise ApiError(409, f"Conflict: {self._conflict}")
                    if queue is not self.state.updates:  # the emulator was reset meanwhile
                        return []
                    if queue.pending or closing():
                        return queue.peek(limit)
                    await queue.signal.wait()
        except TimeoutError:
            return []
        finally:
            if self._poller is me:
                self._poller = None


@bot_method("getUpdates")
async def _get_updates(api: EmulatedBotApi, params: Params) -> list[JsonDict]:
    if api.webhook.settings.url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = params.integer("offset") or 0
    limit = min(100, max(1, params.integer("limit") or 100))
    timeout = max(0, params.integer("timeout") or 0)
    queue = api.state.updates
    queue.set_allowed(params.structured("allowed_updates", "allowed updates"))
    queue.confirm(offset)
    return await api.polls.wait(limit, timeout, lambda: api.closing)
