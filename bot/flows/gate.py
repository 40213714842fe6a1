"""The safety gate as this person's rows hold it: may they stretch now, and must the
check run first. Read by the check (flows/triage.py), the session (flows/session.py) and the
follow-up questions (flows/concern.py); the rules themselves are bot/core/gate.py.

With consent the outcome is on the person's row; without it, only in this conversation's
dialog data (nothing about health is stored).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import gate as gate_core
from bot.core.gate import Gate, GateState, gate
from bot.flows.unit import Unit
from content.languages import localised
from content.schema.clearance import ClearanceFile
from content.schema.common import AgeBand, Level, Region


def profile_of(unit: Unit) -> tuple[Region | None, AgeBand | None]:
    region = unit.user.region or unit.state.get("region")
    band = unit.user.age_band or unit.state.get("age_band")
    return (Region(region) if region else None, AgeBand(band) if band else None)


def clearance_wait_left(unit: Unit, advised: Level | None = None) -> timedelta | None:
    """How long until a clearance can be reported after the blocking advice; None once it can.

    ``advised``: blocking advice being given right now, perhaps before the gate is stored.
    """
    _gate, level = current_gate(unit)
    if advised is not None and (level is None or not level.blocks_stretching):
        return localised(ClearanceFile, "clearance.yaml").waits[advised].duration
    if level is None or not level.blocks_stretching:
        return None
    if unit.stores_data:
        since = unit.user.gate_at
    else:
        screened = unit.state.get("screened_at")
        since = _parse(screened) if screened else None
    if since is None:
        return None
    wait = localised(ClearanceFile, "clearance.yaml").waits[level].duration
    left = since + wait - unit.now
    return left if left > timedelta(0) else None


def require_check(unit: Unit) -> None:
    """The bot said "run the safety check again before your next session": hold it to that."""
    if unit.stores_data:
        unit.user.check_required_at = unit.now
    else:
        unit.update_data(check_required_at=unit.now.isoformat())


def check_required(unit: Unit) -> bool:
    """A check was asked for ("before your next session") and none has finished since."""
    return gate_core.check_required(gate_state(unit)[0])


def current_gate(unit: Unit) -> tuple[Gate, Level | None]:
    """The gate from the stored outcome, or, for someone who keeps nothing, this conversation's."""
    state, level = gate_state(unit)
    return gate(state), level


def gate_state(unit: Unit) -> tuple[GateState, Level | None]:
    if unit.stores_data:
        level = Level(unit.user.gate_level) if unit.user.gate_level else None
        user = unit.user
        state = GateState(level, user.gate_at, user.cleared_by_clinician_at, user.check_required_at)
        return state, level
    data = unit.state
    level = Level(data["verdict"]) if data.get("verdict") else None
    screened, required = data.get("screened_at"), data.get("check_required_at")
    state = GateState(
        level,
        _parse(screened) if screened else None,
        None,
        _parse(required) if required else None,
    )
    return state, level


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)
