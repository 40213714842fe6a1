"""Where a person's conversation is: the flow and its step, as names the code can check.

The dialog row keeps them as text (``dialogs.flow``, ``dialogs.step``); these string enums
are those texts, so a stored row and a member compare equal and a misspelt step is a name
error, not a silent mismatch. A flow's handler for a button or a typed answer first asks
:meth:`bot.flows.unit.Unit.expect`: a button from an earlier step is a stale tap.

A stretch session keeps its phase (ready, holding, resting, the pain questions) on its own
row (``stretch_sessions.phase``), in one place: the dialog only says a session is on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, TypedDict


class Flow(StrEnum):
    IDLE = "idle"
    ONBOARDING = "onboarding"  # consent, where it hurts, age
    TRIAGE = "triage"  # the red-flag questions; the question waiting is in the data
    SESSION = "session"  # the phase is the session's (stretch_sessions.phase)
    REMINDERS = "reminders"  # setting up the daily reminder


class Onboarding(StrEnum):
    CONSENT = "consent"
    REGION = "region"
    AGE = "age"


class Triage(StrEnum):
    QUESTION = "question"


class Reminders(StrEnum):
    TIME = "time"
    DAYS = "days"
    DAYS_CUSTOM = "days_custom"
    ZONE = "zone"
    CONFIRM = "confirm"


Step = Onboarding | Triage | Reminders


# --- the dialog's data, by flow ---------------------------------------------------------------
# ``dialogs.data`` is one JSON object per person. Each flow's keys are declared here, with
# their types, so a misspelt key or a wrong value is a type error (mypy, in `make test`),
# not a silent miss. They are TypedDicts: the stored dict is used as it is, at no cost per
# update (Unit.state reads it, Unit.update_data and Unit.goto write it).


class Alarm(TypedDict):
    """A red flag raised in this conversation (bot/flows/triage.py remember_alarm)."""

    condition: str
    level: str
    at: str  # ISO time


class Carried(TypedDict, total=False):
    """Kept through every change of flow (Unit.goto): see CARRIED."""

    alarms: list[Alarm]  # the check asks about these again, by name, before it may clear
    alarms_checked_at: str  # ISO time the last check counted them
    rest_until: str  # ISO time: "Let's stop for today" (bot/flows/session.py)


class Anywhere(TypedDict, total=False):
    """Set by any flow, dropped by a change of flow unless that flow keeps it."""

    recent_updates: list[int]  # webhook update ids applied lately (bot/runtime.py)
    question_left: bool  # a yes / no safety question waits, and something else was asked
    concern: dict[str, Any]  # follow-up questions asked and answered (bot/flows/concern.py)
    erase_asked: bool | None  # "Erase everything?" waits for its confirmation (privacy.py)


class CheckOutcome(TypedDict, total=False):
    """What the safety check left, kept by a session (without consent, the only copy)."""

    verdict: str  # a Level
    screened_at: str  # ISO time
    conditions: list[str]  # the Conditions the routine is adapted to
    region: str  # a Region
    age_band: str  # an AgeBand
    check_required_at: str  # ISO time the bot asked for the check again (bot/flows/gate.py)
    rescreen_declined: bool  # the person chose not to repeat an old check (flows/session.py)


class OnboardingData(TypedDict, total=False):
    then: str  # what the person asked for, done once onboarding ends ("age", "stretch")
    region: str


class TriageData(TypedDict, total=False):
    region: str
    age_band: str
    answers: dict[str, str]  # question id -> "yes", "no", "unsure"
    started_at: str  # ISO time
    reason: str  # onboarding, checkup, before_session
    then: str
    pending: str | None  # the question id waiting for its answer
    rechecking: str | None  # a question asked again for an alarm of this conversation
    rechecked: list[str]  # conditions asked again since


class SessionData(TypedDict, total=False):
    session: int  # the stretch session's id
    hurt_value: int  # "This hurts": how much, 0-10
    skipped: list[str]  # stretch ids skipped in this session


class RemindersData(TypedDict, total=False):
    time: str  # "HH:MM", the person's local time
    days: list[int]  # weekdays, Monday 0
    zone: str  # an IANA zone name
    label: str  # the zone as the person knows it
    candidates: list[list[str]]  # [zone name, label] offered for a typed place


class DialogData(
    Carried,
    Anywhere,
    CheckOutcome,
    OnboardingData,
    TriageData,
    SessionData,
    RemindersData,
    total=False,
):
    """Every key a dialog's data may hold."""


# Keys Unit.goto keeps through a change of flow.
CARRIED: tuple[Literal["alarms", "alarms_checked_at", "rest_until"], ...] = (
    "alarms",
    "alarms_checked_at",
    "rest_until",
)
# The check's outcome, as a session or an ended session keeps it.
KEPT_FROM_CHECK: tuple[
    Literal["verdict", "screened_at", "conditions", "region", "age_band"], ...
] = ("verdict", "screened_at", "conditions", "region", "age_band")


def check_outcome(data: DialogData) -> CheckOutcome:
    """The check's outcome out of ``data``, to hand to the next flow."""
    kept: CheckOutcome = {}
    for key in KEPT_FROM_CHECK:
        if key in data:
            kept[key] = data[key]
    return kept
