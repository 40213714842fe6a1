"""Guided sessions over HTTP: order, hold timing, buttons, pain stored, restarts."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.core import routine
from bot.db.models import PainRating, SessionStep, StretchSession, Timer
from content.loader import load_file
from content.schema.common import Condition, Region
from content.schema.stretches import Stretch, StretchFile
from tests.e2e.conftest import FAST, Harness
from tests.e2e.helpers import (
    button,
    has_button,
    hold_first_stretch,
    rows,
    seed_person,
    start_session,
    tap,
)
from tests.emulator.chats import StoredMessage
from tests.emulator.userside import TelegramUser

LIBRARY = routine.load_library()
ALL_IDS = [s.id for s in load_file(StretchFile, "stretches.yaml").stretches]
AREA_ORDER = ["warmup", "neck", "upper_back", "lower_back_hips", "hamstrings"]


def stretch_named_in(text: str) -> Stretch | None:
    """The stretch a card is for: its first line, under "And release" after a hold."""
    lines = text.split("\n\n", 1)[1] if text.startswith("And release") else text
    first_line = lines.splitlines()[0] if lines else ""
    names = {LIBRARY.stretch(i).name: LIBRARY.stretch(i) for i in ALL_IDS}
    return names.get(first_line)


async def test_a_whole_level_one_session_in_order_with_timed_holds(harness: Harness) -> None:
    user = harness.user(2001)
    await seed_person(harness, 2001, region="lower_back")
    expected = routine.build_routine(LIBRARY, Region.LOWER_BACK, 1, frozenset())
    intro = await start_session(harness, user, pain=5)
    seen_areas: list[str] = []
    holds: list[float] = []
    message = intro
    while True:
        stretch = stretch_named_in(message.text)
        assert stretch is not None, message.text
        seen_areas.append(str(stretch.body_area))
        await user.press(message, callback_data=button(message, "ss:start:"))
        # Every hold of this stretch: countdown, then "release" no sooner than the hold.
        for step in [s for s in expected.steps if s.stretch_id == stretch.id]:
            started = time.monotonic()
            countdown = await user.wait_for(lambda m: "left" in m.text and " s " in m.text + " ")
            # A new message after the countdown (the card tapped may say "And release" too).
            after = countdown.message_id
            released = await user.wait_for(
                lambda m, after=after: "And release" in m.text and m.message_id > after,
                timeout=10,
            )
            holds.append(time.monotonic() - started)
            assert holds[-1] >= step.hold_seconds * FAST * 0.9
        if has_button("ss:start:")(released):  # the last hold's release heads the next card
            message = released
            continue
        assert "last stretch" in released.text  # or the end of the session
        following = await user.wait_for(has_button("pn:a:"), timeout=10)
        break
        message = following
    assert seen_areas[0] == "warmup"
    assert [AREA_ORDER.index(a) for a in seen_areas] == sorted(
        AREA_ORDER.index(a) for a in seen_areas
    )
    assert seen_areas[-1] == "hamstrings"
    assert len(seen_areas) == len(expected.stretch_ids)
    await user.press(following, callback_data=button(following, "pn:a:")[:-1] + "2")
    note = await user.wait_for(has_button("ss:nonote:"))
    await user.send("felt looser afterwards")
    summary = await user.wait_for("Session summary")
    assert "Done: 6 of 6" in summary.text and "Skipped: 0" in summary.text
    assert "5 → 2" in summary.text
    ratings = await rows(harness, PainRating, user_id=2001)
    assert sorted((r.kind, r.value) for r in ratings) == [("after", 2), ("before", 5)]
    [session] = await rows(harness, StretchSession, user_id=2001)
    assert session.status == "completed" and session.note == "felt looser afterwards"
    assert not await rows(harness, Timer, user_id=2001) or all(
        t.kind == "reminder" for t in await rows(harness, Timer, user_id=2001)
    )
    del note


async def test_this_hurts_mid_hold_stops_at_once_and_nothing_later_arrives(
    harness: Harness,
) -> None:
    user = harness.user(2002)
    countdown = await hold_first_stretch(harness, user, 2002)
    await user.press(countdown, callback_data=button(countdown, "ss:hurt:"))
    how_bad = await user.wait_for(has_button("pn:h:"))
    holds = [t for t in await rows(harness, Timer, user_id=2002) if t.kind != "session_idle"]
    assert holds == [], "the pending hold and tick timers are cancelled"
    await asyncio.sleep(
        LIBRARY.warm_up.hold_seconds * FAST * 2 if LIBRARY.warm_up.hold_seconds else 2.0
    )
    assert not any("release" in m.text for m in user.messages()[-3:])
    await user.press(how_bad, callback_data=button(how_bad, "pn:h:")[:-1] + "7")
    where = await user.wait_for(has_button("hw:"))
    await user.press(where, callback_data=button(where, "hw:").rsplit(":", 1)[0] + ":leg")
    advice = await user.wait_for("stop for today")
    assert "doctor" in advice.text
    await user.wait_for("safety check again")
    [hurt] = [r for r in await rows(harness, PainRating, user_id=2002) if r.kind == "hurt"]
    assert (hurt.value, hurt.body_part) == (7, "leg")


async def test_typing_ouch_does_what_the_button_does(harness: Harness) -> None:
    user = harness.user(2003)
    await hold_first_stretch(harness, user, 2003)
    await user.send("ouch!!")
    await user.wait_for(has_button("pn:h:"))
    [session] = await rows(harness, StretchSession, user_id=2003)
    assert session.status == "hurt"


async def test_this_hurts_answered_by_typing_the_score_and_the_place(harness: Harness) -> None:
    user = harness.user(2013)
    await hold_first_stretch(harness, user, 2013)
    await user.send("it hurts")
    await user.wait_for(has_button("pn:h:"))
    await user.send("6")
    await user.wait_for(has_button("hw:"))
    await user.send("down my leg")
    await user.wait_for("safety check again")  # spreading into a limb: the check again
    [hurt] = [r for r in await rows(harness, PainRating, user_id=2013) if r.kind == "hurt"]
    assert (hurt.value, hurt.body_part) == (6, "leg")


async def test_pause_holds_the_timer_and_resume_finishes_the_hold(harness: Harness) -> None:
    user = harness.user(2004)
    countdown = await hold_first_stretch(harness, user, 2004)
    await user.press(countdown, callback_data=button(countdown, "ss:pause:"))
    paused = await user.wait_for(has_button("ss:resume:"))
    before = len(user.messages())
    await asyncio.sleep(90 * FAST * 1.5)  # longer than the whole warm-up hold
    assert not any("release" in m.text for m in user.messages()[before:])
    await user.press(paused, callback_data=button(paused, "ss:resume:"))
    await user.wait_for("And release", timeout=10)


async def test_skip_moves_to_the_next_stretch_and_is_recorded(harness: Harness) -> None:
    user = harness.user(2005)
    await seed_person(harness, 2005)
    intro = await start_session(harness, user)
    await user.press(intro, callback_data=button(intro, "ss:skip:"))
    await user.wait_for("Skipped")
    following = await user.wait_for(has_button("ss:start:"))
    assert following.text.splitlines()[0] != intro.text.splitlines()[0]
    steps = await rows(harness, SessionStep, user_id=2005)
    assert steps and all(s.outcome == "skipped" for s in steps)
    assert {s.stretch_id for s in steps} == {LIBRARY.warm_up.id}


async def test_typed_go_pause_next_and_stop_do_what_the_buttons_do(harness: Harness) -> None:
    user = harness.user(2010)
    await seed_person(harness, 2010)
    intro = await start_session(harness, user)
    await user.send("ok go")
    await user.wait_for(has_button("ss:pause:"))
    await user.send("pause please")
    await user.wait_for(has_button("ss:resume:"))
    await user.send("carry on")
    await user.wait_for("Carrying on")
    await user.send("next")
    await user.wait_for("Skipped")
    following = await user.wait_for(has_button("ss:start:"))
    assert following.text.splitlines()[0] != intro.text.splitlines()[0]
    await user.send("stop")
    await user.wait_for("Session stopped")
    after = await user.wait_for(has_button("pn:a:"))
    [session] = await rows(harness, StretchSession, user_id=2010)
    assert session.status == "stopped"
    await user.send("next")  # a pain score is asked now, not a control
    assert (await user.wait_for(has_button("pn:a:"))).message_id != after.message_id
    [session] = await rows(harness, StretchSession, user_id=2010)
    assert session.phase == "pain_after"


async def test_text_that_is_no_score_is_told_to_give_a_number(harness: Harness) -> None:
    user = harness.user(2012)
    await seed_person(harness, 2012)
    await user.send("/stretch")
    await user.wait_for(has_button("pn:b:"))
    await user.send("not too bad")
    hint = await user.wait_for("tap a number from 0 to 10")
    assert has_button("pn:b:")(hint), "one message: the hint with the numbers"


@pytest.mark.parametrize(
    ("typed", "kept"), [("nope", None), ("No note.", None), ("calf felt tight", "calf felt tight")]
)
async def test_a_typed_no_to_the_note_is_no_note(
    harness: Harness, typed: str, kept: str | None
) -> None:
    user = harness.user(2014)
    await seed_person(harness, 2014)
    await start_session(harness, user)
    await user.send("stop")
    after = await user.wait_for(has_button("pn:a:"))
    await user.press(after, callback_data=button(after, "pn:a:")[:-1] + "3")
    await user.wait_for(has_button("ss:nonote:"))
    await user.send(typed)
    await user.wait_for("Session summary")
    [session] = await rows(harness, StretchSession, user_id=2014)
    assert session.note == kept


async def test_typing_stretch_without_the_slash_starts_a_session(harness: Harness) -> None:
    user = harness.user(2011)
    await seed_person(harness, 2011)
    await user.send("Let's stretch!")
    await user.wait_for(has_button("pn:b:"))
    assert not any("didn't understand" in m.text for m in user.messages())


async def test_double_taps_and_stale_buttons_do_nothing_harmful(harness: Harness) -> None:
    user = harness.user(2006)
    await seed_person(harness, 2006)
    intro = await start_session(harness, user)
    start, skip = button(intro, "ss:start:"), button(intro, "ss:skip:")
    await tap(harness, user, intro, start)
    await tap(harness, user, intro, start)  # the second tap of a double tap
    following = await user.wait_for("And release", timeout=10)  # heading the next stretch
    countdowns = [m for m in user.messages() if "left" in m.text or "Done" in m.text]
    assert len(countdowns) == 1, "one hold started, not two"
    assert has_button("ss:start:")(following)
    before = len(user.messages())
    toast = await tap(harness, user, intro, skip)  # the first stretch's Skip, pressed late
    assert toast and "earlier step" in toast
    assert len(user.messages()) == before, "a stale button sends nothing"
    assert following.inline_keyboard


async def test_a_forged_session_id_touches_nobody_elses_session(harness: Harness) -> None:
    owner, intruder = harness.user(2007), harness.user(2008)
    await seed_person(harness, 2007)
    await seed_person(harness, 2008)
    intro = await start_session(harness, owner)
    await intruder.send("/help")
    helped = await intruder.next_message()
    for action in ("ss:stop:", "ss:hurt:", "ss:skip:", "pn:b:"):
        data = button(intro, action) if action != "pn:b:" else f"pn:b:{intro_session(intro)}:9"
        toast = await tap(harness, intruder, helped, data)
        assert toast and "earlier step" in toast
    [session] = await rows(harness, StretchSession, user_id=2007)
    assert session.status == "active" and session.position == 0
    assert not await rows(harness, PainRating, user_id=2008)


def intro_session(message: object) -> str:
    return button(message, "ss:stop:").split(":")[2]  # type: ignore[arg-type]


async def warm_up_done(
    harness: Harness, user_id: int, *, before_start: timedelta = timedelta(0)
) -> tuple[TelegramUser, StoredMessage]:
    """A session with pain 3, its warm-up started ``before_start`` after the intro and held
    to its end; returns the person and the next stretch's card ("And release" above it)."""
    user = harness.user(user_id)
    await seed_person(harness, user_id)
    intro = await start_session(harness, user, pain=3)
    harness.shift_clock(before_start)
    await user.press(intro, callback_data=button(intro, "ss:start:"))
    return user, await user.wait_for("And release", timeout=10)


