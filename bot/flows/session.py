"""A guided stretch session, one message at a time.

/stretch -> gate (triage outcome) -> pain now (0-10) -> for each stretch: its picture with
the steps as the caption and "Start the hold" ("Start" for a movement) -> the movement's
animation with the countdown as its caption (edited every few seconds) -> the hold ends (a
durable timer) -> "release" -> rest (timer) -> the next round or side starts by itself ->
... -> pain now -> optional note -> summary. The intro says what the session needs (from the
poses). Pause / Resume, Skip, Stop and "This hurts" are on every step. Diagram:
docs/session.mmd.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import counts, progression, routine
from bot.core import pain as pain_core
from bot.core.answers import Answer, parse_answer
from bot.core.controls import Control, parse_control
from bot.core.gate import Gate, rescreen_due
from bot.core.schedule import zone_of
from bot.db.models import PainRating, SessionStep, StretchSession, Timer
from bot.flows import gate as gate_flow
from bot.flows import triage as triage_flow
from bot.flows.buttons import (
    HURT_PLACES,
    HurtChoiceButton,
    HurtWhereButton,
    PainButton,
    SessionButton,
)
from bot.flows.dialog import Flow, check_outcome
from bot.flows.unit import Keyboard, Unit
from content.schema import typed_words
from content.schema.common import Condition, Level, Region
from content.schema.texts import t
from content.schema.typed_words import plain

IDLE_LIMIT = timedelta(hours=1)
TICK_SECONDS = 5.0  # countdown edits: well inside Telegram's per-chat edit limits
MIN_TICK_WALL = 1.0
PAIN_QUESTIONS = {"pain_before": "b", "pain_after": "a", "hurt_rating": "h"}
# The phases that show Start / Pause / Skip / Stop / This hurts (typed ones work there too).
CONTROLLED = frozenset({"ready", "holding", "resting"})
CAPTION_LIMIT = 1024  # Telegram's, in characters of the caption as shown (tags excluded)


# --- reading the plan ------------------------------------------------------------------------
def step_of(session: StretchSession) -> dict[str, Any]:
    return session.plan[session.position]


def first_of_stretch(session: StretchSession) -> bool:
    """Is the current step the first hold of its stretch (so the instructions are due)?"""
    here = session.position
    return here == 0 or session.plan[here - 1]["stretch"] != session.plan[here]["stretch"]


def stretch_number(session: StretchSession) -> tuple[int, int]:
    order: list[str] = []
    for step in session.plan:
        if step["stretch"] not in order:
            order.append(step["stretch"])
    warm_up = routine.load_library().warm_up.id
    counted = [s for s in order if s != warm_up]
    current = step_of(session)["stretch"]
    return (counted.index(current) + 1 if current in counted else 0), len(counted)


def _moving(session: StretchSession) -> bool:
    """Is the current step a movement kept going (warm-up, cat-camel), not a still hold?"""
    if session.position >= len(session.plan):
        return False
    return routine.load_library().stretch(step_of(session)["stretch"]).movement


def step_as_dict(step: routine.Step) -> dict[str, Any]:
    return {
        "stretch": step.stretch_id,
        "rep": step.rep,
        "reps": step.reps,
        "hold": step.hold_seconds,
        "rest": step.rest_seconds,
        "area": str(step.area),
        "modification": step.modification,
        "side": step.side.value if step.side else None,
        "optional": step.optional,
    }


# --- keyboards -------------------------------------------------------------------------------
def controls(session: StretchSession) -> Keyboard:
    def button(key: str, action: str) -> tuple[str, str]:
        return (t(key), SessionButton(action, session.id, session.position).pack())

    pause = (
        button("session.button.resume", "resume")
        if session.paused
        else button("session.button.pause", "pause")
    )
    rows: list[list[tuple[str, str]]] = []
    if session.phase == "ready" and not session.paused:
        key = "session.button.start_moving" if _moving(session) else "session.button.start_hold"
        rows.append([button(key, "start")])
    rows.append([pause, button("session.button.skip", "skip")])
    rows.append([button("session.button.stop", "stop"), button("session.button.hurts", "hurt")])
    return rows


def pain_keyboard(purpose: str, session_id: int) -> Keyboard:
    buttons = [(str(value), PainButton(purpose, session_id, value).pack()) for value in range(11)]
    return [buttons[:6], buttons[6:]]


def hurt_where_keyboard(session_id: int) -> Keyboard:
    return [
        [(t(f"session.hurt.where.{place}"), HurtWhereButton(session_id, place).pack())]
        for place in HURT_PLACES
    ]


def note_keyboard(session_id: int) -> Keyboard:
    return [[(t("session.button.no_note"), SessionButton("nonote", session_id, 0).pack())]]


# --- finding the session ---------------------------------------------------------------------
# The unit read the person's newest unfinished session with their row (bot/runtime.py): no
# statement here. One begun in this unit is put there by begin_after_check.
async def active_session(unit: Unit) -> StretchSession | None:
    running = unit.running_session
    return None if running is None or running.phase == "done" else running


async def own_session(unit: Unit, session_id: int) -> StretchSession | None:
    """The presser's own unfinished session with this id; a forged id finds nothing."""
    running = await active_session(unit)
    if running is not None and running.id == session_id:
        return running
    session = await unit.session.get(StretchSession, session_id)
    if session is None or session.user_id != unit.user.id:
        return None
    return None if session.phase == "done" else session


