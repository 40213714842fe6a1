"""Alembic, configured in code: the migrations ship inside the package.

At start-up the database is usually current already. That is asked with one query of
alembic's own version table, against :data:`HEAD`, so alembic (and mako) are imported only
when there is something to apply: about 8 MB of memory and 60 ms of start-up otherwise
(``tests/foundation/test_migrate.py`` holds :data:`HEAD` to alembic's own head).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration's revision (bot/db/migrations/versions/); a new migration changes it.
HEAD = "0004_language"
VERSION_TABLE = "alembic_version"  # alembic's default


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "bot.db:migrations")
    return config


def applied(connection: Connection) -> set[str]:
    """The revisions the database is at (none for an empty database), as alembic keeps them."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return {str(version) for (version,) in rows}


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every pending migration (a no-op on a current database)."""

    def run(connection: Connection) -> None:
        if applied(connection) == {HEAD}:
            return
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def is_current(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        return await connection.run_sync(applied) == {HEAD}
