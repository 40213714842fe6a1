"""Reminder times: reading typed times and zones, due times across clock changes, and texts.

The clock-change tests use the 2026 transitions of three zones, one of them in the southern
hemisphere, and check by iterating next_due over the transition days that every day gets
exactly one reminder: none lost in the skipped hour, none doubled in the repeated hour.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.schedule import (
    EVERY_DAY,
    OFFERED_TIMES,
    SNOOZE_MINUTES,
    WEEKDAYS,
    ZoneChoice,
    after_missed,
    describe_days,
    format_time,
    local_date_label,
    local_display,
    missed_policy,
    next_due,
    offered_zones,
    parse_days,
    parse_time,
    parse_zone,
    should_stop_nagging,
    skip_today,
    snooze,
    zone_candidates,
    zone_catalogue,
    zone_of,
)
from content.loader import ContentError, load_file
from content.schema.texts import t, texts
from content.schema.timezones import ZoneCatalogue

CATALOGUE = zone_catalogue()
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(moment: datetime, zone_name: str) -> datetime:
    return moment.astimezone(zone_of(zone_name))


# --- parse_time ----------------------------------------------------------------------------

VALID_TIMES = [
    ("7:30", time(7, 30)),
    ("07:30", time(7, 30)),
    ("19:00", time(19, 0)),
    ("0:05", time(0, 5)),
    ("23:59", time(23, 59)),
    ("7.30", time(7, 30)),
    ("7pm", time(19, 0)),
    ("7 pm", time(19, 0)),
    ("7PM", time(19, 0)),
    ("7.30pm", time(19, 30)),
    ("7:30 pm", time(19, 30)),
    ("7:30 p.m.", time(19, 30)),
    ("6am", time(6, 0)),
    ("6 a.m.", time(6, 0)),
    ("19h", time(19, 0)),
    ("19h30", time(19, 30)),
    ("7h", time(7, 0)),
    ("1930", time(19, 30)),
    ("0730", time(7, 30)),
    ("noon", time(12, 0)),
    ("Midday", time(12, 0)),
    ("midnight", time(0, 0)),
    ("12am", time(0, 0)),
    ("12pm", time(12, 0)),
    ("12:30am", time(0, 30)),
    ("  8:15  ", time(8, 15)),
]

INVALID_TIMES = [
    "",
    "   ",
    "7",  # morning or evening? ask again
    "19",
    "730",
    "25:00",
    "24:00",
    "7:60",
    "7:5",
    "13pm",
    "0am",
    "19:00pm",
    "7h30pm",
    "2400",
    "seven",
    "tomorrow",
    "7:30:00",
    "-7:30",
]


@pytest.mark.parametrize(("text", "expected"), VALID_TIMES)
def test_parse_time_reads_what_people_type(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", INVALID_TIMES)
def test_parse_time_refuses_what_is_not_one_clear_time(text: str) -> None:
    assert parse_time(text) is None


TYPED_DAYS = [
    ("every day", EVERY_DAY), ("Daily", EVERY_DAY), ("weekdays", WEEKDAYS),
    ("Monday to Friday", WEEKDAYS), ("weekends", frozenset({5, 6})),
    ("Mon, Wed and Fri", frozenset({0, 2, 4})), ("tuesdays and thursdays", frozenset({1, 3})),
    ("on sunday", frozenset({6})),
]  # fmt: skip


@pytest.mark.parametrize(("text", "days"), TYPED_DAYS)
def test_parse_days_reads_what_people_type(text: str, days: frozenset[int]) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["", "tomorrow", "every other day", "we can do mornings"])
def test_parse_days_refuses_what_is_not_a_set_of_days(text: str) -> None:
    assert parse_days(text) is None


def test_offered_times_are_shown_on_a_24_hour_clock() -> None:
    assert [format_time(at) for at in OFFERED_TIMES] == [
        "07:00",
        "08:00",
        "12:00",
        "18:00",
        "20:00",
    ]


# --- parse_zone ----------------------------------------------------------------------------

IANA_TYPED = [
    ("Europe/Berlin", "Europe/Berlin", "Berlin"),
    ("europe/berlin", "Europe/Berlin", "Berlin"),
    ("EUROPE/BERLIN", "Europe/Berlin", "Berlin"),
    ("america/new york", "America/New_York", "New York"),
    ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires", "Buenos Aires"),
    ("asia/kathmandu", "Asia/Kathmandu", "Kathmandu"),
    ("Pacific/Chatham", "Pacific/Chatham", "Chatham"),
    # Not in the catalogue: found by the place part of the IANA name.
    ("Ulaanbaatar", "Asia/Ulaanbaatar", "Ulaanbaatar"),
    ("noumea", "Pacific/Noumea", "Noumea"),
]


@pytest.mark.parametrize(("text", "name", "label"), IANA_TYPED)
def test_parse_zone_reads_iana_names_in_any_case(text: str, name: str, label: str) -> None:
    assert parse_zone(text, CATALOGUE) == ZoneChoice(name, label)


BRIEF_CITIES = [
    ("berlin", "Europe/Berlin"),
    ("new york", "America/New_York"),
    ("New York", "America/New_York"),
    ("sydney", "Australia/Sydney"),
    ("SAO PAULO", "America/Sao_Paulo"),
    ("são paulo", "America/Sao_Paulo"),
    ("St. Petersburg", "Europe/Moscow"),
    ("  mexico   city ", "America/Mexico_City"),
    ("india", "Asia/Kolkata"),
    ("EST", "America/New_York"),
    ("pst", "America/Los_Angeles"),
]


@pytest.mark.parametrize(("text", "zone"), BRIEF_CITIES)
def test_parse_zone_reads_cities_countries_and_abbreviations(text: str, zone: str) -> None:
    choice = parse_zone(text, CATALOGUE)
    assert choice is not None
    assert choice.name == zone


@pytest.mark.parametrize(("place", "zone"), sorted(CATALOGUE.places.items()))
def test_every_catalogue_place_is_understood_and_labelled_by_its_name(
    place: str, zone: str
) -> None:
    assert parse_zone(place, CATALOGUE) == ZoneChoice(zone, place)
    assert parse_zone(place.lower(), CATALOGUE) == ZoneChoice(zone, place)


@pytest.mark.parametrize(("alias", "entry"), sorted(CATALOGUE.aliases.items()))
def test_every_alias_is_understood_with_its_own_label(alias: str, entry: object) -> None:
    choice = parse_zone(alias, CATALOGUE)
    assert choice is not None
    assert (choice.name, choice.label) == (entry.zone, entry.label)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "entries"), sorted(CATALOGUE.ambiguous.items()))
def test_ambiguous_names_are_not_guessed_but_offered_as_candidates(
    name: str, entries: tuple[object, ...]
) -> None:
    assert parse_zone(name, CATALOGUE) is None
    assert parse_zone(name.lower(), CATALOGUE) is None
    candidates = zone_candidates(name.lower(), CATALOGUE)
    assert [(c.name, c.label) for c in candidates] == [
        (e.zone, e.label)  # type: ignore[attr-defined]
        for e in entries
    ]
    assert len({c.name for c in candidates}) >= 2


LABELS = sorted(
    {(e.label, e.zone) for e in CATALOGUE.offered}
    | {(e.label, e.zone) for entries in CATALOGUE.ambiguous.values() for e in entries}
)


@pytest.mark.parametrize(("label", "zone"), LABELS)
def test_a_button_label_typed_back_means_its_own_zone(label: str, zone: str) -> None:
    choice = parse_zone(label, CATALOGUE)
    assert choice is not None
    assert choice.name == zone


def test_portland_could_be_oregon_or_maine() -> None:
    assert parse_zone("portland", CATALOGUE) is None
    assert {c.name for c in zone_candidates("Portland", CATALOGUE)} == {
        "America/Los_Angeles",
        "America/New_York",
    }


def test_a_clear_name_has_no_candidates() -> None:
    assert zone_candidates("berlin", CATALOGUE) == ()
    assert zone_candidates("nowhere", CATALOGUE) == ()


OFFSETS = [
    ("UTC+2", "UTC+02:00", timedelta(hours=2)),
    ("utc+2", "UTC+02:00", timedelta(hours=2)),
    ("UTC +2", "UTC+02:00", timedelta(hours=2)),
    ("GMT-5", "UTC-05:00", timedelta(hours=-5)),
    ("gmt−5", "UTC-05:00", timedelta(hours=-5)),  # a typographic minus sign
    ("+05:30", "UTC+05:30", timedelta(hours=5, minutes=30)),
    ("+0530", "UTC+05:30", timedelta(hours=5, minutes=30)),
    ("utc+5:45", "UTC+05:45", timedelta(hours=5, minutes=45)),
    ("UTC-3:30", "UTC-03:30", timedelta(hours=-3, minutes=-30)),
    ("-09:30", "UTC-09:30", timedelta(hours=-9, minutes=-30)),
    ("UTC+12:45", "UTC+12:45", timedelta(hours=12, minutes=45)),
    ("UTC+14", "UTC+14:00", timedelta(hours=14)),
    ("UTC-12", "UTC-12:00", timedelta(hours=-12)),
    ("utc", "UTC", timedelta(0)),
    ("UTC+0", "UTC", timedelta(0)),
    ("GMT+00:00", "UTC", timedelta(0)),
    # POSIX-style IANA names count the other way: Etc/GMT-2 is two hours ahead.
    ("Etc/GMT-2", "UTC+02:00", timedelta(hours=2)),
    ("etc/gmt+5", "UTC-05:00", timedelta(hours=-5)),
]


@pytest.mark.parametrize(("text", "name", "offset"), OFFSETS)
def test_parse_zone_reads_utc_offsets_and_stores_them_readably(
    text: str, name: str, offset: timedelta
) -> None:
    choice = parse_zone(text, CATALOGUE)
    assert choice == ZoneChoice(name, name)
    assert zone_of(choice.name).utcoffset(None) == offset
    assert choice.is_fixed_offset


JUNK_ZONES = [
    "",
    "   ",
    "asdf",
    "Mars",
    "Europe/Atlantis",
    "5",
    "+",
    "UTC+15",
    "UTC-13",
    "UTC+5:20",
    "UTC+5:75",
    "north",  # the old tz name Australia/North must not turn a compass word into Darwin
    "localtime",  # the server's own zone is not a place
    "Factory",
    "EST5EDT",
    "7:30",
]


@pytest.mark.parametrize("text", JUNK_ZONES)
def test_parse_zone_refuses_junk(text: str) -> None:
    assert parse_zone(text, CATALOGUE) is None
    assert zone_candidates(text, CATALOGUE) == ()


def test_a_named_zone_follows_summer_time_and_an_offset_does_not() -> None:
    berlin = parse_zone("berlin", CATALOGUE)
    offset = parse_zone("UTC+1", CATALOGUE)
    assert berlin is not None and offset is not None
    assert not berlin.is_fixed_offset and offset.is_fixed_offset
    summer = utc(2026, 7, 1, 12)
    assert local_display(summer, berlin.name) == "14:00 (Europe/Berlin)"
    assert local_display(summer, offset.name) == "13:00 (UTC+01:00)"


def test_zone_of_refuses_unknown_names() -> None:
    for name in ["Europe/Atlantis", "UTC+5", "localtime", "", "../etc/passwd"]:
        with pytest.raises(ValueError):
            zone_of(name)


# --- the catalogue -------------------------------------------------------------------------


def test_offered_zones_cover_the_common_places() -> None:
    offered = offered_zones(CATALOGUE)
    assert 8 <= len(offered) <= 12
    names = {choice.name for choice in offered}
    assert {
        "Europe/London",
        "Europe/Berlin",
        "Asia/Kolkata",
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "Australia/Sydney",
    } <= names
    assert len({choice.label for choice in offered}) == len(offered)
    for choice in offered:
        assert zone_of(choice.name) == ZoneInfo(choice.name)


def test_every_catalogue_zone_loads() -> None:
    zones = set(CATALOGUE.places.values())
    zones |= {entry.zone for entry in CATALOGUE.aliases.values()}
    zones |= {entry.zone for entries in CATALOGUE.ambiguous.values() for entry in entries}
    for name in zones:
        assert zone_of(name).utcoffset(datetime(2026, 1, 1)) is not None


def _write_catalogue(folder: Path, places: str, ambiguous: str = "{}") -> None:
    (folder / "timezones.yaml").write_text(
        "offered:\n"
        + "".join(f"  - {{label: Z{i}, zone: Europe/Berlin}}\n" for i in range(8))
        + f"places: {places}\naliases: {{}}\nambiguous: {ambiguous}\n",
        encoding="utf-8",
    )


def test_a_misspelt_zone_fails_naming_the_entry(tmp_path: Path) -> None:
    _write_catalogue(tmp_path, "{Berlin: Europe/Berlin, Atlantis: Europe/Atlantis}")
    with pytest.raises(ContentError) as error:
        load_file(ZoneCatalogue, "timezones.yaml", tmp_path)
    assert "places.Atlantis" in str(error.value)
    assert "Europe/Atlantis" in str(error.value)


def test_a_name_listed_twice_fails(tmp_path: Path) -> None:
    _write_catalogue(
        tmp_path,
        "{Portland: America/Los_Angeles}",
        "{portland: [{label: a, zone: America/New_York}, {label: b, zone: Europe/London}]}",
    )
    with pytest.raises(ContentError, match="portland"):
        load_file(ZoneCatalogue, "timezones.yaml", tmp_path)


def test_an_ambiguous_name_needs_two_different_zones(tmp_path: Path) -> None:
    _write_catalogue(
        tmp_path,
        "{}",
        "{Paris: [{label: a, zone: Europe/Paris}, {label: b, zone: Europe/Paris}]}",
    )
    with pytest.raises(ContentError, match="Paris"):
        load_file(ZoneCatalogue, "timezones.yaml", tmp_path)


# --- next_due: weekdays --------------------------------------------------------------------

# Berlin in January is UTC+1, so 07:30 local is 06:30 UTC. 2026-01-05 is a Monday.
WEEKDAY_CASES = [
    ("Mon/Wed/Fri, before Monday's", {MON, WED, FRI}, utc(2026, 1, 5, 6), utc(2026, 1, 5, 6, 30)),
    (
        "exactly at Monday's: strictly after",
        {MON, WED, FRI},
        utc(2026, 1, 5, 6, 30),
        utc(2026, 1, 7, 6, 30),
    ),
    (
        "Friday after it: wraps to Monday",
        {MON, WED, FRI},
        utc(2026, 1, 9, 7),
        utc(2026, 1, 12, 6, 30),
    ),
    ("Sunday only, from a Monday", {SUN}, utc(2026, 1, 5, 12), utc(2026, 1, 11, 6, 30)),
    ("Monday only, just after: a week on", {MON}, utc(2026, 1, 5, 6, 31), utc(2026, 1, 12, 6, 30)),
    ("weekdays, from Friday evening", WEEKDAYS, utc(2026, 1, 9, 20), utc(2026, 1, 12, 6, 30)),
    ("every day, late evening", EVERY_DAY, utc(2026, 1, 7, 22), utc(2026, 1, 8, 6, 30)),
    ("every day, just before", EVERY_DAY, utc(2026, 1, 7, 6, 29), utc(2026, 1, 7, 6, 30)),
    ("new year wrap", {FRI}, utc(2025, 12, 31, 12), utc(2026, 1, 2, 6, 30)),
]


@pytest.mark.parametrize(
    ("days", "after", "expected"),
    [case[1:] for case in WEEKDAY_CASES],
    ids=[case[0] for case in WEEKDAY_CASES],
)
def test_next_due_picks_the_next_allowed_weekday(
    days: set[int], after: datetime, expected: datetime
) -> None:
    due = next_due(time(7, 30), frozenset(days), "Europe/Berlin", after)
    assert due == expected
    assert due.tzinfo == UTC


def test_weekdays_are_the_persons_local_weekdays_not_utc_ones() -> None:
    # Monday 19:00 in Los Angeles is already Tuesday in UTC; a Monday reminder at 20:00
    # is still due this Monday evening.
    after = utc(2026, 1, 6, 3)  # Mon 5 Jan 19:00 PST
    due = next_due(time(20, 0), frozenset({MON}), "America/Los_Angeles", after)
    assert due == utc(2026, 1, 6, 4)
    assert local(due, "America/Los_Angeles").weekday() == MON
    # Monday 08:00 in Tokyo is still Sunday in UTC; Monday's 07:00 has passed there.
    due = next_due(time(7, 0), frozenset({MON}), "Asia/Tokyo", utc(2026, 1, 4, 23))
    assert local(due, "Asia/Tokyo") == datetime(2026, 1, 12, 7, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_next_due_in_a_fixed_offset_zone() -> None:
    due = next_due(time(7, 0), EVERY_DAY, "UTC+05:30", utc(2026, 6, 1, 2))
    assert due == utc(2026, 6, 2, 1, 30)


def test_next_due_refuses_no_days_and_naive_times() -> None:
    with pytest.raises(ValueError):
        next_due(time(7), frozenset(), "Europe/Berlin", utc(2026, 1, 1))
    with pytest.raises(ValueError):
        next_due(time(7), frozenset({7}), "Europe/Berlin", utc(2026, 1, 1))
    with pytest.raises(ValueError):
        next_due(time(7), EVERY_DAY, "Europe/Berlin", datetime(2026, 1, 1))


# --- next_due: clock changes ---------------------------------------------------------------

# (zone, day the clocks go forward, a time inside the skipped hour, when it fires in UTC)
SPRING_FORWARD = [
    ("Europe/Berlin", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),  # 03:00 CEST
    ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),  # 03:00 EDT
    ("Australia/Sydney", date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 16, 0)),  # 03:00 AEDT
]
# (zone, day the clocks go back, a time inside the repeated hour, its first occurrence in UTC)
FALL_BACK = [
    ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),  # CEST
    ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),  # EDT
    ("Australia/Sydney", date(2026, 4, 5), time(2, 30), utc(2026, 4, 4, 15, 30)),  # AEDT
]


def _fires(
    at: time, zone_name: str, first_day: date, last_day: date, days: frozenset[int] = EVERY_DAY
) -> list[datetime]:
    """Every reminder from the start of first_day (local) to the end of last_day."""
    zone = zone_of(zone_name)
    moment = datetime.combine(first_day - timedelta(days=1), time(12), zone).astimezone(UTC)
    fired: list[datetime] = []
    while True:
        moment = next_due(at, days, zone_name, moment)
        if local(moment, zone_name).date() > last_day:
            return fired
        if local(moment, zone_name).date() >= first_day:
            fired.append(moment)


@pytest.mark.parametrize(("zone_name", "day", "at", "expected"), SPRING_FORWARD)
def test_a_time_the_clocks_skip_fires_when_they_land(
    zone_name: str, day: date, at: time, expected: datetime
) -> None:
    due = next_due(at, EVERY_DAY, zone_name, expected - timedelta(hours=12))
    assert due == expected
    assert local(due, zone_name).time() == time(3, 0)
    assert local(due, zone_name).date() == day
    # Around the change, the reminder keeps its local time on the days either side.
    fired = _fires(at, zone_name, day - timedelta(days=3), day + timedelta(days=3))
    assert [local(f, zone_name).date() for f in fired] == [
        day + timedelta(days=n) for n in range(-3, 4)
    ]
    assert [local(f, zone_name).time() for f in fired] == [at] * 3 + [time(3, 0)] + [at] * 3


@pytest.mark.parametrize(("zone_name", "day", "at", "first"), FALL_BACK)
def test_a_time_that_happens_twice_fires_once_at_the_first(
    zone_name: str, day: date, at: time, first: datetime
) -> None:
    fired = _fires(at, zone_name, day - timedelta(days=3), day + timedelta(days=3))
    on_the_day = [f for f in fired if local(f, zone_name).date() == day]
    assert on_the_day == [first]
    assert local(first, zone_name).fold == 0
    # Asking again from the first occurrence, or from inside the repeated hour, moves on
    # to the next day: the second occurrence never fires.
    second = first + timedelta(hours=1)
    assert local(second, zone_name).time() == at and local(second, zone_name).fold == 1
    tomorrow = next_due(at, EVERY_DAY, zone_name, first)
    assert next_due(at, EVERY_DAY, zone_name, first + timedelta(minutes=30)) == tomorrow
    assert local(tomorrow, zone_name).date() == day + timedelta(days=1)
    assert len(fired) == len(set(fired)) == 7


def _clock_change_days(zone_name: str, year: int) -> list[date]:
    """Local days whose noon offset differs from the day before's: the clock-change days."""
    zone = ZoneInfo(zone_name)
    day, changes = date(year, 1, 1), []
    while day.year == year:
        today = datetime.combine(day, time(12), zone).utcoffset()
        yesterday = datetime.combine(day - timedelta(days=1), time(12), zone).utcoffset()
        if today != yesterday:
            changes.append(day)
        day += timedelta(days=1)
    return changes


