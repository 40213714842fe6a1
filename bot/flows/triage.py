"""Onboarding and the red-flag check.

New person: what the bot is and is not -> consent -> where it hurts -> age band -> the
questions, most dangerous first. A "yes" to an EMERGENCY question ends the check at once
with the emergency advice. The outcome (with consent) is stored and gates sessions.
Diagram: docs/triage.mmd.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core import emergency
from bot.core import triage as core
from bot.db.models import SafetyAlert, Screening, TriageAnswer
from bot.flows.basics import show_menu
from bot.flows.dialog import Alarm, Flow, Onboarding, Triage
from bot.flows.gate import clearance_wait_left, profile_of
from bot.flows.unit import Keyboard, Unit
from content.schema.common import AgeBand, Level, Region
from content.schema.texts import t
from content.schema.triage import Question

# An alarm raised this long ago still counts in a check: "this conversation".
ALARM_MEMORY = timedelta(hours=24)
ANSWER_CODES = {"y": core.Answer.YES, "n": core.Answer.NO, "u": core.Answer.UNSURE}
CODE_OF = {answer: code for code, answer in ANSWER_CODES.items()}


# --- onboarding --------------------------------------------------------------------------
async def start(unit: Unit) -> None:
    """/start: a newcomer (or someone who said no to storage) gets the introduction."""
    if unit.user.consent == "given" and unit.user.region and unit.user.age_band:
        unit.idle()
        await show_menu(unit)
        return
    unit.goto(Flow.ONBOARDING, Onboarding.CONSENT)
    unit.say(t("triage.intro"))
    unit.say(t("triage.consent_question"), consent_keyboard())


def consent_keyboard() -> Keyboard:
    return [
        [(t("triage.consent_yes"), "ob:consent:yes")],
        [(t("triage.consent_no"), "ob:consent:no")],
    ]


def ask_consent_again(unit: Unit, heard: bool = False) -> None:
    """A reply to the consent question that is not a plain yes or no: ask again, with buttons
    (``heard``: a long message in the person's own words, thanked for first)."""
    thanks = t("triage.thanks_for_telling") + " " if heard else ""
    unit.say(thanks + t("triage.consent_unclear"), consent_keyboard())


async def choose_consent(unit: Unit, given: bool) -> str | None:
    if not unit.expect(Flow.ONBOARDING, Onboarding.CONSENT):
        return t("common.stale_button")
    unit.user.consent, unit.user.consent_at = ("given" if given else "refused"), unit.now
    if given:  # "Thank you." heads the next question: one message, not two
        await ask_region(unit, thanks=t("triage.consent_thanks"))
        return None
    unit.say(t("triage.consent_refused"))
    await ask_region(unit)
    return None


def region_keyboard() -> Keyboard:
    return [
        [(t(f"triage.region_{region.value}"), f"ob:region:{region.value}")] for region in Region
    ]


async def ask_region(unit: Unit, then: str = "age", thanks: str | None = None) -> None:
    unit.goto(Flow.ONBOARDING, Onboarding.REGION, then=then)
    question = t("triage.region_question")
    unit.say(f"{thanks}\n\n{question}" if thanks else question, region_keyboard())


async def choose_region(unit: Unit, value: str) -> str | None:
    if not unit.expect(Flow.ONBOARDING, Onboarding.REGION):
        return t("common.stale_button")
    region = Region(value)
    then = unit.state.get("then", "age")
    if unit.stores_data:
        unit.user.region = region.value
    if then == "settings":
        unit.idle()
        unit.say(t("triage.region_saved"))
        return None
    unit.goto(Flow.ONBOARDING, Onboarding.AGE, region=region.value)
    unit.replace_tapped(
        t("triage.age_question"),
        [[(t(f"triage.age_{band.value}"), f"ob:age:{band.value}")] for band in AgeBand],
    )
    return None


async def choose_age(unit: Unit, value: str) -> str | None:
    if not unit.expect(Flow.ONBOARDING, Onboarding.AGE):
        return t("common.stale_button")
    band = AgeBand(value)
    region = Region(unit.state["region"])
    if unit.stores_data:
        unit.user.age_band = band.value
    await begin(unit, region, band, reason="onboarding", in_place=True)
    return None


# --- the check ---------------------------------------------------------------------------
async def checkup(unit: Unit) -> None:
    """/checkup: the check again, with what we know; ask what we don't."""
    region, band = profile_of(unit)
    if region is None or band is None:
        unit.say(t("triage.checkup_intro"))
        await ask_region(unit)
        return
    await begin(unit, region, band, reason="checkup")


async def begin(
    unit: Unit,
    region: Region,
    band: AgeBand,
    reason: str,
    in_place: bool = False,
    then: str | None = None,
) -> None:
    """``in_place``: the first question takes the place of the one just answered (age).
    ``then``: what the person asked for, done once the check clears them ("stretch")."""
    unit.goto(
        Flow.TRIAGE,
        Triage.QUESTION,
        region=region.value,
        age_band=band.value,
        answers={},
        started_at=unit.now.isoformat(),
        reason=reason,
    )
    if then is not None:
        unit.update_data(then=then)
    await ask_next(unit, intro=t("triage.check_intro"), in_place=in_place)


def _profile(unit: Unit) -> core.Profile:
    return core.Profile(Region(unit.state["region"]), AgeBand(unit.state["age_band"]))


def _answers(unit: Unit) -> dict[str, core.Answer]:
    return {qid: core.Answer(value) for qid, value in unit.state["answers"].items()}


async def ask_next(unit: Unit, intro: str | None = None, in_place: bool = False) -> None:
    """The next question, or the outcome. ``intro``: how the check works, heading the first
    question in the same message. ``in_place``: the question replaces the one just answered
    (a button of the check: one card that moves on); the outcome is always a new message,
    so the phone buzzes for it."""
    bank = core.load_bank()
    question = core.next_question(bank, _profile(unit), _answers(unit))
    if question is None:
        if intro:
            unit.say(intro)
        await finish(unit)
        return
    unit.update_data(pending=question.id)
    unit.question_asked()
    asked = len(unit.state["answers"]) + 1
    text = t("triage.question", number=asked, text=question.text)
    ask = unit.replace_tapped if in_place else unit.say
    ask(f"{intro}\n\n{text}" if intro else text, answer_keyboard(question.id))


def answer_keyboard(question_id: str) -> Keyboard:
    return [
        [
            (t("triage.answer_yes"), f"tq:{question_id}:y"),
            (t("triage.answer_no"), f"tq:{question_id}:n"),
        ],
        [(t("triage.answer_unsure"), f"tq:{question_id}:u")],
    ]


def hint_under_question(unit: Unit, text: str) -> None:
    """Text that was no answer: a short hint carrying the question's buttons, not the
    whole question again (it is just above)."""
    pending = unit.state.get("pending")
    if pending:
        unit.say(text, answer_keyboard(pending))


async def answer(unit: Unit, question_id: str, answer: core.Answer) -> str | None:
    """A button or a typed yes/no for the question on screen; anything else is stale."""
    if not unit.expect(Flow.TRIAGE) or unit.state.get("pending") != question_id:
        return t("common.stale_button")
    answers = dict(unit.state["answers"])
    answers[question_id] = answer.value
    unit.update_data(answers=answers, pending=None)
    rechecking = unit.state.get("rechecking")
    if rechecking == question_id:  # the sign of an earlier alarm, asked again: answered
        condition = core.load_bank().question(question_id).condition.value
        rechecked = [*unit.state.get("rechecked", []), condition]
        unit.update_data(rechecking=None, rechecked=rechecked)
    unit.dialog.version += 1
    await ask_next(unit, in_place=True)
    return None


async def answer_typed(unit: Unit, typed: core.Answer) -> None:
    pending = unit.state.get("pending")
    if pending:
        await answer(unit, pending, typed)


async def repeat_question(unit: Unit) -> None:
    """Say the pending question again, e.g. after free text that was not an answer."""
    pending = unit.state.get("pending")
    if pending:
        unit.update_data(pending=None)
        await ask_next(unit)


# --- alarms raised in this conversation -------------------------------------------------------
def remember_alarm(unit: Unit, condition: str, level: Level) -> None:
    """An alarm given in this conversation (stored or not): the check must not forget it."""
    kept = [a for a in unit.state.get("alarms", []) if _recent(unit, a)]
    kept.append({"condition": condition, "level": level.value, "at": unit.now.isoformat()})
    unit.update_data(alarms=kept)


def _recent(unit: Unit, alarm: Alarm) -> bool:
    return unit.now - _parse(alarm["at"]) < ALARM_MEMORY


async def _alarms(unit: Unit) -> list[Alarm]:
    """This conversation's alarms: kept in the dialog (stored or not) and, with consent, the
    stored ones of the last day (an EMERGENCY answer to a follow-up question, say) since the
    last check that counted them."""
    alarms = list(unit.state.get("alarms", []))
    if unit.stores_data:
        checked = unit.state.get("alarms_checked_at")
        since = max(
            unit.now - ALARM_MEMORY, _parse(checked) if checked else unit.now - ALARM_MEMORY
        )
        rows = await unit.session.execute(
            select(SafetyAlert).where(SafetyAlert.user_id == unit.user.id, SafetyAlert.at > since)
        )
        alarms += [
            {"condition": a.condition, "level": a.level, "at": a.at.isoformat()}
            for a in rows.scalars()
        ]
    return alarms


async def _unchecked_alarm(unit: Unit, verdict: core.Verdict) -> Question | None:
    """The question for an alarm of this conversation that the answers would clear silently:
    one above the verdict's level whose sign was not asked again, by name, since."""
    data = unit.state
    bank = core.load_bank()
    for alarm in await _alarms(unit):
        level = Level(alarm["level"])
        if not _recent(unit, alarm) or level.severity <= verdict.level.severity:
            continue
        if alarm["condition"] in data.get("rechecked", []):
            continue
        asked = [q for q in bank.questions if q.condition.value == alarm["condition"] and q.level]
        fitting = [q for q in asked if core.applies_to(q, _profile(unit))] or asked
        best = sorted(fitting, key=lambda q: -q.level.severity if q.level else 0)
        if best:
            return best[0]
    return None


def _ask_again(unit: Unit, question: Question) -> None:
    unit.update_data(pending=question.id, rechecking=question.id)
    unit.question_asked()
    unit.say(
        t("triage.alarm_recheck", topic=question.topic, text=question.text),
        answer_keyboard(question.id),
    )


async def finish(unit: Unit) -> None:
    bank = core.load_bank()
    verdict = core.evaluate(bank, _profile(unit), _answers(unit))
    if (again := await _unchecked_alarm(unit, verdict)) is not None:
        _ask_again(unit, again)  # never clear silently after an alarm
        return
    # Each one is now counted in this check's outcome.
    unit.update_data(alarms=[], alarms_checked_at=unit.now.isoformat())
    data = unit.state
    if unit.stores_data:
        screening = Screening(
            user_id=unit.user.id,
            started_at=_parse(data["started_at"]),
            finished_at=unit.now,
            region=data["region"],
            age_band=data["age_band"],
            level=verdict.level.value,
            findings=[
                {
                    "condition": f.condition,
                    "level": f.level.value,
                    "unsure": f.unsure,
                    "questions": list(f.question_ids),
                    "source": f.source,
                }
                for f in verdict.findings
            ],
        )
        unit.session.add(screening)
        await unit.session.flush()
        for question_id, value in data["answers"].items():
            unit.session.add(
                TriageAnswer(
                    user_id=unit.user.id,
                    screening_id=screening.id,
                    question_id=question_id,
                    answer=value,
                    answered_at=unit.now,
                )
            )
        unit.user.gate_level, unit.user.gate_at = verdict.level.value, unit.now
        unit.user.conditions = sorted(c.value for c in verdict.conditions)
    unit.user.check_required_at = None  # the check asked for has run (none stored without consent)
    then = data.get("then")
    unit.goto(
        Flow.IDLE,
        verdict=verdict.level.value,
        conditions=sorted(c.value for c in verdict.conditions),
        region=data["region"],
        age_band=data["age_band"],
        screened_at=unit.now.isoformat(),
    )
    say_outcome(unit, verdict)
    if then == "stretch" and not verdict.level.blocks_stretching:
        unit.then = "stretch"  # the session asked for waited for this check


def say_outcome(unit: Unit, verdict: core.Verdict) -> None:
    """The advice, most urgent first; for EMERGENCY the first line says what to do now."""
    level = verdict.level
    unit.say(outcome_text(unit, level))
    reasons = [f for f in verdict.findings if f.level is level]
    if reasons:
        lines = dict.fromkeys(core.plain_reason(f) for f in reasons)
        unit.say(t("triage.reasons", reasons="\n".join(f"• {line}" for line in lines if line)))
    if any(f.unsure for f in reasons):
        unit.say(t("triage.unsure_note"))
    if level.blocks_stretching:
        say_blocked(unit, level)
    else:
        unit.say(
            t("triage.safety_net"),
            [
                [(t("common.menu_stretch"), "go:stretch")],
                [(t("common.menu_reminders"), "go:reminders")],
            ],
        )


def outcome_text(unit: Unit, level: Level) -> str:
    """The first line of the advice for ``level``: what to do, and for an emergency whom to call."""
    return t(f"triage.outcome_{level.value.lower()}", numbers=emergency_numbers(unit))


def emergency_numbers(unit: Unit) -> str:
    """The person's own emergency number first, once their time zone is known."""
    return emergency.numbers_to_call(unit.user.zone_name)


def say_blocked(unit: Unit, advised: Level) -> None:
    """No stretches until a clinician has seen the person; the clearance button only once
    that could have happened (content/clearance.yaml). ``advised``: the level just given."""
    checkup = [(t("common.menu_checkup"), "go:checkup")]
    left = clearance_wait_left(unit, advised)
    numbers = emergency_numbers(unit)
    if left is None:
        unit.say(
            t("triage.no_stretches_blocked", numbers=numbers),
            [[(t("triage.cleared_button"), "tc:ask")], checkup],
        )
    else:
        unit.say(t("triage.no_stretches_wait", hours=_hours(left), numbers=numbers), [checkup])


def say_still_blocked(unit: Unit, level: Level) -> None:
    """/stretch while EMERGENCY or URGENT advice stands: one short message, not the advice
    and the reasons again; for an emergency, the call to act still comes first."""
    left = clearance_wait_left(unit)
    head = t(f"triage.still_blocked.{level.value}", numbers=emergency_numbers(unit))
    checkup = [(t("common.menu_checkup"), "go:checkup")]
    if left is None:
        tail = t("triage.still_blocked.can_clear")
        keyboard = [[(t("triage.cleared_button"), "tc:ask")], checkup]
    else:
        tail, keyboard = t("triage.still_blocked.wait", hours=_hours(left)), [checkup]
    unit.say(f"{head}\n\n{tail}", keyboard)


def _hours(left: timedelta) -> str:
    hours = max(1, round(left.total_seconds() / 3600))
    return t("common.hours_one") if hours == 1 else t("common.hours_many", count=hours)


async def ask_cleared(unit: Unit) -> None:
    """What did the clinician say? Only once the person could have been seen."""
    if (left := clearance_wait_left(unit)) is not None:
        unit.say(t("triage.cleared_too_soon", hours=_hours(left)))
        return
    unit.say(
        t("triage.cleared_question"),
        [[(t("triage.cleared_yes"), "tc:yes")], [(t("triage.cleared_no"), "tc:no")]],
    )


async def confirm_cleared(unit: Unit, yes: bool) -> None:
    if not yes:
        unit.say(t("triage.cleared_not_yet"))
        return
    if (left := clearance_wait_left(unit)) is not None:  # an old or forged button
        unit.say(t("triage.cleared_too_soon", hours=_hours(left)))
        return
    unit.user.level = 1  # "We'll start gently" (triage.cleared_recorded)
    if unit.stores_data:
        unit.user.cleared_by_clinician_at = unit.now
    else:
        unit.update_data(verdict=Level.CLEAR.value, screened_at=unit.now.isoformat())
    unit.say(t("triage.cleared_recorded"), [[(t("common.menu_stretch"), "go:stretch")]])


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)
