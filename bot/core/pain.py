"""Pain ratings on the 0-10 scale: reading them, and what they say over time.

One session's before/after drop is within measurement error, so progress is judged on
weekly averages against the person's first week (Farrar 2001; Ostelo 2008): "improved"
only when the drop is at least 2 points and 30% and holds in two weeks in a row;
"worse" when the latest week is 2 points up. Weeks are counted from the person's first
rating, on the calendar of their own time zone, so the first week is a full week
whatever weekday they start and a daylight-saving change never moves a rating.

A rating taken when something hurts maps to a traffic light (Silbernagel's
pain-monitoring model, used as guidance): 0-3 fine, 4-5 ease off, 6+ stop.
Every threshold comes from routines.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from functools import cache
from itertools import pairwise

from content import languages
from content.loader import cached
from content.schema.stretches import PainRules, RoutineFile
from content.schema.typed_words import plain, typed_words

SCALE_MAX = 10
# Float averages: 6.6666 - 4.6666 must still count as a 2-point drop.
TOLERANCE = 1e-9

# Keycap digits ("3️⃣") carry two invisible marks after the digit.
_KEYCAP_MARKS = str.maketrans("", "", "\ufe0f\u20e3")
_TOKEN = re.compile(r"[a-z']+|\d+|\S")
_IGNORED_MARKS = frozenset(".,!?~:")


@dataclass(frozen=True)
class _PainWords:
    numbers: dict[str, int]
    none: frozenset[str]
    fillers: frozenset[str]
    out_of_ten: re.Pattern[str]


@cache
def _words(language: str) -> _PainWords:
    """English's and ``language``'s words (content/typed_words.yaml): the numbers 0-10,
    "no pain", and the words people wrap a number in ("I'd say about a 6 today")."""
    typed = typed_words(language)
    numbers = {word: value for value, words in enumerate(typed.pain_numbers) for word in words}
    number = r"\d+|" + "|".join(re.escape(word) for word in sorted(numbers, key=len, reverse=True))
    ten = "|".join(re.escape(word) for word in typed.pain_numbers[SCALE_MAX])
    out_of = "|".join(re.escape(word) for word in typed.out_of)
    return _PainWords(
        numbers=numbers,
        none=frozenset(typed.no_pain),
        fillers=frozenset(typed.pain_fillers),
        out_of_ten=re.compile(rf"\b({number})\s*(?:/|{out_of})\s*(?:10|{ten})\b"),
    )


def parse_pain(text: str) -> int | None:
    """A 0-10 rating from what someone typed, or None when it is not one clear whole number.

    "7", "7/10", " 7 ", "seven", "pain 7", "about 5", "none" are read, and the same in the
    person's language ("siete", "7 von 10"); "77", "11", "-1", "6-7", "7 or 8" and decimals
    such as "7.5" are not (the bot asks again: the scale is whole numbers and rounding would
    put words in the person's mouth).
    """
    words = _words(languages.current())
    cleaned = plain(text.strip()).translate(_KEYCAP_MARKS)
    if " ".join(cleaned.split()) in words.none:
        return 0
    cleaned = words.out_of_ten.sub(r"\1", cleaned)
    values: list[int] = []
    for token in _TOKEN.findall(cleaned):
        if token.isdigit():
            values.append(int(token))
        elif token in words.numbers:
            values.append(words.numbers[token])
        elif token not in words.fillers and token not in _IGNORED_MARKS:
            return None
    if len(values) != 1 or not 0 <= values[0] <= SCALE_MAX:
        return None
    return values[0]


class RatingKind(StrEnum):
    BEFORE = "before"  # at the start of a session
    AFTER = "after"  # at the end of a session
    HURT = "hurt"  # after pressing "this hurts"
    CHECK_IN = "check_in"  # asked outside a session


# The person's usual pain: ratings right after stretching or during a hurt are not.
USUAL_PAIN = frozenset({RatingKind.BEFORE, RatingKind.CHECK_IN})


@dataclass(frozen=True)
class Rating:
    at: datetime  # timezone-aware
    value: int
    kind: RatingKind


@dataclass(frozen=True)
class WeekAverage:
    number: int  # 1 is the person's first week, the baseline
    starts: date  # first day, in the person's zone
    average: float
    ratings: int


class TrendKind(StrEnum):
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    WORSE = "worse"
    TOO_EARLY = "too_early"


@dataclass(frozen=True)
class Trend:
    kind: TrendKind
    baseline: float | None
    latest: float | None  # the latest week that counts
    weeks: tuple[WeekAverage, ...]

    @property
    def change(self) -> float | None:
        """Latest week minus baseline: negative is less pain."""
        if self.baseline is None or self.latest is None:
            return None
        return self.latest - self.baseline


class HurtAdvice(StrEnum):
    """What to do when a stretch hurts; session texts are keyed by these values."""

    FINE = "fine"
    EASE_OFF = "ease_off"
    STOP = "stop"


def pain_rules() -> PainRules:
    return cached(RoutineFile, "routines.yaml").pain


def local_day(moment: datetime, tz: tzinfo) -> date:
    """The calendar day of ``moment`` where the person lives."""
    if moment.tzinfo is None:
        # astimezone() would silently read a naive time as the server's local time.
        raise ValueError(f"timestamp {moment} has no time zone")
    return moment.astimezone(tz).date()


def weekly_averages(
    ratings: Iterable[Rating], tz: tzinfo, *, kinds: frozenset[RatingKind] = USUAL_PAIN
) -> tuple[WeekAverage, ...]:
    """Average of each 7-day week since the first rating; weeks without ratings are left out."""
    days = sorted((local_day(r.at, tz), r.value) for r in ratings if r.kind in kinds)
    if not days:
        return ()
    first = days[0][0]
    weeks: dict[int, list[int]] = {}
    for day, value in days:
        weeks.setdefault((day - first).days // 7, []).append(value)
    return tuple(
        WeekAverage(
            number=index + 1,
            starts=first + timedelta(days=7 * index),
            average=sum(values) / len(values),
            ratings=len(values),
        )
        for index, values in sorted(weeks.items())
    )


def baseline(ratings: Iterable[Rating], tz: tzinfo) -> float | None:
    """The first week's average of usual pain (just the first ratings if that's all there is)."""
    weeks = weekly_averages(ratings, tz)
    return weeks[0].average if weeks else None


def trend(ratings: Iterable[Rating], tz: tzinfo, rules: PainRules | None = None) -> Trend:
    """How usual pain compares with the first week, by the rule in the module docstring."""
    rules = rules or pain_rules()
    weeks = weekly_averages(ratings, tz)
    if not weeks:
        return Trend(TrendKind.TOO_EARLY, None, None, weeks)
    base = weeks[0].average
    later = [w for w in weeks[1:] if w.ratings >= rules.min_ratings_per_week]
    if not later:
        return Trend(TrendKind.TOO_EARLY, base, None, weeks)
    latest = later[-1]

    def result(kind: TrendKind) -> Trend:
        return Trend(kind, base, latest.average, weeks)

    if latest.average - base >= rules.worse_points - TOLERANCE:
        return result(TrendKind.WORSE)
    if len(later) < rules.improvement_weeks:
        return result(TrendKind.TOO_EARLY)
    recent = later[-rules.improvement_weeks :]
    back_to_back = all(b.number == a.number + 1 for a, b in pairwise(recent))
    if back_to_back and all(_meaningful_drop(base, w.average, rules) for w in recent):
        return result(TrendKind.IMPROVED)
    return result(TrendKind.UNCHANGED)


def _meaningful_drop(base: float, week: float, rules: PainRules) -> bool:
    drop = base - week
    return (
        drop >= rules.improvement_points - TOLERANCE
        and drop >= base * rules.improvement_fraction - TOLERANCE
    )


def rise_against_baseline(
    ratings: Iterable[Rating], latest: int, tz: tzinfo, rules: PainRules | None = None
) -> bool:
    """True when ``latest`` is 2+ points above the baseline: time to run the safety check again."""
    rules = rules or pain_rules()
    base = baseline(ratings, tz)
    return base is not None and latest - base >= rules.rescreen_rise_points - TOLERANCE


def hurt_advice(value: int, rules: PainRules | None = None) -> HurtAdvice:
    """The traffic light for a rating given when a stretch hurts."""
    if not 0 <= value <= SCALE_MAX:
        raise ValueError(f"pain rating {value} is not on the 0-10 scale")
    rules = rules or pain_rules()
    if value <= rules.fine_up_to:
        return HurtAdvice.FINE
    if value <= rules.ease_off_up_to:
        return HurtAdvice.EASE_OFF
    return HurtAdvice.STOP


def streak_days(completed_at: Iterable[datetime], tz: tzinfo, now: datetime) -> int:
    """Days in a row with a completed session, up to today (or yesterday: today is still open)."""
    days = {local_day(moment, tz) for moment in completed_at}
    day = local_day(now, tz)
    if day not in days:
        day -= timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak
