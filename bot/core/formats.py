"""Dates, times and numbers as the person's language writes them, with Babel (CLDR data).

"7 Dec 2026" in English, "7 dic 2026" in Spanish, "7. Dez. 2026" in German; "3.5" and
"3,5". Pure functions of their argument and the current language (content/languages.py).
"""

from __future__ import annotations

from datetime import date, datetime, time

from babel.dates import format_skeleton, format_time
from babel.numbers import format_decimal

from content.languages import locale


def day(value: date) -> str:
    """A date with the month's short name: "7 Dec 2026"."""
    return format_skeleton("yMMMd", value, locale=locale())


def day_and_month(value: date) -> str:
    """ "7 Dec", for a chart's axis."""
    return format_skeleton("MMMd", value, locale=locale())


def clock(value: time | datetime) -> str:
    """A wall-clock time the local way: "07:30" (English here is British: 24-hour)."""
    return format_time(value, format="short", locale=locale())


def day_and_clock(value: datetime) -> str:
    return f"{day(value.date())}, {clock(value)}"


def one_decimal(value: float) -> str:
    """ "3.5", "3,5": always one decimal, so averages line up."""
    # Rounded as Python rounds (3.45 -> 3.5) before Babel writes it, which would round half-even.
    return format_decimal(float(f"{value:.1f}"), format="0.0", locale=locale())