def _touch(unit: Unit, session: StretchSession) -> None:
    """Note activity: the idle timer (booked once, _book_idle) closes a session nobody
    touched for an hour, and moves itself on when it finds the session touched since."""
    session.last_activity_at = unit.now


async def _book_idle(unit: Unit, session: StretchSession) -> None:
    await unit.schedule(
        f"idle:{session.id}",
        "session_idle",
        session.last_activity_at + IDLE_LIMIT,
        {"session": session.id},
    )


# --- starting --------------------------------------------------------------------------------
async def start(unit: Unit) -> None:
    """/stretch or a Start button: the safety gate first, then pain now."""
    existing = await active_session(unit)
    if existing is not None:
        unit.say(t("session.already_running"))
        await show_current(unit, existing)
        return
    if (until := unit.state.get("rest_until")) and unit.now < datetime.fromisoformat(until):
        unit.say(t("session.resting_today"))  # "Let's stop for today" after pain of 6+
        return
    gate, level = gate_flow.current_gate(unit)
    if gate is Gate.SCREEN_FIRST:
        again = gate_flow.check_required(unit)
        unit.say(t("session.check_again_first" if again else "session.check_first"))
        region, band = gate_flow.profile_of(unit)
        if region is None or band is None:
            await triage_flow.ask_region(unit, then="stretch")
            return
        await triage_flow.begin(unit, region, band, reason="before_session", then="stretch")
        return
    if gate is Gate.BLOCKED:
        assert level is not None
        triage_flow.say_still_blocked(unit, level)
        return
    if (
        unit.stores_data
        and rescreen_due(unit.user.gate_at, unit.now)
        and not unit.state.get("rescreen_declined")
    ):
        unit.say(
            t("session.rescreen_due"),
            [
                [(t("session.rescreen_now"), "go:checkup")],
                [(t("session.rescreen_later"), "go:stretch_anyway")],
            ],
        )
        return
    if gate is Gate.OPEN_WITH_ADVICE:
        unit.say(t("session.reminder.see_gp"))
    await begin_after_check(unit)


async def start_anyway(unit: Unit) -> None:
    """The person declined this week's re-check: stretch now, offer it again next time."""
    unit.update_data(rescreen_declined=True)
    await start(unit)


async def begin_after_check(unit: Unit) -> None:
    region_name, _band = gate_flow.profile_of(unit)
    region = region_name or Region.LOWER_BACK
    stored = unit.user.conditions if unit.stores_data else unit.state.get("conditions", [])
    conditions = frozenset(Condition(c) for c in stored)
    library = routine.load_library()
    gate, gate_level = gate_flow.current_gate(unit)
    # "See a GP ... I'll keep to the gentle ones" (triage.outcome_see_gp): the gentlest level.
    level = 1 if gate is Gate.OPEN_WITH_ADVICE else unit.user.level
    plan = routine.build_routine(library, region, level, conditions)
    session = StretchSession(
        user_id=unit.user.id,
        started_at=unit.now,
        status="active",
        level=plan.level,
        plan=[step_as_dict(step) for step in plan.steps],
        position=0,
        phase="pain_before",
        paused=False,
        last_activity_at=unit.now,
    )
    unit.session.add(session)
    await unit.session.flush()
    unit.running_session = session
    unit.goto(Flow.SESSION, session=session.id, **check_outcome(unit.state))
    await _book_idle(unit, session)
    count = len(set(plan.stretch_ids) - {library.warm_up.id})
    intro = t(
        "session.intro",
        level=plan.level,
        count=count,
        minutes=max(1, round(plan.total_seconds / 60)),
    )
    needs = routine.session_needs(plan.stretch_ids)
    if needs:
        intro += "\n\n" + t(
            "session.needs", items=spoken_list([t(f"session.needs.{n}") for n in needs])
        )
    unit.say(intro)
    if plan.excluded:
        unit.say(t("session.excluded", count=len(plan.excluded)))
    if conditions and gate_level is Level.CHECK_FIRST:
        # Only where that was the advice: not after a clinician's clearance, say.
        unit.say(t("session.reminder.check_first"))
    unit.say(t("session.pain_before.question"), pain_keyboard("b", session.id))


