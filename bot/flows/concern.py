"""When in doubt, ask: one follow-up question when a message touches a red-flag topic.

The safety net (bot/core/safety.py) alarms on confident phrasings. When a message only
touches a topic ("my bladder is playing up", "both legs feel odd"), it returns a concern
naming a triage question, and this flow asks it at once, with Yes / No / Not sure (buttons
``sq:<question id>:y|n|u``), then carries on where the person was:

- Yes / Not sure: the answer counts as it would in the check: follow-ups come next (a
  weaker leg -> "has it come on quickly?"), then the advice for the level the answers give.
  EMERGENCY and URGENT store the gate, stop a running session, and offer no stretches.
- No: thanks, and the session resumes, or the check asks its question again.

A "before exercising" sign ("just found out I'm pregnant", "doc says I have osteoporosis")
asks the check's own question for it ("Are you pregnant?"). A yes or not sure gives the
check's CHECK_FIRST advice and adds the condition to the person's conditions as the check
would (``user.conditions`` with consent, the dialog data without), so the next routine is
adapted. A session running on the old plan is ended at once (its next stretch may be one
the condition rules out) and a new, adapted one is offered. Such questions come after any
other topic in the same message (``Concern.later``), unless its answers stop stretching.

During the check, the answer joins the check's own answers, so the check never asks it
again and its outcome counts it. A running session is paused while the question waits.

Nothing new in the database: what is pending, and which conditions were asked about lately
(at most once per condition per day, so nobody is nagged), live in the dialog data under
``concern``. With consent, answers are stored like the check's (without a screening).
A "yes" to a question that is no longer pending still gets its advice: a safety answer is
never a stale button.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.core import safety
from bot.core import triage as core
from bot.core.answers import Answer, parse_answer
from bot.db.models import SafetyAlert, TriageAnswer
from bot.flows import gate as gate_flow
from bot.flows import session as session_flow
from bot.flows import triage as triage_flow
from bot.flows.dialog import Flow
from bot.flows.unit import Keyboard, Unit
from content.schema.common import AgeBand, Level, Region
from content.schema.texts import t

QUIET_FOR = timedelta(hours=24)  # one question per condition per day
DOUBLE_TAP = timedelta(minutes=10)  # a second tap on an answered question is only a toast
# A typed "no" answers the concern question only while it is fresh; later it is more likely
# meant for whatever is on screen now. Its buttons work at any time.
TYPED_WITHIN = timedelta(hours=1)
PAUSABLE = ("ready", "holding", "resting")
PROFILE_DEFAULT = core.Profile(Region.LOWER_BACK, AgeBand.FROM_16_TO_49)


# --- asking ------------------------------------------------------------------------------
async def should_ask(unit: Unit, concern: safety.Concern) -> bool:
    """Whether the concern's question, or one it asks later, is worth asking now."""
    if await _worth_asking(unit, concern.question_id, concern.topic_question_id):
        return True
    return not unit.expect(Flow.TRIAGE) and bool(await _worth_asking_later(unit, concern.later))


async def _worth_asking(unit: Unit, question_id: str, topic_question_id: str) -> bool:
    """Not while the check is asking this very question, not twice a day per condition, and
    not about a condition the person's routine is already adapted to."""
    if unit.expect(Flow.TRIAGE):
        data = unit.state
        if data.get("pending") in (question_id, topic_question_id):
            return False
        if data.get("answers", {}).get(topic_question_id) in ("yes", "unsure"):
            return False  # already counts in this check
    question = core.load_bank().question(question_id)
    if question.sets_condition is not None and question.sets_condition.value in _held(unit):
        return False
    asked = _memory(unit)["asked"].get(_quiet_key(question_id))
    if asked is not None and unit.now - datetime.fromisoformat(asked) < QUIET_FOR:
        return False
    return not await _answered_lately(unit, question_id)


async def _worth_asking_later(unit: Unit, later: Sequence[str]) -> list[str]:
    return [qid for qid in later if await _worth_asking(unit, qid, qid)]


