"""Daily reminders over HTTP: set up in the chat, received with the bot's clock shifted.

Covers typed times and zones, clock changes in two hemispheres, downtime (a missed reminder
sent once when under an hour late, else skipped), a person who blocked the bot, a 429
storm, Snooze and Skip across a restart, the pause after three quiet days, consent, and
two bot processes sharing one PostgreSQL database with 1,000 reminders due at once.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time as wall
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade
from bot.db.models import Dialog, Outbox, Reminder, Timer, User
from bot.launch import start_bot
from content import languages
from content.schema.texts import t
from tests.e2e.conftest import TOKEN, Harness, bot_on
from tests.e2e.helpers import button, has_button, rows, seed_person, tap
from tests.emulator.chats import StoredMessage
from tests.emulator.server import BotApiEmulator
from tests.emulator.userside import TelegramUser

NUDGE = "time for your stretches"
PAUSED = "paused your reminders"


# --- steps -------------------------------------------------------------------------------------
async def set_up(
    user: TelegramUser,
    *,
    at: str = "7:30",
    days: str = "rm:days:every",
    zone: str = "Europe/Berlin",
) -> StoredMessage:
    """/reminders, type the time, tap the days, type the zone, confirm; returns "All set"."""
    await user.send("/reminders")
    await user.wait_for(has_button("rm:time:"))
    await user.send(at)
    await user.press(await user.wait_for(has_button("rm:days:")), callback_data=days)
    await user.wait_for(has_button("rm:zone:"))
    await user.send(zone)
    await user.press(await user.wait_for(has_button("rm:save")), callback_data="rm:save")
    return await user.wait_for("All set")


async def booked(harness: Harness, user_id: int) -> Timer | None:
    found = await rows(harness, Timer, key=f"reminder:{user_id}")
    return found[0] if found else None


async def due_of(harness: Harness, user_id: int) -> datetime:
    timer = await booked(harness, user_id)
    assert timer is not None, "a reminder is booked"
    return timer.due_at


def jump_to(harness: Harness, moment: datetime) -> None:
    """Move the bot's clock so that it reads ``moment`` now."""
    harness.shift_clock(moment - harness.running.runtime.clock.now())


async def next_reminder(harness: Harness, user: TelegramUser, user_id: int) -> StoredMessage:
    """Jump to the booked reminder and return it as the person receives it."""
    jump_to(harness, await due_of(harness, user_id) + timedelta(seconds=1))
    return await user.wait_for(NUDGE)


async def until(
    check: Callable[[], Awaitable[bool]],
    timeout: float = 10.0,  # noqa: ASYNC109
    every: float = 0.05,
) -> None:
    deadline = wall.monotonic() + timeout
    while not await check():
        if wall.monotonic() > deadline:
            raise TimeoutError("the condition never came true")
        await asyncio.sleep(every)


def has_label(label: str) -> Callable[[StoredMessage], bool]:
    def check(message: StoredMessage) -> bool:
        return any(b["text"] == label for row in message.inline_keyboard for b in row)

    return check


def count(user: TelegramUser, words: str) -> int:
    return sum(words in message.text for message in user.messages())


async def until_count(user: TelegramUser, words: str, expected: int) -> None:
    async def reached() -> bool:
        return count(user, words) >= expected

    await until(reached)


async def restart_later(harness: Harness, delta: timedelta) -> None:
    """Stop the bot, let ``delta`` pass while it is down, start it again."""
    offset = harness.running.runtime.clock.offset
    await harness.running.stop()
    harness.running = await start_bot(harness.settings)
    harness.running.runtime.clock.offset = offset + delta
    harness.running.runtime.wake()


async def seed_reminder(harness: Harness, user_id: int, due: datetime) -> None:
    """A screened person with a reminder due at ``due`` (as if set up in the chat)."""
    await seed_person(harness, user_id)
    runtime = harness.running.runtime
    async with runtime.sessions() as db, db.begin():
        db.add(
            Reminder(
                user_id=user_id,
                enabled=True,
                local_time=f"{due:%H:%M}",
                weekdays=0b1111111,
                zone_name="UTC",
                zone_label="UTC",
                turned_on_at=runtime.clock.now(),
                sent_without_session=0,
            )
        )
        db.add(
            Timer(
                key=f"reminder:{user_id}",
                kind="reminder",
                user_id=user_id,
                due_at=due,
                payload={"slot": due.isoformat(), "snoozed": False},
                attempts=0,
            )
        )


