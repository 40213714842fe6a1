"""When to move a person up or down a level, from how their recent sessions went.

Build up slowly and only when it's comfortable (seed texts; NHS inform): up one level
after a run of completed sessions where pain after was no higher than before and nothing
hurt. Ease back at once when the last session hurt or left pain a meaningful 2 points
higher (Farrar 2001). Anything else: stay. The numbers live in routines.yaml.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from content.loader import cached
from content.schema.stretches import ProgressionRules, RoutineFile

MIN_LEVEL = 1


@dataclass(frozen=True)
class SessionSummary:
    completed: bool
    pain_before: int | None
    pain_after: int | None
    hurt_events: int
    ended_at: datetime
    # The level the session was done at. When given, only sessions at the current level
    # count towards the next step up, so a level change starts a fresh run.
    level: int | None = None

    @property
    def pain_rise(self) -> int | None:
        if self.pain_before is None or self.pain_after is None:
            return None
        return self.pain_after - self.pain_before

    @property
    def went_well(self) -> bool:
        """Completed, nothing hurt, and pain after no higher than before (both known)."""
        rise = self.pain_rise
        return self.completed and self.hurt_events == 0 and rise is not None and rise <= 0


class LevelReason(StrEnum):
    """Why the level is what it is; session texts are keyed by these values."""

    STEADY = "steady"  # up: enough good sessions in a row
    HURT = "hurt"  # down: "this hurts" in the last session
    PAIN_ROSE = "pain_rose"  # down: pain after was 2+ above pain before
    BUILDING = "building"  # stay: not enough good sessions yet
    AT_TOP = "at_top"  # would go up, already at the top level
    AT_BOTTOM = "at_bottom"  # would go down, already at the lowest level


@dataclass(frozen=True)
class LevelDecision:
    level: int
    reason: LevelReason


def progression_rules() -> ProgressionRules:
    return cached(RoutineFile, "routines.yaml").progression


def max_level() -> int:
    return len(cached(RoutineFile, "routines.yaml").levels)


def next_level(
    current: int,
    history: Sequence[SessionSummary],
    *,
    top: int | None = None,
    rules: ProgressionRules | None = None,
) -> LevelDecision:
    """The level for the next session, given the sessions so far (any order)."""
    rules = rules or progression_rules()
    top = top if top is not None else max_level()
    current = min(max(current, MIN_LEVEL), top)
    ordered = sorted(history, key=lambda s: s.ended_at)
    if not ordered:
        return LevelDecision(current, LevelReason.BUILDING)

    step_down = _reason_to_ease_back(ordered[-1], rules)
    if step_down is not None:
        if current == MIN_LEVEL:
            return LevelDecision(current, LevelReason.AT_BOTTOM)
        return LevelDecision(current - 1, step_down)

    if _good_run(ordered, current) >= rules.steady_sessions_to_level_up:
        if current == top:
            return LevelDecision(current, LevelReason.AT_TOP)
        return LevelDecision(current + 1, LevelReason.STEADY)
    return LevelDecision(current, LevelReason.BUILDING)


def _reason_to_ease_back(last: SessionSummary, rules: ProgressionRules) -> LevelReason | None:
    if last.hurt_events > 0:
        return LevelReason.HURT
    rise = last.pain_rise
    if rise is not None and rise >= rules.pain_rise_to_level_down:
        return LevelReason.PAIN_ROSE
    return None


def _good_run(ordered: Sequence[SessionSummary], current: int) -> int:
    """How many of the latest sessions in a row went well at the current level."""
    run = 0
    for session in reversed(ordered):
        if session.level is not None and session.level != current:
            break
        if not session.went_well:
            break
        run += 1
    return run