async def ask(unit: Unit, concern: safety.Concern) -> None:
    """Pause a running session, then ask the concern's question (or the first one left)."""
    key = "concern.ask_after_alarm" if concern.alarm is not None else "concern.ask"
    if not await _worth_asking(unit, concern.question_id, concern.topic_question_id):
        # Asked lately: go on with the questions that adapt the routine.
        later = await _worth_asking_later(unit, concern.later)
        first, rest = later[0], tuple(later[1:])
        concern = replace(
            concern, question_id=first, topic_question_id=first, assumed_yes=(), later=rest
        )
    if unit.expect(Flow.TRIAGE):
        concern = replace(concern, later=())  # the check asks them itself
    if concern.alarm is not None and safety.adapts_routine(concern.question_id):
        key = "concern.ask_to_adapt"
    _ask_question(
        unit,
        concern.question_id,
        concern.topic_question_id,
        answers={qid: Answer.YES.value for qid in concern.assumed_yes},
        paused=await _pause_session(unit),
        later=list(concern.later),
        key=key,
    )


def _ask_question(
    unit: Unit,
    question_id: str,
    topic_question_id: str,
    *,
    answers: dict[str, str],
    paused: int | None,
    later: list[str],
    key: str,
) -> None:
    memory = _memory(unit)
    memory["asked"][_quiet_key(question_id)] = unit.now.isoformat()
    memory["pending"] = {
        "question": question_id,
        "topic": topic_question_id,
        "answers": answers,
        "paused": paused,
        "later": later,
        "at": unit.now.isoformat(),
    }
    unit.update_data(concern=memory)
    unit.question_asked()
    _say_question(unit, question_id, key)


def question_waiting(unit: Unit) -> bool:
    """A yes / no question of the check, or one asked here, waits for its answer."""
    waiting_in_check = unit.expect(Flow.TRIAGE) and unit.state.get("pending")
    return bool(waiting_in_check or _memory(unit)["pending"])


def remembered(unit: Unit) -> dict[str, Any]:
    """A copy of what this flow keeps in the dialog data, to carry over a change of flow."""
    return _memory(unit)


def carry_over(unit: Unit, before: dict[str, Any]) -> None:
    """Merge back what a change of flow (``unit.goto``) dropped from the dialog data."""
    dropped = "concern" not in unit.state
    if dropped and not any(before.values()):
        return  # nothing asked yet: keep the dialog data as it was
    now = _memory(unit)
    for key in ("asked", "answered"):
        now[key] = {**before[key], **now[key]}
    if dropped:
        now["pending"] = before["pending"]
    unit.update_data(concern=now)


# --- answering ---------------------------------------------------------------------------
async def typed_answer(unit: Unit, text: str) -> bool:
    """A typed yes / no / not sure while a concern question waits; False if not one."""
    pending = _memory(unit)["pending"]
    answer = parse_answer(text)
    if pending is None or answer is None:
        return False
    if unit.now - datetime.fromisoformat(pending["at"]) > TYPED_WITHIN:
        return False
    if unit.question_left:
        # Something else was asked since ("Erase everything?"): this yes may be meant for
        # that. Ask the safety question again rather than take it.
        _ask_question(
            unit,
            pending["question"],
            pending["topic"],
            answers=pending["answers"],
            paused=pending["paused"],
            later=pending["later"],
            key="concern.ask_again",
        )
        return True
    await answer_question(unit, pending["question"], answer)
    return True


async def answer_question(unit: Unit, question_id: str, answer: Answer) -> str | None:
    """A tap on Yes / No / Not sure under a concern question; returns a toast or None."""
    bank = core.load_bank()
    try:
        bank.question(question_id)
    except KeyError:  # forged callback data
        return "?"
    memory = _memory(unit)
    chain = memory["pending"]
    if chain is None or chain["question"] != question_id:
        answered = memory["answered"].get(question_id)
        if answer is Answer.NO or (
            answered and unit.now - datetime.fromisoformat(answered) < DOUBLE_TAP
        ):
            return t("common.done_button")
        # A yes from an old message, or after the flow moved on: act on it anyway.
        chain = {"question": question_id, "topic": question_id, "answers": {}, "paused": None}
        chain["later"] = []
    answers = {**chain["answers"], question_id: answer.value}
    memory["answered"][question_id] = unit.now.isoformat()
    memory["pending"] = None
    unit.update_data(concern=memory)
    _store_answer(unit, question_id, answer)
    if unit.expect(Flow.TRIAGE):
        await _into_the_check(unit, answers, answer)
    else:
        profile = _profile(unit)
        typed = {qid: Answer(value) for qid, value in answers.items()}
        follow_up = safety.next_follow_up(bank, chain["topic"], typed, profile)
        if follow_up is not None:
            memory["pending"] = {
                **chain,
                "question": follow_up.id,
                "answers": answers,
                "at": unit.now.isoformat(),
            }
            unit.update_data(concern=memory)
            _say_question(unit, follow_up.id, "concern.next")
            return None
        verdict = core.evaluate(bank, profile or PROFILE_DEFAULT, typed)
        adapting = safety.adapts_routine(chain["topic"])
        await _conclude(unit, verdict, chain["paused"], chain.get("later", []), adapting)
    carry_over(unit, memory)
    return None


