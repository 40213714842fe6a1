"""May this person stretch now? Decided from the stored triage outcome alone.

After an EMERGENCY or URGENT outcome, sessions are refused until the person screens clear
again or says a clinician has cleared them (brief, section 2). After "run the safety check
again before your next session", the check comes first until one has finished (the flow
clears ``check_required_at`` then). Re-screening is offered every 7 days of use and when
pain rises 2+ points over baseline (brief, section 6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from content.schema.common import Level

RESCREEN_EVERY = timedelta(days=7)


class Gate(StrEnum):
    SCREEN_FIRST = "screen_first"  # never screened (or nothing stored): triage before stretching
    BLOCKED = "blocked"  # EMERGENCY / URGENT, not cleared since
    OPEN_WITH_ADVICE = "open_with_advice"  # SEE_GP: gentle stretches, advice repeated
    OPEN = "open"  # CLEAR / CHECK_FIRST, or cleared by a clinician


@dataclass(frozen=True)
class GateState:
    level: Level | None
    screened_at: datetime | None
    cleared_at: datetime | None
    # The bot asked for the check again before the next session (pain spreading to a limb).
    check_required_at: datetime | None = None


def gate(state: GateState) -> Gate:
    if state.level is None or state.screened_at is None:
        return Gate.SCREEN_FIRST
    cleared_since = state.cleared_at is not None and state.cleared_at >= state.screened_at
    if state.level.blocks_stretching and not cleared_since:
        return Gate.BLOCKED
    if check_required(state):
        return Gate.SCREEN_FIRST
    if state.level.blocks_stretching:
        return Gate.OPEN
    if state.level is Level.SEE_GP and not cleared_since:
        return Gate.OPEN_WITH_ADVICE
    return Gate.OPEN


def check_required(state: GateState) -> bool:
    """A check was asked for and none has finished since."""
    return state.check_required_at is not None


def rescreen_due(screened_at: datetime | None, now: datetime) -> bool:
    return screened_at is None or now - screened_at >= RESCREEN_EVERY
