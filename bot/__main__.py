"""Command line: ``python -m bot [run | webhook | chat | migrate | gallery DIR]`` (also
``stretchbot``).

Without a command: polling when TELEGRAM_BOT_TOKEN is set, else the terminal chat, so a
newcomer with no token and no network still talks to the real bot. The chat runs the Bot API
emulator, which is test code (``tests/emulator``), so it needs a clone of the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stretchbot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="long-poll the Bot API (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser("webhook", help="serve webhooks (WEBHOOK_URL, WEBHOOK_SECRET, PORT)")
    chat = sub.add_parser("chat", help="talk to the bot in this terminal, offline")
    chat.add_argument(
        "--speed", type=float, default=1.0, help="make holds this many times shorter (default 1)"
    )
    chat.add_argument("--user-id", type=int, default=1001)
    sub.add_parser("migrate", help="apply database migrations and exit")
    gallery = sub.add_parser("gallery", help="write every stretch's picture and a contact sheet")
    gallery.add_argument("folder", type=Path)
    gallery.add_argument("--sheet-only", action="store_true", help="only contact-sheet.png")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "gallery":
        from bot.gallery import write_gallery

        sheet = write_gallery(args.folder, sheet_only=args.sheet_only)
        print(f"Pictures and animations in {args.folder}; contact sheet: {sheet}")
        return 0
    try:
        settings = load_settings()
        command = args.command or ("run" if settings.token else "chat")
        # The terminal chat is for reading the conversation: keep INFO lines out of it.
        quiet = command == "chat" and "LOG_LEVEL" not in os.environ
        configure_logging("WARNING" if quiet else settings.log_level, settings.secrets())
        if command == "chat":
            run_chat = _terminal_chat()
            if run_chat is None:
                print(CHAT_NEEDS_CLONE, file=sys.stderr)
                return 1
            speed = getattr(args, "speed", 1.0)  # real time, as README says
            return asyncio.run(
                run_chat(settings, speed=speed, user_id=getattr(args, "user_id", 1001))
            )
        if command == "migrate":
            return asyncio.run(_migrate(settings))
        if command == "webhook":
            from bot.webhook import serve_webhook

            return asyncio.run(serve_webhook(settings))
        return asyncio.run(_poll(settings))
    except ConfigError as exc:
        print(exc.code, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


CHAT_NEEDS_CLONE = (
    "The terminal chat needs a clone of the repository (its Bot API emulator lives in "
    "tests/emulator): run `make chat` there, or set TELEGRAM_BOT_TOKEN to talk on Telegram."
)


def _terminal_chat() -> Callable[..., Coroutine[Any, Any, int]] | None:
    """The terminal chat's entry point, or None when the emulator is not importable.

    The emulator is test code, so an installed wheel does not have it; a clone does (the
    current directory is on sys.path under ``python -m bot``)."""
    try:
        from tests.emulator.chat import run_chat
    except ModuleNotFoundError as error:
        if error.name not in ("tests", "tests.emulator", "tests.emulator.chat"):
            raise  # something the emulator needs is missing: say that, not "clone"
        return None
    return run_chat


async def _migrate(settings: Settings) -> int:
    from bot.launch import open_database

    engine = await open_database(settings.model_copy(update={"auto_migrate": True}))
    await engine.dispose()
    print("Database is up to date.")
    return 0


async def _poll(settings: Settings) -> int:
    from bot.launch import start_bot

    running = await start_bot(settings, polling=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