# --- pain ratings ----------------------------------------------------------------------------
async def rate_pain(unit: Unit, purpose: str, session_id: int, value: int) -> str | None:
    """A 0-10 tap (or typed number) for the question that is waiting; stored before the reply."""
    session = await own_session(unit, session_id)
    if session is None:
        return t("common.stale_button")
    if PAIN_QUESTIONS.get(session.phase) != purpose:
        return t("common.done_button")
    kind = {"b": "before", "a": "after", "h": "hurt"}[purpose]
    if unit.stores_data:
        unit.session.add(
            PainRating(
                user_id=unit.user.id, session_id=session.id, kind=kind, value=value, at=unit.now
            )
        )
    _touch(unit, session)
    if purpose == "b":
        session.pain_before = value
        unit.acknowledge_tapped(
            t("session.pain_before.question"), t("session.pain_noted", value=value)
        )
        if value >= 7:
            unit.say(t("session.high_pain_before"))
        await show_step(unit, session)
    elif purpose == "a":
        session.pain_after = value
        session.phase = "note"
        unit.replace_tapped(t("session.note.prompt"), note_keyboard(session.id))
    else:
        session.phase = "hurt_where"
        unit.update_data(hurt_value=value)
        unit.replace_tapped(t("session.hurt.where"), hurt_where_keyboard(session.id))
    return None


async def typed_number(unit: Unit, value: int) -> bool:
    """A typed 0-10 while a pain question waits; False when none waits."""
    session = await active_session(unit)
    if session is None or session.phase not in PAIN_QUESTIONS:
        return False
    await rate_pain(unit, PAIN_QUESTIONS[session.phase], session.id, value)
    return True


# --- steps -----------------------------------------------------------------------------------
async def show_step(unit: Unit, session: StretchSession, heading: str | None = None) -> None:
    """Instructions for a new stretch, or the next round/side starting by itself.
    ``heading``: what the moment before said ("And release"), at the top of the next
    message rather than in a message of its own."""
    if session.position >= len(session.plan):
        await finish_exercises(unit, session, heading)
        return
    if not first_of_stretch(session):
        if heading:
            unit.say(heading)
        await start_hold(unit, session)
        return
    session.phase = "ready"
    say_instructions(unit, session, heading)


