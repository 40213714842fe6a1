"""Typed text, in any state: the safety net first, then whatever the dialog is waiting for.

Every message is screened for red flags in everyday words, by the phrase rules and, once
it has loaded, the meaning layer beside them (bot/core/meaning.py), which can only add
caution. EMERGENCY and URGENT phrasings
get the advice at once (and stop a running session); then the conversation continues
where it was. A message that only touches a red-flag topic gets one follow-up question
(bot/flows/concern.py), asked last so it is the message on screen; a typed yes / no
answers it while it waits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import meaning
from bot.core import answers, controls, faq, profile_text, safety
from bot.core import meaning as meaning_core
from bot.core import pain as pain_core
from bot.db.models import SafetyAlert
from bot.flows import concern as concern_flow
from bot.flows import reminders as reminders_flow
from bot.flows import session as session_flow
from bot.flows import triage as triage_flow
from bot.flows.dialog import Flow, Onboarding
from bot.flows.unit import Unit
from content.schema.texts import t

LONG_MESSAGE = 1000
HEARTFELT_WORDS = 15


async def on_text(unit: Unit, text: str) -> str | None:
    """Returns a command to run next when the text was one typed without its slash."""
    command = None
    found = meaning_core.classify(safety.load_banks(), text, meaning.reader())
    concern = found if isinstance(found, safety.Concern) else None
    alarm = found.alarm if isinstance(found, safety.Concern) else found
    memory = concern_flow.remembered(unit)  # a reply below may change flow and drop it
    if alarm is not None:
        await raise_alarm(unit, alarm)
    if concern is not None and await concern_flow.should_ask(unit, concern):
        await _as_reply(unit, text, quiet=True)
        await concern_flow.ask(unit, concern)
    elif not await concern_flow.typed_answer(unit, text):
        command = await _reply_or_explain(unit, text, alarmed=alarm is not None)
    concern_flow.carry_over(unit, memory)
    return command


async def _reply_or_explain(unit: Unit, text: str, *, alarmed: bool) -> str | None:
    # After an alarm, no "please use the buttons": take a real answer, or ask again plainly.
    if await _as_reply(unit, text, hint=not alarmed) or alarmed:
        return None
    command = controls.parse_command_word(text)
    if len(text) > LONG_MESSAGE:
        unit.say(t("common.too_long"))
    elif safety.is_hurt_report(text):
        unit.say(t("session.hurt_outside_session"))
    elif (known := faq.answer_for(text)) is not None:
        unit.say(known)
    elif command is None and safety.describes_body_in_any(text):
        unit.say(t("common.heard_you"))  # it was read: no "please use the buttons"
    elif command is None:
        unit.say(t("common.heard_you" if _heartfelt(text) else "common.not_understood"))
    return command


def _heartfelt(text: str) -> bool:
    """A long message in someone's own words: acknowledged, never "use the buttons"."""
    return len(text.split()) >= HEARTFELT_WORDS


async def raise_alarm(unit: Unit, alarm: safety.Alarm) -> None:
    unit.say(triage_flow.outcome_text(unit, alarm.level))
    if alarm.for_someone_else:
        unit.say(t("triage.alarm_for_someone_else"))
    unit.say(t("triage.alarm_from_text"))
    triage_flow.remember_alarm(unit, alarm.condition.value, alarm.level)
    if unit.stores_data:
        unit.session.add(
            SafetyAlert(
                user_id=unit.user.id,
                at=unit.now,
                condition=alarm.condition,
                level=alarm.level.value,
            )
        )
    if alarm.level.blocks_stretching:
        await concern_flow.hold_back(unit, alarm.level)


@dataclass(frozen=True)
class Reading:
    """How to take a typed text as an answer. ``quiet``: a follow-up question comes next, so
    take a real answer (a yes/no, a number, "ouch", a note) but say nothing about text that
    is not one. ``hint`` False (an alarm was just given): the check asks its question again
    without "please answer yes or no", and a session adds nothing (the alarm stopped it and
    asked for the pain score, or it runs on)."""

    quiet: bool = False
    hint: bool = True