def _exists(day: date, at: time, zone_name: str) -> bool:
    wall = datetime.combine(day, at, ZoneInfo(zone_name))
    return wall.astimezone(UTC).astimezone(wall.tzinfo).replace(tzinfo=None) == wall.replace(
        tzinfo=None
    )


SWEEP_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # clocks move by half an hour
    "America/Santiago",  # clocks change at midnight
]
QUARTER_HOURS = [time(minute // 60, minute % 60) for minute in range(0, 24 * 60, 15)]


@pytest.mark.parametrize("zone_name", SWEEP_ZONES)
def test_every_day_gets_exactly_one_reminder_across_clock_changes(zone_name: str) -> None:
    change_days = _clock_change_days(zone_name, 2026)
    assert len(change_days) == 2
    for change in change_days:
        first, last = change - timedelta(days=2), change + timedelta(days=2)
        for at in QUARTER_HOURS:
            fired = _fires(at, zone_name, first, last)
            days = [local(f, zone_name).date() for f in fired]
            assert days == [first + timedelta(days=n) for n in range(5)], (zone_name, at)
            for day, due in zip(days, fired, strict=True):
                if _exists(day, at, zone_name):
                    assert local(due, zone_name).time() == at, (zone_name, day, at)
                else:
                    # Skipped by the clocks: fires at the jump itself, later the same day.
                    before_jump = local(due - timedelta(seconds=1), zone_name).utcoffset()
                    assert before_jump != local(due, zone_name).utcoffset()
                    assert local(due, zone_name).time() > at


ODD_ZONES = [*SWEEP_ZONES, "Asia/Kolkata", "Pacific/Chatham", "UTC", "UTC-03:30"]


@settings(max_examples=300, deadline=None)
@given(
    zone_name=st.sampled_from(ODD_ZONES),
    at=st.times(),
    days=st.frozensets(st.integers(0, 6), min_size=1),
    after=st.datetimes(datetime(2000, 1, 1), datetime(2037, 12, 31), timezones=st.just(UTC)),
)
def test_next_due_is_soon_after_on_an_allowed_day_and_once_a_day(
    zone_name: str, at: time, days: frozenset[int], after: datetime
) -> None:
    due = next_due(at, days, zone_name, after)
    assert after < due <= after + timedelta(days=8)
    assert local(due, zone_name).weekday() in days
    following = next_due(at, days, zone_name, due)
    assert local(following, zone_name).date() > local(due, zone_name).date()


# --- late, snoozed, skipped, paused --------------------------------------------------------

DUE = utc(2026, 3, 2, 6, 30)  # Monday 07:30 in Berlin

MISSED_CASES = [
    (timedelta(0), "send"),
    (timedelta(minutes=1), "send"),
    (timedelta(minutes=59), "send"),
    (timedelta(minutes=60), "skip"),
    (timedelta(minutes=61), "skip"),
    (timedelta(days=2), "skip"),
]


@pytest.mark.parametrize(("late", "expected"), MISSED_CASES)
def test_a_late_reminder_is_sent_within_the_hour_else_skipped(
    late: timedelta, expected: str
) -> None:
    assert missed_policy(DUE, DUE + late) == expected


def test_missed_grace_can_be_set() -> None:
    assert missed_policy(DUE, DUE + timedelta(minutes=20), grace=timedelta(minutes=15)) == "skip"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (DUE + timedelta(minutes=61), utc(2026, 3, 3, 6, 30)),  # later that day: tomorrow
        (utc(2026, 3, 4, 5), utc(2026, 3, 4, 6, 30)),  # down two days: today's is still ahead
        (utc(2026, 3, 4, 9), utc(2026, 3, 5, 6, 30)),
    ],
)
def test_after_a_skipped_late_reminder_the_next_one_still_ahead(
    now: datetime, expected: datetime
) -> None:
    nxt = after_missed(DUE, now, time(7, 30), EVERY_DAY, "Europe/Berlin")
    assert nxt == expected
    assert missed_policy(nxt, nxt) == "send"