def spoken_list(items: list[str]) -> str:
    """ "a, b and c"."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {t('session.needs.and')} {items[-1]}"


def say_instructions(unit: Unit, session: StretchSession, heading: str | None = None) -> None:
    """The stretch's picture with its steps as the caption and the controls under it. Steps
    too long for a caption go first as text, and the picture gets a short caption.
    ``heading`` ("And release" after the last hold): above the steps, in the same message
    when the caption has room."""
    stretch_id = step_of(session)["stretch"]
    full = instructions(session)
    headed = f"{heading}\n\n{full}" if heading else full
    if caption_length(headed) <= CAPTION_LIMIT:
        unit.say_picture("still", stretch_id, headed, controls(session))
        return
    if heading:
        unit.say(heading)
    if caption_length(full) <= CAPTION_LIMIT:
        unit.say_picture("still", stretch_id, full, controls(session))
        return
    unit.say(full)
    short = f"{intro_line(session)}\n\n{t('session.stretch.steps_above')}"
    unit.say_picture("still", stretch_id, short, controls(session))


def caption_length(text: str) -> int:
    """Characters Telegram counts in an HTML caption: the text without its tags."""
    return len(html.unescape(re.sub(r"<[^>]+>", "", text)))


def intro_line(session: StretchSession) -> str:
    step = step_of(session)
    library = routine.load_library()
    stretch = library.stretch(step["stretch"])
    if stretch.id == library.warm_up.id:
        return t("session.warm_up.intro", name=stretch.name, seconds=step["hold"])
    number, total = stretch_number(session)
    return t("session.stretch.intro", name=stretch.name, number=number, total=total)


def instructions(session: StretchSession) -> str:
    step = step_of(session)
    stretch = routine.load_library().stretch(step["stretch"])
    parts = [intro_line(session)]
    parts.append("\n".join(f"{i}. {line}" for i, line in enumerate(stretch.steps, 1)))
    parts.append(t("session.stretch.feel", feel=stretch.feel))
    if stretch.cautions:
        parts.append(t("session.stretch.take_care", cautions=" ".join(stretch.cautions)))
    if step.get("modification"):
        parts.append(t("session.stretch.for_you", modification=step["modification"]))
    if step.get("optional"):
        parts.append(t("session.stretch.optional"))
    parts.append(t("session.movement.ready" if stretch.movement else "session.stretch.ready"))
    return "\n\n".join(parts)


def countdown_text(session: StretchSession, seconds: float) -> str:
    """The round and side line (when there is more than one) over "Hold… 12 s left"."""
    step = step_of(session)
    key = "session.movement.countdown" if _moving(session) else "session.hold.countdown"
    countdown = t(key, seconds=max(0, round(seconds)))
    if step.get("side"):
        side = t(f"session.side.{step['side']}")
        round_line = t("session.stretch.rep_side", rep=step["rep"], reps=step["reps"], side=side)
    elif step["reps"] > 1:
        round_line = t("session.stretch.rep", rep=step["rep"], reps=step["reps"])
    else:
        return countdown
    return f"{round_line}\n{countdown}"


def _in_progress(session: StretchSession) -> str:
    if session.phase == "resting":
        return "session.resting_now"
    return "session.movement.in_progress" if _moving(session) else "session.in_progress"


async def point_to_current(unit: Unit, session: StretchSession, answer: str | None = None) -> None:
    """After text that is not an answer: one short message (after ``answer``, a reply to
    what was asked) pointing to what is on screen, with its buttons, never the whole
    stretch card again."""
    keyboard: Keyboard
    if session.paused:
        key, keyboard = "session.paused", controls(session)
    elif session.phase in CONTROLLED:
        key = "session.card_above" if session.phase == "ready" else _in_progress(session)
        keyboard = controls(session)
    elif session.phase in PAIN_QUESTIONS:
        key = "session.use_numbers"
        keyboard = pain_keyboard(PAIN_QUESTIONS[session.phase], session.id)
    elif session.phase == "hurt_where":
        key, keyboard = "session.use_choices", hurt_where_keyboard(session.id)
    elif session.phase == "hurt_choice":
        key, keyboard = "session.use_choices", hurt_choice_keyboard(session.id)
    else:
        await show_current(unit, session)
        return
    unit.say(f"{answer}\n\n{t(key)}" if answer else t(key), keyboard)


async def show_current(unit: Unit, session: StretchSession) -> None:
    """Say again what the session is waiting for (after /stretch, or unexpected text)."""
    if session.phase in PAIN_QUESTIONS:
        key = {
            "pain_before": "session.pain_before.question",
            "pain_after": "session.pain_after.question",
            "hurt_rating": "session.hurt.how_bad",
        }[session.phase]
        unit.say(t(key), pain_keyboard(PAIN_QUESTIONS[session.phase], session.id))
    elif session.phase == "hurt_where":
        unit.say(t("session.hurt.where"), hurt_where_keyboard(session.id))
    elif session.phase == "hurt_choice":
        unit.say(t("session.use_choices"), hurt_choice_keyboard(session.id))
    elif session.phase == "note":
        unit.say(t("session.note.prompt"), note_keyboard(session.id))
    elif session.paused:
        unit.say(t("session.paused"), controls(session))
    elif session.phase in ("holding", "resting"):
        unit.say(t(_in_progress(session)), controls(session))
    else:
        await show_step(unit, session)


async def start_hold(unit: Unit, session: StretchSession, seconds: float | None = None) -> None:
    hold = float(step_of(session)["hold"]) if seconds is None else seconds
    session.phase, session.paused = "holding", False
    session.hold_ends_at = unit.later(hold)
    session.remaining_seconds = hold
    session.countdown_message_id = None
    payload = {"session": session.id, "position": session.position}
    await unit.schedule(step_key(session), "hold_end", session.hold_ends_at, payload)
    tick = _tick_wall(unit)
    if hold * unit.time_scale > tick * 1.5:
        await unit.schedule(
            f"tick:{session.id}", "hold_tick", unit.now + timedelta(seconds=tick), payload
        )
    # The step's message: the movement, looped, with the countdown as its caption.
    unit.say_picture(
        "motion",
        step_of(session)["stretch"],
        countdown_text(session, hold),
        controls(session),
        tag=f"countdown:{session.id}",
    )


def _tick_wall(unit: Unit) -> float:
    return max(MIN_TICK_WALL, TICK_SECONDS * unit.time_scale)


async def press(unit: Unit, action: str, session_id: int, position: int) -> str | None:
    """Start / Pause / Resume / Skip / Stop / This hurts / No note, checked against the presser."""
    session = await own_session(unit, session_id)
    if session is None:
        return t("common.stale_button")
    if action == "nonote":
        if session.phase != "note":
            return t("common.done_button")
        await summarise(unit, session, note=None)
        return None
    if session.status != "active":
        return t("common.stale_button")
    if action in ("start", "skip") and position != session.position:
        return t("common.stale_button")
    _touch(unit, session)
    if action == "start":
        if session.phase != "ready" or session.paused:
            return t("common.done_button")
        await start_hold(unit, session)
        return None
    handlers = {"pause": pause, "resume": resume, "skip": skip, "stop": stop, "hurt": hurts}
    handler = handlers.get(action)
    if handler is None:
        return t("common.stale_button")
    return await handler(unit, session)


async def pause(unit: Unit, session: StretchSession) -> str | None:
    if session.paused or session.phase not in ("ready", "holding", "resting"):
        return t("common.done_button")
    if session.phase == "holding" and session.hold_ends_at is not None:
        left = (session.hold_ends_at - unit.now).total_seconds()
        session.remaining_seconds = max(0.0, left / max(unit.time_scale, 1e-9))
    session.paused = True
    await _cancel_step_timers(unit, session)
    unit.say(t("session.paused"), controls(session))
    return None


async def resume(unit: Unit, session: StretchSession) -> str | None:
    if not session.paused:
        return t("common.done_button")
    session.paused = False
    unit.say(t("session.resumed"))
    if session.phase == "holding":
        await start_hold(unit, session, session.remaining_seconds)
    elif session.phase == "resting":
        await show_step(unit, session)
    else:
        say_instructions(unit, session)
    return None


async def skip(unit: Unit, session: StretchSession) -> str | None:
    """Skip the rest of this stretch: all its remaining rounds and sides."""
    await _cancel_step_timers(unit, session)
    current = step_of(session)["stretch"]
    unit.update_data(skipped=[*unit.state.get("skipped", []), current])
    while session.position < len(session.plan) and step_of(session)["stretch"] == current:
        _record_step(unit, session, "skipped")
        session.position += 1
    session.paused = False
    unit.say(t("session.skipped"))
    await _next_stretch(unit, session)
    return None


async def stop(unit: Unit, session: StretchSession) -> str | None:
    await _cancel_step_timers(unit, session)
    if session.phase == "pain_before":  # nothing started: nothing to ask about
        await _drop_unstarted(unit, session)
        return None
    hurt = session.status == "hurt"
    session.status, session.paused = ("hurt" if hurt else "stopped"), False
    unit.say(t("session.stopped"))
    await after_exercises(unit, session)
    return None


async def _drop_unstarted(unit: Unit, session: StretchSession) -> None:
    """/cancel or Stop before the pain score: no session happened, so none is kept."""
    await unit.cancel_timers(f"idle:{session.id}")
    unit.goto(Flow.IDLE, **check_outcome(unit.state))
    await unit.session.delete(session)
    unit.say(t("session.cancelled_before_start"))


async def end_early(unit: Unit, session: StretchSession) -> None:
    """End a session whose plan no longer fits the person (a condition came up), at once:
    no pain-after question, nothing more of the old plan. What was done is kept."""
    await _cancel_step_timers(unit, session)
    await unit.cancel_timers(f"idle:{session.id}")
    session.status, session.paused = "stopped", False
    session.phase, session.ended_at = "done", unit.now
    if unit.expect(Flow.SESSION):
        unit.goto(Flow.IDLE, **check_outcome(unit.state))
    await _forget_unless_kept(unit, session)


async def hurts(unit: Unit, session: StretchSession) -> str | None:
    """Stop at once; then how bad, and where."""
    await _cancel_step_timers(unit, session)
    session.status, session.paused, session.phase = "hurt", False, "hurt_rating"
    unit.say(t("session.hurt.how_bad"), pain_keyboard("h", session.id))
    return None


async def typed_control(unit: Unit, control: Control) -> bool:
    """Typed "pause", "next", "stop" or "go on" during a session do what the buttons do."""
    session = await active_session(unit)
    if (
        session is not None
        and session.phase == "hurt_choice"
        and control in (Control.GO, Control.STOP)
    ):
        await hurt_choice(unit, session.id, "go" if control is Control.GO else "stop")
        return True
    # Only where the control buttons are shown: not while a pain score or a note is asked.
    if session is None or session.status != "active" or session.phase not in CONTROLLED:
        return False
    _touch(unit, session)
    if control is Control.GO and not session.paused:
        if session.phase != "ready":  # "ok" mid-hold: the hold runs on
            await point_to_current(unit, session)
            return True
        await start_hold(unit, session)
        return True
    actions = {
        Control.PAUSE: pause,
        Control.GO: resume,
        Control.SKIP: skip,
        Control.STOP: stop,
    }
    refused = await actions[control](unit, session)
    if refused is not None:
        unit.say(refused)
    return True


async def typed_hurt(unit: Unit) -> bool:
    """'ouch' / 'it hurts' typed during a session does what the button does."""
    session = await active_session(unit)
    if session is None or session.status != "active":
        return False
    await hurts(unit, session)
    return True


async def typed_hurt_place(unit: Unit, place: str) -> bool:
    """The place typed after "This hurts" ("my leg") does what its button does."""
    session = await active_session(unit)
    if session is None or session.phase != "hurt_where":
        return False
    await hurt_where(unit, session.id, place)
    return True


async def hurt_where(unit: Unit, session_id: int, place: str) -> str | None:
    session = await own_session(unit, session_id)
    if session is None or session.phase != "hurt_where":
        return t("common.stale_button")
    value = int(unit.state.get("hurt_value", 0))
    if unit.stores_data:
        rating = (
            await unit.session.execute(
                select(PainRating)
                .where(PainRating.session_id == session.id, PainRating.kind == "hurt")
                .order_by(PainRating.id.desc())
                .limit(1)
            )
        ).scalar()
        if rating is not None:
            rating.body_part = place
    advice = pain_core.hurt_advice(value)
    spreading = place in ("arm", "leg")  # a reason to stop now, whatever the score
    if advice is not pain_core.HurtAdvice.STOP and not spreading:
        # "You can carry on gently" / "skip this stretch": the choice is the person's.
        session.phase = "hurt_choice"
        unit.say(t(f"session.hurt.advice.{advice.value}"), hurt_choice_keyboard(session.id))
        return None
    if advice is pain_core.HurtAdvice.STOP:
        unit.say(t(f"session.hurt.advice.{advice.value}"))
        # "Let's stop for today": no session until tomorrow.
        unit.update_data(rest_until=_tomorrow(unit).isoformat())
    if spreading:
        gate_flow.require_check(unit)  # /stretch runs the check first, as this says
        unit.say(t("session.hurt.limb"))
    await after_exercises(unit, session)
    return None


def hurt_choice_keyboard(session_id: int) -> Keyboard:
    return [
        [(t("session.button.carry_on"), HurtChoiceButton(session_id, "go").pack())],
        [(t("session.button.stop_here"), HurtChoiceButton(session_id, "stop").pack())],
    ]


async def hurt_choice(unit: Unit, session_id: int, choice: str) -> str | None:
    """Carry on gently (the current stretch, from its start button) or stop here."""
    session = await own_session(unit, session_id)
    if session is None or session.phase != "hurt_choice":
        return t("common.stale_button")
    _touch(unit, session)
    if choice == "stop":
        await after_exercises(unit, session)
        return None
    session.status, session.phase, session.paused = "active", "ready", False
    unit.say(t("session.carry_on_gently"), controls(session))
    return None


def _tomorrow(unit: Unit) -> datetime:
    """The start of the person's next local day (UTC when no zone is known)."""
    zone = zone_of(unit.user.zone_name) if unit.user.zone_name else UTC
    local = unit.now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=zone)


