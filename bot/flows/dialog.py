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
