"""One measurement's processes and database, started fresh and always torn down.

``async with Stack(scratch) as stack:`` gives an HTTP session for the driver; then
``await stack.emulator()``, ``await stack.bot(url)`` or ``await stack.echo()`` start the
processes and wait until they serve. A fresh emulator per run keeps counters and chats
from one run out of the next.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from bench import processes
from bench.control import EmulatorClient
from bench.processes import Process

PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Work:
    """What the bot did so far: SQL statements and commits (counted in the bot by
    SQLAlchemy events, bench/counted_bot.py) and Bot API requests (the emulator's count of
    calls per method, long polls left out: one getUpdates brings many updates)."""

    statements: int = 0
    commits: int = 0
    api_calls: int = 0
    units: int = 0  # units of work run: updates and timers, each one transaction

    def __sub__(self, other: Work) -> Work:
        return Work(
            self.statements - other.statements,
            self.commits - other.commits,
            self.api_calls - other.api_calls,
            self.units - other.units,
        )


class Stack:
    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.processes: list[Process] = []
        self.client: EmulatorClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._driver_cpu = 0.0

    async def __aenter__(self) -> Stack:
        self.scratch.mkdir(parents=True, exist_ok=True)
        # No pool limit: a thousand people each hold a long poll and send at the same time.
        connector = aiohttp.TCPConnector(limit=0)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=120)
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for process in reversed(self.processes):
            process.stop()
        if self._session is not None:
            await self._session.close()

    async def emulator(self, *, started_people: range | None = None) -> EmulatorClient:
        assert self._session is not None
        process, url = processes.start_emulator(self.scratch, started_people=started_people)
        self.processes.append(process)
        self.client = EmulatorClient(self._session, url)
        # Registering 100,000 people takes the emulator a few seconds.
        await self.client.wait_ready(timeout=120)
        return self.client

    async def bot(self, database_url: str, *, wait: bool = True, **settings: Any) -> Process:
        assert self.client is not None
        process = processes.start_bot(self.scratch, self.client.url, database_url, **settings)
        self.processes.append(process)
        if wait:
            await self._wait_polling(process)
            await self._wait_fully_loaded(process)
        return process

    async def _wait_fully_loaded(self, process: Process, within: float = 60.0) -> None:
        """Until the safety net's meaning layer is loaded (a second or two after start, in
        a thread): measured is the bot as it runs for days, not its first seconds."""
        assert self._session is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with self._session.get(f"{process.counts_url}/counts") as response:
                if (await response.json()).get("ready"):
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{process.name} never loaded its safety layer:\n{process.log_tail()}")

    async def echo(self, *, raw: bool = False, wait: bool = True, concurrency: int = 64) -> Process:
        assert self.client is not None
        start = processes.start_raw_echo if raw else processes.start_echo
        process = start(self.scratch, self.client.url, concurrency=concurrency)
        self.processes.append(process)
        if wait:
            await self._wait_polling(process)
        return process

    async def _wait_polling(self, process: Process) -> None:
        assert self.client is not None
        try:
            await self.client.wait_polling(timeout=120)
        except TimeoutError:
            raise RuntimeError(f"{process.name} did not start:\n{process.log_tail()}") from None

    async def work(self) -> Work:
        assert self.client is not None and self._session is not None
        calls = (await self.client.stats())["calls"]
        api_calls = sum(n for method, n in calls.items() if method != "getUpdates")
        bot = self._counted()
        if bot is None:
            return Work(api_calls=api_calls)
        async with self._session.get(f"{bot.counts_url}/counts") as response:
            counts = await response.json()
        return Work(counts["statements"], counts["commits"], api_calls, counts["units"])

    async def profile(self, action: str, to: Path | None = None) -> None:
        """``start`` or ``stop`` pyinstrument in the bot; ``stop`` writes ``to`` (.txt and
        .pyisession)."""
        bot = self._counted()
        assert bot is not None and self._session is not None
        params = {"to": str(to)} if to is not None else {}
        async with self._session.get(f"{bot.counts_url}/profile/{action}", params=params) as r:
            r.raise_for_status()

    def _counted(self) -> Process | None:
        return next((p for p in self.processes if p.counts_url is not None), None)

    def mark_cpu(self) -> None:
        for process in self.processes:
            process.mark_cpu()
        self._driver_cpu = processes.cpu_seconds(os.getpid())

    def cpu_shares(self, seconds: float) -> str:
        """CPU used by each process since :meth:`mark_cpu`, as a share of one core, and the
        share it spent ready to run but waiting for a CPU (the machine was busy)."""
        parts = [
            f"{process.name} {process.cpu_since_mark() / seconds:.0%}"
            f" (+{process.waited_since_mark() / seconds:.0%} waiting for a CPU)"
            for process in self.processes
        ]
        driver = processes.cpu_seconds(os.getpid()) - self._driver_cpu
        return ", ".join([*parts, f"driver {driver / seconds:.0%}"])


def sqlite_url(scratch: Path) -> str:
    return f"sqlite+aiosqlite:///{scratch / f'bench-{uuid.uuid4().hex[:8]}.db'}"


async def postgres_available() -> bool:
    import asyncpg

    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


@asynccontextmanager
async def fresh_database(kind: str, scratch: Path) -> AsyncIterator[str]:
    """A new, empty database for one run: a SQLite file, or a PostgreSQL database."""
    if kind == "sqlite":
        yield sqlite_url(scratch)
        return
    import asyncpg

    name = f"stretchbot_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    host = PG_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{host}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