# --- setting one up and receiving it -----------------------------------------------------------
async def test_a_reminder_set_in_the_chat_arrives_at_the_chosen_time(
    harness_any_db: Harness,
) -> None:
    harness = harness_any_db
    user = harness.user(3001)
    await seed_person(harness, 3001)
    # Monday 30 Nov 2026, 12:00 UTC: 13:00 in Berlin.
    jump_to(harness, datetime(2026, 11, 30, 12, tzinfo=UTC))
    await user.send("/reminders")
    times = await user.wait_for(has_button("rm:time:"))
    assert [b["text"] for row in times.inline_keyboard for b in row][:2] == ["07:00", "08:00"]
    await user.send("7")  # morning or evening? asked, with both as buttons, not guessed
    await user.wait_for("7 in the morning or in the evening")
    await user.send("6.45 pm")
    days = await user.wait_for(has_button("rm:days:"))
    await user.press(days, callback_data="rm:days:weekdays")
    zones = await user.wait_for(has_button("rm:zone:o:"))
    assert "Telegram doesn't tell me" in zones.text
    await user.send("Atlantis")
    await user.wait_for("don't know that place")
    await user.send("berlin")
    check = await user.wait_for(has_button("rm:save"))
    assert "on weekdays at 18:45, Berlin time" in check.text
    assert "Right now it's 13:00 there" in check.text
    await user.press(check, callback_data="rm:save")
    saved = await user.wait_for("All set")
    assert "Next one: Mon 30 Nov" in saved.text
    [reminder] = await rows(harness, Reminder, user_id=3001)
    assert (reminder.local_time, reminder.zone_name) == ("18:45", "Europe/Berlin")
    [person] = await rows(harness, User, id=3001)
    assert person.zone_name == "Europe/Berlin"
    # Stored in UTC: 18:45 in Berlin (UTC+1 in winter) is 17:45 UTC.
    assert await due_of(harness, 3001) == datetime(2026, 11, 30, 17, 45, tzinfo=UTC)

    jump_to(harness, datetime(2026, 11, 30, 17, 44, tzinfo=UTC))
    await asyncio.sleep(0.3)
    assert count(user, NUDGE) == 0, "nothing before the time"
    reminder_message = await next_reminder(harness, user, 3001)
    labels = [b["text"] for row in reminder_message.inline_keyboard for b in row]
    assert labels == ["Start now", "Snooze 30 min", "Skip today", "Change", "Turn off"]
    assert await due_of(harness, 3001) == datetime(2026, 12, 1, 17, 45, tzinfo=UTC)
    [dialog] = await rows(harness, Dialog, user_id=3001)
    assert dialog.flow == "idle"


ZONES = [
    # (typed, stored zone, shown as)
    ("UTC+5:30", "UTC+05:30", "UTC+05:30 time"),
    ("America/Chicago", "America/Chicago", "Chicago time"),
    ("Sao Paulo", "America/Sao_Paulo", "São Paulo time"),
    ("GMT-3", "UTC-03:00", "UTC-03:00 time"),
]


@pytest.mark.parametrize(("typed", "stored", "shown"), ZONES)
async def test_typed_zones(harness: Harness, typed: str, stored: str, shown: str) -> None:
    user = harness.user(3002)
    await seed_person(harness, 3002)
    saved = await set_up(user, at="19:00", zone=typed)
    assert shown in saved.text
    [reminder] = await rows(harness, Reminder, user_id=3002)
    assert reminder.zone_name == stored


async def test_days_typed_instead_of_tapped(harness: Harness) -> None:
    user = harness.user(3004)
    await seed_person(harness, 3004)
    await user.send("/reminders")
    await user.wait_for(has_button("rm:time:"))
    await user.send("7pm")
    await user.wait_for(has_button("rm:days:"))
    await user.send("Mon, Wed and Fri")
    await user.wait_for(has_button("rm:zone:"))
    await user.send("Berlin")
    saved = await user.wait_for("Berlin time")
    assert "on Mon, Wed and Fri at 19:00" in saved.text, saved.text


