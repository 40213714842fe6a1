"""One person's whole story with the bot, scripted, and how to check nothing was lost.

A journey is what the issue asks every person to do: onboarding (consent, region, age),
the red-flag questions, a stretch session with pain before and after, and setting up a daily
reminder; the harness then lets the reminder come due. Every tap or typed answer counts as an
answer given. The person never taps a button twice: they wait for a question they have not
answered yet, so a message the bot sends twice is counted, not answered twice.

What everyone should have received is a fault-free run of the same journey (the reference);
:func:`compare` holds each person's messages against it: delivered, duplicated, lost.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import (
    Outbox,
    PainRating,
    Reminder,
    StretchSession,
    Timer,
    TriageAnswer,
    User,
)
from tests.e2e.conftest import Harness
from tests.emulator.chats import StoredMessage
from tests.emulator.userside import TelegramUser

NUDGE = "time for your stretches"
WAIT = 60.0  # generous: under faults and restarts an answer comes late, not never


@dataclass
class Journey:
    user: TelegramUser
    timeout: float = WAIT
    pressed: set[str] = field(default_factory=set)
    answers: int = 0  # taps and typed answers, each one something the bot must store
    questions: int = 0  # red-flag questions answered

    async def run(self) -> None:
        await self.onboard()
        await self.stretch()
        await self.set_reminder()

    async def onboard(self) -> None:
        await self.user.send("/start")
        await self.tap("ob:consent:", "ob:consent:yes")
        await self.tap("ob:region:", "ob:region:neck")
        await self.tap("ob:age:", "ob:age:16_49")
        while True:
            asked = await self.ask("tq:", "go:stretch")
            question = first_button(asked, "tq:")
            if question is None:
                return
            await self.press(asked, question[:-1] + "n")
            self.questions += 1

    async def stretch(self) -> None:
        await self.user.send("/stretch")
        pain = await self.ask("pn:b:")
        await self.press(pain, _button(pain, "pn:b:")[:-1] + "3")
        while True:
            step = await self.ask("ss:start:", "pn:a:")
            after = first_button(step, "pn:a:")
            if after is not None:
                await self.press(step, after[:-1] + "2")
                break
            await self.press(step, _button(step, "ss:start:"), answer=False)
        note = await self.ask("ss:nonote")
        await self.press(note, _button(note, "ss:nonote"), answer=False)
        await self.user.wait_for("Next session", timeout=self.timeout)

    async def set_reminder(self) -> None:
        await self.user.send("/reminders")
        await self.ask("rm:time:")
        await self.user.send("7:30")
        self.answers += 1
        await self.tap("rm:days:", "rm:days:every")
        await self.ask("rm:zone:")
        await self.user.send("Europe/Berlin")
        self.answers += 1
        await self.tap("rm:save", "rm:save")
        await self.user.wait_for("All set", timeout=self.timeout)

    async def reminded(self) -> None:
        await self.user.wait_for(NUDGE, timeout=self.timeout)

    # --- steps ----------------------------------------------------------------------------
    async def ask(self, *prefixes: str) -> StoredMessage:
        """The newest question with a button of one of ``prefixes`` not tapped yet."""

        def unanswered(message: StoredMessage) -> bool:
            return any(
                str(b["callback_data"]).startswith(prefixes)
                and str(b["callback_data"]) not in self.pressed
                for row in message.inline_keyboard
                for b in row
            )

        return await self.user.wait_for(unanswered, timeout=self.timeout)

    async def tap(self, prefix: str, data: str) -> None:
        await self.press(await self.ask(prefix), data)

    async def press(self, message: StoredMessage, data: str, *, answer: bool = True) -> None:
        self.pressed.add(data)
        # Every button of that message counts as answered: its question is settled.
        self.pressed.update(str(b["callback_data"]) for row in message.inline_keyboard for b in row)
        await self.user.press(message, callback_data=data)
        self.answers += answer


def first_button(message: StoredMessage, prefix: str) -> str | None:
    for row in message.inline_keyboard:
        for item in row:
            if str(item["callback_data"]).startswith(prefix):
                return str(item["callback_data"])
    return None


def _button(message: StoredMessage, prefix: str) -> str:
    found = first_button(message, prefix)
    if found is None:
        raise LookupError(f"no {prefix!r} button on {message.text[:60]!r}")
    return found


# --- what arrived ---------------------------------------------------------------------------------
def shape(text: str) -> str:
    """A message without what differs between runs (times, dates, counts, ids).

    Month names too: the reference run moves the clock up to a day on, so at the end of a
    month its "Next one: Mon 30 Nov" and everyone else's "Tue 1 Dec" are the same message.
    """
    text = re.sub(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b", "Day", text.strip())
    months = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
    return re.sub(rf"# ({months})\b", "# Month", re.sub(r"\d+", "#", text))


def transcript(user: TelegramUser) -> Counter[str]:
    """Each message as it was sent: edits of a text or a caption (a countdown, a "✓ No" under
    an answered question) are best effort, so a lost edit is not a lost message."""
    first_text: dict[int, str] = {}
    for edit in user.edits():
        if edit.field in ("text", "caption") and isinstance(edit.before, str):
            first_text.setdefault(edit.message_id, edit.before)
    return Counter(
        shape(first_text.get(message.message_id, message.text)) for message in user.messages()
    )


@dataclass
class Tally:
    """Delivery and storage figures over many people, as the soak table prints them."""

    people: int = 0
    expected: int = 0
    delivered: int = 0
    duplicated: int = 0
    lost: int = 0
    answers_given: int = 0
    answers_stored: int = 0
    problems: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "people",
            "expected",
            "delivered",
            "duplicated",
            "lost",
            "answers_given",
            "answers_stored",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)
        self.duplicates.extend(other.duplicates)


def compare(reference: Counter[str], got: Counter[str], who: int, tally: Tally) -> None:
    """Count each expected message once; extras are duplicates, shortfalls are losses."""
    tally.people += 1
    tally.expected += sum(reference.values())
    for text, wanted in reference.items():
        have = got.get(text, 0)
        tally.delivered += min(have, wanted)
        tally.duplicated += max(0, have - wanted)
        if have > wanted:
            tally.duplicates.append(f"{who}: {text[:60]!r} x{have - wanted}")
        if have < wanted:
            tally.lost += wanted - have
            # Whole, not cut short: two shapes can differ only at the end.
            tally.problems.append(f"{who}: missing {text!r}")
    for text, have in got.items():
        if text not in reference:
            tally.problems.append(f"{who}: unexpected {text!r} x{have}")


async def stored_answers(
    sessions: async_sessionmaker[AsyncSession], journey: Journey
) -> tuple[int, list[str]]:
    """How many of the journey's answers are in the database, and what is missing.

    Counted the way the answers were given: consent, region, age, each red-flag answer, pain
    before and after, and the reminder's time, days, zone and save.
    """
    who = journey.user.id
    missing: list[str] = []
    async with sessions() as db:
        user = await db.get(User, who)
        questions = await db.scalar(
            select(func.count()).select_from(TriageAnswer).where(TriageAnswer.user_id == who)
        )
        ratings = await db.scalar(
            select(func.count()).select_from(PainRating).where(PainRating.user_id == who)
        )
        finished = await db.scalar(
            select(func.count())
            .select_from(StretchSession)
            .where(StretchSession.user_id == who, StretchSession.ended_at.is_not(None))
        )
        reminder = await db.get(Reminder, who)
    checks: list[tuple[str, int, bool]] = [
        ("consent", 1, user is not None and user.consent == "given"),
        ("region", 1, user is not None and user.region == "neck"),
        ("age", 1, user is not None and user.age_band == "16_49"),
        ("red-flag answers", journey.questions, questions == journey.questions),
        ("pain ratings", 2, ratings == 2 and finished == 1),
        ("reminder", 4, reminder is not None and reminder.local_time == "07:30"),
    ]
    stored = 0
    for name, count, ok in checks:
        if ok:
            stored += count
        else:
            missing.append(f"{who}: {name} not stored")
    return stored, missing


# --- many people at once, on a bot in this process ------------------------------------------------
async def reminders_due(sessions: async_sessionmaker[AsyncSession]) -> list[Timer]:
    async with sessions() as db:
        return list((await db.execute(select(Timer).where(Timer.kind == "reminder"))).scalars())


async def everyone(harness: Harness, ids: Iterable[int], reference: Counter[str]) -> Tally:
    """Each person's journey at once, then their reminder; what arrived and what is stored."""
    journeys = [Journey(harness.user(who)) for who in ids]
    await asyncio.gather(*(journey.run() for journey in journeys))
    due = max(timer.due_at for timer in await reminders_due(harness.running.runtime.sessions))
    harness.shift_clock(due - harness.running.runtime.clock.now() + timedelta(seconds=1))
    await asyncio.gather(*(journey.reminded() for journey in journeys))
    await settled(harness)
    return await tally_of(harness.running.runtime.sessions, journeys, reference)


async def settled(harness: Harness, within: float = 30.0) -> None:
    """Wait until the outbox is empty: every late message has had its chance."""
    await settled_outbox(harness.running.runtime.sessions, within)


async def settled_outbox(sessions: async_sessionmaker[AsyncSession], within: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        async with sessions() as db:
            if not await db.scalar(select(func.count()).select_from(Outbox)):
                break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)  # a send in flight lands


async def tally_of(
    sessions: async_sessionmaker[AsyncSession], journeys: list[Journey], reference: Counter[str]
) -> Tally:
    tally = Tally()
    for journey in journeys:
        compare(reference, transcript(journey.user), journey.user.id, tally)
        stored, missing = await stored_answers(sessions, journey)
        tally.answers_given += journey.answers
        tally.answers_stored += stored
        tally.problems.extend(missing)
    return tally


async def reference_run(harness: Harness, who: int) -> Counter[str]:
    """One fault-free journey: what every person should receive."""
    journey = Journey(harness.user(who))
    await journey.run()
    due = max(timer.due_at for timer in await reminders_due(harness.running.runtime.sessions))
    harness.shift_clock(due - harness.running.runtime.clock.now() + timedelta(seconds=1))
    await journey.reminded()
    await settled(harness)
    return transcript(journey.user)