BERLIN, LOS_ANGELES = "Europe/Berlin", "America/Los_Angeles"
SKIP_CASES = [
    pytest.param(
        EVERY_DAY, BERLIN, utc(2026, 3, 2, 5), utc(2026, 3, 3, 6, 30), id="before today's"
    ),
    pytest.param(EVERY_DAY, BERLIN, utc(2026, 3, 2, 9), utc(2026, 3, 3, 6, 30), id="after today's"),
    pytest.param(WEEKDAYS, BERLIN, utc(2026, 3, 6, 5), utc(2026, 3, 9, 6, 30), id="Fri to Mon"),
    pytest.param(
        frozenset({MON, THU}), BERLIN, utc(2026, 3, 2, 5), utc(2026, 3, 5, 6, 30), id="Mon to Thu"
    ),
    # 20:00 Monday in Los Angeles is Tuesday in UTC; tomorrow is Tuesday there, not Wednesday.
    pytest.param(
        EVERY_DAY, LOS_ANGELES, utc(2026, 3, 3, 4), utc(2026, 3, 3, 15, 30), id="evening in LA"
    ),
]


@pytest.mark.parametrize(("days", "zone_name", "now", "expected"), SKIP_CASES)
def test_skip_today_moves_to_the_next_allowed_day_from_tomorrow(
    days: frozenset[int], zone_name: str, now: datetime, expected: datetime
) -> None:
    assert skip_today(time(7, 30), days, zone_name, now) == expected


