"""Typed text, in any state: the safety net first, then whatever the dialog is waiting for.

Every message is screened for red flags in everyday words. EMERGENCY and URGENT phrasings
get the advice at once (and stop a running session); then the conversation continues
where it was.
"""

from __future__ import annotations

from bot.core import answers, safety
from bot.core import pain as pain_core
from bot.db.models import SafetyAlert
from bot.flows import session as session_flow
from bot.flows import triage as triage_flow
from bot.flows.unit import Unit
from content.schema.common import Level
from content.schema.texts import t

LONG_MESSAGE = 1000


async def on_text(unit: Unit, text: str) -> None:
    alarm = safety.screen_text(safety.load_bank(), text)
    if alarm is not None:
        await raise_alarm(unit, alarm)
    if await _as_reply(unit, text):
        return
    if alarm is not None:
        return
    if len(text) > LONG_MESSAGE:
        unit.say(t("common.too_long"))
    elif safety.is_hurt_report(text):
        unit.say(t("session.hurt_outside_session"))
    else:
        unit.say(t("common.not_understood"))


async def raise_alarm(unit: Unit, alarm: safety.Alarm) -> None:
    unit.say(t(f"triage.outcome_{alarm.level.value.lower()}"))
    unit.say(t("triage.alarm_from_text"))
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
        current = Level(unit.user.gate_level) if unit.user.gate_level else None
        if unit.stores_data and (
            current is None
            or alarm.level.severity > current.severity
            or current is Level.CLEAR
            or unit.user.cleared_by_clinician_at
        ):
            unit.user.gate_level, unit.user.gate_at = alarm.level.value, unit.now
        elif not unit.stores_data:
            unit.update_data(verdict=alarm.level.value, screened_at=unit.now.isoformat())
        running = await session_flow.active_session(unit)
        if running is not None and running.phase not in ("pain_after", "note", "done"):
            await session_flow.stop(unit, running)


async def _as_reply(unit: Unit, text: str) -> bool:
    """Treat the text as the answer the dialog waits for; False if it is not one."""
    flow, step = unit.dialog.flow, unit.dialog.step
    if flow == "triage":
        answer = answers.parse_answer(text)
        if answer is not None:
            await triage_flow.answer_typed(unit, answer)
        else:
            unit.say(t("triage.type_yes_no"))
            await triage_flow.repeat_question(unit)
        return True
    if flow == "session":
        if safety.is_hurt_report(text) and await session_flow.typed_hurt(unit):
            return True
        if await session_flow.typed_note(unit, text):
            return True
        value = pain_core.parse_pain(text)
        if value is not None and await session_flow.typed_number(unit, value):
            return True
        running = await session_flow.active_session(unit)
        if running is not None:
            unit.say(t("session.use_buttons"))
            await session_flow.show_current(unit, running)
            return True
        return False
    if flow == "onboarding" and step in ("consent", "region", "age"):
        unit.say(t("triage.use_buttons"))
        return True
    return False
