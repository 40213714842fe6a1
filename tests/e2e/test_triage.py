"""The red-flag check over HTTP: emergencies first and at once, gating, restarts, free text.

Paths through the questions are found from the content with the pure core, so these tests
follow the content file rather than a copy of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.core.triage import Answer, Profile, applies_to, evaluate, load_bank, next_question
from bot.db.models import Dialog, Screening, TriageAnswer, User
from content.schema.common import AgeBand, Level, Region
from tests.e2e.conftest import Harness
from tests.e2e.helpers import (
    answer_no_until_offer,
    button,
    has_button,
    rows,
    wait_for_next_question,
)
from tests.emulator.chats import StoredMessage
from tests.emulator.userside import TelegramUser

BANK = load_bank()
YES, NO = Answer.YES, Answer.NO
CODE = {YES: "y", NO: "n", Answer.UNSURE: "u"}
EMERGENCY_WORDS = ("emergency", "999", "911", "112")


def profiles() -> Iterator[Profile]:
    for region in Region:
        for band in AgeBand:
            yield Profile(region, band)


def path_to(target: str) -> tuple[Profile, list[tuple[str, Answer]]]:
    """Answers that lead a person to be asked ``target``: "yes" to the questions it follows
    up (its ``ask_if`` chain), "no" to everything else."""
    by_id = {q.id: q for q in BANK.questions}
    needed: set[str] = set()
    pending = list(by_id[target].ask_if)
    while pending:
        parent = pending.pop()
        needed.add(parent)
        pending.extend(by_id[parent].ask_if)
    for profile in profiles():
        if not applies_to(by_id[target], profile):
            continue
        answers: dict[str, Answer] = {}
        while (asked := next_question(BANK, profile, answers)) is not None:
            if asked.id == target:
                return profile, list(answers.items())
            answers[asked.id] = YES if asked.id in needed else NO
            if evaluate(BANK, profile, answers).level is Level.EMERGENCY:
                break
    raise AssertionError(f"question {target} is never asked")


def questions_at(level: Level) -> list[str]:
    return [q.id for q in BANK.questions if q.level is level]


async def onboard(user: TelegramUser, profile: Profile, consent: bool = True) -> None:
    await user.send("/start")
    choice = "yes" if consent else "no"
    await user.press(
        await user.wait_for(has_button("ob:consent:")), callback_data=f"ob:consent:{choice}"
    )
    await user.press(
        await user.wait_for(has_button("ob:region:")),
        callback_data=f"ob:region:{profile.region.value}",
    )
    await user.press(
        await user.wait_for(has_button("ob:age:")), callback_data=f"ob:age:{profile.age_band.value}"
    )


async def answer_next(user: TelegramUser, question_id: str, answer: Answer) -> StoredMessage:
    asked = await user.wait_for(has_button("tq:"))
    assert button(asked, "tq:").split(":")[1] == question_id, asked.text
    await user.press(asked, callback_data=f"tq:{question_id}:{CODE[answer]}")
    return asked


async def answer_rest_no(user: TelegramUser) -> StoredMessage:
    """Answer "No" to every question still to come; returns the first message after them."""
    while True:
        asked = await user.wait_for(
            lambda m: has_button("tq:")(m) or has_button("go:")(m) or has_button("tc:")(m)
        )
        if not has_button("tq:")(asked):
            return asked
        await user.press(asked, callback_data=button(asked, "tq:")[:-1] + "n")


@pytest.mark.parametrize("question_id", questions_at(Level.EMERGENCY))
async def test_yes_to_an_emergency_question_gives_the_emergency_advice_next_and_no_stretch(
    harness: Harness, question_id: str
) -> None:
    profile, path = path_to(question_id)
    user = harness.user(
        5000 + BANK.questions.index(next(q for q in BANK.questions if q.id == question_id))
    )
    await onboard(user, profile)
    for asked, answer in path:
        await answer_next(user, asked, answer)
    answered = await answer_next(user, question_id, YES)
    advice = await user.next_message()
    assert any(word in advice.text.lower() for word in EMERGENCY_WORDS), advice.text
    await asyncio.sleep(0.3)
    later = [m for m in user.messages() if m.message_id > answered.message_id]
    assert not any(has_button("tq:")(m) for m in later), "no more questions"
    user.skip_pending()
    await user.send("/stretch")
    refusal = await user.next_message()
    assert any(word in refusal.text.lower() for word in EMERGENCY_WORDS)
    assert not any(has_button("pn:b:")(m) for m in user.messages()), "no stretch offered"
    [person] = await rows(harness, User, id=user.id)
    assert person.gate_level == "EMERGENCY"


async def test_urgent_answer_refuses_stretching_until_a_clinician_clears_it(
    harness: Harness,
) -> None:
    target = questions_at(Level.URGENT)[0]
    profile, path = path_to(target)
    user = harness.user(5201)
    await onboard(user, profile)
    for asked, answer in path:
        await answer_next(user, asked, answer)
    await answer_next(user, target, YES)
    await answer_rest_no(user)  # URGENT does not stop the questions; the advice comes after
    [advice] = [m for m in user.messages() if "doctor today" in m.text.lower()]
    assert not any(word in advice.text.lower() for word in ("999", "911"))
    harness.shift_clock(timedelta(hours=3))  # a clearance is believable once seen (clearance.yaml)
    await user.send("/stretch")
    blocked = await user.wait_for(has_button("tc:ask"))
    assert not any(has_button("pn:b:")(m) for m in user.messages())
    await user.press(blocked, callback_data="tc:ask")
    await user.press(await user.wait_for(has_button("tc:yes")), callback_data="tc:yes")
    await user.wait_for(has_button("go:stretch"))
    [person] = await rows(harness, User, id=5201)
    assert person.cleared_by_clinician_at is not None
    await user.send("/stretch")
    await user.wait_for(has_button("pn:b:"))


async def test_clear_person_is_offered_a_first_session_and_answers_are_stored(
    harness: Harness,
) -> None:
    user = harness.user(5301)
    profile = Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49)
    await onboard(user, profile)
    answered = 0
    while True:
        asked = await user.wait_for(lambda m: has_button("tq:")(m) or has_button("go:stretch")(m))
        if has_button("go:stretch")(asked):
            break
        await user.press(asked, callback_data=button(asked, "tq:")[:-1] + "n")
        answered += 1
    assert "2 weeks" in asked.text or "two weeks" in asked.text, "the safety net is given"
    [screening] = await rows(harness, Screening, user_id=5301)
    assert screening.level == "CLEAR"
    assert len(await rows(harness, TriageAnswer, user_id=5301)) == answered
    await user.press(asked, callback_data="go:stretch")
    await user.wait_for(has_button("pn:b:"))


async def test_check_first_condition_adapts_the_programme(harness: Harness) -> None:
    setting = next(
        q
        for q in BANK.questions
        if q.sets_condition is not None and q.sets_condition.value == "osteoporosis"
    )
    profile, path = path_to(setting.id)
    user = harness.user(5401)
    await onboard(user, profile)
    for asked, answer in path:
        await answer_next(user, asked, answer)
    await answer_next(user, setting.id, YES)
    while True:
        asked = await user.wait_for(lambda m: has_button("tq:")(m) or has_button("go:")(m))
        if not has_button("tq:")(asked):
            break
        await user.press(asked, callback_data=button(asked, "tq:")[:-1] + "n")
    [person] = await rows(harness, User, id=5401)
    assert "osteoporosis" in person.conditions
    assert person.gate_level in ("CHECK_FIRST", "URGENT", "SEE_GP")


async def test_a_restart_mid_check_resumes_at_the_same_question(harness: Harness) -> None:
    user = harness.user(5501)
    profile = Profile(Region.NECK, AgeBand.FROM_16_TO_49)
    await onboard(user, profile)
    first = await user.wait_for(has_button("tq:"))
    first_id = button(first, "tq:").split(":")[1]
    await user.press(first, callback_data=f"tq:{first_id}:n")
    second = await wait_for_next_question(user, after=first_id)
    pending = button(second, "tq:").split(":")[1]
    await harness.restart()
    await user.send("no")  # typed, to the restarted bot
    third = await user.wait_for(lambda m: has_button("tq:")(m) and m.message_id > second.message_id)
    expected = next_question(BANK, profile, {first_id: NO, pending: NO})
    assert expected is not None and button(third, "tq:").split(":")[1] == expected.id


async def test_a_red_flag_typed_mid_check_gets_the_advice_then_the_question_again(
    harness: Harness,
) -> None:
    user = harness.user(5601)
    await onboard(user, Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49))
    first = await user.wait_for(has_button("tq:"))
    first_id = button(first, "tq:").split(":")[1]
    await user.send("sorry to ask but i cant feel my bum when i wipe since yesterday")
    advice = await user.wait_for(lambda m: "emergency" in m.text.lower())
    again = await user.wait_for(has_button("tq:"))
    assert again.message_id > advice.message_id
    assert button(again, "tq:").split(":")[1] == first_id


async def test_negated_and_other_peoples_symptoms_raise_no_alarm(harness: Harness) -> None:
    user = harness.user(5701)
    await user.send("no numbness anywhere, and my dad had cancer years ago")
    reply = await user.next_message()
    assert not any(word in reply.text.lower() for word in EMERGENCY_WORDS)


async def test_without_consent_the_check_still_advises_but_nothing_is_kept(
    harness: Harness,
) -> None:
    user = harness.user(5801)
    await onboard(user, Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49), consent=False)
    await answer_no_until_offer(user)
    assert not await rows(harness, Screening, user_id=5801)
    assert not await rows(harness, TriageAnswer, user_id=5801)
    [person] = await rows(harness, User, id=5801)
    assert person.consent == "refused" and person.region is None and person.gate_level is None


async def test_onboarding_answers_typed_instead_of_tapped(harness: Harness) -> None:
    user = harness.user(5901)
    await user.send("/start")
    await user.wait_for(has_button("ob:consent:"))
    await user.send("yes")
    await user.wait_for(has_button("ob:region:"))
    await user.send("lower back and down my leg")
    await user.wait_for(has_button("ob:age:"))
    await user.send("I'm 67")
    await user.wait_for(has_button("tq:"))
    [person] = await rows(harness, User, id=5901)
    assert (person.consent, person.region, person.age_band) == ("given", "lower_back_leg", "65_74")


async def test_a_yes_typed_after_another_command_is_not_taken_as_the_checks_answer(
    harness: Harness,
) -> None:
    """A "yes" meant for "Erase everything?" must not answer the red-flag question above it."""
    user = harness.user(5902)
    await onboard(user, Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49))
    first = await user.wait_for(has_button("tq:"))
    await user.send("/delete")
    await user.wait_for(has_button("pv:"))
    await user.send("yes")
    again = await user.wait_for(lambda m: has_button("tq:")(m) and m.message_id > first.message_id)
    assert button(again, "tq:") == button(first, "tq:"), "the same question, asked again"
    since = [m for m in user.messages() if m.message_id > first.message_id]
    assert not any(word in m.text.lower() for m in since for word in EMERGENCY_WORDS)
    [dialog] = await rows(harness, Dialog, user_id=5902)
    assert dialog.data["answers"] == {}, "nothing recorded for the question"
    await user.send("no")  # now it is the answer to the question just asked
    await user.wait_for(lambda m: has_button("tq:")(m) and m.message_id > again.message_id)
    [dialog] = await rows(harness, Dialog, user_id=5902)
    assert dialog.data["answers"] == {button(first, "tq:").split(":")[1]: "no"}


async def test_an_answered_question_becomes_the_next_one(harness: Harness) -> None:
    """One card for the check: the toast shows the answer, the next question takes the
    answered one's place, and nothing new arrives in the chat until the outcome."""
    user = harness.user(5801)
    await onboard(user, Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49))
    first = await user.wait_for(has_button("tq:"))
    first_id = button(first, "tq:").split(":")[1]
    messages_before = len(user.messages())
    query = await user.press(first, callback_data=f"tq:{first_id}:n")
    moved_on = await wait_for_next_question(user, after=first_id)
    assert moved_on.message_id == first.message_id
    assert moved_on.text.startswith("2. ")
    assert (await user.wait_for_answer(query)).text == "✓ No"
    assert len(user.messages()) == messages_before
    [dialog] = await rows(harness, Dialog, user_id=5801)
    assert dialog.data["answers"] == {first_id: Answer.NO.value}


async def test_the_next_question_comes_anew_when_the_answered_one_is_gone(
    harness: Harness,
) -> None:
    """Deleted by the person (or too old to edit): the question is not lost."""
    user = harness.user(5802)
    await onboard(user, Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49))
    first = await user.wait_for(has_button("tq:"))
    first_id = button(first, "tq:").split(":")[1]
    await user.press(first, callback_data=f"tq:{first_id}:n")
    first.deleted = True  # before the bot edits it
    moved_on = await wait_for_next_question(user, after=first_id)
    assert moved_on.message_id > first.message_id
    assert moved_on.text.startswith("2. ")
