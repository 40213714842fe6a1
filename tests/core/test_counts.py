"""The one count of stretches done and skipped (bot/core/counts.py)."""

from __future__ import annotations

from bot.core.counts import StretchCount, count_stretches

PLAN = ["warm", "cat", "cat", "knee", "knee", "child"]


def test_the_warm_up_is_not_a_stretch_of_the_count() -> None:
    holds = [("warm", "skipped"), ("cat", "done"), ("cat", "done")]
    assert count_stretches(PLAN, holds, "warm") == StretchCount(total=3, done=1, skipped=0)


def test_a_stretch_skipped_after_a_round_is_skipped_and_unreached_ones_are_neither() -> None:
    holds = [("warm", "done"), ("cat", "done"), ("cat", "skipped")]
    assert count_stretches(PLAN, holds, "warm") == StretchCount(total=3, done=0, skipped=1)


def test_nothing_done_is_nothing_counted() -> None:
    assert count_stretches(PLAN, [], "warm") == StretchCount(total=3, done=0, skipped=0)