def _record_step(unit: Unit, session: StretchSession, outcome: str) -> None:
    if not unit.stores_data:
        return
    step = step_of(session)
    unit.session.add(
        SessionStep(
            session_id=session.id,
            user_id=unit.user.id,
            position=session.position,
            stretch_id=step["stretch"],
            rep=step["rep"],
            outcome=outcome,
            at=unit.now,
        )
    )


def step_key(session: StretchSession) -> str:
    """The key of the step's clock: a hold's end, then the rest's end. One key for both, so
    the timer that fired is moved to the next end rather than deleted and booked again."""
    return f"step:{session.id}"


async def _cancel_step_timers(unit: Unit, session: StretchSession) -> None:
    await unit.cancel_timers(step_key(session), f"tick:{session.id}")


async def _next_stretch(unit: Unit, session: StretchSession) -> None:
    # No "Next: <name>" first: the card that follows is headed with the name.
    await show_step(unit, session)


# --- timers ----------------------------------------------------------------------------------
def _still_waiting(session: StretchSession | None, timer: Timer, phase: str) -> bool:
    return (
        session is not None
        and session.status == "active"
        and not session.paused
        and session.phase == phase
        and session.position == timer.payload["position"]
    )


async def on_hold_end(unit: Unit, timer: Timer) -> None:
    session = await unit.session.get(StretchSession, timer.payload["session"])
    if session is None or not _still_waiting(session, timer, "holding"):
        return
    step = step_of(session)
    if float(step["hold"]) * unit.time_scale > _tick_wall(unit) * 1.5:
        await unit.cancel_timers(f"tick:{session.id}")  # a hold this short had no ticks
    if session.countdown_message_id:
        unit.edit_caption(session.countdown_message_id, t("session.hold_done"), durable=True)
    _record_step(unit, session, "done")
    session.last_activity_at = unit.now
    session.position += 1
    resting = session.position < len(session.plan) and not first_of_stretch(session)
    if not resting:  # the end, or a new stretch: "And release" heads what comes next
        await show_step(unit, session, heading=t("session.release"))
    else:
        rest = float(step["rest"])
        session.phase = "resting"
        # One message for one moment: let go, then how long to rest.
        unit.say(f"{t('session.release')}\n{t('session.rest', seconds=int(rest))}")
        await unit.schedule(
            step_key(session),
            "rest_end",
            unit.later(rest),
            {"session": session.id, "position": session.position},
        )


