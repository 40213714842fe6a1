"""Pain ratings: reading what people type, weekly trends, streaks and the hurt traffic light."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.pain import (
    HurtAdvice,
    Rating,
    RatingKind,
    TrendKind,
    baseline,
    hurt_advice,
    parse_pain,
    rise_against_baseline,
    streak_days,
    trend,
    weekly_averages,
)
from content.schema.texts import load_texts

BERLIN = ZoneInfo("Europe/Berlin")
# A Monday; Berlin's clocks go forward on Sunday 30 March 2025.
FIRST_DAY = date(2025, 3, 24)

# --- Reading a typed rating -------------------------------------------------------------------

PARSE_TABLE = [
    ("7", 7),
    ("7/10", 7),
    (" 7 ", 7),
    ("7 / 10", 7),
    ("7 out of 10", 7),
    ("10/10", 10),
    ("seven", 7),
    ("Seven!", 7),
    ("pain 7", 7),
    ("about 5", 5),
    ("I'd say a 4 today", 4),
    ("my pain is 3", 3),
    ("0", 0),
    ("zero", 0),
    ("none", 0),
    ("no pain", 0),
    ("ten", 10),
    ("7.", 7),
    ("7ish", 7),
    ("still 6", 6),
    ("about 3 I think", 3),
    ("feeling 4 this morning", 4),
    ("3\ufe0f\u20e3", 3),  # the keycap emoji
    # Not one clear whole number on the scale: the bot asks again rather than guess.
    ("77", None),
    ("11", None),
    ("-1", None),
    ("7.5", None),
    ("7,5", None),
    ("6-7", None),
    ("7 or 8", None),
    ("7/5", None),
    ("not sure", None),
    ("no", None),
    ("", None),
    ("it hurts since 3 days, maybe 6", None),
    ("not 6", None),
    ("6 but 8 when i bend", None),
]


@pytest.mark.parametrize(("text", "value"), PARSE_TABLE)
def test_parse_pain(text: str, value: int | None) -> None:
    assert parse_pain(text) == value


# --- Weekly trends ----------------------------------------------------------------------------


def at(day: date, hour: int = 9, minute: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def weeks(*per_week: list[int], kind: RatingKind = RatingKind.BEFORE) -> list[Rating]:
    """Ratings week by week from FIRST_DAY, one a day; an empty list is a week with none."""
    return [
        Rating(at(FIRST_DAY + timedelta(weeks=n, days=i)), value, kind)
        for n, values in enumerate(per_week)
        for i, value in enumerate(values)
    ]


TREND_TABLE = [
    # weekly ratings, expected trend
    ([], TrendKind.TOO_EARLY),
    ([[6, 6, 5]], TrendKind.TOO_EARLY),
    # Down 2 points and 33% for one week only: not yet held.
    ([[6, 6], [4, 4]], TrendKind.TOO_EARLY),
    ([[6, 6], [4, 4], [4, 3]], TrendKind.IMPROVED),
    ([[4, 4], [2, 2], [2, 2]], TrendKind.IMPROVED),
    ([[8, 8], [5, 5], [5, 6]], TrendKind.IMPROVED),
    # Exactly 2 points down, though 11/3 - 5/3 is 1.9999999999999998 in floats.
    ([[3, 4, 4], [2, 2, 1], [2, 2, 1]], TrendKind.IMPROVED),
    # Exactly 2 points and 30% of a 6.67 baseline.
    ([[7, 7, 6], [5, 5, 4], [5, 5, 4]], TrendKind.IMPROVED),
    # Drop did not hold in the second week.
    ([[6, 6], [4, 4], [5, 5]], TrendKind.UNCHANGED),
    # 2 points but only 25%.
    ([[8, 8], [6, 6], [6, 6]], TrendKind.UNCHANGED),
    # 30% but under 2 points.
    ([[3, 3], [1, 2], [1, 2]], TrendKind.UNCHANGED),
    # Weeks with the drop are not back to back.
    ([[6, 6], [4, 4], [], [4, 4]], TrendKind.UNCHANGED),
    # One good session is not improvement.
    ([[6, 6], [6, 6], [6, 2]], TrendKind.UNCHANGED),
    ([[6, 6], [2]], TrendKind.TOO_EARLY),
    # A week with a single rating is one session: it does not confirm anything.
    ([[6, 6], [4, 4], [2]], TrendKind.TOO_EARLY),
    ([[3, 3], [4, 4], [4, 5]], TrendKind.UNCHANGED),
    # Worse needs just one week: it is a safety signal.
    ([[3, 3], [5, 5]], TrendKind.WORSE),
    ([[6, 6], [3, 3], [8, 8]], TrendKind.WORSE),
]


@pytest.mark.parametrize(("per_week", "kind"), TREND_TABLE)
def test_trend(per_week: list[list[int]], kind: TrendKind) -> None:
    assert trend(weeks(*per_week), BERLIN).kind is kind


def test_trend_reports_baseline_latest_and_change() -> None:
    result = trend(weeks([6, 6], [4, 4], [3, 3]), BERLIN)
    assert (result.baseline, result.latest, result.change) == (6, 3, -3)


def test_pain_right_after_stretching_is_not_usual_pain() -> None:
    before = weeks([6, 6], [6, 6], [6, 6])
    after = weeks([6, 6], [1, 1], [1, 1], kind=RatingKind.AFTER)
    hurt = weeks([6, 6], [9, 9], [9, 9], kind=RatingKind.HURT)
    assert trend([*before, *after, *hurt], BERLIN).kind is TrendKind.UNCHANGED


def test_check_ins_count_as_usual_pain() -> None:
    ratings = weeks([6, 6], [4, 4], [4, 4], kind=RatingKind.CHECK_IN)
    assert trend(ratings, BERLIN).kind is TrendKind.IMPROVED


def test_weeks_follow_the_local_calendar_across_the_clock_change() -> None:
    ratings = [
        Rating(at(FIRST_DAY, 0, 30), 6, RatingKind.BEFORE),
        # Sunday night, after the clocks went forward: still week 1.
        Rating(at(date(2025, 3, 30), 23, 30), 6, RatingKind.BEFORE),
        # Monday 00:30 local is not yet 7 x 24 h after Monday 00:00 of the first week,
        # but it is a new calendar week where the person lives.
        Rating(at(date(2025, 3, 31), 0, 30), 2, RatingKind.BEFORE),
    ]
    result = weekly_averages(ratings, BERLIN)
    assert [(w.number, w.starts, w.average, w.ratings) for w in result] == [
        (1, date(2025, 3, 24), 6, 2),
        (2, date(2025, 3, 31), 2, 1),
    ]


def test_the_persons_zone_decides_the_week() -> None:
    first = datetime(2025, 3, 24, 12, 0, tzinfo=UTC)
    late = datetime(2025, 3, 30, 23, 30, tzinfo=UTC)  # Monday morning in Tokyo
    ratings = [Rating(first, 5, RatingKind.BEFORE), Rating(late, 3, RatingKind.BEFORE)]
    assert len(weekly_averages(ratings, ZoneInfo("America/New_York"))) == 1
    assert len(weekly_averages(ratings, ZoneInfo("Asia/Tokyo"))) == 2


def test_timestamps_without_a_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        weekly_averages([Rating(datetime(2025, 3, 24, 9), 5, RatingKind.BEFORE)], BERLIN)


def test_baseline_is_the_first_weeks_average() -> None:
    assert baseline(weeks([6, 5, 4], [1, 1]), BERLIN) == 5
    assert baseline(weeks([7]), BERLIN) == 7
    assert baseline([], BERLIN) is None


@pytest.mark.parametrize(("latest", "rescreen"), [(5, True), (9, True), (4, False), (1, False)])
def test_a_rise_of_two_against_baseline_asks_for_a_rescreen(latest: int, rescreen: bool) -> None:
    assert rise_against_baseline(weeks([3, 3], [2]), latest, BERLIN) is rescreen


def test_no_baseline_no_rescreen_trigger() -> None:
    assert rise_against_baseline([], 10, BERLIN) is False


# --- Streaks and this week ----------------------------------------------------------------------

NOW = at(date(2025, 3, 31), 8, 0)  # Monday morning, just after the clock change


@pytest.mark.parametrize(
    ("sessions", "streak"),
    [
        ([], 0),
        ([at(date(2025, 3, 28), 19), at(date(2025, 3, 29), 19), at(date(2025, 3, 30), 19)], 3),
        ([at(date(2025, 3, 29), 19), at(date(2025, 3, 30), 19), at(date(2025, 3, 31), 7)], 3),
        # Two sessions on one day count as one day.
        ([at(date(2025, 3, 30), 9), at(date(2025, 3, 30), 19)], 1),
        # A missed day breaks it.
        ([at(date(2025, 3, 27), 19), at(date(2025, 3, 29), 19), at(date(2025, 3, 30), 19)], 2),
        # Nothing yesterday or today: the streak is over.
        ([at(date(2025, 3, 28), 19), at(date(2025, 3, 29), 19)], 0),
        # 00:30 local on Monday is Sunday in UTC, but today for the person.
        ([at(date(2025, 3, 31), 0, 30)], 1),
    ],
)
def test_streak_days(sessions: list[datetime], streak: int) -> None:
    assert streak_days(sessions, BERLIN, NOW) == streak


# --- The hurt traffic light ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "advice"),
    [(v, HurtAdvice.FINE) for v in range(4)]
    + [(v, HurtAdvice.EASE_OFF) for v in (4, 5)]
    + [(v, HurtAdvice.STOP) for v in range(6, 11)],
)
def test_hurt_traffic_light(value: int, advice: HurtAdvice) -> None:
    assert hurt_advice(value) is advice


@pytest.mark.parametrize("value", [-1, 11])
def test_hurt_rating_off_the_scale_is_refused(value: int) -> None:
    with pytest.raises(ValueError, match="0-10"):
        hurt_advice(value)


@pytest.mark.parametrize("advice", list(HurtAdvice))
def test_every_traffic_light_has_advice_text(advice: HurtAdvice) -> None:
    assert load_texts()[f"session.hurt.advice.{advice.value}"]