async def test_an_ambiguous_place_is_asked_about_and_a_fixed_offset_explained(
    harness: Harness,
) -> None:
    user = harness.user(3003)
    await seed_person(harness, 3003)
    await user.send("/reminders")
    await user.press(await user.wait_for(has_button("rm:time:")), callback_data="rm:time:0800")
    days = await user.wait_for(has_button("rm:days:"))
    await user.press(days, callback_data="rm:days:custom")
    picker = await user.wait_for(has_button("rm:day:"))
    await user.press(picker, callback_data="rm:days:done")
    await user.wait_for("at least one day")
    for day, name in (("rm:day:1", "✓ Tue"), ("rm:day:3", "✓ Thu")):
        await user.press(picker, callback_data=day)
        await user.wait_for(has_label(name))
    await user.press(picker, callback_data="rm:days:done")
    await user.wait_for(has_button("rm:zone:"))
    await user.send("Portland")
    which = await user.wait_for(has_button("rm:zone:c:"))
    assert [b["text"] for row in which.inline_keyboard for b in row] == [
        "Portland, Oregon",
        "Portland, Maine",
    ]
    await user.press(which, "Portland, Maine")
    check = await user.wait_for(has_button("rm:rezone"))
    assert "on Tue and Thu at 08:00, Portland, Maine time" in check.text
    await user.press(check, callback_data="rm:rezone")
    await user.wait_for(has_button("rm:zone:"))
    await user.send("UTC+2")
    check = await user.wait_for(has_button("rm:save"))
    assert "stays the same all year" in check.text
    await user.press(check, callback_data="rm:save")
    await user.wait_for("All set")
    [reminder] = await rows(harness, Reminder, user_id=3003)
    assert (reminder.weekdays, reminder.zone_name) == (0b0001010, "UTC+02:00")


# --- clock changes -----------------------------------------------------------------------------
DST = [
    # Europe springs forward on Sun 28 Mar 2027: 07:30 is 06:30 UTC before, 05:30 after.
    (
        "Europe/Berlin",
        "7:30",
        datetime(2027, 3, 26, 12, tzinfo=UTC),
        ["2027-03-27 06:30", "2027-03-28 05:30", "2027-03-29 05:30"],
    ),
    # Sydney falls back on Sun 4 Apr 2027: 07:30 is 20:30 UTC the day before, then 21:30.
    (
        "Sydney",
        "7:30",
        datetime(2027, 4, 2, 0, tzinfo=UTC),
        ["2027-04-02 20:30", "2027-04-03 21:30", "2027-04-04 21:30"],
    ),
    # New York skips 02:00-03:00 on Sun 14 Mar 2027: a 02:30 reminder comes at 03:00 EDT.
    (
        "America/New_York",
        "2:30am",
        datetime(2027, 3, 12, 12, tzinfo=UTC),
        ["2027-03-13 07:30", "2027-03-14 07:00", "2027-03-15 06:30"],
    ),
]


@pytest.mark.parametrize(("zone", "at", "start", "expected"), DST, ids=[d[0] for d in DST])
async def test_reminders_keep_the_local_time_across_clock_changes(
    harness: Harness, zone: str, at: str, start: datetime, expected: list[str]
) -> None:
    user = harness.user(3004)
    await seed_person(harness, 3004)
    jump_to(harness, start)
    await set_up(user, at=at, zone=zone)
    fired: list[str] = []
    for _ in expected:
        fired.append(f"{await due_of(harness, 3004):%Y-%m-%d %H:%M}")
        await next_reminder(harness, user, 3004)
    assert fired == expected
    assert count(user, NUDGE) == len(expected)


# --- downtime ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("late", "sent"),
    [(timedelta(minutes=20), 1), (timedelta(minutes=75), 0), (timedelta(days=3), 0)],
    ids=["20 min late: sent once", "75 min late: skipped", "3 days down: no burst"],
)
async def test_a_reminder_missed_while_the_bot_was_down(
    harness: Harness, late: timedelta, sent: int
) -> None:
    user = harness.user(3005)
    await seed_person(harness, 3005)
    await set_up(user, zone="UTC")
    due = await due_of(harness, 3005)
    await restart_later(harness, due + late - harness.running.runtime.clock.now())

    async def rebooked() -> bool:
        return await due_of(harness, 3005) > due

    await until(rebooked)
    await asyncio.sleep(0.3)
    assert count(user, NUDGE) == sent
    following = await due_of(harness, 3005)
    assert following > harness.running.runtime.clock.now()
    assert following - due == late // timedelta(days=1) * timedelta(days=1) + timedelta(days=1)
    jump_to(harness, following + timedelta(seconds=1))
    await until_count(user, NUDGE, sent + 1)
    await asyncio.sleep(0.2)
    assert count(user, NUDGE) == sent + 1