async def on_rest_end(unit: Unit, timer: Timer) -> None:
    session = await unit.session.get(StretchSession, timer.payload["session"])
    if session is not None and _still_waiting(session, timer, "resting"):
        await show_step(unit, session)


async def on_tick(unit: Unit, timer: Timer) -> None:
    session = await unit.session.get(StretchSession, timer.payload["session"])
    if session is None or not _still_waiting(session, timer, "holding"):
        return
    if session.hold_ends_at is None:
        return
    left_wall = (session.hold_ends_at - unit.now).total_seconds()
    if session.countdown_message_id and left_wall > 0:
        left = left_wall / max(unit.time_scale, 1e-9)
        unit.edit_caption(
            session.countdown_message_id, countdown_text(session, left), controls(session)
        )
    tick = _tick_wall(unit)
    if left_wall > tick * 1.5:
        await unit.schedule(
            f"tick:{session.id}",
            "hold_tick",
            unit.now + timedelta(seconds=tick),
            dict(timer.payload),
        )


async def on_idle(unit: Unit, timer: Timer) -> None:
    """An hour without a tap: close the session as abandoned, keeping what was done."""
    session = await unit.session.get(StretchSession, timer.payload["session"])
    if session is None or session.phase == "done":
        return
    if unit.now - session.last_activity_at < IDLE_LIMIT - timedelta(seconds=1):
        await _book_idle(unit, session)  # touched since: an hour from then
        return
    await _cancel_step_timers(unit, session)
    if session.status == "active":
        session.status = "abandoned"
    session.phase, session.ended_at = "done", unit.now
    if unit.expect(Flow.SESSION):
        unit.idle()
    unit.say(t("session.abandoned"))
    await _forget_unless_kept(unit, session)


