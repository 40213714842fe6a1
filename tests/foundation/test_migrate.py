"""The schema check at start-up: a current database starts without alembic, an empty or older
one is brought up to date, and the readiness probe says which it is.

An operator would notice a wrong answer either way: a bot serving on a schema missing a
column (HEAD not moved with a new migration), or one that migrates at every start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.db.engine import make_engine
from bot.db.migrate import HEAD, alembic_config, is_current, upgrade


def test_head_is_alembics_only_head() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [HEAD]


def _user_columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns("users")}


async def test_an_empty_or_older_database_is_brought_up_to_date(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert not await is_current(engine)  # empty: the readiness probe says so
        # One migration behind: users.language (0004) missing.
        async with engine.begin() as connection:

            def to_0003(sync: Connection) -> None:
                config = alembic_config()
                config.attributes["connection"] = sync
                command.upgrade(config, "0003_pictures")

            await connection.run_sync(to_0003)
        assert not await is_current(engine)
        async with engine.connect() as connection:
            assert "language" not in await connection.run_sync(_user_columns)
        await upgrade(engine)
        assert await is_current(engine)
        async with engine.connect() as connection:
            assert "language" in await connection.run_sync(_user_columns)
    finally:
        await engine.dispose()


def test_a_current_database_starts_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    script = (
        "import asyncio, sys\n"
        "from bot.db.engine import make_engine\n"
        "from bot.db.migrate import upgrade\n"
        "async def main():\n"
        f"    engine = make_engine({url!r})\n"
        "    await upgrade(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
        "print('alembic' in sys.modules)\n"
    )

    def start() -> str:
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        )
        return run.stdout.strip()

    assert start() == "True"  # an empty database: migrated, with alembic
    assert start() == "False"  # current: one query, no alembic