# --- blocked, 429 ------------------------------------------------------------------------------
async def test_a_person_who_blocked_the_bot_gets_nothing_until_they_write(
    harness: Harness,
) -> None:
    user = harness.user(3006)
    await seed_person(harness, 3006)
    await set_up(user)
    await user.block()
    jump_to(harness, await due_of(harness, 3006) + timedelta(seconds=1))

    async def inactive() -> bool:
        [person] = await rows(harness, User, id=3006)
        return not person.active

    await until(inactive)
    refused = harness.emulator.stats()["errors_by_method"]["sendMessage"]["403"]
    assert refused == 1
    # The next day's timer finds the person inactive: paused, and no timer is left behind.
    jump_to(harness, await due_of(harness, 3006) + timedelta(seconds=1))

    async def stopped() -> bool:
        return await booked(harness, 3006) is None

    await until(stopped)
    [reminder] = await rows(harness, Reminder, user_id=3006)
    assert (reminder.enabled, reminder.paused_reason) == (False, "blocked")
    harness.shift_clock(timedelta(days=5))
    await asyncio.sleep(0.3)
    assert harness.emulator.stats()["errors_by_method"]["sendMessage"]["403"] == refused
    assert await rows(harness, Outbox, user_id=3006) == []

    await user.unblock()
    await user.send("/reminders")
    status = await user.wait_for(has_button("rm:on"))
    assert "couldn't reach you" in status.text
    await user.press(status, callback_data="rm:on")
    await user.wait_for("All set")
    await next_reminder(harness, user, 3006)


async def test_a_429_storm_delays_reminders_but_each_arrives_once(harness: Harness) -> None:
    people = list(range(3100, 3120))
    due = harness.running.runtime.clock.now() + timedelta(hours=2)
    for person in people:
        await seed_reminder(harness, person, due)
    users = [harness.emulator.user(person, started=True) for person in people]
    # Every send fails all 4 tries inside the rate limiter (which waits retry_after between
    # them) and goes back to the outbox; the outbox's first retry meets one more 429.
    storm = len(people) * 4 + 1
    harness.emulator.faults.too_many_requests(retry_after=1, method="sendMessage", times=storm)
    started = wall.monotonic()
    jump_to(harness, due + timedelta(seconds=1))

    async def all_arrived() -> bool:
        return all(count(user, NUDGE) for user in users)

    await until(all_arrived, timeout=30)
    assert wall.monotonic() - started >= 3 * 1, "retry_after was waited out, not hammered"
    await asyncio.sleep(1.5)
    assert [count(user, NUDGE) for user in users] == [1] * len(users)
    assert harness.emulator.stats()["errors"]["429"] == storm
    assert harness.emulator.stats()["calls"]["sendMessage"] == storm + len(users)
    assert await rows(harness, Outbox) == []


async def all_due_at_once(
    harness: Harness, people: list[int], within: float = 30
) -> list[TelegramUser]:
    """A reminder for each of ``people``, all due at the same moment, then the clock moved
    past it; returns their chats once each one has a reminder (and a moment more, so a
    second copy would show)."""
    due = harness.running.runtime.clock.now() + timedelta(hours=2)
    for person in people:
        await seed_reminder(harness, person, due)
    users = [harness.emulator.user(person, started=True) for person in people]
    jump_to(harness, due + timedelta(seconds=1))

    async def all_arrived() -> bool:
        return all(count(user, NUDGE) for user in users)

    await until(all_arrived, timeout=within)
    return users


async def test_reminders_due_together_stay_within_telegrams_flood_limit(sqlite_url: str) -> None:
    """Paced at 30 messages a second: Telegram's limit is met, and the odd 429 at the edge is
    waited out, so each reminder still arrives once."""
    async with bot_on(sqlite_url, flood_limit_per_second=30) as harness:
        harness.emulator.flood.enable(global_per_second=30)
        people = list(range(3200, 3290))
        started = wall.monotonic()
        users = await all_due_at_once(harness, people)
        elapsed = wall.monotonic() - started
        await asyncio.sleep(0.5)
        assert [count(user, NUDGE) for user in users] == [1] * len(people)
        assert harness.emulator.stats()["errors"].get("429", 0) <= len(people) // 10
        assert elapsed >= (len(people) - 30) / 30 * 0.9, "sent no faster than 30 a second"


