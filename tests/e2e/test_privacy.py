"""/mydata, /delete, /privacy and /settings over the emulator.

Erasing is checked by scanning every table in the schema for the person's id, so a table
added later is covered without changing these tests.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.core import routine
from bot.db.models import (
    PERSONAL_TABLES,
    Base,
    PainRating,
    Reminder,
    SafetyAlert,
    Timer,
    User,
)
from bot.flows.privacy import PAIN_CSV_COLUMNS
from tests.e2e.conftest import Harness
from tests.e2e.test_progress import IMPROVED, add_screening, callbacks, is_document, seed_history
from tests.emulator.chats import StoredMessage
from tests.emulator.userside import TelegramUser

ANN, BOB = 1001, 1002


async def seed_everything(harness: Harness, user_id: int) -> datetime:
    """A row in every personal table but the outbox (which empties as messages go out)."""
    now = await seed_history(harness, user_id, IMPROVED)
    await add_screening(harness, user_id, now, "cauda_equina_signs")
    async with harness.running.runtime.sessions() as db, db.begin():
        db.add_all(
            [
                PainRating(
                    user_id=user_id,
                    kind="hurt",
                    value=5,
                    body_part="leg",
                    note='sharp, "pulling", then fine',
                    at=now - timedelta(days=3),
                ),
                SafetyAlert(user_id=user_id, at=now, condition="infection", level="URGENT"),
                Reminder(
                    user_id=user_id,
                    enabled=True,
                    local_time="07:30",
                    zone_name="Europe/Berlin",
                    zone_label="Central Europe",
                    turned_on_at=now - timedelta(days=20),
                ),
                Timer(
                    key=f"reminder:{user_id}",
                    kind="reminder",
                    user_id=user_id,
                    due_at=now + timedelta(days=1),
                    payload={},
                ),
            ]
        )
    return now


async def rows_about(harness: Harness, user_id: int) -> dict[str, int]:
    """How many rows each table holds about the person: every table with a user id column."""
    counts = {}
    async with harness.running.runtime.sessions() as db:
        for table in Base.metadata.sorted_tables:
            column = table.c.id if table.name == "users" else table.c.get("user_id")
            if column is not None:
                query = select(func.count()).select_from(table).where(column == user_id)
                counts[table.name] = (await db.execute(query)).scalar_one()
    return counts


async def settled(harness: Harness, user_id: int, within: float = 5.0) -> dict[str, int]:
    """The counts once no table holds anything about the person, or the last ones seen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        counts = await rows_about(harness, user_id)
        if not any(counts.values()) or loop.time() > deadline:
            return counts
        await asyncio.sleep(0.05)


async def confirm_erase(user: TelegramUser) -> StoredMessage:
    await user.send("/delete")
    question = await user.wait_for("Erase everything?")
    assert callbacks(question) == ["pv:erase", "pv:keep"]
    await user.press(question, "Yes, erase everything")
    return await user.wait_for("erased everything")


def stored_as_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# --- /mydata -------------------------------------------------------------------------------
async def test_mydata_sends_every_stored_value_as_json_and_pain_scores_as_csv(
    harness: Harness,
) -> None:
    await seed_everything(harness, ANN)
    await seed_everything(harness, BOB)
    user = harness.user(ANN)
    await user.send("/mydata")
    assert "everything I keep about you" in (await user.next_message()).text
    json_file, csv_file = await user.next_message(), await user.next_message()
    assert is_document(json_file) and json_file.data["document"]["file_name"] == "my-data.json"
    assert is_document(csv_file) and csv_file.data["document"]["file_name"] == "pain-scores.csv"

    exported = json.loads(harness.emulator.files.of_message(json_file))["tables"]
    async with harness.running.runtime.sessions() as db:
        for name in PERSONAL_TABLES:
            table = Base.metadata.tables[name]
            column = table.c.id if name == "users" else table.c.user_id
            rows = (await db.execute(select(table).where(column == ANN))).mappings().all()
            if name not in ("outbox", "dialogs", "users"):  # these change with every message
                assert rows, f"the test should store something in {name}"
                expected = [{k: stored_as_json(v) for k, v in row.items()} for row in rows]
                assert sorted(exported[name], key=str) == sorted(expected, key=str), name
    assert exported["users"][0]["id"] == ANN and exported["users"][0]["level"] == 2
    assert all(row.get("user_id", row.get("id")) == ANN for t in exported.values() for row in t)

    reader = csv.reader(io.StringIO(harness.emulator.files.of_message(csv_file).decode()))
    # Headings a person reads in a spreadsheet, one per column.
    assert next(reader) == [
        "id", "time (UTC)", "local time", "kind", "score", "where", "note", "session"
    ]  # fmt: skip
    scores = [dict(zip(PAIN_CSV_COLUMNS, row, strict=True)) for row in reader]
    async with harness.running.runtime.sessions() as db:
        stored = (await db.execute(select(PainRating).where(PainRating.user_id == ANN))).scalars()
        expected_rows = {
            str(r.id): (r.at.isoformat(), r.kind, str(r.value), r.body_part or "", r.note or "")
            for r in stored
        }
    got = {
        row["id"]: (row["at_utc"], row["kind"], row["value"], row["body_part"], row["note"])
        for row in scores
    }
    assert got == expected_rows


