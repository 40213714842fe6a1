"""When in doubt, ask: a red-flag topic in free text gets a follow-up question, over HTTP.

"My bladder is playing up" is not a confident report, so it raises no alarm; it gets the
cauda equina checklist from the triage content, with Yes / No / Not sure. "Yes" gives the
emergency advice and stops a session; "No" carries on where the person was.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core import routine, safety
from bot.core.triage import Profile, load_bank
from bot.db.models import (
    Dialog,
    SafetyAlert,
    Screening,
    StretchSession,
    Timer,
    TriageAnswer,
    User,
)
from content.schema.common import AgeBand, Condition, Level, Region
from tests.e2e.conftest import Harness
from tests.e2e.helpers import (
    answer_no_until_offer,
    button,
    has_button,
    hold_first_stretch,
    rows,
    seed_person,
    start_session,
    tap,
    wait_for_next_question,
)
from tests.e2e.test_triage import EMERGENCY_WORDS, onboard
from tests.emulator.chats import StoredMessage
from tests.emulator.userside import TelegramUser

BANK = load_bank()
TOPIC = "my bladder is playing up a bit"  # no alarm: a topic only
CHECKLIST = "cauda_equina_signs"


def _question_id(message: StoredMessage) -> str:
    return button(message, "sq:").split(":")[1]


async def _concern_question(user: TelegramUser) -> StoredMessage:
    return await user.wait_for(has_button("sq:"))


def _is_emergency(message: StoredMessage) -> bool:
    return any(word in message.text.lower() for word in EMERGENCY_WORDS)


def test_the_sentences_used_here_are_what_they_claim() -> None:
    phrases = safety.load_bank()
    topic = safety.classify_text(phrases, TOPIC)
    assert isinstance(topic, safety.Concern) and topic.alarm is None
    assert topic.question_id == CHECKLIST
    assert safety.classify_text(phrases, "my bladder is fine") is None


async def test_a_topic_mid_hold_pauses_the_session_and_no_resumes_it(harness: Harness) -> None:
    user = harness.user(8101)
    await hold_first_stretch(harness, user, 8101)
    await user.send(TOPIC)
    asked = await _concern_question(user)
    assert _question_id(asked) == CHECKLIST
    assert BANK.question(CHECKLIST).text.splitlines()[0] in asked.text
    assert not any(_is_emergency(m) for m in user.messages()), "a question, not an alarm"
    [session] = await rows(harness, StretchSession, user_id=8101)
    assert session.paused, "the hold waits while the question is on screen"

    await user.press(asked, callback_data=f"sq:{CHECKLIST}:n")
    await user.wait_for("good to hear")
    await user.wait_for("And release", timeout=10)  # the hold resumed and ran out
    [session] = await rows(harness, StretchSession, user_id=8101)
    assert session.status == "active" and not session.paused
    [person] = await rows(harness, User, id=8101)
    assert person.gate_level == "CLEAR"
    [stored] = await rows(harness, TriageAnswer, user_id=8101)
    assert (stored.question_id, stored.answer, stored.screening_id) == (CHECKLIST, "no", None)


async def test_yes_mid_session_gives_the_emergency_advice_and_stops_it(
    harness_any_db: Harness,
) -> None:
    harness = harness_any_db
    user = harness.user(8102)
    await hold_first_stretch(harness, user, 8102)
    await user.send(TOPIC)
    asked = await _concern_question(user)
    await user.press(asked, callback_data=f"sq:{CHECKLIST}:y")
    advice = await user.wait_for(_is_emergency)
    held = await user.wait_for("hold off")  # no stretches until a clinician has seen them,
    assert not has_button("tc:")(held)  # and no clearance seconds after (clearance.yaml)
    [session] = await rows(harness, StretchSession, user_id=8102)
    assert session.status == "stopped"
    [person] = await rows(harness, User, id=8102)
    assert person.gate_level == "EMERGENCY"
    [alert] = await rows(harness, SafetyAlert, user_id=8102)
    assert (alert.condition, alert.level) == ("cauda_equina", "EMERGENCY")
    after = await user.wait_for(has_button("pn:a:"))  # the stopped session asks pain now
    assert after.message_id > advice.message_id


async def test_a_yes_typed_after_another_command_asks_the_safety_question_again(
    harness: Harness,
) -> None:
    user = harness.user(8111)
    await seed_person(harness, 8111)
    await user.send(TOPIC)
    asked = await _concern_question(user)
    await user.send("/delete")
    await user.wait_for(has_button("pv:"))
    await user.send("yes")  # meant for "Erase everything?", not for the bladder question
    again = await user.wait_for(lambda m: has_button("sq:")(m) and m.message_id > asked.message_id)
    assert button(again, "sq:") == button(asked, "sq:")
    assert not any(_is_emergency(m) for m in user.messages() if m.message_id > asked.message_id)
    await user.send("yes")  # now it answers the question on screen
    await user.wait_for(_is_emergency)


async def test_an_alarm_typed_mid_session_is_the_last_word_before_the_pain_question(
    harness: Harness,
) -> None:
    user = harness.user(8110)
    await hold_first_stretch(harness, user, 8110)
    await user.send("my bum has gone numb since this morning")
    advice = await user.wait_for(_is_emergency)
    await user.wait_for(has_button("pn:a:"))
    await asyncio.sleep(0.5)
    after = [m for m in user.messages() if m.message_id > advice.message_id]
    assert not any("Please" in m.text for m in after), [m.text for m in after]
    assert sum(has_button("pn:a:")(m) for m in after) == 1, "the pain question once"


async def test_mid_check_no_carries_on_and_yes_ends_the_check_as_an_emergency(
    harness: Harness,
) -> None:
    user = harness.user(8103)
    await onboard(user, Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49))
    first = await user.wait_for(has_button("tq:"))
    assert button(first, "tq:").split(":")[1] == CHECKLIST
    # While the check asks this very question, the topic is its answer to give: no extra one.
    await user.send(TOPIC)
    again = await user.wait_for(lambda m: has_button("tq:")(m) and m.message_id > first.message_id)
    assert button(again, "tq:").split(":")[1] == CHECKLIST
    assert not any(has_button("sq:")(m) for m in user.messages())
    await user.press(again, callback_data=f"tq:{CHECKLIST}:n")
    # The next question takes the answered one's place (one message that moves on).
    second = await wait_for_next_question(user, after=CHECKLIST)
    assert second.message_id == again.message_id
    second_id = button(second, "tq:").split(":")[1]

    # On another question, the same topic gets the checklist again, as a follow-up.
    await user.send("sorry, my bladder is playing up today")
    asked = await _concern_question(user)
    assert _question_id(asked) == CHECKLIST
    await user.press(asked, callback_data=f"sq:{CHECKLIST}:n")
    await user.wait_for("carry on")
    resumed = await user.wait_for(
        lambda m: has_button("tq:")(m) and m.message_id > asked.message_id
    )
    assert button(resumed, "tq:").split(":")[1] == second_id, "the check goes on where it was"

    await user.send("my eyesight is strange since this morning")
    asked = await _concern_question(user)
    assert _question_id(asked) == "neck_artery_signs"
    await user.press(asked, callback_data="sq:neck_artery_signs:y")
    await user.wait_for(_is_emergency)
    [screening] = await rows(harness, Screening, user_id=8103)
    assert screening.level == "EMERGENCY", "the check's outcome counts the answer"
    [person] = await rows(harness, User, id=8103)
    assert person.gate_level == "EMERGENCY"


async def test_an_urgent_alarm_asks_the_question_that_could_make_it_an_emergency(
    harness: Harness,
) -> None:
    user = harness.user(8104)
    await seed_person(harness, 8104)
    await user.send("my foot has been getting weaker")
    urgent = await user.wait_for("doctor today")
    asked = await _concern_question(user)
    assert asked.message_id > urgent.message_id
    assert _question_id(asked) == "leg_change_fast"
    assert not any(_is_emergency(m) for m in user.messages())
    await user.press(asked, callback_data="sq:leg_change_fast:y")
    await user.wait_for(_is_emergency)
    [person] = await rows(harness, User, id=8104)
    assert person.gate_level == "EMERGENCY"


async def test_not_sure_gives_the_check_s_not_sure_advice(harness: Harness) -> None:
    user = harness.user(8105)
    await seed_person(harness, 8105)
    await user.send(TOPIC)
    asked = await _concern_question(user)
    await user.press(asked, callback_data=f"sq:{CHECKLIST}:u")
    advice = await user.wait_for("doctor today or tomorrow")
    assert not _is_emergency(advice)
    await user.wait_for(BANK.question(CHECKLIST).topic)  # "You weren't sure about ..."
    [person] = await rows(harness, User, id=8105)
    assert person.gate_level == Level.URGENT.value


async def test_the_same_question_is_not_asked_twice_in_a_day(harness: Harness) -> None:
    user = harness.user(8106)
    await seed_person(harness, 8106)
    await user.send(TOPIC)
    asked = await _concern_question(user)
    await user.send("no")  # typed answers count too
    await user.wait_for("good to hear")
    await user.send("bladder still playing up")
    reply = await user.next_message()
    assert not has_button("sq:")(reply), reply.text
    harness.shift_clock(timedelta(hours=25))
    await user.send(TOPIC)
    later = await _concern_question(user)
    assert later.message_id > asked.message_id


async def test_negated_and_someone_elses_topics_get_no_question(harness: Harness) -> None:
    user = harness.user(8107)
    await seed_person(harness, 8107)
    for text in ("my bladder is fine", "no problems with my bladder", "my dad's bladder is weak"):
        await user.send(text)
        reply = await user.next_message()
        assert not has_button("sq:")(reply) and not _is_emergency(reply), (text, reply.text)


async def test_without_consent_the_advice_is_given_and_no_answer_is_kept(
    harness: Harness,
) -> None:
    user = harness.user(8108)
    await onboard(user, Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49), consent=False)
    await answer_no_until_offer(user)
    await user.send(TOPIC)
    question = await _concern_question(user)
    await user.press(question, callback_data=f"sq:{CHECKLIST}:y")
    await user.wait_for(_is_emergency)
    assert not await rows(harness, TriageAnswer, user_id=8108)
    assert not await rows(harness, SafetyAlert, user_id=8108)
    [dialog] = await rows(harness, Dialog, user_id=8108)
    assert dialog.data["verdict"] == "EMERGENCY", "this conversation's gate is blocked"
    await user.send("/stretch")
    await user.wait_for(_is_emergency)


async def test_forged_and_repeated_taps_change_nothing(harness: Harness) -> None:
    user = harness.user(8109)
    await seed_person(harness, 8109)
    await user.send(TOPIC)
    asked = await _concern_question(user)
    assert await tap(harness, user, asked, "sq:no_such_question:y") == "?"
    assert await tap(harness, user, asked, f"sq:{CHECKLIST}:maybe") == "?"
    await user.press(asked, callback_data=f"sq:{CHECKLIST}:n")
    await user.wait_for("good to hear")
    toast = await tap(harness, user, asked, f"sq:{CHECKLIST}:y")
    assert toast, "a second tap on an answered question is only a toast"
    [person] = await rows(harness, User, id=8109)
    assert person.gate_level == "CLEAR"


async def test_a_pending_question_still_works_after_a_restart(harness_any_db: Harness) -> None:
    harness = harness_any_db
    user = harness.user(8110)
    await seed_person(harness, 8110)
    await user.send(TOPIC)
    asked = await _concern_question(user)
    await harness.restart()
    await user.press(asked, callback_data=f"sq:{CHECKLIST}:y")
    await user.wait_for(_is_emergency)
    [person] = await rows(harness, User, id=8110)
    assert person.gate_level == "EMERGENCY"


# --- before exercising: a sign typed in free text adapts the programme -------------------------
LIBRARY = routine.load_library()
CHECK_FIRST_ADVICE = "check with your doctor before you start exercising"


async def _walk_through(user: TelegramUser, first: StoredMessage) -> list[str]:
    """Skip through a session from its first stretch; every stretch's instructions, in order."""
    message, shown = first, []
    while True:
        shown.append(message.text)
        await user.press(message, callback_data=button(message, "ss:skip:"))
        message = await user.wait_for(
            lambda m: has_button("ss:start:")(m) or has_button("pn:a:")(m), timeout=10
        )
        if has_button("pn:a:")(message):
            return shown


