"""/progress and /report over the emulator, with history written straight into the database.

Histories are three 7-day weeks of pain scores before sessions (two sessions a week), the
last week ending today, so the core's trend rule has a baseline and two later weeks to judge.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pypdf
from PIL import Image

from bot.core import triage as triage_core
from bot.db.models import (
    PainRating,
    Screening,
    SessionStep,
    StretchSession,
    TriageAnswer,
    User,
)
from tests.e2e.conftest import Harness
from tests.e2e.helpers import has_button
from tests.emulator.chats import StoredMessage

# Pain before each session, week by week (two sessions a week), and how far after it dropped.
IMPROVED = ((7, 7), (4, 4), (4, 4))
UNCHANGED = ((6, 6), (6, 6), (5, 6))
WORSE = ((4, 4), (4, 4), (6, 7))
AFTER_DROP = 1
# Days before today of each week's two sessions: week 1 starts 20 days ago.
SESSION_DAYS = ((20, 17), (13, 10), (5, 1))


def is_photo(message: StoredMessage) -> bool:
    return "photo" in message.data


def is_document(message: StoredMessage) -> bool:
    return "document" in message.data


def callbacks(message: StoredMessage) -> list[str]:
    return [button["callback_data"] for row in message.inline_keyboard for button in row]


async def add_person(harness: Harness, user_id: int, **fields: Any) -> datetime:
    """A person who agreed to storage and screened clear; returns the bot's 'now'."""
    now = harness.running.runtime.clock.now()
    values: dict[str, Any] = {
        "id": user_id,
        "chat_id": user_id,
        "created_at": now - timedelta(days=30),
        "consent": "given",
        "consent_at": now - timedelta(days=30),
        "region": "lower_back",
        "age_band": "16_49",
        "level": 2,
        "gate_level": "CLEAR",
        "gate_at": now - timedelta(days=1),
        "conditions": [],
        "active": True,
    }
    values.update(fields)
    async with harness.running.runtime.sessions() as db, db.begin():
        db.add(User(**values))
    return now


async def add_sessions(
    harness: Harness, user_id: int, weeks: Sequence[Sequence[int]], now: datetime
) -> list[int]:
    """Completed sessions with a before and an after score, the last week ending today."""
    ids = []
    async with harness.running.runtime.sessions() as db, db.begin():
        for week, days in zip(weeks, SESSION_DAYS[-len(weeks) :], strict=True):
            for before, days_ago in zip(week, days, strict=True):
                started = now - timedelta(days=days_ago)
                ended = started + timedelta(minutes=10)
                session = StretchSession(
                    user_id=user_id,
                    started_at=started,
                    ended_at=ended,
                    status="completed",
                    level=2,
                    plan=[],
                    position=0,
                    phase="done",
                    paused=False,
                    pain_before=before,
                    pain_after=before - AFTER_DROP,
                    last_activity_at=ended,
                )
                db.add(session)
                await db.flush()
                ids.append(session.id)
                db.add_all(
                    [
                        PainRating(
                            user_id=user_id,
                            session_id=session.id,
                            kind="before",
                            value=before,
                            at=started,
                        ),
                        PainRating(
                            user_id=user_id,
                            session_id=session.id,
                            kind="after",
                            value=before - AFTER_DROP,
                            at=ended,
                        ),
                        SessionStep(
                            session_id=session.id,
                            user_id=user_id,
                            position=1,
                            stretch_id="knee_to_chest",
                            rep=1,
                            outcome="done",
                            at=started,
                        ),
                    ]
                )
    return ids


async def seed_history(
    harness: Harness, user_id: int, weeks: Sequence[Sequence[int]] = IMPROVED
) -> datetime:
    now = await add_person(harness, user_id)
    await add_sessions(harness, user_id, weeks, now)
    return now


async def add_screening(harness: Harness, user_id: int, now: datetime, yes_to: str) -> None:
    """A finished safety check where ``yes_to`` was answered yes and one other question no."""
    other = next(q.id for q in triage_core.load_bank().questions if q.id != yes_to)
    async with harness.running.runtime.sessions() as db, db.begin():
        screening = Screening(
            user_id=user_id,
            started_at=now - timedelta(days=25, minutes=3),
            finished_at=now - timedelta(days=25),
            region="lower_back",
            age_band="16_49",
            level="SEE_GP",
            findings=[{"condition": "cancer", "level": "SEE_GP", "questions": [yes_to]}],
        )
        db.add(screening)
        await db.flush()
        for question, answer in ((yes_to, "yes"), (other, "no")):
            db.add(
                TriageAnswer(
                    user_id=user_id,
                    screening_id=screening.id,
                    question_id=question,
                    answer=answer,
                    answered_at=now - timedelta(days=25),
                )
            )


async def progress_of(harness: Harness, user_id: int) -> tuple[StoredMessage, list[str]]:
    """Send /progress; the chart message and the texts that follow it."""
    user = harness.user(user_id)
    await user.send("/progress")
    chart = await user.next_message(timeout=15)
    assert is_photo(chart), chart
    said = [(await user.next_message()).text]
    return chart, said