# --- /delete -------------------------------------------------------------------------------
async def test_delete_erases_every_row_about_the_person_and_no_one_elses(
    harness_any_db: Harness,
) -> None:
    harness = harness_any_db
    await seed_everything(harness, ANN)
    await seed_everything(harness, BOB)
    bob_before = await rows_about(harness, BOB)
    user = harness.user(ANN)
    done = await confirm_erase(user)
    assert "start fresh" in done.text
    leftover = await settled(harness, ANN)
    assert not any(leftover.values()), leftover
    assert await rows_about(harness, BOB) == bob_before


async def test_delete_during_a_session_stops_its_timers_too(harness: Harness) -> None:
    user = harness.user(ANN)
    await seed_history(harness, ANN)
    await user.send("/stretch")
    rating = await user.wait_for(lambda m: any(c.startswith("pn:b") for c in callbacks(m)))
    await user.press(rating, "3")
    await user.wait_for(lambda m: any(c.startswith("ss:start") for c in callbacks(m)))
    assert (await rows_about(harness, ANN))["timers"] >= 1
    await confirm_erase(user)
    leftover = await settled(harness, ANN)
    assert not any(leftover.values()), leftover


async def test_keeping_the_data_erases_nothing(harness: Harness) -> None:
    await seed_everything(harness, ANN)
    before = await rows_about(harness, ANN)
    user = harness.user(ANN)
    await user.send("/delete")
    question = await user.wait_for("Erase everything?")
    await user.press(question, "No, keep it")
    await user.wait_for("Nothing was erased")
    after = await rows_about(harness, ANN)
    conversation = ("outbox", "dialogs")  # these come and go with every message
    assert {k: v for k, v in after.items() if k not in conversation} == {
        k: v for k, v in before.items() if k not in conversation
    }
    # The question is answered: its button no longer erases anything.
    await user.press(question, "Yes, erase everything")
    await asyncio.sleep(0.3)
    assert (await rows_about(harness, ANN))["pain_ratings"] == before["pain_ratings"]


async def test_the_goodbye_survives_a_telegram_outage_and_still_leaves_nothing(
    harness: Harness,
) -> None:
    await seed_everything(harness, ANN)
    user = harness.user(ANN)
    await user.send("/delete")
    question = await user.wait_for("Erase everything?")
    harness.emulator.faults.server_error(502, method="sendMessage", times=2)
    await user.press(question, "Yes, erase everything")
    await user.wait_for("erased everything", timeout=10)
    leftover = await settled(harness, ANN)
    assert not any(leftover.values()), leftover


async def test_a_goodbye_that_can_never_be_delivered_is_cleaned_up_a_day_later(
    harness: Harness,
) -> None:
    await seed_everything(harness, ANN)
    user = harness.user(ANN)
    await user.send("/delete")
    question = await user.wait_for("Erase everything?")
    harness.emulator.faults.blocked(method="sendMessage", chat_id=ANN)
    await user.press(question, "Yes, erase everything")
    await asyncio.sleep(0.5)
    left = {name: count for name, count in (await rows_about(harness, ANN)).items() if count}
    assert left == {"users": 1, "timers": 1}  # a bare placeholder and its clean-up timer
    async with harness.running.runtime.sessions() as db:
        placeholder = await db.get(User, ANN)
        assert placeholder is not None and placeholder.region is None
    harness.shift_clock(timedelta(days=1, minutes=1))
    leftover = await settled(harness, ANN)
    assert not any(leftover.values()), leftover


# --- /privacy ------------------------------------------------------------------------------
async def answer_no_until(user: TelegramUser, prefix: str) -> StoredMessage:
    """Answer "No" to safety questions until a message with a ``prefix`` button arrives."""
    while True:
        message = await user.wait_for(
            lambda m: any(c.startswith(("tq:", prefix)) for c in callbacks(m)), timeout=10
        )
        if any(c.startswith(prefix) for c in callbacks(message)):
            return message
        await user.press(message, "No")


