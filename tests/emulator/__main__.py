"""``python -m tests.emulator --port 8081 --token 123:ABC``: the emulator as its own process.

Benchmarks and the soak run it like this and drive it over HTTP (the ``/_emu/`` control API).
``--flood`` enforces Telegram's flood limits from the start.
"""

from __future__ import annotations

import argparse
import asyncio

from tests.emulator.server import DEFAULT_TOKEN, BotApiEmulator


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