async def _as_reply(unit: Unit, text: str, *, quiet: bool = False, hint: bool = True) -> bool:
    """Treat the text as the answer the dialog waits for; False if it is not one."""
    reply = BY_FLOW.get(unit.dialog.flow)
    return reply is not None and await reply(unit, text, Reading(quiet, hint))


async def _triage_reply(unit: Unit, text: str, how: Reading) -> bool:
    answer = answers.parse_answer(text)
    if answer is not None and unit.question_left:
        # Something else was asked since: this yes may be meant for that.
        unit.say(t("triage.question_again"))
        await triage_flow.repeat_question(unit)
    elif answer is not None:
        await triage_flow.answer_typed(unit, answer)
    elif not how.quiet and how.hint:
        key = "triage.heard_you" if _heartfelt(text) else "triage.type_yes_no"
        known = faq.answer_for(text)
        triage_flow.hint_under_question(unit, f"{known}\n\n{t(key)}" if known else t(key))
    elif not how.quiet:  # after an alarm: the question again, plainly, below the advice
        await triage_flow.repeat_question(unit)
    return True


async def _session_reply(unit: Unit, text: str, how: Reading) -> bool:
    # The session was read with the person (Unit.running_session): these read no rows.
    if safety.is_hurt_report(text) and await session_flow.typed_hurt(unit):
        return True
    if await session_flow.typed_note(unit, text):
        return True
    value = pain_core.parse_pain(text)
    if value is not None and await session_flow.typed_number(unit, value):
        return True
    control = controls.parse_control(text)
    if control is not None and await session_flow.typed_control(unit, control):
        return True
    place = controls.parse_hurt_place(text)
    if place is not None and await session_flow.typed_hurt_place(unit, place):
        return True
    running = await session_flow.active_session(unit)
    if running is not None and not how.quiet and how.hint:
        # Answer a simple question, then point to what is on screen: never the card again.
        await session_flow.point_to_current(unit, running, faq.answer_for(text))
        return True
    return False


async def _reminders_reply(unit: Unit, text: str, how: Reading) -> bool:
    """A time ("7pm") or a zone ("Berlin") while setting up."""
    if how.quiet:
        return False
    if how.hint and safety.describes_body_in_any(text):
        unit.say(t("triage.body_noted"))  # read, then what the set-up waits for
    return await reminders_flow.typed(unit, text)


async def _onboarding_reply(unit: Unit, text: str, how: Reading) -> bool:
    step = unit.dialog.step
    if how.quiet or step not in tuple(Onboarding):
        return False
    if not await _typed_profile(unit, step, text) and how.hint:
        # Say which answer is awaited; someone who wrote about their body hears it was read.
        known = faq.answer_for(text)
        if known is not None:
            unit.say(known)
        elif _heartfelt(text) or safety.describes_body_in_any(text):
            unit.say(t("triage.body_noted"))
        unit.say(t(f"triage.waiting_for_{step}"))
    return True


# What each flow does with typed text; a flow not here (idle) waits for nothing typed.
BY_FLOW: dict[str, Callable[[Unit, str, Reading], Awaitable[bool]]] = {
    Flow.TRIAGE: _triage_reply,
    Flow.SESSION: _session_reply,
    Flow.REMINDERS: _reminders_reply,
    Flow.ONBOARDING: _onboarding_reply,
}


async def _typed_profile(unit: Unit, step: str, text: str) -> bool:
    """Consent, where it hurts or an age, typed instead of tapped; False if not understood."""
    if step == "consent":
        consent = profile_text.parse_consent(text)
        if consent is None:  # consent is explicit: "👍" or "I guess" is asked again
            triage_flow.ask_consent_again(unit, heard=_heartfelt(text))
        else:
            await triage_flow.choose_consent(unit, consent)
        return True
    elif step == "region":
        region = profile_text.parse_region(text)
        if region is not None:
            await triage_flow.choose_region(unit, region.value)
            return True
    elif (band := profile_text.parse_age_band(text)) is not None:
        await triage_flow.choose_age(unit, band.value)
        return True
    return False
