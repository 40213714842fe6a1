"""Registered people written straight into the bot's database, before the bot starts.

Going through the chat to register 100,000 people would measure onboarding, not what is
being measured (dispatching their reminders, or their timers), so rows are inserted in
bulk: people who gave consent and screened clear, with a daily reminder whose timer is due
now. The schema comes from the bot's own migrations, applied first.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import make_engine
from bot.db.migrate import upgrade
from bot.db.models import Dialog, Reminder, StretchSession, Timer, User

CHUNK = 5_000


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def person(user_id: int, now: datetime) -> dict[str, Any]:
    """Someone who consented, told region and age, and screened clear just now."""
    return {
        "id": user_id,
        "chat_id": user_id,
        "created_at": now - timedelta(days=2),
        "consent": "given",
        "consent_at": now - timedelta(days=2),
        "region": "lower_back",
        "age_band": "16_49",
        "level": 1,
        "gate_level": "CLEAR",
        "gate_at": now,
        "conditions": [],
        "active": True,
        "last_seen_at": now - timedelta(days=1),
    }


async def _insert(engine: AsyncEngine, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    async with engine.begin() as connection:
        for chunk in _chunks(rows):
            await connection.execute(insert(table), list(chunk))


async def seed_people(
    database_url: str, user_ids: range, now: datetime, *, reminder_due: datetime | None = None
) -> None:
    """Create the schema, then the people; with ``reminder_due``, a reminder each, due then."""
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        await _insert(engine, User.__table__, [person(uid, now) for uid in user_ids])
        dialogs = [
            {
                "user_id": uid,
                "flow": "idle",
                "step": "",
                "data": {},
                "version": 0,
                "updated_at": now,
            }
            for uid in user_ids
        ]
        await _insert(engine, Dialog.__table__, dialogs)
        if reminder_due is None:
            return
        local_time = f"{reminder_due:%H:%M}"
        reminders = [
            {
                "user_id": uid,
                "enabled": True,
                "local_time": local_time,
                "weekdays": 0b1111111,
                "zone_name": "UTC",
                "zone_label": "UTC",
                "turned_on_at": now - timedelta(days=1),
                "sent_without_session": 0,
            }
            for uid in user_ids
        ]
        await _insert(engine, Reminder.__table__, reminders)
        slot = reminder_due.isoformat()
        timers = [
            {
                "key": f"reminder:{uid}",
                "kind": "reminder",
                "user_id": uid,
                "due_at": reminder_due,
                "payload": {"slot": slot, "snoozed": False},
                "attempts": 0,
            }
            for uid in user_ids
        ]
        await _insert(engine, Timer.__table__, timers)
    finally:
        await engine.dispose()


async def reminders_sent(database_url: str) -> int:
    """How many reminders the bot recorded as sent (each row at most once per day)."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Reminder.user_id).where(Reminder.last_sent_at.is_not(None))
            )
            return len(rows.all())
    finally:
        await engine.dispose()


async def hold_ends(database_url: str) -> dict[int, datetime]:
    """When each person's latest hold was due to end, from the bot's own rows."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(StretchSession.user_id, StretchSession.hold_ends_at).order_by(
                    StretchSession.id
                )
            )
            return {user_id: ends for user_id, ends in rows if ends is not None}
    finally:
        await engine.dispose()
