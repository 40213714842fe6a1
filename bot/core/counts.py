"""How many stretches of a session were done and skipped: one rule for every place that says.

The chat's session summary, the /report PDF (its totals and its table) all count with
:func:`count_stretches`, from the same facts: the plan's stretches and each hold's outcome.
The warm-up is not a stretch of the count ("Done: 5 of 6 stretches" names the stretches
after it). A stretch is skipped when any of its holds was skipped (Skip skips the rest of
it), done when a hold of it was done and none skipped; the rest were never reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StretchCount:
    total: int  # the stretches in the plan, warm-up left out
    done: int
    skipped: int


def count_stretches(
    plan: Sequence[str], holds: Iterable[tuple[str, str]], warm_up: str
) -> StretchCount:
    """``plan``: each hold's stretch id, in order; ``holds``: (stretch id, "done"|"skipped")."""
    stretches = set(plan) - {warm_up}
    done: set[str] = set()
    skipped: set[str] = set()
    for stretch, outcome in holds:
        if stretch in stretches:
            (skipped if outcome == "skipped" else done).add(stretch)
    return StretchCount(total=len(stretches), done=len(done - skipped), skipped=len(skipped))