async def test_reminders_after_a_quiet_spell_stay_within_30_in_any_one_second(
    sqlite_url: str,
) -> None:
    """Telegram does not say how it counts its 30 messages a second. Counted over any one
    second, a burst of a second's worth at once, followed by the paced rest, is refused:
    so the bot paces its sends evenly from the first, and no reminder draws a 429."""
    async with bot_on(sqlite_url, flood_limit_per_second=30) as harness:
        harness.emulator.flood.enable(global_per_second=30, overall_counting="window")
        people = list(range(3500, 3590))
        users = await all_due_at_once(harness, people)
        await asyncio.sleep(0.5)
        assert [count(user, NUDGE) for user in users] == [1] * len(people)
        assert harness.emulator.stats()["errors"].get("429", 0) == 0


async def test_after_a_429_the_sends_resume_at_the_pace_not_in_a_burst(sqlite_url: str) -> None:
    """Telegram's 429 says to wait ``retry_after`` seconds: no send goes meanwhile, and the
    sends that queued up during the wait then go out at the pace again. Released all at
    once, they would be a second's worth in an instant, which Telegram (here: any one second
    counted) refuses too, so one 429 would set off many."""
    async with bot_on(sqlite_url, flood_limit_per_second=30) as harness:
        harness.emulator.flood.enable(global_per_second=30, overall_counting="window")
        harness.emulator.faults.too_many_requests(retry_after=1, method="sendMessage", times=1)
        people = list(range(3600, 3690))
        users = await all_due_at_once(harness, people)
        await asyncio.sleep(0.5)
        assert [count(user, NUDGE) for user in users] == [1] * len(people)
        stats = harness.emulator.stats()
        assert stats["errors"].get("429", 0) == 1, "only the one injected"
        assert stats["sent_while_told_to_wait"] == 0, "retry_after was waited out by every send"


@pytest.mark.parametrize("paid", [True, False], ids=["PAID_BROADCAST on", "off"])
async def test_reminders_alone_are_sent_as_paid_broadcasts_when_that_is_on(
    sqlite_url: str, paid: bool
) -> None:
    """PAID_BROADCAST: reminders may go past Telegram's free 30 a second
    (allow_paid_broadcast, Bot API 7.11); the replies in a conversation never do."""
    async with bot_on(sqlite_url, paid_broadcast=paid, flood_limit_per_second=30) as harness:
        user = harness.user(3300)
        await seed_person(harness, 3300)
        await set_up(user, zone="UTC")
        reminder = await next_reminder(harness, user, 3300)
        assert reminder.paid_broadcast is paid
        assert not any(m.paid_broadcast for m in user.messages() if m is not reminder)
        # Many due at once, under Telegram's limits: each arrives once, paid as set.
        harness.emulator.flood.enable()
        people = list(range(3301, 3400))
        users = await all_due_at_once(harness, people, within=60)
        await asyncio.sleep(0.5)
        assert [count(user, NUDGE) for user in users] == [1] * len(people)
        assert {m.paid_broadcast for u in users for m in u.messages()} == {paid}
        assert await rows(harness, Outbox) == []


# --- the buttons on a reminder -----------------------------------------------------------------
async def test_snooze_and_skip_are_remembered_across_a_restart(harness: Harness) -> None:
    user = harness.user(3007)
    await seed_person(harness, 3007)
    await set_up(user, zone="UTC")
    first = await next_reminder(harness, user, 3007)
    await user.press(first, callback_data=button(first, "rm:snooze:"))
    snoozed = await user.wait_for("remind you again")
    back_at = await due_of(harness, 3007)
    assert f"{back_at:%H:%M}" in snoozed.text
    await harness.restart()
    await user.send("/reminders")
    await user.wait_for("Snoozed until")
    jump_to(harness, back_at + timedelta(seconds=1))
    second = await user.wait_for(NUDGE)
    assert count(user, NUDGE) == 2
    await user.press(second, callback_data=button(second, "rm:skip:"))
    skipped = await user.wait_for("skip today")
    tomorrow = await due_of(harness, 3007)
    assert f"{tomorrow:%H:%M}" in skipped.text
    await harness.restart()
    await user.send("/reminders")
    await user.wait_for("Skipping today's reminder")
    harness.shift_clock(timedelta(hours=3))
    await asyncio.sleep(0.3)
    assert count(user, NUDGE) == 2
    third = await next_reminder(harness, user, 3007)
    assert count(user, NUDGE) == 3
    # Yesterday's buttons are stale now.
    toast = await tap(harness, user, second, button(second, "rm:snooze:"))
    assert toast == t("common.stale_button")
    assert await due_of(harness, 3007) == tomorrow + timedelta(days=1)
    del third


