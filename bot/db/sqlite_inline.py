"""SQLite for the async engine, run on the event loop's own thread.

aiosqlite runs every statement on a worker thread: each of the ~10 statements of a unit of
work costs two thread hand-offs and a fight for the GIL with the event loop. Profiling the
bot under load (``python -m bench``) put a third of its CPU time there. A local SQLite
statement takes tens of microseconds, so running it inline is cheaper than handing it off.

Inline statements never suspend, so a transaction runs from its first statement to its
commit without letting another coroutine in: two units of work never hold SQLite's write
lock at the same time, and the busy handler never sleeps. The rule that keeps this true is
the one the bot already follows: no network or file I/O inside a transaction. Another
*process* writing to the same file (a migration, a second instance) still makes a writer
wait up to the busy timeout, and here that wait blocks the event loop.

Used through ``create_async_engine(url, async_creator=connector(path))``, which SQLAlchemy's
aiosqlite dialect accepts in place of an aiosqlite connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any


class InlineCursor:
    """An aiosqlite-shaped cursor whose coroutines finish without suspending."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set isolation levels."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineConnection:
    """An aiosqlite-shaped connection over a plain ``sqlite3`` connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection = connection  # SQLAlchemy checks it before commit and rollback
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return InlineCursor(self._conn.execute(sql, parameters))

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    def stop(self) -> None:
        self._conn.close()


def connector(path: str, timeout: float) -> Callable[[], Awaitable[InlineConnection]]:
    """The ``async_creator`` for one database file."""

    async def connect() -> InlineConnection:
        # check_same_thread=False: SQLAlchemy may close a connection from the GC's thread.
        return InlineConnection(sqlite3.connect(path, timeout=timeout, check_same_thread=False))

    return connect
