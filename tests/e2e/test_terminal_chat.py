"""``make chat`` (``python -m bot chat``): from a clone it opens the terminal chat; from an
installed wheel, which has no emulator (it is test code), it says in one line what it needs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


async def test_from_a_clone_the_terminal_chat_talks_to_the_bot(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
    }
    chat = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "chat", "--speed", "100"),
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert chat.stdin is not None and chat.stdout is not None
    printed: list[str] = []
    try:
        async with asyncio.timeout(60):
            while not any(line.startswith("🤖") for line in printed):
                line = await chat.stdout.readline()
                assert line, f"the chat ended before the bot spoke: {printed}"
                printed.append(line.decode())
        chat.stdin.write(b"/quit\n")
        await chat.stdin.drain()
        async with asyncio.timeout(30):
            assert await chat.wait() == 0
    finally:
        if chat.returncode is None:
            chat.kill()
            await chat.wait()


def test_without_the_emulator_the_chat_says_it_needs_a_clone_in_one_line(tmp_path: Path) -> None:
    # Outside the clone "tests" is not importable, as in an installed wheel.
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "needs a clone of the repository" in lines[0], result.stderr
    assert "make chat" in lines[0]