async def _into_the_check(unit: Unit, answers: dict[str, str], answer: Answer) -> None:
    """During the check, the answers join its own; it then asks on or gives its outcome."""
    merged = {**unit.state.get("answers", {}), **answers}
    unit.update_data(answers=merged, pending=None)
    unit.dialog.version += 1
    if answer is Answer.NO:
        unit.say(t("concern.no_carry_on"))
    await triage_flow.ask_next(unit)


async def _conclude(
    unit: Unit, verdict: core.Verdict, paused: int | None, later: list[str], adapting: bool
) -> None:
    """The advice the answers give, then the next question left, or back to where the person
    was. ``adapting``: the question asked adapts the routine (pregnancy, osteoporosis...)."""
    level = verdict.level
    if level.blocks_stretching:
        triage_flow.say_outcome(unit, verdict)
        _record(unit, verdict)
        await hold_back(unit, level, verdict)
        return
    if level is Level.CLEAR:
        unit.say(t("concern.no_adapt" if adapting else "concern.no"))
    else:  # SEE_GP, CHECK_FIRST: the advice, and gentle stretching may go on
        unit.say(t(f"triage.outcome_{level.value.lower()}"))
        reasons = dict.fromkeys(core.plain_reason(f) for f in verdict.findings if f.level is level)
        unit.say(t("triage.reasons", reasons="\n".join(f"• {line}" for line in reasons)))
        _record(unit, verdict)
        _raise_open_gate(unit, level)
    if await _adapt(unit, verdict):
        paused = None  # that session is over
    if left := await _worth_asking_later(unit, later):
        _ask_question(
            unit,
            left[0],
            left[0],
            answers={},
            paused=paused,
            later=left[1:],
            key="concern.ask_to_adapt",
        )
        return
    await _carry_on(unit, paused)


async def _adapt(unit: Unit, verdict: core.Verdict) -> bool:
    """Add the conditions the answers set, as the check would; end a session on the old plan.

    The session's next stretch may be one the condition now rules out, and a plan cannot
    be changed under a running session, so it ends here and a new one is offered. True when
    a session was ended.
    """
    held = _held(unit)
    new = {condition.value for condition in verdict.conditions} - held
    if not new:
        return False
    if unit.stores_data:
        unit.user.conditions = sorted(held | new)
    else:
        unit.update_data(conditions=sorted(held | new))
    running = await session_flow.active_session(unit)
    if running is None or running.status != "active":
        return False
    await session_flow.end_early(unit, running)
    unit.say(t("concern.session_ended"), [[(t("concern.new_session"), "go:stretch")]])
    return True


async def hold_back(unit: Unit, level: Level, verdict: core.Verdict | None = None) -> None:
    """EMERGENCY or URGENT: store the gate (never lowering it) and stop a running session."""
    if unit.stores_data:
        current = Level(unit.user.gate_level) if unit.user.gate_level else None
        if (
            current is None
            or level.severity > current.severity
            or current is Level.CLEAR
            or unit.user.cleared_by_clinician_at
        ):
            unit.user.gate_level, unit.user.gate_at = level.value, unit.now
        if verdict is not None and verdict.conditions:
            kept = set(unit.user.conditions or []) | {c.value for c in verdict.conditions}
            unit.user.conditions = sorted(kept)
    else:
        unit.update_data(verdict=level.value, screened_at=unit.now.isoformat())
    running = await session_flow.active_session(unit)
    if running is not None and running.phase not in ("pain_after", "note", "done"):
        await session_flow.stop(unit, running)


