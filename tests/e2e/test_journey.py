"""What the bot says, it does (issue #17): each promise or prohibition in a message, held
against what the flows enforce, end to end; and the journey without repeats."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from bot.db.models import User
from tests.e2e.conftest import Harness
from tests.e2e.helpers import (
    button,
    has_button,
    hold_first_stretch,
    report_hurt,
    rows,
    seed_person,
    start_session,
)
from tests.emulator.chats import StoredMessage
from tests.emulator.userside import TelegramUser

EMERGENCY_TEXT = "sorry to ask but i cant feel my bum when i wipe since yesterday"


async def onboard_lower_back(
    user: TelegramUser, consent_question: StoredMessage, consent: str = "yes"
) -> None:
    await user.press(consent_question, callback_data=f"ob:consent:{consent}")
    region = await user.wait_for(has_button("ob:region:"))
    await user.press(region, callback_data="ob:region:lower_back")
    await user.press(await user.wait_for(has_button("ob:age:")), callback_data="ob:age:16_49")


async def answer_all_no(user: TelegramUser) -> StoredMessage:
    """ "No" to every check question; returns the first message that is not one."""
    while True:
        asked = await user.wait_for(
            lambda m: has_button("tq:")(m) or has_button("go:stretch")(m) or has_button("tc:")(m)
        )
        if not has_button("tq:")(asked) or "Earlier you wrote" in asked.text:
            return asked
        await user.press(asked, callback_data=button(asked, "tq:")[:-1] + "n")


# --- Safety: what is said is enforced -----------------------------------------------------
async def test_an_emergency_typed_before_consent_is_asked_again_by_name_before_clearing(
    harness: Harness,
) -> None:
    user = harness.user(17001)
    await user.send("/start")
    consent = await user.wait_for(has_button("ob:consent:"))
    await user.send(EMERGENCY_TEXT)
    await user.wait_for(lambda m: "emergency" in m.text.lower())
    await onboard_lower_back(user, consent)
    recheck = await answer_all_no(user)
    assert "Earlier you wrote" in recheck.text, recheck.text
    assert "numbness down below" in recheck.text
    assert not any("Nothing in your answers" in m.text for m in user.messages())
    await user.press(recheck, callback_data=button(recheck, "tq:")[:-1] + "y")
    advice = await user.wait_for(lambda m: "emergency" in m.text.lower())
    assert "Nothing in your answers" not in advice.text
    [person] = await rows(harness, User, id=17001)
    assert person.gate_level == "EMERGENCY"


async def test_a_no_to_the_named_sign_again_clears_and_says_so(harness: Harness) -> None:
    user = harness.user(17002)
    await user.send("/start")
    consent = await user.wait_for(has_button("ob:consent:"))
    await user.send(EMERGENCY_TEXT)
    await user.wait_for(lambda m: "emergency" in m.text.lower())
    await onboard_lower_back(user, consent, consent="no")
    recheck = await answer_all_no(user)
    assert "Earlier you wrote" in recheck.text
    await user.press(recheck, callback_data=button(recheck, "tq:")[:-1] + "n")
    await user.wait_for("Nothing in your answers")


async def report_text(harness: Harness, user: TelegramUser, *, with_name: bool = False) -> str:
    import io

    import pypdf

    await user.send("/report")
    asked = await user.wait_for(lambda m: has_button("rp:name:")(m) or "document" in m.data)
    if has_button("rp:name:")(asked):
        await user.press(asked, callback_data=f"rp:name:{'yes' if with_name else 'no'}")
    record = await user.wait_for(lambda m: "document" in m.data, timeout=20)
    pdf = pypdf.PdfReader(io.BytesIO(harness.emulator.files.of_message(record)))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)


async def test_clearance_after_an_emergency_only_after_a_wait_and_asks_what_was_said(
    harness: Harness,
) -> None:
    await seed_person(harness, 17003)
    user = harness.user(17003)
    await user.send(EMERGENCY_TEXT)
    await user.wait_for("what you just wrote")
    await user.send("/stretch")
    refusal = await user.wait_for(lambda m: "No stretches for now" in m.text)
    assert not has_button("tc:")(refusal) and "4 hours" in refusal.text
    # A forged or old "I've been cleared" changes nothing.
    await tap_data(harness, user, refusal, "tc:yes")
    await user.wait_for("don't think you've been seen")
    [person] = await rows(harness, User, id=17003)
    assert person.cleared_by_clinician_at is None
    harness.shift_clock(timedelta(hours=5))
    await user.send("/stretch")
    offer = await user.wait_for(has_button("tc:ask"))
    await user.press(offer, callback_data="tc:ask")
    question = await user.wait_for(has_button("tc:yes"))
    assert "What did the doctor or physio say" in question.text
    await user.press(question, callback_data="tc:yes")
    await user.wait_for(has_button("go:stretch"))
    [person] = await rows(harness, User, id=17003)
    assert person.cleared_by_clinician_at is not None
    text = await report_text(harness, user)
    assert "Cleared to exercise by a clinician" in text


async def tap_data(harness: Harness, user: TelegramUser, message: StoredMessage, data: str) -> None:
    harness.emulator.state.press_button(user.user, message, {"text": "?", "callback_data": data})


async def test_run_the_check_before_your_next_session_is_what_the_next_stretch_does(
    harness: Harness,
) -> None:
    user = harness.user(17004)
    countdown = await hold_first_stretch(harness, user, 17004)
    await report_hurt(user, countdown, 3, "arm")
    await user.wait_for("Please run the safety check again before your next session")
    summary = await finish_after_hurt(user)
    assert "Next session: tomorrow" not in summary.text
    assert "safety check comes first" in summary.text
    await user.send("/stretch")
    first = await user.wait_for(lambda m: has_button("tq:")(m) or has_button("pn:b:")(m))
    assert has_button("tq:")(first), "the check runs before the next session"
    assert not any(has_button("pn:b:")(m) for m in user.messages())
    await user.press(first, callback_data=button(first, "tq:")[:-1] + "n")
    await answer_all_no(user)
    await user.wait_for(has_button("pn:b:"))  # the check ran, so the session starts
    user.skip_pending()
    [person] = await rows(harness, User, id=17004)
    assert person.check_required_at is None


async def finish_after_hurt(user: TelegramUser) -> StoredMessage:
    """Whatever the session asks after "This hurts" (pain now, carry on, a note): the end."""
    while True:
        asked = await user.wait_for(
            lambda m: (
                has_button("pn:a:")(m)
                or has_button("ss:nonote:")(m)
                or has_button("hs:stop:")(m)
                or has_button("go:progress")(m)
            )
        )
        if has_button("go:progress")(asked):
            return asked
        if has_button("hs:stop:")(asked):
            await user.press(asked, callback_data=button(asked, "hs:stop:"))
        elif has_button("pn:a:")(asked):
            await user.press(asked, callback_data=button(asked, "pn:a:")[:-1] + "3")
        else:
            await user.press(asked, callback_data=button(asked, "ss:nonote:"))


async def test_lets_stop_for_today_means_no_session_until_tomorrow(harness: Harness) -> None:
    user = harness.user(17005)
    countdown = await hold_first_stretch(harness, user, 17005)
    await report_hurt(user, countdown, 7, "back")
    await user.wait_for("Let's stop for today")
    await finish_after_hurt(user)
    await user.send("/stretch")
    await user.wait_for("we stopped for today")
    assert not any(has_button("pn:b:")(m) for m in user.messages())
    harness.shift_clock(timedelta(days=1))
    await user.send("/stretch")
    await user.wait_for(has_button("pn:b:"))


async def test_see_a_gp_keeps_to_the_gentle_stretches_it_promised(harness: Harness) -> None:
    await seed_person(harness, 17006, gate="SEE_GP", level=3)
    user = harness.user(17006)
    await user.send("/stretch")
    intro = await user.wait_for("Today's session")
    assert "level 1" in intro.text, intro.text


async def test_after_a_clearance_we_start_gently_as_promised(harness: Harness) -> None:
    await seed_person(harness, 17007, gate="URGENT", level=3)
    harness.shift_clock(timedelta(hours=3))
    user = harness.user(17007)
    await user.send("/stretch")
    await user.press(await user.wait_for(has_button("tc:ask")), callback_data="tc:ask")
    await user.press(await user.wait_for(has_button("tc:yes")), callback_data="tc:yes")
    assert "start gently" in (await user.wait_for(has_button("go:stretch"))).text
    await user.send("/stretch")
    assert "level 1" in (await user.wait_for("Today's session")).text


async def test_a_thumbs_up_is_not_consent_to_store_health_data(harness: Harness) -> None:
    user = harness.user(17008)
    await user.send("/start")
    await user.wait_for(has_button("ob:consent:"))
    for unclear in ("👍", "i guess"):
        await user.send(unclear)
        again = await user.wait_for(has_button("ob:consent:yes"))
        assert "may I save your answers" in again.text
        [person] = await rows(harness, User, id=17008)
        assert person.consent == "unknown"
    assert not any(has_button("ob:region:")(m) for m in user.messages())
    await user.send("yes")
    await user.wait_for(has_button("ob:region:"))
    [person] = await rows(harness, User, id=17008)
    assert person.consent == "given"


async def set_zone(harness: Harness, user_id: int, zone: str) -> None:
    async with harness.running.runtime.sessions() as db, db.begin():
        person = await db.get(User, user_id)
        assert person is not None
        person.zone_name = zone


async def test_emergency_numbers_fit_the_persons_time_zone(harness: Harness) -> None:
    for user_id, zone, first in (
        (17009, None, "999 (UK), 112 (Europe) or 911"),
        (17010, "Europe/Berlin", "112 (Europe); elsewhere 999 (UK) or 911"),
        (17011, "Australia/Sydney", "000 (Australia)"),
    ):
        await seed_person(harness, user_id)
        if zone:
            await set_zone(harness, user_id, zone)
        user = harness.user(user_id)
        await user.send(EMERGENCY_TEXT)
        advice = await user.wait_for(lambda m: "emergency" in m.text.lower())
        assert f"call {first}" in advice.text, advice.text
        await user.send("/stretch")
        blocked = await user.wait_for("No stretches for now")
        assert f"call {first}" in blocked.text, blocked.text


# --- The journey ----------------------------------------------------------------------------
def cards_headed(user: TelegramUser, name: str) -> list[StoredMessage]:
    return [m for m in user.messages() if m.text.splitlines()[:1] == [name]]


async def test_the_next_stretch_comes_once_not_announced_then_shown(harness: Harness) -> None:
    from bot.core import routine

    library = routine.load_library()
    await seed_person(harness, 17020)
    user = harness.user(17020)
    intro = await start_session(harness, user)
    await user.press(intro, callback_data=button(intro, "ss:start:"))
    second = await user.wait_for(
        lambda m: has_button("ss:start:")(m) and m.message_id > intro.message_id, timeout=10
    )
    name = second.text.splitlines()[0]
    assert name != library.warm_up.name
    assert not any(m.text.startswith("Next:") for m in user.messages())
    assert len(cards_headed(user, name)) == 1


async def test_stray_text_during_a_stretch_points_to_the_card_instead_of_resending_it(
    harness: Harness,
) -> None:
    await seed_person(harness, 17021)
    user = harness.user(17021)
    card = await start_session(harness, user)
    name = card.text.splitlines()[0]
    await user.send("hmm right")
    pointer = await user.wait_for(has_button("ss:start:"))
    assert "just above" in pointer.text and len(pointer.text.splitlines()) <= 2
    assert len(cards_headed(user, name)) == 1


async def test_after_this_hurts_the_pain_is_asked_once(harness: Harness) -> None:
    user = harness.user(17022)
    countdown = await hold_first_stretch(harness, user, 17022)
    await report_hurt(user, countdown, 3, "back")
    choice = await user.wait_for(has_button("hc:"))
    assert "carry on gently" in choice.text
    await user.press(choice, callback_data=button(choice, "hc:").rsplit(":", 1)[0] + ":stop")
    await user.wait_for(has_button("ss:nonote:"))
    assert not any(has_button("pn:a:")(m) for m in user.messages()), "pain asked twice"
    await user.send("hurt a bit in the lower back")
    summary = await user.wait_for("Session summary")
    assert "4 → 3" in summary.text


async def test_carry_on_gently_after_this_hurts_carries_on(harness: Harness) -> None:
    user = harness.user(17023)
    countdown = await hold_first_stretch(harness, user, 17023)
    await report_hurt(user, countdown, 2, "neck")
    await user.wait_for(has_button("hc:"))
    await user.send("carry on")
    again = await user.wait_for(has_button("ss:start:"))
    await user.press(again, callback_data=button(again, "ss:start:"))
    await user.wait_for("And release", timeout=10)


async def test_cancel_before_a_session_starts_asks_nothing_more(harness: Harness) -> None:
    await seed_person(harness, 17024)
    user = harness.user(17024)
    await user.send("/stretch")
    await user.wait_for(has_button("pn:b:"))
    await user.send("/cancel")
    reply = await user.wait_for("no session now")
    assert not has_button("pn:")(reply)
    assert not any("Session stopped" in m.text for m in user.messages())
    assert [m for m in user.messages() if has_button("pn:")(m)].__len__() == 1


async def test_one_truth_for_counts_in_the_summary_the_record_and_the_weeks(
    harness: Harness,
) -> None:
    await seed_person(harness, 17025)
    user = harness.user(17025)
    warm_up = await start_session(harness, user)
    await user.press(warm_up, callback_data=button(warm_up, "ss:skip:"))
    first = await user.wait_for(
        lambda m: has_button("ss:start:")(m) and m.message_id > warm_up.message_id
    )
    await user.press(first, callback_data=button(first, "ss:start:"))
    second = await user.wait_for(
        lambda m: has_button("ss:start:")(m) and m.message_id > first.message_id, timeout=10
    )
    await user.press(second, callback_data=button(second, "ss:stop:"))
    after = await user.wait_for(has_button("pn:a:"))
    await user.press(after, callback_data=button(after, "pn:a:")[:-1] + "3")
    await user.wait_for(has_button("ss:nonote:"))
    await user.send("no")
    summary = await user.wait_for("Session summary")
    assert "Done: 1 of 6 stretches" in summary.text and "Skipped: 0" in summary.text
    text = await report_text(harness, user)
    assert "1 session started, 0 finished. 1 stretch done, 0 skipped." in text, text
    await user.send("/progress")
    chart = await user.wait_for(lambda m: "photo" in m.data, timeout=20)
    assert "Sessions this week: 1" in chart.text
    assert "Average pain before a session this week: 4.0" in chart.text  # what it averages


def start_label(message: StoredMessage) -> str:
    return next(
        str(b["text"])
        for row in message.inline_keyboard
        for b in row
        if str(b["callback_data"]).startswith("ss:start:")
    )


async def test_movements_are_started_not_held(harness: Harness) -> None:
    await seed_person(harness, 17026)
    user = harness.user(17026)
    warm_up = await start_session(harness, user)
    assert start_label(warm_up) == "Start" and "start the hold" not in warm_up.text
    await user.press(warm_up, callback_data=button(warm_up, "ss:start:"))
    countdown = await user.wait_for(has_button("ss:pause:"))
    assert countdown.text.startswith("Keep going")
    await user.send("hmm")
    assert "middle of the movement" in (await user.wait_for("The buttons are below")).text
    next_card = await user.wait_for(
        lambda m: has_button("ss:start:")(m) and m.message_id > warm_up.message_id, timeout=10
    )
    from bot.core import routine

    by_name = {s.name: s for s in routine.load_library().stretches.values()}
    # The card's first line is its name, under "And release" from the end of the warm-up.
    name = next(line for line in next_card.text.splitlines() if line in by_name)
    moving = by_name[name].movement
    assert start_label(next_card) == ("Start" if moving else "Start the hold")


async def test_ok_and_done_count_where_they_fit(harness: Harness) -> None:
    await seed_person(harness, 17030)
    user = harness.user(17030)
    await start_session(harness, user)
    await user.send("ok")
    countdown = await user.wait_for(has_button("ss:pause:"))
    await user.send("ok")  # mid-hold: the hold runs on
    await user.wait_for("The buttons are below")
    await user.press(countdown, callback_data=button(countdown, "ss:stop:"))
    after = await user.wait_for(has_button("pn:a:"))
    await user.send("3")
    await user.wait_for(has_button("ss:nonote:"))
    await user.send("done")
    await user.wait_for("Session summary")
    assert not any(m.text == "Noted." for m in user.messages()), "done is no note, not a note"
    del after


async def test_8_for_a_reminder_asks_morning_or_evening(harness: Harness) -> None:
    await seed_person(harness, 17031)
    user = harness.user(17031)
    await user.send("/reminders")
    await user.wait_for(has_button("rm:time:"))
    await user.send("8")
    which = await user.wait_for("in the morning or in the evening")
    await user.press(which, callback_data="rm:time:2000")
    await user.wait_for(has_button("rm:days:"))


async def test_a_long_heartfelt_message_is_acknowledged(harness: Harness) -> None:
    user = harness.user(17032)
    await user.send("/start")
    consent = await user.wait_for(has_button("ob:consent:"))
    await user.press(consent, callback_data="ob:consent:yes")
    await user.wait_for(has_button("ob:region:"))
    await user.send(
        "I have been struggling for months and my doctor said stretching might help, "
        "I really hope this works for me because I am so tired"
    )
    reply = await user.wait_for("Thank you for telling me")
    assert "Please choose one of the buttons above" not in reply.text


async def test_simple_questions_get_short_answers_and_the_card_is_not_resent(
    harness: Harness,
) -> None:
    await seed_person(harness, 17033)
    user = harness.user(17033)
    await user.send("how long do I hold it?")
    assert "20 to 30 seconds" in (await user.wait_for("seconds")).text
    card = await start_session(harness, user)
    await user.send("can I do this on the bus?")
    reply = await user.wait_for(has_button("ss:start:"))
    assert "never stretch while you drive" in reply.text and "just above" in reply.text
    await user.send("is a pull normal?")
    assert "gentle pull is just what you want" in (await user.wait_for("gentle pull")).text
    assert len(cards_headed(user, card.text.splitlines()[0])) == 1


async def test_the_report_is_written_for_a_gp(harness: Harness) -> None:
    import io

    import pypdf

    user = harness.user(17040, first_name="Ann")
    await user.send("/start")
    await onboard_lower_back(user, await user.wait_for(has_button("ob:consent:")))
    while True:  # "Yes" to a pain older than 3 months, "No" to everything else
        asked = await user.wait_for(lambda m: has_button("tq:")(m) or has_button("go:stretch")(m))
        if not has_button("tq:")(asked):
            break
        data = button(asked, "tq:")
        yes = data.split(":")[1] == "pain_over_3_months"
        await user.press(asked, callback_data=data[:-1] + ("y" if yes else "n"))
    warm_up = await start_session(harness, user)
    await user.press(warm_up, callback_data=button(warm_up, "ss:start:"))
    first = await user.wait_for(
        lambda m: has_button("ss:start:")(m) and m.message_id > warm_up.message_id, timeout=10
    )
    await user.press(first, callback_data=button(first, "ss:stop:"))
    await user.send("3")
    await user.wait_for(has_button("ss:nonote:"))
    await user.send("felt looser afterwards")
    await user.wait_for("Session summary")
    text = await report_text(harness, user)
    assert "Name:" not in text and "Ann" not in text, "no name without agreeing to it"
    assert "Age: 16 to 49" in text
    assert "Pain for more than 3 months" in text
    assert "Warm-up march and shoulder rolls" in text.split("Stretches done and notes")[1]
    assert "felt looser afterwards" in text
    assert "1 session started" in text
    assert "Yes: Have you had this pain" not in text, "only the answers that mattered"
    await user.send("/report")
    record = await user.wait_for(lambda m: "document" in m.data, timeout=20)
    pdf = pypdf.PdfReader(io.BytesIO(harness.emulator.files.of_message(record)))
    for page in pdf.pages:  # no page holds a single line besides its footer
        lines = [line for line in (page.extract_text() or "").splitlines() if line.strip()]
        assert len(lines) > 3, lines


async def test_the_terminal_chat_shows_edited_buttons_and_edits_in_order(
    harness: Harness,
) -> None:
    from tests.emulator.chat import follow_chat

    await seed_person(harness, 17050)
    user = harness.user(17050)
    await user.send("/reminders")
    await user.press(await user.wait_for(has_button("rm:time:")), callback_data="rm:time:0800")
    days = await user.wait_for(has_button("rm:days:custom"))
    await user.press(days, callback_data="rm:days:custom")
    picker = await user.wait_for(has_button("rm:day:"))
    await user.press(picker, callback_data="rm:day:0")
    await user.wait_for(lambda m: m.message_id == picker.message_id and "✓" in str(m.data))
    await user.press(picker, callback_data="rm:day:2")
    await user.wait_for(lambda m: m.message_id == picker.message_id and str(m.data).count("✓") == 2)
    printed = []
    for line in follow_chat(user, harness.emulator, {}):
        if line is None:
            break
        printed.append(line)
    edits = [line for line in printed if line.startswith("✏️")]
    assert len(edits) >= 2, printed  # each tap on the picker shows the picker again
    assert edits[-2].count("✓") == 1 and edits[-1].count("✓") == 2, "in the order made"
    assert "[1]" in edits[-1], "the new buttons are numbered, so they can be typed"


def test_the_terminal_chat_runs_at_the_speed_the_readme_says() -> None:
    from pathlib import Path

    from bot.__main__ import build_parser

    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    # README: "make run" opens the chat; "--speed 10" is the same with holds ten times shorter.
    assert "`python -m bot chat --speed 10` is the same with holds ten times shorter" in readme
    assert build_parser().parse_args(["chat"]).speed == 1.0


def test_the_license_is_an_spdx_string_so_setuptools_does_not_warn() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # a TOML table is deprecated (PEP 639)
    assert any(r.startswith("setuptools>=77") for r in project["build-system"]["requires"])


@pytest.mark.parametrize(
    "number", [0, 1, 2], ids=["clear_lower_back", "neck_not_sure", "free_text"]
)
async def test_the_three_journeys_read_without_a_repeated_or_contradictory_message(
    harness: Harness, number: int
) -> None:
    from tests.journeys import JOURNEYS, run_journey

    person = await run_journey(harness, JOURNEYS[number], 17060 + number, quiet=0.3)
    said = [text for text in person.said if text]
    for before, after in itertools.pairwise(said):
        assert before != after, f"said twice in a row: {after[:60]!r}"
    long_ones = [text for text in said if len(text) > 80]
    repeated = {text[:60] for text in long_ones if long_ones.count(text) > 1}
    assert not repeated, repeated
    everything = "\n".join(said)
    if "doctor today" in everything or "emergency help now" in everything:
        assert "Nothing in your answers needs a doctor" not in everything
    if "safety check again before your next session" in everything:
        assert "Next session: tomorrow" not in everything
    assert "Please choose one of the buttons above" not in everything


async def test_an_emergency_answer_to_a_follow_up_question_is_asked_again_before_clearing(
    harness: Harness,
) -> None:
    await seed_person(harness, 17070)
    user = harness.user(17070)
    await user.send("sorry, my bladder is playing up today")
    asked = await user.wait_for(has_button("sq:"))
    await user.press(asked, callback_data=button(asked, "sq:")[:-1] + "y")
    await user.wait_for(lambda m: "emergency" in m.text.lower())
    await user.send("/checkup")
    recheck = await answer_all_no(user)
    assert "Earlier you wrote" in recheck.text, recheck.text
    assert not any("Nothing in your answers" in m.text for m in user.messages())


async def test_an_emergency_typed_mid_session_never_ends_with_next_session_tomorrow(
    harness: Harness,
) -> None:
    """The emergency advice says get help now: the summary must not invite the next session
    tomorrow, nor offer a reminder, until a clinician has seen them."""
    user = harness.user(17090)
    countdown = await hold_first_stretch(harness, user, 17090)
    assert countdown
    await user.send(EMERGENCY_TEXT)
    await user.wait_for(lambda m: m.text.startswith("🚨"))
    after = await user.wait_for(has_button("pn:a:"))
    await user.press(after, callback_data=button(after, "pn:a:")[:-1] + "5")
    note = await user.wait_for(has_button("ss:nonote:"))
    await user.press(note, callback_data=button(note, "ss:nonote:"))
    last = await user.wait_for("No more stretches until a doctor has checked you")
    said = [m.text for m in user.messages()]
    assert not any("Next session: tomorrow" in text for text in said)
    assert not has_button("go:reminders")(last)