async def short_session(user: TelegramUser) -> None:
    """/stretch, pain 5, stop at once, pain 3, no note."""
    await user.send("/stretch")
    before = await answer_no_until(user, "pn:b")
    await user.press(before, "5")
    await user.wait_for(lambda m: any(c.startswith("ss:stop") for c in callbacks(m)))
    await user.send("/cancel")
    after = await user.wait_for(lambda m: any(c.startswith("pn:a") for c in callbacks(m)))
    await user.press(after, "3")
    note = await user.wait_for(lambda m: any(c.startswith("ss:nonote") for c in callbacks(m)))
    await user.press(note, callback_data=callbacks(note)[0])
    await user.wait_for("Session summary")


async def pain_scores(harness: Harness, user_id: int) -> int:
    return (await rows_about(harness, user_id))["pain_ratings"]


async def test_withdrawing_consent_stops_storage_and_offers_to_erase(harness: Harness) -> None:
    user = harness.user(ANN)
    await seed_history(harness, ANN)
    await short_session(user)
    kept = await pain_scores(harness, ANN)
    assert kept == 6 * 2 + 2  # the seeded history and this session's before and after

    await user.send("/privacy")
    privacy = await user.wait_for("Your data")
    assert "you agreed" in privacy.text
    await user.press(privacy, "Stop keeping my data")
    offer = await user.wait_for("won't keep anything new")
    assert callbacks(offer) == ["pv:erase", "pv:keep"]
    await user.press(offer, "No, keep it")
    await user.wait_for("Nothing was erased")

    await short_session(user)
    assert await pain_scores(harness, ANN) == kept
    async with harness.running.runtime.sessions() as db:
        person = await db.get(User, ANN)
        assert person is not None and person.consent == "refused"

    await user.send("/privacy")
    again = await user.wait_for("I don't keep")
    await user.press(again, "Allow keeping my data")
    await user.wait_for("I'll keep your answers")
    await short_session(user)
    assert await pain_scores(harness, ANN) == kept + 2


async def test_withdrawing_then_erasing_leaves_nothing(harness: Harness) -> None:
    await seed_everything(harness, ANN)
    user = harness.user(ANN)
    await user.send("/privacy")
    await user.press(await user.wait_for("Your data"), "Stop keeping my data")
    offer = await user.wait_for("won't keep anything new")
    await user.press(offer, "Yes, erase everything")
    await user.wait_for("erased everything")
    leftover = await settled(harness, ANN)
    assert not any(leftover.values()), leftover


# --- /settings -----------------------------------------------------------------------------
async def test_settings_show_and_change_region_and_level(harness: Harness) -> None:
    await seed_everything(harness, ANN)
    user = harness.user(ANN)
    top = routine.load_library().max_level
    await user.send("/settings")
    shown = await user.wait_for("Your settings")
    assert "Where it hurts: Lower back" in shown.text
    assert f"Stretch level: 2 of {top}" in shown.text
    assert "Reminder: every day at 07:30" in shown.text
    assert "Time zone: Central Europe" in shown.text
    assert "go:reminders" in callbacks(shown)

    await user.press(shown, "Change my level")
    levels = await user.wait_for("Level 1 is the gentlest")
    assert callbacks(levels) == [f"set:level:{n}" for n in range(1, top + 1)]
    await user.press(levels, "1")
    await user.wait_for("Your stretch level is now 1")

    await user.press(shown, "Change where it hurts")
    regions = await user.wait_for(lambda m: "ob:region:neck" in callbacks(m))
    await user.press(regions, callback_data="ob:region:neck")
    await user.wait_for("Saved")

    await user.send("/settings")
    now_shown = await user.wait_for("Your settings")
    assert "Where it hurts: Neck" in now_shown.text
    assert f"Stretch level: 1 of {top}" in now_shown.text


async def test_a_forged_level_is_refused(harness: Harness) -> None:
    await seed_everything(harness, ANN)
    user = harness.user(ANN)
    await user.send("/settings")
    shown = await user.wait_for("Your settings")
    shown.data["reply_markup"]["inline_keyboard"].append(
        [{"text": "99", "callback_data": "set:level:99"}]
    )
    query = await user.press(shown, callback_data="set:level:99")
    answer = await user.wait_for_answer(query)
    assert answer.text == "That button is from an earlier step."
    async with harness.running.runtime.sessions() as db:
        person = await db.get(User, ANN)
        assert person is not None and person.level == 2
