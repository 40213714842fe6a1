"""Which HTTP client, at which update concurrency? Echo-bot throughput over the emulator.

Three processes: the emulator, the echo bot, and this driver, which sends messages for many
people through the emulator's control API and waits until every echo has been sent.
Prints updates per second for httpx and aiohttp at concurrency 1 and 64 (median of runs).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time

import aiohttp

TOKEN = "4242:benchmark-token-transport"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(session: aiohttp.ClientSession, url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError(url)


async def calls(session: aiohttp.ClientSession, control: str, method: str) -> int:
    async with session.get(f"{control}/stats") as response:
        stats = (await response.json())["result"]
    return int(stats["calls"].get(method, 0))


async def sent_messages(session: aiohttp.ClientSession, control: str) -> int:
    return await calls(session, control, "sendMessage")


async def one_run(client: str, concurrency: int, people: int, each: int) -> float:
    port = free_port()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", "--port", str(port), "--token", TOKEN],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    bot = None
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, f"{base}/_emu/stats")
            bot = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.echo_bot",
                    "--base-url",
                    f"{base}/bot",
                    "--token",
                    TOKEN,
                    "--client",
                    client,
                    "--concurrency",
                    str(concurrency),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while await calls(session, f"{base}/_emu", "getUpdates") < 2:
                await asyncio.sleep(0.05)  # polling (after dropping pending updates)
            # Warm up: one message, one echo.
            await session.post(f"{base}/_emu/users/1/send", json={"text": "warm"})
            while await sent_messages(session, f"{base}/_emu") < 1:
                await asyncio.sleep(0.05)
            total = people * each
            started = time.monotonic()

            async def person(user_id: int) -> None:
                for n in range(each):
                    await session.post(f"{base}/_emu/users/{user_id}/send", json={"text": f"m{n}"})

            await asyncio.gather(*(person(100 + i) for i in range(people)))
            while await sent_messages(session, f"{base}/_emu") < total + 1:
                await asyncio.sleep(0.02)
            return total / (time.monotonic() - started)
    finally:
        for process in (bot, emulator):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--each", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| client | concurrency | updates/s (median) | runs |")
    print("|---|---|---|---|")
    for client in ("httpx", "aiohttp"):
        for concurrency in (1, 64):
            rates = [
                await one_run(client, concurrency, args.people, args.each) for _ in range(args.runs)
            ]
            print(
                f"| {client} | {concurrency} | {statistics.median(rates):.0f} | "
                f"{', '.join(f'{r:.0f}' for r in rates)} |",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
