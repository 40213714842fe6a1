"""The driver's handle on the emulator: its ``/_emu`` control API over HTTP.

Everything a simulated person does (write, tap a button, read the chat) and everything the
driver checks (calls per method, 429 answers) goes through here, from the driver's own
process, so the bot is measured exactly as Telegram would drive it.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bench.processes import wait_until

Message = dict[str, Any]


class EmulatorClient:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.control = f"{url}/_emu"

    async def _result(self, response: aiohttp.ClientResponse) -> Any:
        body = await response.json()
        if not body.get("ok"):
            raise RuntimeError(f"emulator said {response.status}: {body.get('description')}")
        return body["result"]

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(f"{self.control}/stats") as response:
            result: dict[str, Any] = await self._result(response)
            return result

    async def calls(self, method: str) -> int:
        return int((await self.stats())["calls"].get(method, 0))

    async def send(self, user_id: int, text: str) -> Message:
        url = f"{self.control}/users/{user_id}/send"
        async with self.session.post(url, json={"text": text}) as response:
            result: Message = await self._result(response)
            return result

    async def press(self, user_id: int, message_id: int, callback_data: str) -> None:
        url = f"{self.control}/users/{user_id}/press"
        body = {"message_id": message_id, "callback_data": callback_data}
        async with self.session.post(url, json=body) as response:
            await self._result(response)

    async def messages(self, chat_id: int, after: int, timeout: float) -> list[Message]:
        """The bot's messages newer than ``after``; waits up to ``timeout`` for one."""
        url = f"{self.control}/chats/{chat_id}/messages"
        params = {"after": str(after), "timeout": f"{max(0.0, timeout):.3f}"}
        async with self.session.get(url, params=params) as response:
            result: list[Message] = await self._result(response)
            return result

    async def events(self, chat_id: int, after: int, timeout: float) -> tuple[list[Message], int]:
        """The bot's new and edited messages from event ``after`` on, and where to read on
        from; waits up to ``timeout`` for one."""
        url = f"{self.control}/chats/{chat_id}/events"
        params = {"after": str(after), "timeout": f"{max(0.0, timeout):.3f}"}
        async with self.session.get(url, params=params) as response:
            result: dict[str, Any] = await self._result(response)
            return result["events"], int(result["next"])

    async def flood(self, **settings: Any) -> None:
        async with self.session.post(f"{self.control}/flood", json=settings) as response:
            await self._result(response)

    async def wait_ready(self, timeout: float = 30) -> None:
        async def serving() -> bool:
            await self.stats()
            return True

        await wait_until(serving, timeout, "the emulator to serve")

    async def wait_polling(self, timeout: float = 60) -> None:
        """Until the bot has started long-polling (it is ready to take updates)."""

        async def polling() -> bool:
            return await self.calls("getUpdates") >= 1

        await wait_until(polling, timeout, "the bot to poll for updates")


def callback_data_of(message: Message) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]


def button_starting(message: Message, *prefixes: str) -> str | None:
    """The first button whose callback data starts with one of ``prefixes``."""
    return next((data for data in callback_data_of(message) if data.startswith(prefixes)), None)