def _adapted(region: Region, level: int, condition: Condition) -> tuple[set[str], list[str]]:
    """The stretch names a condition rules out of a routine, and the changes it asks for."""
    plain = routine.build_routine(LIBRARY, region, level, frozenset())
    adapted = routine.build_routine(LIBRARY, region, level, frozenset({condition}))
    excluded = {LIBRARY.stretch(s).name for s in adapted.excluded}
    changes = list(dict.fromkeys(s.modification for s in adapted.steps if s.modification))
    assert excluded and changes, "the condition changes this routine, or this proves nothing"
    assert not {LIBRARY.stretch(s).name for s in plain.excluded}
    return excluded, changes


async def test_pregnancy_typed_then_yes_gives_the_advice_and_adapts_the_next_routine(
    harness: Harness,
) -> None:
    user = harness.user(8120)
    await seed_person(harness, 8120)  # a clear check, no conditions
    excluded, changes = _adapted(Region.LOWER_BACK, 1, Condition.PREGNANCY)
    await user.send("i just found out i'm pregnant")
    asked = await _concern_question(user)
    assert _question_id(asked) == "pregnant"
    assert BANK.question("pregnant").text in asked.text
    assert BANK.question("before_exercise").text.splitlines()[0] not in asked.text
    await user.press(asked, callback_data="sq:pregnant:y")
    await user.wait_for(CHECK_FIRST_ADVICE)
    [person] = await rows(harness, User, id=8120)
    assert person.conditions == ["pregnancy"] and person.gate_level == Level.CHECK_FIRST.value

    shown = await _walk_through(user, await start_session(harness, user))
    names = [text.splitlines()[0] for text in shown]
    assert not excluded & set(names)
    for change in changes:
        assert any(change in text for text in shown), change
    assert not any(name in m.text for m in user.messages() for name in excluded)


