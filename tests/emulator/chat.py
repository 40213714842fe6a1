"""The terminal chat: the real bot, over real HTTP, against the in-process emulator.

Bot messages print as text; inline buttons print as numbered choices (type the number to
press one); anything else you type is sent as a message. Photos (the stretch pictures, the
progress chart), animations (each hold's movement) and documents the bot sends are saved
under ``chat-files/`` and their path printed; one sent again by file_id is saved once.
``--speed`` shortens holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.config import Settings
from tests.emulator.chats import EditRecord, StoredMessage
from tests.emulator.server import BotApiEmulator
from tests.emulator.userside import TelegramUser

CHAT_TOKEN = "1000001:offline-terminal-chat-token"
FILES_DIR = Path("chat-files")


def render(message: StoredMessage, files_dir: Path, emulator: BotApiEmulator) -> str:
    lines = [f"🤖 {message.text}" if message.text else "🤖"]
    lines += _keyboard_lines(message.inline_keyboard)
    data = message.data
    if "photo" in data or "document" in data:
        lines.insert(1, f"   📎 saved {save_file(message, files_dir, emulator)}")
    return "\n".join(lines)


def save_file(message: StoredMessage, files_dir: Path, emulator: BotApiEmulator) -> Path:
    """The message's file under ``files_dir``, named by its file id: a picture sent again
    (by file_id) is the same file, written once."""
    data = message.data
    if "photo" in data:
        file_id, name = data["photo"][-1]["file_unique_id"], "photo.png"
    else:
        file_id = data["document"]["file_unique_id"]
        name = data["document"].get("file_name", "file")
    files_dir.mkdir(exist_ok=True)
    path = files_dir / f"{file_id}-{name}"
    if not path.exists():
        path.write_bytes(emulator.files.of_message(message))
    return path


def _keyboard_lines(keyboard: list[list[dict[str, Any]]]) -> list[str]:
    """Buttons as numbered choices; a 0-10 scale as the numbers themselves."""
    flat = [b for row in keyboard for b in row]
    if _all_numbers(flat):
        # Typing one of the numbers sends it as an answer.
        return ["   " + "  ".join(f"[{b['text']}]" for b in flat)]
    return [
        "   " + "   ".join(f"[{flat.index(b) + 1}] {b['text']}" for b in row) for row in keyboard
    ]


def _all_numbers(buttons: list[dict[str, Any]]) -> bool:
    return bool(buttons) and all(str(b["text"]).isdigit() for b in buttons)


def numeric_keyboard(message: StoredMessage) -> bool:
    return _all_numbers([b for row in message.inline_keyboard for b in row])


def render_edit(edit: EditRecord, shown: dict[int, Any]) -> str:
    """An edit as it was made: its new buttons in full when they changed (the day picker),
    else the one changed line (a countdown)."""
    keyboard = (edit.markup or {}).get("inline_keyboard", [])
    if keyboard and keyboard != shown.get(edit.message_id):
        shown[edit.message_id] = keyboard
        return "\n".join([f"✏️  {edit.text}", *_keyboard_lines(keyboard)])
    shown[edit.message_id] = keyboard
    last = edit.text.splitlines()[-1] if edit.text else ""
    return f"   ✏️  {last}"


async def print_bot(user: TelegramUser, emulator: BotApiEmulator, state: dict[str, object]) -> None:
    """Print new messages, and edits as they were made, in the order they happened."""
    for line in follow_chat(user, emulator, state):
        if line is None:
            await user.chat.changed.wait()
        else:
            print(line, flush=True)


def follow_chat(
    user: TelegramUser, emulator: BotApiEmulator, state: dict[str, object]
) -> Iterator[str | None]:
    """What to print for each new message and edit, in order; None when caught up.

    Each edit is printed from its own record (the message as that edit left it), not from
    the message as it is by the time the printer gets to it.
    """
    chat = user.chat
    cursor = edit_cursor = 0
    shown: dict[int, Any] = {}  # the buttons last printed per message
    while True:
        while cursor < len(chat.events):
            kind, message = chat.events[cursor]
            cursor += 1
            if kind == "edit":
                edit = chat.edits[edit_cursor]
                edit_cursor += 1
                if not message.deleted and (edit.text or edit.markup):
                    yield render_edit(edit, shown)
                    if (edit.markup or {}).get("inline_keyboard"):
                        state["buttons"] = message
                continue
            if message.deleted:
                continue
            shown[message.message_id] = message.inline_keyboard
            yield render(message, FILES_DIR, emulator)
            if message.inline_keyboard:
                state["buttons"] = message
        yield None


async def read_line(prompt: str) -> str | None:
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None


async def run_chat(settings: Settings, *, speed: float = 1.0, user_id: int = 1001) -> int:
    from bot.launch import start_bot

    emulator = BotApiEmulator(
        token=CHAT_TOKEN, bot_username="stretch_helper_bot", bot_name="Stretch helper"
    )
    await emulator.start()
    chat_settings = settings.model_copy(
        update={
            "telegram_bot_token": CHAT_TOKEN,
            "telegram_api_base_url": emulator.base_url,
            "stretch_time_scale": settings.stretch_time_scale / max(speed, 0.01),
            "flood_limit_per_second": 0.0,
        }
    )
    # model_copy skips validation: turn the plain token into the SecretStr the bot expects.
    chat_settings = Settings.model_validate(
        chat_settings.model_dump() | {"telegram_bot_token": CHAT_TOKEN}
    )
    running = await start_bot(chat_settings, polling=True)
    user = emulator.user(user_id, "You")
    state: dict[str, object] = {}
    printer = asyncio.create_task(print_bot(user, emulator, state))
    print("Terminal chat with the stretch bot. Type a message, or a number to tap a button.")
    print("Ctrl-D or /quit to leave.\n", flush=True)
    await user.send("/start")
    try:
        while True:
            line = await read_line("")
            if line is None or line.strip() == "/quit":
                break
            line = line.strip()
            if not line:
                continue
            message = state.get("buttons")
            if (
                re.fullmatch(r"\d{1,2}", line)
                and isinstance(message, StoredMessage)
                and not numeric_keyboard(message)
            ):
                flat = [b for row in message.inline_keyboard for b in row]
                index = int(line) - 1
                if 0 <= index < len(flat):
                    with contextlib.suppress(LookupError):
                        await user.press(message, callback_data=str(flat[index]["callback_data"]))
                    continue
            await user.send(line)
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
        await running.stop()
        await emulator.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(asyncio.run(run_chat(Settings())))