async def test_an_hour_idle_closes_the_session_as_abandoned_keeping_what_was_done(
    harness: Harness,
) -> None:
    user, following = await warm_up_done(harness, 2009)
    assert has_button("ss:start:")(following)  # the next stretch, untouched
    harness.shift_clock(timedelta(minutes=61))
    await user.wait_for("idle", timeout=10)
    [session] = await rows(harness, StretchSession, user_id=2009)
    assert session.status == "abandoned" and session.ended_at is not None
    assert [r.value for r in await rows(harness, PainRating, user_id=2009)] == [3]
    assert [s.outcome for s in await rows(harness, SessionStep, user_id=2009)] == ["done"]
    # The timer that closed it is spent: gone, so it never fires again once its claim lapses.
    assert not [t for t in await rows(harness, Timer, user_id=2009) if t.kind == "session_idle"]
    harness.shift_clock(timedelta(minutes=5))
    await asyncio.sleep(1.5)
    assert len([m for m in user.messages() if "idle" in m.text]) == 1
    await user.send("/stretch")
    await user.wait_for(has_button("pn:b:"))  # a fresh session starts, not the old one


async def test_a_tap_within_the_hour_keeps_the_session_open_an_hour_from_then(
    harness: Harness,
) -> None:
    user, following = await warm_up_done(harness, 2019, before_start=timedelta(minutes=50))
    harness.shift_clock(timedelta(minutes=15))  # 65 minutes after the start, 15 after the tap
    await asyncio.sleep(1.5)  # the idle timer fires now, finds the tap, and waits on
    assert not [m for m in user.messages() if "idle" in m.text]
    [session] = await rows(harness, StretchSession, user_id=2019)
    assert session.status == "active"
    await user.press(following, callback_data=button(following, "ss:start:"))
    await user.wait_for(has_button("ss:hurt:"))  # the session goes on
    harness.shift_clock(timedelta(minutes=61))
    await user.wait_for("idle", timeout=10)
    [session] = await rows(harness, StretchSession, user_id=2019)
    assert session.status == "abandoned"


