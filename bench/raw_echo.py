"""The emulator's ceiling: an echo bot written on bare aiohttp, with no framework.

It long-polls ``getUpdates`` and answers every text with ``sendMessage``, up to
``--concurrency`` sends at once. Whatever rate it reaches is what the emulator (and the
machine) allow; the real bot and the python-telegram-bot baseline must stay well below it
for their figures to say anything about themselves rather than about the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import aiohttp


async def run(base_url: str, token: str, concurrency: int) -> None:
    api = f"{base_url}{token}"
    slots = asyncio.Semaphore(concurrency)
    pending: set[asyncio.Task[None]] = set()
    connector = aiohttp.TCPConnector(limit=concurrency + 2)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def echo(message: dict[str, Any]) -> None:
            async with slots:
                body = {"chat_id": message["chat"]["id"], "text": message["text"]}
                async with session.post(f"{api}/sendMessage", json=body) as response:
                    await response.read()

        offset = 0
        while True:
            body = {"offset": offset, "timeout": 10}
            async with session.post(f"{api}/getUpdates", json=body) as response:
                updates = (await response.json())["result"]
            for update in updates:
                offset = update["update_id"] + 1
                message = update.get("message")
                if message and "text" in message:
                    task = asyncio.create_task(echo(message))
                    pending.add(task)
                    task.add_done_callback(pending.discard)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    try:
        asyncio.run(run(args.base_url, args.token, args.concurrency))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
