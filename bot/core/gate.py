"""May this person stretch now? Decided from the stored triage outcome alone.

After an EMERGENCY or URGENT outcome, sessions are refused until the person screens clear
again or says a clinician has cleared them (brief, section 2). Re-screening is offered every
7 days of use and when pain rises 2+ points over baseline (brief, section 6).
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


def gate(state: GateState) -> Gate:
    if state.level is None or state.screened_at is None:
        return Gate.SCREEN_FIRST
    cleared_since = state.cleared_at is not None and state.cleared_at >= state.screened_at
    if state.level.blocks_stretching:
        return Gate.OPEN if cleared_since else Gate.BLOCKED
    if state.level is Level.SEE_GP and not cleared_since:
        return Gate.OPEN_WITH_ADVICE
    return Gate.OPEN


def rescreen_due(screened_at: datetime | None, now: datetime) -> bool:
    return screened_at is None or now - screened_at >= RESCREEN_EVERY