async def test_three_days_without_a_session_pause_reminders_with_one_message(
    harness: Harness,
) -> None:
    user = harness.user(3008)
    await seed_person(harness, 3008)
    await set_up(user, at="08:00", zone="UTC")
    for _ in range(3):
        await next_reminder(harness, user, 3008)
    jump_to(harness, await due_of(harness, 3008) + timedelta(seconds=1))
    paused = await user.wait_for(PAUSED)
    assert "/reminders" in paused.text
    assert await booked(harness, 3008) is None
    harness.shift_clock(timedelta(days=6))
    await asyncio.sleep(0.3)
    assert (count(user, NUDGE), count(user, PAUSED)) == (3, 1)
    await user.send("/reminders")
    status = await user.wait_for(has_button("rm:on"))
    assert "without a session" in status.text


async def test_start_now_starts_a_session_like_stretch(harness: Harness) -> None:
    user = harness.user(3009)
    await seed_person(harness, 3009)
    await set_up(user)
    reminder = await next_reminder(harness, user, 3009)
    await user.press(reminder, "Start now")
    question = await user.wait_for(has_button("pn:b:"))
    assert question.text == t("session.pain_before.question")
    # A reminder due while a session is under way is held back.
    jump_to(harness, await due_of(harness, 3009) + timedelta(seconds=1))

    async def rebooked() -> bool:
        return (await due_of(harness, 3009)) > harness.running.runtime.clock.now()

    await until(rebooked)
    assert count(user, NUDGE) == 1


async def test_change_and_turn_off(harness: Harness) -> None:
    user = harness.user(3010)
    await seed_person(harness, 3010)
    await set_up(user, zone="Tokyo")
    reminder = await next_reminder(harness, user, 3010)
    await user.press(reminder, "Change")
    await user.press(await user.wait_for(has_button("rm:time:")), callback_data="rm:time:2000")
    days = await user.wait_for(has_button("rm:days:"))
    await user.press(days, callback_data="rm:days:weekdays")
    zones = await user.wait_for(has_button("rm:zone:keep"))
    assert zones.inline_keyboard[0][0]["text"] == "Keep Tokyo"
    await user.press(zones, callback_data="rm:zone:keep")
    await user.press(await user.wait_for(has_button("rm:save")), callback_data="rm:save")
    saved = await user.wait_for("All set")
    assert "on weekdays at 20:00, Tokyo time" in saved.text
    toast = await tap(harness, user, reminder, button(reminder, "rm:snooze:"))
    assert toast == t("common.stale_button"), "the old reminder's buttons went stale"

    await user.send("/reminders")
    status = await user.wait_for(has_button("rm:off"))
    await user.press(status, callback_data="rm:off")
    await user.wait_for("Reminders are off")
    assert await booked(harness, 3010) is None
    assert await tap(harness, user, status, "rm:off") == t("common.done_button")
    harness.shift_clock(timedelta(days=3))
    await asyncio.sleep(0.3)
    assert count(user, NUDGE) == 1


async def test_without_consent_nothing_is_stored_and_privacy_is_offered(
    harness: Harness,
) -> None:
    user = harness.user(3011)
    await user.send("/reminders")
    reply = await user.wait_for("permission")
    assert reply.inline_keyboard[0][0]["callback_data"] == "go:privacy"
    await user.send("7:30")
    await user.wait_for(lambda m: m.message_id > reply.message_id)
    assert await rows(harness, Reminder) == []
    assert await rows(harness, Timer) == []