async def test_progress_sends_a_phone_sized_chart_with_the_week_in_numbers(
    harness: Harness,
) -> None:
    await seed_history(harness, 1001, IMPROVED)
    chart, _ = await progress_of(harness, 1001)
    image = Image.open(io.BytesIO(harness.emulator.files.of_message(chart)))
    assert image.format == "PNG"
    width, height = image.size
    assert width >= 800 and height >= width  # upright, for a phone
    caption = chart.text
    assert "Sessions this week:" in caption
    assert "Days in a row with a session:" in caption
    # This week's two scores were 4 and 4, like last week's.
    assert "Average pain before a session this week: 4.0 out of 10" in caption
    assert "About the same as last week" in caption


async def test_a_drop_that_holds_for_weeks_is_called_an_improvement(harness: Harness) -> None:
    await seed_history(harness, 1001, IMPROVED)
    _, said = await progress_of(harness, 1001)
    assert "come down from 7.0 to 4.0" in said[0]
    assert "stayed down for a week" in said[0]


async def test_flat_weeks_are_called_unchanged_not_improved(harness: Harness) -> None:
    await seed_history(harness, 1001, UNCHANGED)
    chart, said = await progress_of(harness, 1001)
    assert "about the same as before" in said[0]
    assert all("come down" not in text for text in said)
    assert "Average pain before a session this week: 5.5 out of 10" in chart.text
    assert "That's 0.5 points lower than last week" in chart.text


async def test_a_rise_of_two_points_is_said_plainly_with_the_safety_check(
    harness: Harness,
) -> None:
    await seed_history(harness, 1001, WORSE)
    user = harness.user(1001)
    chart, said = await progress_of(harness, 1001)
    assert "gone up from 4.0 to 6.5" in said[0]
    assert "That's 2.5 points higher than last week" in chart.text
    worse = user.messages()[-1]
    assert callbacks(worse) == ["go:checkup"]
    await user.press(worse, callback_data="go:checkup")
    await user.wait_for(lambda m: any(c.startswith("tq:") for c in callbacks(m)), timeout=10)


async def test_one_good_session_is_praised_as_a_session_not_an_improvement(
    harness: Harness,
) -> None:
    now = await add_person(harness, 1001)
    await add_sessions(harness, 1001, [(6, 6)], now)  # week 1 only: too early for a trend
    _, said = await progress_of(harness, 1001)
    assert said[0].startswith("Good session: your pain went from 6 to 5")
    assert "come down" not in said[0]


async def test_no_history_gets_a_friendly_word_instead_of_an_empty_chart(
    harness: Harness,
) -> None:
    user = harness.user(1001)
    await add_person(harness, 1001)
    await user.send("/progress")
    reply = await user.next_message()
    assert "Nothing to show yet" in reply.text
    assert "/stretch" in reply.text
    await user.send("/report")
    assert "nothing to put in a record" in (await user.next_message()).text
    assert not any(is_photo(m) or is_document(m) for m in user.messages())


async def test_report_is_a_titled_pdf_with_the_persons_numbers(harness: Harness) -> None:
    bank = triage_core.load_bank()
    yes_to = bank.questions[0]
    now = await seed_history(harness, 1001, WORSE)
    await add_screening(harness, 1001, now, yes_to.id)
    async with harness.running.runtime.sessions() as db, db.begin():
        db.add(
            PainRating(
                user_id=1001, kind="hurt", value=6, body_part="leg", at=now - timedelta(days=2)
            )
        )
    user = harness.user(1001, first_name="Ann")
    await user.send("/report")
    asked = await user.next_message()
    assert "Shall I put your first name, Ann, on the record?" in asked.text
    await user.press(asked, callback_data="rp:name:yes")
    assert "Putting your record together" in (await user.next_message()).text
    record = await user.next_message(timeout=20)
    assert is_document(record), record
    assert record.data["document"]["file_name"].endswith(".pdf")
    assert "not a medical assessment" in record.text
    pdf = pypdf.PdfReader(io.BytesIO(harness.emulator.files.of_message(record)))
    assert 1 <= len(pdf.pages) <= 2
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)
    assert "self-care record" in text
    assert "Name: Ann" in text
    assert "Current stretch programme level: 2" in text
    assert "see a GP" in text  # the check's outcome
    assert f"Yes: {' '.join(yes_to.text.split()[:4])}" in text  # what was reported
    assert "6 sessions started, 6 finished" in text
    assert "leg or foot" in text  # where it hurt
    assert "6.5" in text  # the last week's average pain


async def report_text(harness: Harness, user_id: int) -> str:
    user = harness.user(user_id)
    await user.send("/report")
    await user.press(await user.wait_for(has_button("rp:name:")), callback_data="rp:name:no")
    record = await user.wait_for(is_document, timeout=20)
    pdf = pypdf.PdfReader(io.BytesIO(harness.emulator.files.of_message(record)))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)


async def test_report_times_are_on_the_persons_own_clock(harness: Harness) -> None:
    now = await add_person(harness, 1001, zone_name="UTC-05:00")
    await add_sessions(harness, 1001, IMPROVED, now)
    newest = now - timedelta(days=SESSION_DAYS[-1][-1]) - timedelta(hours=5)
    text = await report_text(harness, 1001)
    assert f"{newest.day} {newest:%b %Y}, {newest:%H:%M}" in text
    # The zone is named as the person gave it, not as POSIX's inverted "Etc/GMT+5".
    assert "UTC-05:00" in text and "Etc/GMT" not in text
