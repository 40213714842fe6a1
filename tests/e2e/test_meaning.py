"""The safety net's second layer over HTTP: what a person writes, what they then read.

Each test drives the real Application through the emulator with a message the phrase rules
alone did not catch (checked first, so the test shows the layer at work), or with a message
that must not alarm, and reads the chat as the person would.
"""

from __future__ import annotations

import pytest

from bot import meaning
from bot.core import meaning as meaning_core
from bot.core.safety import Concern, classify_text, load_bank
from bot.db.models import SafetyAlert, StretchSession
from content.schema.common import Level
from content.schema.texts import t
from tests.e2e.conftest import Harness
from tests.e2e.helpers import has_button, hold_first_stretch, rows, seed_person
from tests.e2e.test_triage import EMERGENCY_WORDS
from tests.emulator.userside import TelegramUser

BANK = load_bank()
READ = meaning.wait_until_ready()


def _level(text: str, *, layers: str) -> Level | None:
    found = (
        classify_text(BANK, text) if layers == "rules" else meaning_core.classify(BANK, text, READ)
    )
    alarm = found.alarm if isinstance(found, Concern) else found
    return None if alarm is None else alarm.level


def _emergency_advice(user: TelegramUser) -> list[str]:
    return [m.text for m in user.messages() if m.text.startswith("🚨")]


GERMAN_CAUDA_EQUINA = "seit heute morgen kann ich nicht mehr pinkeln und mein po ist ganz taub"
SPANISH_ANEURYSM = "de repente un dolor desgarrador en la barriga que me atraviesa hasta la espalda"
CARER = "my dad is 72, sudden belly and back pain, he's gone grey and sweaty"


def test_the_messages_used_here_are_what_they_claim() -> None:
    for text in (GERMAN_CAUDA_EQUINA, SPANISH_ANEURYSM):
        assert _level(text, layers="rules") is None, "the rules alone miss it"
        assert _level(text, layers="both") is Level.EMERGENCY


@pytest.mark.parametrize("text", [GERMAN_CAUDA_EQUINA, SPANISH_ANEURYSM])
async def test_an_emergency_in_another_language_mid_hold_stops_the_session(
    harness: Harness, text: str
) -> None:
    user = harness.user(8801)
    await hold_first_stretch(harness, user, 8801)
    await user.send(text)
    await user.wait_for(lambda m: any(word in m.text.lower() for word in EMERGENCY_WORDS))
    await user.wait_for(has_button("pn:a:"))  # the session stopped: pain after, once
    [session] = await rows(harness, StretchSession, user_id=8801)
    assert session.status != "active"
    [alert] = await rows(harness, SafetyAlert, user_id=8801)
    assert alert.level == "EMERGENCY"


async def test_someone_elses_emergency_now_is_advised_for_them(harness: Harness) -> None:
    user = harness.user(8802)
    await seed_person(harness, 8802)
    await user.send(CARER)
    advice = await user.wait_for(lambda m: any(w in m.text.lower() for w in EMERGENCY_WORDS))
    assert advice.text.startswith("🚨"), "the emergency advice comes first"
    await user.wait_for(t("triage.alarm_for_someone_else").split(".")[0])


@pytest.mark.parametrize(
    "text",
    [
        "had a car crash in 2008, fully recovered since",
        "what does saddle numbness mean?",
        "my legs are wrecked after leg day lol",
    ],
)
async def test_past_events_questions_and_gym_soreness_get_no_alarm(
    harness: Harness, text: str
) -> None:
    user = harness.user(8803)
    await seed_person(harness, 8803)
    await user.send(text)
    await user.send("/help")  # a marker: everything before it has been answered
    await user.wait_for("What I can do")
    assert not _emergency_advice(user)
    assert not await rows(harness, SafetyAlert, user_id=8803)


async def test_a_message_about_the_body_while_a_tap_is_awaited_is_acknowledged(
    harness: Harness,
) -> None:
    """Not "please choose one of the buttons": it was read, and this is what is awaited."""
    user = harness.user(8804)
    await user.send("/start")
    consent = await user.wait_for(has_button("ob:consent:"))
    await user.press(consent, callback_data="ob:consent:yes")
    await user.wait_for(has_button("ob:region:"))
    await user.send("honestly my back has been stiff and sore for weeks, I'm fed up with it")
    await user.wait_for(t("triage.body_noted").split(".")[0])
    waiting = await user.wait_for(lambda m: "waiting for where your pain is" in m.text)
    assert "Lower back" in waiting.text
    assert not any("choose one of the buttons" in m.text for m in user.messages())


async def test_a_red_flag_topic_while_a_tap_is_awaited_gets_its_question_at_once(
    harness: Harness,
) -> None:
    user = harness.user(8805)
    await user.send("/start")
    await user.wait_for(has_button("ob:consent:"))
    await user.send("my bladder is playing up a bit")
    asked = await user.wait_for(has_button("sq:"))
    assert "bladder" in asked.text.lower() or "peeing" in asked.text.lower()
    assert not any("choose one of the buttons" in m.text for m in user.messages())


async def test_a_message_about_the_body_while_setting_a_reminder_is_acknowledged(
    harness: Harness,
) -> None:
    user = harness.user(8806)
    await seed_person(harness, 8806)
    await user.send("/reminders")
    await user.wait_for(has_button("rm:time:"))
    await user.send("my neck is so stiff today, sitting at the desk all day")
    await user.wait_for(t("triage.body_noted").split(".")[0])
    await user.wait_for(t("reminders.time.not_understood").split(".")[0])
