"""Small steps shared by end-to-end tests: seed a screened person, find buttons, read rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from bot.db.models import Dialog, User
from tests.e2e.conftest import Harness
from tests.emulator.chats import StoredMessage
from tests.emulator.userside import TelegramUser


async def seed_person(
    harness: Harness,
    user_id: int,
    *,
    region: str = "lower_back",
    gate: str = "CLEAR",
    conditions: Iterable[str] = (),
    level: int = 1,
) -> None:
    """A person who consented and screened with ``gate`` a minute ago."""
    runtime = harness.running.runtime
    now = runtime.clock.now()
    async with runtime.sessions() as db, db.begin():
        db.add(
            User(
                id=user_id,
                chat_id=user_id,
                created_at=now,
                consent="given",
                consent_at=now,
                region=region,
                age_band="16_49",
                level=level,
                gate_level=gate,
                gate_at=now,
                conditions=list(conditions),
                active=True,
            )
        )
        await db.flush()  # the dialog row refers to the person
        db.add(Dialog(user_id=user_id, flow="idle", step="", data={}, version=0, updated_at=now))


def button(message: StoredMessage, prefix: str) -> str:
    """The callback data of the first button on ``message`` starting with ``prefix``."""
    for row in message.inline_keyboard:
        for item in row:
            if str(item["callback_data"]).startswith(prefix):
                return str(item["callback_data"])
    raise LookupError(f"no {prefix!r} button on: {message.text[:80]!r}")


def has_button(prefix: str) -> Any:
    def check(message: StoredMessage) -> bool:
        return any(
            str(b["callback_data"]).startswith(prefix)
            for row in message.inline_keyboard
            for b in row
        )

    return check


def question_of(message: StoredMessage) -> str:
    """The id of the check question a message asks (its tq: buttons)."""
    return button(message, "tq:").split(":")[1]


async def wait_for_next_question(user: TelegramUser, after: str) -> StoredMessage:
    """The check's question after ``after``: usually the answered message edited into it."""
    return await user.wait_for(lambda m: has_button("tq:")(m) and question_of(m) != after)


async def answer_no_until_offer(user: TelegramUser) -> StoredMessage:
    """Answer "No" to every check question; returns the offer of a first session."""
    while True:
        asked = await user.wait_for(lambda m: has_button("tq:")(m) or has_button("go:stretch")(m))
        if has_button("go:stretch")(asked):
            return asked
        await user.press(asked, callback_data=button(asked, "tq:")[:-1] + "n")


async def rows(harness: Harness, model: Any, **where: Any) -> list[Any]:
    async with harness.running.runtime.sessions() as db:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list((await db.execute(query)).scalars())


async def start_session(harness: Harness, user: TelegramUser, pain: int = 4) -> StoredMessage:
    """/stretch, answer pain-before; returns the first stretch's instructions."""
    await user.send("/stretch")
    question = await user.wait_for(has_button("pn:b:"))
    await user.press(question, callback_data=button(question, "pn:b:")[:-1] + str(pain))
    return await user.wait_for(has_button("ss:start:"))


async def hold_first_stretch(harness: Harness, user: TelegramUser, user_id: int) -> StoredMessage:
    """A person ready to stretch, in the first hold of a session; returns the countdown."""
    await seed_person(harness, user_id)
    intro = await start_session(harness, user)
    await user.press(intro, callback_data=button(intro, "ss:start:"))
    return await user.wait_for(has_button("ss:pause:"))


async def report_hurt(user: TelegramUser, on: StoredMessage, score: int, place: str) -> None:
    """Tap "This hurts" on ``on``, then the pain score, then where it hurts."""
    await user.press(on, callback_data=button(on, "ss:hurt:"))
    how_bad = await user.wait_for(has_button("pn:h:"))
    await user.press(how_bad, callback_data=button(how_bad, "pn:h:")[:-1] + str(score))
    where = await user.wait_for(has_button("hw:"))
    await user.press(where, callback_data=button(where, "hw:").rsplit(":", 1)[0] + ":" + place)


async def tap(
    harness: Harness, user: TelegramUser, message: StoredMessage, data: str
) -> str | None:
    """Send a button press with any callback data, as a double tap on an old keyboard or a
    modified client would; returns the bot's toast once it has answered."""
    query = harness.emulator.state.press_button(
        user.user, message, {"text": "?", "callback_data": data}
    )
    answer = await user.wait_for_answer(query)
    return answer.text if hasattr(answer, "text") else None


async def eventually(check: Any, within: float = 5.0) -> Any:
    """Await ``check()`` until it returns something truthy (the bot commits just after sending)."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.02)
