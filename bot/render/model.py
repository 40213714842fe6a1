"""Plain data the renderers draw: no database rows, no Telegram objects.

The progress flow reads the person's history from the database and fills these in;
the renderers turn them into PNG or PDF bytes. Times are aware datetimes (UTC or any
zone); the renderers show them in the person's own zone, ``zone`` (a stored zone name: IANA
such as "Europe/Berlin", or a fixed offset such as "UTC+05:30"). Week starts are already
local dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from bot.core.schedule import zone_of

PainKind = Literal["before", "after", "hurt", "check"]


def local_wall_time(moment: datetime, zone: str) -> datetime:
    """``moment`` as a naive wall-clock time in ``zone``, the way the person would read it.

    Naive inputs are taken as UTC (how the database stores them); an unknown zone falls
    back to UTC rather than failing a chart over a bad setting.
    """
    try:
        tz = zone_of(zone)
    except ValueError:
        tz = UTC
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz).replace(tzinfo=None)


@dataclass(frozen=True)
class PainPoint:
    """One 0-10 pain score: before or after a session, on "this hurts", or a plain check-in."""

    at: datetime
    value: int
    kind: PainKind


@dataclass(frozen=True)
class SessionRow:
    """One stretch session as the person lived it."""

    started_at: datetime
    completed: bool
    stretches_done: int
    stretches_skipped: int
    pain_before: int | None
    pain_after: int | None
    level: int
    stretches: tuple[str, ...] = ()  # the names of the stretches done, in order
    note: str | None = None  # the person's own note about the session


@dataclass(frozen=True)
class TriageRow:
    """One safety check: its action level (a ``Level`` value) and what was reported."""

    at: datetime
    level: str
    findings: tuple[str, ...]


@dataclass(frozen=True)
class HurtRow:
    """A "this hurts" press during a session, with what the person said about it."""

    at: datetime
    value: int | None
    where: str | None
    note: str | None


@dataclass(frozen=True)
class WeekRow:
    """A local calendar week: its average pain (None without scores) and sessions started."""

    week_start: date
    average: float | None
    sessions: int


@dataclass(frozen=True)
class ProgressData:
    """What the /progress chart shows."""

    zone: str
    points: tuple[PainPoint, ...]
    weeks: tuple[WeekRow, ...]


@dataclass(frozen=True)
class ReportData:
    """What the /report PDF shows; ``region`` is a ``Region`` value, ``level`` a programme level."""

    name: str | None
    generated_at: datetime
    zone: str
    region: str
    level: int
    triage: tuple[TriageRow, ...]
    sessions: tuple[SessionRow, ...]
    points: tuple[PainPoint, ...]
    hurts: tuple[HurtRow, ...]
    weeks: tuple[WeekRow, ...]
    # When the person said a clinician had cleared them to exercise (after EMERGENCY/URGENT).
    cleared_at: datetime | None = None
    age_band: str | None = None  # an ``AgeBand`` value
    # "more" / "less" than 3 months, from the latest check that asked; None if none did.
    pain_over_3_months: str | None = None

    @property
    def progress(self) -> ProgressData:
        """The chart's share of the report."""
        return ProgressData(zone=self.zone, points=self.points, weeks=self.weeks)