async def _carry_on(unit: Unit, paused: int | None) -> None:
    """Resume the session this flow paused, or say again what the session waits for."""
    running = await session_flow.active_session(unit)
    if running is None or running.status != "active":
        return
    if running.id == paused and running.paused:
        await session_flow.press(unit, "resume", running.id, running.position)
    elif running.phase not in ("holding", "resting"):
        await session_flow.show_current(unit, running)


async def _pause_session(unit: Unit) -> int | None:
    """Pause a session mid-stretch while the question waits; its id, or None."""
    running = await session_flow.active_session(unit)
    if (
        running is None
        or running.status != "active"
        or running.paused
        or running.phase not in PAUSABLE
    ):
        return None
    toast = await session_flow.press(unit, "pause", running.id, running.position)
    return running.id if toast is None else None


def _raise_open_gate(unit: Unit, level: Level) -> None:
    """SEE_GP: raise a stored CLEAR or CHECK_FIRST gate; never set one before a full check."""
    if not unit.stores_data or not unit.user.gate_level:
        return
    if level.severity > Level(unit.user.gate_level).severity:
        unit.user.gate_level, unit.user.gate_at = level.value, unit.now


# --- the dialog data, and what is stored with consent ------------------------------------------
def _memory(unit: Unit) -> dict[str, Any]:
    stored = unit.state.get("concern") or {}
    return {
        "asked": dict(stored.get("asked", {})),
        "answered": dict(stored.get("answered", {})),
        "pending": stored.get("pending"),
    }


def _held(unit: Unit) -> set[str]:
    """The conditions the routine is adapted to, read as bot/flows/session.py reads them."""
    if unit.stores_data:
        return set(unit.user.conditions or [])
    return set(unit.state.get("conditions", []))


def _quiet_key(question_id: str) -> str:
    """What "asked lately" is counted by: the question's condition, except that each "before
    exercising" question adapts the routine differently, so each is its own topic."""
    question = core.load_bank().question(question_id)
    if question.level is Level.CHECK_FIRST and question.sets_condition is not None:
        return question.sets_condition.value
    return question.condition.value


def _profile(unit: Unit) -> core.Profile | None:
    region, band = gate_flow.profile_of(unit)
    if region is None or band is None:
        return None
    return core.Profile(region, band)


async def _answered_lately(unit: Unit, question_id: str) -> bool:
    """With consent, concern answers are rows: they remember across flows and restarts."""
    if not unit.stores_data:
        return False
    bank = core.load_bank()
    recent = (
        await unit.session.execute(
            select(TriageAnswer.question_id).where(
                TriageAnswer.user_id == unit.user.id,
                TriageAnswer.screening_id.is_(None),
                TriageAnswer.answered_at >= unit.now - QUIET_FOR,
            )
        )
    ).scalars()
    ids = {question.id for question in bank.questions}
    key = _quiet_key(question_id)
    return any(qid in ids and _quiet_key(qid) == key for qid in recent)


def _store_answer(unit: Unit, question_id: str, answer: Answer) -> None:
    if unit.stores_data:
        unit.session.add(
            TriageAnswer(
                user_id=unit.user.id,
                screening_id=None,  # asked after something typed, not in a full check
                question_id=question_id,
                answer=answer.value,
                answered_at=unit.now,
            )
        )


def _record(unit: Unit, verdict: core.Verdict) -> None:
    """With consent, the outcome joins the history, as an alarm from text does."""
    if unit.stores_data and verdict.findings:
        unit.session.add(
            SafetyAlert(
                user_id=unit.user.id,
                at=unit.now,
                condition=verdict.findings[0].condition,
                level=verdict.level.value,
            )
        )


def _say_question(unit: Unit, question_id: str, key: str) -> None:
    question = core.load_bank().question(question_id)
    unit.say(t(key, question=question.text), answer_keyboard(question_id))


def answer_keyboard(question_id: str) -> Keyboard:
    return [
        [
            (t("triage.answer_yes"), f"sq:{question_id}:y"),
            (t("triage.answer_no"), f"sq:{question_id}:n"),
        ],
        [(t("triage.answer_unsure"), f"sq:{question_id}:u")],
    ]
