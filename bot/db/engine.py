"""One async engine per process, with SQLite tuned for a bot (WAL, busy timeout)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db import sqlite_inline


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def prepare_sqlite_file(path: Path) -> None:
    """Health data at rest: the folder and the file are readable by their owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def make_engine(url: str, pool_size: int = 20) -> AsyncEngine:
    path = sqlite_path(url)
    if path is not None:
        prepare_sqlite_file(path)
        # Statements run on the event loop's thread, not aiosqlite's: see sqlite_inline.
        engine = create_async_engine(url, async_creator=sqlite_inline.connector(str(path), 30.0))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Up to 2 x pool_size connections per instance; two instances stay under PostgreSQL's
    # default max_connections (100). A unit waits for a connection rather than failing.
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_timeout=120, pool_pre_ping=True
    )


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def check_reachable(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