async def test_the_reminders_menu_button_opens_the_set_up(harness: Harness) -> None:
    user = harness.user(3012)
    await seed_person(harness, 3012)
    await user.send("/help")
    help_message = await user.next_message()
    await tap(harness, user, help_message, "go:reminders")
    asked = await user.wait_for(has_button("rm:time:"))
    assert "What time of day" in asked.text


# --- two instances, one database ---------------------------------------------------------------
# The emulator, like Telegram, lets one long-poll per token (a second getUpdates gets 409), so
# instance A is `python -m bot run` and instance B runs the same start_bot with polling off:
# the worker a webhook deployment runs, without the web server. Both dispatch timers.
WORKER = """
import asyncio
from bot.config import load_settings
from bot.launch import start_bot
from bot.logs import configure_logging

async def main():
    settings = load_settings()
    configure_logging(settings.log_level, settings.secrets())
    await start_bot(settings, polling=False)
    await asyncio.Event().wait()

asyncio.run(main())
"""
PEOPLE = 1000


def launch(
    args: list[str], emulator: BotApiEmulator, database_url: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "FLOOD_LIMIT_PER_SECOND": "0",
        "LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, *args], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


async def test_two_instances_send_each_of_1000_reminders_exactly_once(
    pg_url: str, tmp_path: Path
) -> None:
    engine = make_engine(pg_url)
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    people = range(5000, 5000 + PEOPLE)
    now = datetime.now(UTC)
    async with sessions() as db, db.begin():
        for person in people:
            db.add(
                User(
                    id=person,
                    chat_id=person,
                    created_at=now,
                    consent="given",
                    level=1,
                    conditions=[],
                    active=True,
                )
            )
        await db.flush()
        for person in people:
            db.add(
                Reminder(
                    user_id=person,
                    local_time=f"{now:%H:%M}",
                    zone_name="UTC",
                    zone_label="UTC",
                    turned_on_at=now,
                )
            )
            # Due tomorrow until both instances are up; then all due at once.
            tomorrow = now + timedelta(days=1)
            db.add(
                Timer(
                    key=f"reminder:{person}",
                    kind="reminder",
                    user_id=person,
                    due_at=tomorrow,
                    payload={"slot": tomorrow.isoformat(), "snoozed": False},
                )
            )
    logs = [tmp_path / "polling.log", tmp_path / "worker.log"]
    async with BotApiEmulator(token=TOKEN, bot_username="stretch_test_bot") as emulator:
        users = [emulator.user(person, started=True) for person in people]
        processes = [
            launch(["-m", "bot", "run"], emulator, pg_url, logs[0]),
            launch(["-c", WORKER], emulator, pg_url, logs[1]),
        ]
        try:

            async def both_up() -> bool:
                # Each instance publishes its "/" menu once per language once it runs.
                published = emulator.stats()["calls"].get("setMyCommands", 0)
                return published >= 2 * len(languages.languages())

            await until(both_up, timeout=60)
            # All due together a moment ahead, as booked reminders are: each instance's
            # dispatcher learns the time at its next look (once a second) and wakes for it.
            due = datetime.now(UTC) + timedelta(seconds=2)
            async with sessions() as db, db.begin():
                await db.execute(update(Timer).values(due_at=due))

            async def all_sent() -> bool:
                return all(user.messages() for user in users)

            await until(all_sent, timeout=180, every=0.5)
            await asyncio.sleep(2)  # time for a duplicate to show up, if there were one
        finally:
            # Killed, not stopped: each send was committed together with the next booking,
            # so there is nothing to finish (and no waiting out a 10 s long poll).
            for process in processes:
                process.kill()
                process.wait(timeout=20)
        assert [len(user.messages()) for user in users] == [1] * PEOPLE
        assert all(NUDGE in user.messages()[0].text for user in users)
        assert emulator.stats()["calls"]["sendMessage"] == PEOPLE
    sent_by = [
        set(map(int, re.findall(r"reminder for user (\d+)", log.read_text()))) for log in logs
    ]
    assert sent_by[0] and sent_by[1], "both instances sent reminders"
    assert not sent_by[0] & sent_by[1]
    assert sent_by[0] | sent_by[1] == set(people)
    async with sessions() as db:
        booked_again = (await db.execute(Timer.__table__.select())).all()
    await engine.dispose()
    assert len(booked_again) == PEOPLE, "each person has exactly tomorrow's reminder booked"