def test_skip_today_skips_the_day_a_late_reminder_was_for() -> None:
    # A 23:50 reminder tapped "Skip today" ten minutes after midnight: passing its due time
    # skips to tomorrow's (Tuesday's) rather than the one that day (Monday's).
    due = utc(2026, 3, 2, 22, 50)  # Monday 23:50 in Berlin
    assert skip_today(time(23, 50), EVERY_DAY, "Europe/Berlin", due) == utc(2026, 3, 3, 22, 50)


def test_snooze_brings_the_reminder_back_in_half_an_hour() -> None:
    now = utc(2026, 3, 2, 6, 30)
    assert snooze(now) == utc(2026, 3, 2, 7, 0)
    assert snooze(now, minutes=10) == utc(2026, 3, 2, 6, 40)
    berlin_now = now.astimezone(ZoneInfo("Europe/Berlin"))
    assert snooze(berlin_now).tzinfo == UTC
    assert snooze(berlin_now) == utc(2026, 3, 2, 7, 0)
    with pytest.raises(ValueError):
        snooze(now, minutes=0)
    with pytest.raises(ValueError):
        snooze(datetime(2026, 3, 2, 6, 30))


NAGGING_CASES = [
    # (unanswered reminders, days without a session, pause?)
    (0, 0, False),
    (2, 2, False),
    (2, 3, False),  # only two reminders went out in those days (say, Mon/Thu reminders)
    (3, 2, False),  # snoozes on one day are not three days
    (3, 3, True),
    (4, 5, True),
    (1, 7, False),  # a once-a-week reminder is not paused after one try
    (10, 1, False),
]


