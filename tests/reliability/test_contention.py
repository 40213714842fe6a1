"""SQLite with many people writing at once: the busy timeout and the unit retry absorb the
contention; nobody is told "something went wrong" and every answer is stored."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from bot.db.models import TriageAnswer, User
from content.schema.texts import t
from tests.e2e.conftest import Harness
from tests.reliability.journey import Journey

PEOPLE = 30


async def test_thirty_people_onboarding_at_once_on_sqlite_all_stored_nobody_sees_an_error(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    journeys = [Journey(harness.user(9700 + n), timeout=60) for n in range(PEOPLE)]
    await asyncio.gather(*(journey.onboard() for journey in journeys))
    sorry = t("common.error").split(".")[0]
    for journey in journeys:
        assert not any(sorry in m.text for m in journey.user.messages()), journey.user.id
    async with harness.running.runtime.sessions() as db:
        consented = await db.scalar(
            select(func.count()).select_from(User).where(User.consent == "given")
        )
        answers = await db.scalar(select(func.count()).select_from(TriageAnswer))
    assert consented == PEOPLE
    assert answers == sum(journey.questions for journey in journeys)
    locked = [r.getMessage() for r in caplog.records if "locked" in r.getMessage()]
    assert not locked, locked[:3]
