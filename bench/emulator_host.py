"""The emulator as a benchmark process, optionally with many people who already wrote.

``python -m bench.emulator_host --port P --token T --started-from 1000000 --started-count
100000`` serves the Bot API and the ``/_emu`` control API like ``python -m tests.emulator``,
and first registers that range of people as having written to the bot, so it may message
them first (reminders) without the driver sending 100,000 updates the bot would have to
process. Prints ``ready`` once it serves.
"""

from __future__ import annotations

import argparse
import asyncio

from tests.emulator.server import BotApiEmulator


async def serve(args: argparse.Namespace) -> None:
    emulator = BotApiEmulator(args.token, host="127.0.0.1", port=args.port)
    for user_id in range(args.started_from, args.started_from + args.started_count):
        emulator.user(user_id, f"Person{user_id}", started=True)
    await emulator.start()
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--started-from", type=int, default=0)
    parser.add_argument("--started-count", type=int, default=0)
    try:
        asyncio.run(serve(parser.parse_args()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