@pytest.mark.parametrize(("reminders", "days", "pause"), NAGGING_CASES)
def test_reminders_pause_after_three_days_without_a_session(
    reminders: int, days: int, pause: bool
) -> None:
    assert should_stop_nagging(reminders, days) is pause


def test_stop_nagging_refuses_negative_counts() -> None:
    with pytest.raises(ValueError):
        should_stop_nagging(-1, 3)


# --- what the person reads -----------------------------------------------------------------

DISPLAY_CASES = [
    (utc(2026, 1, 5, 6, 30), "Europe/Berlin", "07:30 (Europe/Berlin)"),
    (utc(2026, 7, 6, 5, 30), "Europe/Berlin", "07:30 (Europe/Berlin)"),
    (utc(2026, 7, 6, 11, 30), "America/New_York", "07:30 (America/New_York)"),
    (utc(2026, 7, 6, 2, 0), "UTC+05:30", "07:30 (UTC+05:30)"),
    (utc(2026, 7, 6, 7, 30), "UTC", "07:30 (UTC)"),
]


@pytest.mark.parametrize(("moment", "zone_name", "shown"), DISPLAY_CASES)
def test_local_display_shows_the_persons_clock(
    moment: datetime, zone_name: str, shown: str
) -> None:
    assert local_display(moment, zone_name) == shown


