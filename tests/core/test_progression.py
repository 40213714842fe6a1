"""Level changes from a person's recent sessions: a table of histories and the level they earn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.progression import LevelReason, SessionSummary, next_level, progression_rules
from content.schema.texts import load_texts

RULES = progression_rules()
START = datetime(2025, 3, 1, 18, 0, tzinfo=UTC)


def sessions(
    *specs: str, level: int | None = None, start: datetime = START
) -> list[SessionSummary]:
    """Sessions a day apart, oldest first, each written "before>after" with flags.

    "3>2" completed, pain 3 then 2; "3>2!" also pressed "this hurts"; "3>2x" not completed;
    "?" completed without pain scores.
    """
    made = []
    for day, spec in enumerate(specs):
        completed = not spec.endswith("x")
        hurt = 1 if spec.endswith("!") else 0
        core = spec.rstrip("x!")
        before, after = (None, None) if core == "?" else map(int, core.split(">"))
        made.append(
            SessionSummary(
                completed=completed,
                pain_before=before,
                pain_after=after,
                hurt_events=hurt,
                ended_at=start + timedelta(days=day),
                level=level,
            )
        )
    return made


TABLE = [
    # current, history, expected level, reason
    (1, [], 1, LevelReason.BUILDING),
    (1, ["4>3", "4>4"], 1, LevelReason.BUILDING),
    (1, ["4>3", "4>4", "5>3"], 2, LevelReason.STEADY),
    (2, ["4>3", "4>4", "5>3", "3>3"], 3, LevelReason.STEADY),
    (3, ["4>3", "4>4", "5>3"], 3, LevelReason.AT_TOP),
    # The run must be unbroken and end with the latest session.
    (1, ["4>3", "4>5", "4>4", "5>3"], 1, LevelReason.BUILDING),
    (1, ["4>3", "4>4x", "4>4", "5>3"], 1, LevelReason.BUILDING),
    (1, ["4>3", "?", "4>4", "5>3"], 1, LevelReason.BUILDING),
    (1, ["4>3", "4>3!", "4>4", "5>3"], 1, LevelReason.BUILDING),
    (1, ["4>5", "4>3", "4>4", "5>3"], 2, LevelReason.STEADY),
    # A rise of 1 is within measurement error: stay, but it breaks the run.
    (2, ["4>3", "4>4", "4>5"], 2, LevelReason.BUILDING),
    # Down one at a rise of 2 or more, or when something hurt, whatever came before.
    (2, ["4>3", "4>4", "5>3", "3>5"], 1, LevelReason.PAIN_ROSE),
    (3, ["2>6"], 2, LevelReason.PAIN_ROSE),
    (3, ["4>3", "4>4", "5>3", "3>2!"], 2, LevelReason.HURT),
    (2, ["4>6!"], 1, LevelReason.HURT),
    (2, ["4>4x!"], 1, LevelReason.HURT),
    (1, ["3>5"], 1, LevelReason.AT_BOTTOM),
    (1, ["3>3!"], 1, LevelReason.AT_BOTTOM),
    # A stopped session with no scores and no hurt is no reason to move either way.
    (2, ["?x"], 2, LevelReason.BUILDING),
    # Out-of-range levels are brought back into range first.
    (0, [], 1, LevelReason.BUILDING),
    (9, ["4>3", "4>4", "5>3"], 3, LevelReason.AT_TOP),
    (9, ["4>6"], 2, LevelReason.PAIN_ROSE),
]


@pytest.mark.parametrize(("current", "history", "level", "reason"), TABLE)
def test_next_level(current: int, history: list[str], level: int, reason: LevelReason) -> None:
    decision = next_level(current, sessions(*history))
    assert (decision.level, decision.reason) == (level, reason)


def test_history_order_does_not_matter() -> None:
    history = sessions("4>3", "4>4", "5>3", "3>6")
    assert next_level(2, list(reversed(history))) == next_level(2, history)


def test_the_thresholds_come_from_the_content() -> None:
    assert RULES.steady_sessions_to_level_up == 3
    assert RULES.pain_rise_to_level_down == 2
    run = ["4>3"] * (RULES.steady_sessions_to_level_up - 1)
    assert next_level(1, sessions(*run)).level == 1
    assert next_level(1, sessions(*run, "4>3")).level == 2


def test_sessions_at_an_earlier_level_do_not_count_towards_the_next() -> None:
    at_level_one = sessions("4>3", "4>4", "5>3", level=1)
    at_level_two = sessions("3>3", level=2, start=START + timedelta(days=10))
    assert next_level(2, [*at_level_one, *at_level_two]).reason is LevelReason.BUILDING
    more = sessions("3>3", "3>2", level=2, start=START + timedelta(days=11))
    assert next_level(2, [*at_level_one, *at_level_two, *more]).level == 3


@pytest.mark.parametrize("reason", list(LevelReason))
def test_every_reason_has_a_session_text(reason: LevelReason) -> None:
    assert load_texts()[f"session.level.{reason.value}"]