async def test_a_yes_mid_session_ends_it_and_offers_an_adapted_one(
    harness_any_db: Harness,
) -> None:
    harness = harness_any_db
    user = harness.user(8121)
    await seed_person(harness, 8121)
    excluded, _changes = _adapted(Region.LOWER_BACK, 1, Condition.RECENT_SPINAL_SURGERY)
    intro = await start_session(harness, user)
    await user.press(intro, callback_data=button(intro, "ss:start:"))
    await user.wait_for(has_button("ss:pause:"))
    await user.send("had my spinal fusion last month")
    asked = await _concern_question(user)
    assert _question_id(asked) == "spinal_surgery"
    [session] = await rows(harness, StretchSession, user_id=8121)
    assert session.paused, "the hold waits while the question is on screen"
    await user.press(asked, callback_data="sq:spinal_surgery:y")
    await user.wait_for(CHECK_FIRST_ADVICE)
    offer = await user.wait_for(has_button("go:stretch"))
    [old] = await rows(harness, StretchSession, user_id=8121)
    assert (old.status, old.phase) == ("stopped", "done"), "nothing more of the old plan"
    assert not await rows(harness, Timer, user_id=8121, kind="hold_end")
    [person] = await rows(harness, User, id=8121)
    assert person.conditions == ["recent_spinal_surgery"]

    await user.press(offer, callback_data="go:stretch")
    question = await user.wait_for(has_button("pn:b:"))
    await user.press(question, callback_data=button(question, "pn:b:")[:-1] + "3")
    shown = await _walk_through(user, await user.wait_for(has_button("ss:start:")))
    assert not excluded & {text.splitlines()[0] for text in shown}