def test_local_date_label_uses_the_persons_date() -> None:
    assert local_date_label(utc(2026, 11, 24, 6, 30), "Europe/Berlin") == "Tue 24 Nov"
    # 20:00 UTC on Monday is already Tuesday morning in Sydney.
    assert local_date_label(utc(2026, 11, 23, 20), "Australia/Sydney") == "Tue 24 Nov"


DAYS_CASES = [
    (EVERY_DAY, "every day"),
    (WEEKDAYS, "on weekdays"),
    (frozenset({MON, WED, FRI}), "on Mon, Wed and Fri"),
    (frozenset({SAT, SUN}), "on Sat and Sun"),
    (frozenset({TUE}), "on Tue"),
    (frozenset({SUN, MON}), "on Mon and Sun"),
]


@pytest.mark.parametrize(("days", "described"), DAYS_CASES)
def test_describe_days(days: frozenset[int], described: str) -> None:
    assert describe_days(days) == described


def test_the_confirmation_reads_as_one_sentence() -> None:
    due = next_due(time(7, 30), EVERY_DAY, "Europe/Berlin", utc(2026, 11, 23, 12))
    text = t(
        "reminders.confirm",
        days=describe_days(EVERY_DAY),
        time=format_time(time(7, 30)),
        zone=parse_zone("berlin", CATALOGUE).label,  # type: ignore[union-attr]
        next_date=local_date_label(due, "Europe/Berlin"),
    )
    assert "every day at <b>07:30</b>, Berlin time." in text
    assert "Next one: Tue 24 Nov." in text


