"""Many rows in one INSERT, with their new ids in the order the rows were given.

SQLAlchemy's ``sort_by_parameter_order`` does this in one statement on PostgreSQL, but on
SQLite it falls back to one INSERT per row: SQLite does not promise an order for RETURNING.
It does number the rows of one multi-row INSERT in order (a rowid table without given ids
takes the largest rowid plus one for each row, under the write lock), so on SQLite the
ids come back unordered from one statement and are sorted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


class IdInserts:
    """Built once per table: building a statement costs SQLAlchemy about as much as running it."""

    def __init__(self, table: Table) -> None:
        id_column = table.c.id
        self.ordered = insert(table).returning(id_column, sort_by_parameter_order=True)
        self.any_order = insert(table).returning(id_column)

    async def __call__(
        self, db: AsyncSession | AsyncConnection, rows: Sequence[dict[str, Any]]
    ) -> list[int]:
        dialect = db.get_bind().dialect if isinstance(db, AsyncSession) else db.dialect
        if dialect.name == "sqlite":
            return sorted((await db.execute(self.any_order, list(rows))).scalars())
        return list((await db.execute(self.ordered, list(rows))).scalars())