_SESSIONS = cast(Table, StretchSession.__table__)
# One statement in the delivery's transaction (building it costs as much as running it).
KEEP_COUNTDOWN = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("session_id"), _SESSIONS.c.phase == "holding")
    .values(countdown_message_id=bindparam("message_id"))
)


async def remember_countdown(db: AsyncSession, tag: str, message_id: int) -> None:
    """Delivery callback: keep the countdown message's id so ticks can edit it."""
    await db.execute(
        KEEP_COUNTDOWN, {"session_id": int(tag.split(":", 1)[1]), "message_id": message_id}
    )


# --- ending ----------------------------------------------------------------------------------
async def finish_exercises(unit: Unit, session: StretchSession, heading: str | None = None) -> None:
    # Carried on after "This hurts": finished, but not a comfortable session (progression).
    session.status = "hurt" if unit.state.get("hurt_value") is not None else "completed"
    await _cancel_step_timers(unit, session)
    done = t("session.all_done")
    unit.say(f"{heading}\n\n{done}" if heading else done)
    await ask_pain_after(unit, session)


async def after_exercises(unit: Unit, session: StretchSession) -> None:
    """The pain after, asked once: a "This hurts" score given in this session is it."""
    hurt = unit.state.get("hurt_value")
    if hurt is None or session.status != "hurt":
        await ask_pain_after(unit, session)
        return
    session.pain_after = int(hurt)
    session.phase = "note"
    unit.say(t("session.note.prompt"), note_keyboard(session.id))


async def ask_pain_after(unit: Unit, session: StretchSession) -> None:
    session.phase = "pain_after"
    unit.say(t("session.pain_after.question"), pain_keyboard("a", session.id))