REMINDER_KEYS = [
    "reminders.time.ask",
    "reminders.time.not_understood",
    "reminders.days.ask",
    "reminders.days.button.every_day",
    "reminders.days.button.weekdays",
    "reminders.days.button.custom",
    "reminders.zone.ask",
    "reminders.zone.not_understood",
    "reminders.zone.which_one",
    "reminders.confirm",
    "reminders.nudge",
    "reminders.button.start",
    "reminders.button.snooze",
    "reminders.button.skip",
    "reminders.button.change",
    "reminders.button.off",
    "reminders.snoozed",
    "reminders.skipped",
    "reminders.paused",
    "reminders.off",
]
REMINDER_TEXTS = {key: text for key, text in texts().items() if key.startswith("reminders.")}


@pytest.mark.parametrize("key", REMINDER_KEYS)
def test_every_reminder_message_is_written(key: str) -> None:
    assert REMINDER_TEXTS[key].strip()


@pytest.mark.parametrize("key", sorted(REMINDER_TEXTS))
def test_reminder_texts_use_only_bold_and_italic(key: str) -> None:
    tags = re.findall(r"</?([a-zA-Z]+)[^>]*>", REMINDER_TEXTS[key])
    assert set(tags) <= {"b", "i"}
    assert "&" not in REMINDER_TEXTS[key]


def test_buttons_are_short_and_snooze_says_how_long() -> None:
    for key, text in REMINDER_TEXTS.items():
        if ".button." in key:
            assert len(text) <= 20, key
    assert str(SNOOZE_MINUTES) in t("reminders.button.snooze")


def test_the_pause_message_says_why_and_how_to_turn_back_on() -> None:
    text = t("reminders.paused", days=3)
    assert "3 days" in text and "/reminders" in text
    assert "/reminders" in t("reminders.off")


def _examples(key: str) -> list[str]:
    return re.findall(r"<b>([^<]+)</b>", REMINDER_TEXTS[key])


@pytest.mark.parametrize("key", ["reminders.time.ask", "reminders.time.not_understood"])
def test_the_time_examples_we_show_are_understood(key: str) -> None:
    examples = _examples(key)
    assert len(examples) >= 2
    for example in examples:
        assert parse_time(example) is not None, example


@pytest.mark.parametrize("key", ["reminders.zone.ask", "reminders.zone.not_understood"])
def test_the_zone_examples_we_show_are_understood(key: str) -> None:
    examples = _examples(key)
    assert len(examples) >= 2
    for example in examples:
        assert parse_zone(example, CATALOGUE) is not None, example
