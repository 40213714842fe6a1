"""Measure 6: from process start to the first reply, and what start-up imports.

The bot: a person's /start waits in the emulator, then ``python -m bot run`` is started on
a fresh SQLite database (so the migrations run too: the slowest start there is); the clock
runs from just before the process is created to the reply reaching the person. The echo
baseline drops pending updates when it starts, so its person writes every 50 ms until the
first echo arrives.

Imports are timed in fresh interpreters: what the bot imports to start, whether the heavy
chart and PDF libraries stayed out of it, and what they would have cost.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.control import EmulatorClient
from bench.processes import REPO, Process, child_env
from bench.stack import Stack, sqlite_url

HEAVY = ("matplotlib", "fpdf", "PIL")

_TIMED_IMPORT = """
import json, sys, time
started = time.perf_counter()
{statement}
seconds = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


async def _first_message(client: EmulatorClient, chat_id: int, process: Process) -> float:
    while True:
        if await client.messages(chat_id, 0, 5.0):
            return time.monotonic() - process.started_at
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.log_tail()}")


async def bot_first_reply(scratch: Path) -> float:
    async with Stack(scratch) as stack:
        client = await stack.emulator()
        await client.send(1, "/start")
        process = await stack.bot(sqlite_url(scratch), wait=False)
        return await asyncio.wait_for(_first_message(client, 1, process), 60)


async def echo_first_reply(scratch: Path) -> float:
    async with Stack(scratch) as stack:
        client = await stack.emulator()
        process = await stack.echo(wait=False)

        async def keep_writing() -> None:
            n = 0
            while True:
                await client.send(1, f"hello {n}")
                n += 1
                await asyncio.sleep(0.05)

        writer = asyncio.create_task(keep_writing())
        try:
            await asyncio.sleep(0.01)  # the first message creates the chat
            return await asyncio.wait_for(_first_message(client, 1, process), 60)
        finally:
            writer.cancel()


@dataclass
class ImportCost:
    seconds: float
    loaded: list[str]


def timed_import(statement: str) -> ImportCost:
    """Run ``statement`` in a fresh interpreter; its time and which heavy modules it loaded."""
    code = _TIMED_IMPORT.format(statement=statement, heavy=HEAVY)
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env(MPLBACKEND="Agg"),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = json.loads(output.strip().splitlines()[-1])
    return ImportCost(float(found["seconds"]), list(found["loaded"]))


# What `python -m bot run` imports before it can answer, and what the echo bot imports.
BOT_START_IMPORTS = "import bot.__main__, bot.launch"
ECHO_START_IMPORTS = "import bench.echo_bot"
HEAVY_IMPORTS = "import matplotlib.pyplot, fpdf"