async def typed_note(unit: Unit, text: str) -> bool:
    session = await active_session(unit)
    if session is None or session.phase != "note":
        return False
    # "no", "nothing", "no note" typed is the No note button, not a note saying "no".
    typed = " ".join(plain(text).strip(" .!").split())
    declined = (
        typed in typed_words.current().no_note
        or parse_answer(text) is Answer.NO
        or parse_control(text) is Control.SKIP
    )
    await summarise(unit, session, note=None if declined else text[:1000])
    return True


async def summarise(unit: Unit, session: StretchSession, note: str | None) -> None:
    session.note = note if unit.stores_data else None
    session.phase, session.ended_at = "done", unit.now
    await unit.cancel_timers(f"idle:{session.id}")
    if note:
        unit.say(t("session.note.saved"))
    count = stretch_count(session, set(unit.state.get("skipped", [])))
    lines = [t("session.summary", done=count.done, total=count.total, skipped=count.skipped)]
    before, after = session.pain_before, session.pain_after
    if before is not None and after is not None:
        lines.append(t("session.summary.pain", before=before, after=after))
        key = "pain_lower" if after < before else "pain_same" if after == before else "pain_higher"
        lines.append(t(f"session.summary.{key}"))
    unit.say("\n".join(lines))
    check_first = gate_flow.check_required(unit)
    # Emergency or urgent advice given during the session (a sign typed mid-hold): no
    # "next session tomorrow", and no reminder offer, until a clinician has seen them.
    blocked = gate_flow.current_gate(unit)[0] is Gate.BLOCKED
    unit.idle()
    if unit.stores_data:
        await adapt(unit)
    if blocked:
        unit.say(t("session.summary.next_blocked"))
        await _forget_unless_kept(unit, session)
        return
    keyboard = [
        [(t("common.menu_reminders"), "go:reminders")],
        [(t("common.menu_progress"), "go:progress")],
    ]
    if check_first:
        keyboard.insert(0, [(t("session.button.safety_check"), "go:checkup")])
    unit.say(
        t("session.summary.next_after_check" if check_first else "session.summary.next")
        + "\n\n"
        + t("session.safety_net"),
        keyboard,
    )
    await _forget_unless_kept(unit, session)


def stretch_count(session: StretchSession, skipped: set[str]) -> counts.StretchCount:
    """This session's count, from its plan and position (the same facts as its step rows,
    which exist only with consent): every hold before the position was done or skipped."""
    holds = [
        (step["stretch"], "skipped" if step["stretch"] in skipped else "done")
        for step in session.plan[: session.position]
    ]
    plan = [step["stretch"] for step in session.plan]
    return counts.count_stretches(plan, holds, routine.load_library().warm_up.id)


async def adapt(unit: Unit) -> None:
    """Level up or down by the progression rule; offer a re-check when pain has risen."""
    recent = list(
        (
            await unit.session.execute(
                select(StretchSession)
                .where(StretchSession.user_id == unit.user.id, StretchSession.phase == "done")
                .order_by(StretchSession.id.desc())
                .limit(10)
            )
        ).scalars()
    )
    history = [
        progression.SessionSummary(
            completed=s.status == "completed",
            pain_before=s.pain_before,
            pain_after=s.pain_after,
            hurt_events=int(s.status == "hurt"),
            ended_at=s.ended_at or unit.now,
            level=s.level,
        )
        for s in reversed(recent)
    ]
    decision = progression.next_level(unit.user.level, history)
    if decision.level != unit.user.level or decision.reason.value in ("hurt", "pain_rose"):
        unit.say(
            t(f"session.level.{decision.reason.value}", level=decision.level, sessions=len(history))
        )
    unit.user.level = decision.level
    ratings = (
        (
            await unit.session.execute(
                select(PainRating)
                .where(PainRating.user_id == unit.user.id, PainRating.kind == "before")
                .order_by(PainRating.at)
            )
        )
        .scalars()
        .all()
    )
    points = [pain_core.Rating(r.at, r.value, pain_core.RatingKind(r.kind)) for r in ratings]
    zone = zone_of(unit.user.zone_name) if unit.user.zone_name else UTC
    if len(points) > 1 and pain_core.rise_against_baseline(points[:-1], points[-1].value, zone):
        unit.say(t("session.pain_rising"), [[(t("session.button.safety_check"), "go:checkup")]])


async def _forget_unless_kept(unit: Unit, session: StretchSession) -> None:
    """Without consent, the session's working row goes once it is over."""
    if not unit.stores_data:
        await unit.cancel_timers(f"idle:{session.id}")
        await unit.session.delete(session)