async def test_no_keeps_the_programme_and_resumes_the_session(harness: Harness) -> None:
    user = harness.user(8122)
    await hold_first_stretch(harness, user, 8122)
    await user.send("doc says i have osteoporosis")
    asked = await _concern_question(user)
    assert _question_id(asked) == "osteoporosis"
    await user.press(asked, callback_data="sq:osteoporosis:n")
    await user.wait_for("keep your programme as it is")
    await user.wait_for("And release", timeout=10)  # the hold resumed and ran out
    [session] = await rows(harness, StretchSession, user_id=8122)
    assert session.status == "active"
    [person] = await rows(harness, User, id=8122)
    assert person.conditions == [] and person.gate_level == "CLEAR"


async def test_not_sure_without_consent_adapts_this_conversation_s_routine(
    harness: Harness,
) -> None:
    """Not sure counts as in the check: the CHECK_FIRST advice, and the routine adapted."""
    user = harness.user(8123)
    await onboard(user, Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49), consent=False)
    await answer_no_until_offer(user)
    excluded, changes = _adapted(Region.LOWER_BACK, 1, Condition.PREGNANCY)
    await user.send("preggers with my second, back is killing")
    question = await _concern_question(user)
    assert _question_id(question) == "pregnant"
    await user.press(question, callback_data="sq:pregnant:u")
    await user.wait_for(CHECK_FIRST_ADVICE)
    await user.wait_for(BANK.question("pregnant").topic)  # "You weren't sure about ..."
    assert not await rows(harness, TriageAnswer, user_id=8123)
    [dialog] = await rows(harness, Dialog, user_id=8123)
    assert dialog.data["conditions"] == ["pregnancy"]
    shown = await _walk_through(user, await start_session(harness, user))
    assert not excluded & {text.splitlines()[0] for text in shown}
    assert all(any(change in text for text in shown) for change in changes)


async def test_someone_else_s_or_a_negated_sign_asks_nothing(harness: Harness) -> None:
    user = harness.user(8124)
    await seed_person(harness, 8124)
    for text in ("my sister is pregnant", "not pregnant", "what if i get pregnant"):
        await user.send(text)
        reply = await user.next_message()
        assert not has_button("sq:")(reply), (text, reply.text)


async def test_a_sign_after_another_topic_is_asked_once_that_one_is_answered(
    harness: Harness,
) -> None:
    user = harness.user(8125)
    await seed_person(harness, 8125)
    await user.send("had back surgery 3 weeks ago")
    first = await _concern_question(user)
    assert _question_id(first) == "infection_risks", "the infection risk comes first"
    await user.press(first, callback_data="sq:infection_risks:n")
    then = await user.wait_for(lambda m: has_button("sq:")(m) and m.message_id > first.message_id)
    assert _question_id(then) == "spinal_surgery"
    await user.press(then, callback_data="sq:spinal_surgery:y")
    await user.wait_for(CHECK_FIRST_ADVICE)
    [person] = await rows(harness, User, id=8125)
    assert person.conditions == ["recent_spinal_surgery"]
