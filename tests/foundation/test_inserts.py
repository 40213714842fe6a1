"""A unit's messages are written with one INSERT, and each row gets its own id back, in
the order said: delivery sends by those ids, so a mix-up would send a person's messages
out of order or delete the wrong row as sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, event, select
from sqlalchemy.engine import Engine

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.inserts import IdInserts
from bot.db.migrate import upgrade
from bot.db.models import Outbox, User

OUTBOX = IdInserts(cast(Table, Outbox.__table__))


async def test_many_rows_one_statement_ids_in_the_order_given(database_url: str) -> None:
    engine = make_engine(database_url)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO outbox"):
            statements.append(statement)

    try:
        await upgrade(engine)
        now = datetime.now(UTC)
        sessions = make_sessionmaker(engine)
        async with sessions() as db, db.begin():
            db.add(User(id=7, chat_id=7, created_at=now, consent="given", level=1))
        rows = [
            {
                "user_id": 7,
                "chat_id": 7,
                "method": "sendMessage",
                "params": {"text": f"message {n}"},
                "tag": None,
                "not_before": now,
                "claimed_by": None,
                "lease_until": None,
                "attempts": 0,
            }
            for n in range(40)
        ]
        event.listen(Engine, "before_cursor_execute", count)
        try:
            async with sessions() as db, db.begin():
                first = await OUTBOX(db, rows[:3])  # ids already taken: the next ones go on
                ids = await OUTBOX(db, rows[3:])
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        assert len(statements) == 2  # one per call, however many rows
        async with sessions() as db:
            stored = {row.id: row.params["text"] for row in (await db.scalars(select(Outbox)))}
        assert [stored[i] for i in first + ids] == [f"message {n}" for n in range(40)]
        assert first + ids == sorted(first + ids)
    finally:
        await engine.dispose()