@pytest.mark.parametrize(
    ("condition", "region"),
    [("osteoporosis", "lower_back"), ("neck_artery_signs", "neck"), ("pregnancy", "lower_back")],
)
async def test_an_excluded_stretch_never_appears(
    harness: Harness, condition: str, region: str
) -> None:
    user = harness.user(2010)
    await seed_person(
        harness, 2010, region=region, gate="CHECK_FIRST", conditions=[condition], level=3
    )
    excluded = {
        LIBRARY.stretch(s).name
        for s in ALL_IDS
        if Condition(condition) in LIBRARY.stretch(s).excluded_for
    }
    assert excluded, "the condition excludes something, or this test proves nothing"
    intro = await start_session(harness, user)
    message = intro
    shown: list[str] = []
    while True:
        shown.append(message.text.splitlines()[0])
        await user.press(message, callback_data=button(message, "ss:skip:"))
        message = await user.wait_for(
            lambda m: has_button("ss:start:")(m) or has_button("pn:a:")(m), timeout=10
        )
        if has_button("pn:a:")(message):
            break
    assert not excluded & set(shown)
    expected = routine.build_routine(LIBRARY, Region(region), 3, frozenset({Condition(condition)}))
    assert len(shown) == len(expected.stretch_ids)
    texts = " ".join(m.text for m in user.messages())
    assert not any(name in texts for name in excluded)


async def test_the_pain_score_is_acknowledged_under_its_question(harness: Harness) -> None:
    """Tapped: "Pain now" goes under the question, in the same message; typed: a reply."""
    user = harness.user(2031)
    await seed_person(harness, 2031)
    await user.send("/stretch")
    question = await user.wait_for(has_button("pn:b:"))
    messages_before = len(user.messages())
    query = await user.press(question, callback_data=button(question, "pn:b:")[:-1] + "6")
    card = await user.wait_for(has_button("ss:start:"))
    assert question.text.endswith("✓ Thanks. Pain now: 6 out of 10.")
    assert not question.inline_keyboard, "the score can't be tapped twice"
    assert (await user.wait_for_answer(query)).text == "✓ 6"
    assert user.messages()[messages_before:] == [card]
    await user.press(card, callback_data=button(card, "ss:stop:"))
    after = await user.wait_for(has_button("pn:a:"))
    await user.send("3")  # typed, to the question after
    await user.wait_for(has_button("ss:nonote:"))
    assert "Pain now" not in after.text
    assert [r.value for r in await rows(harness, PainRating, user_id=2031)] == [6, 3]
