"""What the bot says, it does (issue #17): each promise or prohibition in a message, held
against what the flows enforce, end to end; and the journey without repeats."""

from __future__ import annotations

from datetime import timedelta

from bot.botapi.state import StoredMessage
from bot.botapi.userside import TelegramUser
from bot.db.models import User
from tests.e2e.conftest import Harness
from tests.e2e.helpers import button, has_button, rows, seed_person

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
