"""When a person's daily reminder is due, and reading the time and zone they type.

A reminder is a local wall-clock time, a set of weekdays (0 = Monday) and a zone name.
Every due moment is computed from those three as an aware UTC datetime, so a clock change
moves the UTC instant and never the local time the person chose. Two clock-change rules:

- a time the clocks skip that day (02:30 on spring-forward day) fires at the first instant
  after the jump (03:00 local);
- a time that happens twice (the repeated hour on fall-back day) fires once, at its first
  occurrence.

Telegram never tells a bot a person's time zone, so people pick one from a few buttons or
type a city, an IANA name or a UTC offset; :func:`parse_zone` turns that into a
:class:`ZoneChoice` whose ``name`` is what gets stored and :func:`zone_of` reads back.
Fixed offsets are stored as ``"UTC+05:30"`` (not ``Etc/GMT-5``, whose sign is inverted and
which cannot hold half hours), and plain UTC as ``"UTC"``.

Pure: the current time is always passed in (``now``/``after``, aware datetimes); the only
reads are the content files and the system tz database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from content import languages
from content.languages import localised
from content.schema.texts import t
from content.schema.timezones import ZoneCatalogue, known_zone_names, place_key
from content.schema.typed_words import typed_words

EVERY_DAY: frozenset[int] = frozenset(range(7))
WEEKDAYS: frozenset[int] = frozenset(range(5))

# The times offered as buttons; anything else is typed and read by parse_time.
OFFERED_TIMES: tuple[time, ...] = (time(7), time(8), time(12), time(18), time(20))

SNOOZE_MINUTES = 30
# A reminder more than this late (the bot was down) is skipped rather than sent.
MISSED_GRACE = timedelta(hours=1)
# Reminders pause after this many unanswered reminders over this many days without a session.
PAUSE_AFTER_REMINDERS = 3
PAUSE_AFTER_DAYS = 3


@dataclass(frozen=True)
class ZoneChoice:
    """A zone a person picked: ``name`` is stored, ``label`` reads "07:30, <label> time"."""

    name: str
    label: str

    @property
    def is_fixed_offset(self) -> bool:
        """True for "UTC+02:00"-style choices, which do not follow summer time."""
        return self.name.startswith("UTC")


# --- reading a typed time ------------------------------------------------------------------

_TIME_WORDS = {"noon": time(12), "midday": time(12), "midnight": time(0)}
_CLOCK = re.compile(
    r"(?P<hour>[0-9]{1,2})"
    r"(?:(?P<sep>[:.h])(?P<minute>[0-9]{2}))?"
    r"\s*(?P<suffix>am|pm|h|uhr)?"
)
# "at 7pm", "a las 19:00", "um 19 Uhr": the little word before a time.
_AT = re.compile(r"^(?:at|a las|a la|sobre las|um|gegen) ")
_MILITARY = re.compile(r"(?P<hour>[0-9]{2})(?P<minute>[0-9]{2})")


def parse_time(text: str) -> time | None:
    """The time of day in ``text`` ("7:30", "19:00", "7pm", "7.30 pm", "19h", "19 Uhr",
    "a las 19:00", "noon"), or None.

    A bare number ("7") is refused: it could be morning or evening, and a reminder at the
    wrong end of the day is worse than asking again.
    """
    cleaned = " ".join(text.casefold().replace("a.m.", "am").replace("p.m.", "pm").split())
    cleaned = _AT.sub("", cleaned)
    if cleaned in _TIME_WORDS:
        return _TIME_WORDS[cleaned]
    if military := _MILITARY.fullmatch(cleaned):
        return _clock_time(int(military["hour"]), int(military["minute"]))
    clock = _CLOCK.fullmatch(cleaned)
    if clock is None:
        return None
    hour, minute = int(clock["hour"]), int(clock["minute"] or 0)
    sep, suffix = clock["sep"], clock["suffix"]
    if suffix in ("am", "pm"):
        if sep == "h" or not 1 <= hour <= 12:
            return None
        # 12am is midnight and 12pm is noon; other hours shift by 12 in the afternoon.
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif sep is None and suffix is None:
        return None
    return _clock_time(hour, minute)


# Names and the short forms people type (not "we", "th", "su": they are other words too).
_DAY_NAMES = (
    ("monday", "mon"),
    ("tuesday", "tue", "tues"),
    ("wednesday", "wed", "weds"),
    ("thursday", "thu", "thur", "thurs"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
)
_DAY_OF = {name: day for day, names in enumerate(_DAY_NAMES) for name in (*names, f"{names[0]}s")}


def parse_days(text: str) -> frozenset[int] | None:
    """The weekdays in ``text`` ("every day", "weekdays", "mon wed fri"), or None.

    English always, and the person's language too: its day names from CLDR ("miércoles",
    "Donnerstag"), and its words for every day, weekdays and the weekend from its texts.
    """
    day_of, day_sets, fillers = _typed_days(languages.current())
    words = re.findall(r"[a-z0-9]+", place_key(text))
    whole = " ".join(word for word in words if word not in ("please", "just", "only"))
    if whole in day_sets:
        return day_sets[whole]
    days = set()
    for word in words:
        if word in day_of:
            days.add(day_of[word])
        elif word not in fillers:
            return None
    return frozenset(days) or None


@cache
def _typed_days(
    language: str,
) -> tuple[Mapping[str, int], Mapping[str, frozenset[int]], frozenset[str]]:
    """English's day words with ``language``'s added: its day names from CLDR (through
    Babel) and its words for every day, weekdays and the weekend (content/typed_words.yaml)."""
    day_of = dict(_DAY_OF)
    if language != languages.SOURCE_LANGUAGE:
        locale = languages.babel_locale(language)
        for width in ("wide", "abbreviated"):
            for day, name in locale.days["format"][width].items():
                key = place_key(name).strip(".")
                if len(key) >= 3:  # "Mo", "Di": too short to be sure they mean a day
                    day_of.setdefault(key, day)
    typed = typed_words(language)
    day_sets: dict[str, frozenset[int]] = {}
    for days, phrases in (
        (EVERY_DAY, typed.every_day),
        (WEEKDAYS, typed.weekdays),
        (frozenset({5, 6}), typed.weekend),
    ):
        for phrase in phrases:
            day_sets.setdefault(" ".join(re.findall(r"[a-z0-9]+", place_key(phrase))), days)
    fillers = frozenset(word for phrase in typed.day_fillers for word in phrase.split())
    return day_of, day_sets, fillers


def _clock_time(hour: int, minute: int) -> time | None:
    return time(hour, minute) if hour < 24 and minute < 60 else None


def format_time(at: time) -> str:
    """A time as people read it in a 24-hour clock: "07:30"."""
    return f"{at.hour:02d}:{at.minute:02d}"


# --- reading a typed zone ------------------------------------------------------------------

_OFFSET = re.compile(
    r"(?P<prefix>etc/gmt|utc|gmt)?\s*"
    r"(?:(?P<sign>[+-])\s*(?P<hours>[0-9]{1,2})(?::?(?P<minutes>[0-9]{2}))?)?"
)
# Offsets in use run from UTC-12 to UTC+14, in whole, half and three-quarter hours.
_EARLIEST_OFFSET = timedelta(hours=-12)
_LATEST_OFFSET = timedelta(hours=14)
_STORED_OFFSET = re.compile(r"UTC(?P<sign>[+-])(?P<hours>[0-9]{2}):(?P<minutes>[0-9]{2})")
# Regions of the tz database whose last part is a place ("Asia/Kolkata" -> "Kolkata").
_PLACE_REGIONS = frozenset(
    "Africa America Antarctica Asia Atlantic Australia Europe Indian Pacific".split()
)
# Old tz names like "Australia/North" would make a compass word mean a city.
_NOT_PLACES = frozenset({"north", "south", "west", "east"})

_Named = ZoneChoice | tuple[ZoneChoice, ...]


def zone_catalogue() -> ZoneCatalogue:
    """The offered zones and known place names of content/timezones.yaml."""
    return localised(ZoneCatalogue, "timezones.yaml")


def offered_zones(catalogue: ZoneCatalogue) -> tuple[ZoneChoice, ...]:
    """The zones shown as buttons, in catalogue order."""
    return tuple(ZoneChoice(entry.zone, entry.label) for entry in catalogue.offered)


def parse_zone(text: str, catalogue: ZoneCatalogue) -> ZoneChoice | None:
    """The zone ``text`` names, or None when it names none or more than one.

    Tried in order: a place or alias from the catalogue ("new york", "EST") or the label of
    one of its choices ("Portland, Oregon"), a UTC offset ("UTC+2", "GMT-5", "+05:30"), an
    IANA name in any case ("europe/berlin"), and the city part of an IANA name ("kolkata").
    A name listed as ambiguous ("Portland") gives None; :func:`zone_candidates` then lists
    the places it could mean.
    """
    key = place_key(text)
    if not key:
        return None
    named = _catalogue_names(catalogue).get(key)
    if isinstance(named, ZoneChoice):
        return named
    if named is not None:
        return None
    return _offset_choice(text) or _iana_choice(key)


def zone_candidates(text: str, catalogue: ZoneCatalogue) -> tuple[ZoneChoice, ...]:
    """The places an ambiguous name could mean ("Portland": Oregon or Maine); else empty."""
    named = _catalogue_names(catalogue).get(place_key(text))
    return named if isinstance(named, tuple) else ()


def _catalogue_names(catalogue: ZoneCatalogue) -> dict[str, _Named]:
    names: dict[str, _Named] = {}
    for place, zone in catalogue.places.items():
        names[place_key(place)] = ZoneChoice(zone, place)
    for alias, entry in catalogue.aliases.items():
        names[place_key(alias)] = ZoneChoice(entry.zone, entry.label)
    for name, entries in catalogue.ambiguous.items():
        names[place_key(name)] = tuple(ZoneChoice(e.zone, e.label) for e in entries)
    # A label typed back ("Portland, Oregon", "US Pacific") means its own zone.
    labelled = [
        *catalogue.offered,
        *(e for entries in catalogue.ambiguous.values() for e in entries),
    ]
    for entry in labelled:
        names.setdefault(place_key(entry.label), ZoneChoice(entry.zone, entry.label))
    return names


def _offset_choice(text: str) -> ZoneChoice | None:
    cleaned = "".join(text.casefold().replace("−", "-").replace("–", "-").split())
    match = _OFFSET.fullmatch(cleaned)
    if match is None or not (match["prefix"] or match["sign"]):
        return None
    if match["sign"] is None:  # "UTC" or "GMT" alone
        return ZoneChoice("UTC", "UTC")
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    if minutes % 15 or minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    # Etc/GMT-2 is two hours *ahead* of UTC: POSIX-style names invert the sign.
    ahead = (match["sign"] == "+") != (match["prefix"] == "etc/gmt")
    offset = offset if ahead else -offset
    if not _EARLIEST_OFFSET <= offset <= _LATEST_OFFSET:
        return None
    name = _offset_name(offset)
    return ZoneChoice(name, name)


def _offset_name(offset: timedelta) -> str:
    if not offset:
        return "UTC"
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _iana_choice(key: str) -> ZoneChoice | None:
    full_names, place_names = _iana_index()
    name = full_names.get(key) or place_names.get(key)
    return ZoneChoice(name, _place_label(name)) if name else None


@cache
def _iana_index() -> tuple[Mapping[str, str], Mapping[str, str]]:
    """Typed key -> IANA name, by full name ("europe/berlin") and by place ("berlin")."""
    full_names: dict[str, str] = {}
    by_place: dict[str, list[str]] = {}
    for name in known_zone_names():
        if "/" not in name:  # "EST", "Japan", "UTC": legacy names or handled above
            continue
        full_names[place_key(name)] = name
        region, _, place = name.rpartition("/")
        if region.split("/")[0] in _PLACE_REGIONS and place_key(place) not in _NOT_PLACES:
            by_place.setdefault(place_key(place), []).append(name)
    # Where two names end in the same place ("America/Indianapolis" and
    # "America/Indiana/Indianapolis"), they are links to one zone, so either is right;
    # the longer, regional one is the current name.
    place_names = {key: max(names, key=lambda n: (len(n), n)) for key, names in by_place.items()}
    return full_names, place_names


def _place_label(name: str) -> str:
    """ "America/Argentina/Buenos_Aires" -> "Buenos Aires"."""
    return name.rpartition("/")[2].replace("_", " ")


def zone_of(name: str) -> tzinfo:
    """The zone a stored name stands for: an IANA name, "UTC" or "UTC+05:30".

    Raises ValueError for a name that is neither.
    """
    if name == "UTC":
        return UTC
    if offset := _STORED_OFFSET.fullmatch(name):
        size = timedelta(hours=int(offset["hours"]), minutes=int(offset["minutes"]))
        return timezone(size if offset["sign"] == "+" else -size, name)
    if name not in known_zone_names():
        raise ValueError(f"unknown time zone {name!r}")
    return ZoneInfo(name)


# --- when the reminder is due ------------------------------------------------------------


def next_due(
    local_time: time, weekdays: frozenset[int], zone_name: str, after: datetime
) -> datetime:
    """The first reminder strictly after ``after``: ``local_time`` on an allowed weekday.

    Returned in UTC. The two clock-change rules of the module docstring apply.
    """
    _require_aware(after, "after")
    zone = zone_of(zone_name)
    # Today's may already be past; the same weekday a week on never is.
    for due in _reminders_from(after.astimezone(zone).date(), local_time, weekdays, zone):
        if due > after:
            return due
    raise AssertionError("unreachable: every week has an allowed day")


def skip_today(
    local_time: time, weekdays: frozenset[int], zone_name: str, now: datetime
) -> datetime:
    """The next reminder from tomorrow on, in the person's local calendar.

    "Today" is the local date of ``now``; to skip the day a reminder was for, pass that
    reminder's due time as ``now``.
    """
    _require_aware(now, "now")
    zone = zone_of(zone_name)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    for due in _reminders_from(tomorrow, local_time, weekdays, zone):
        if due > now:
            return due
    raise AssertionError("unreachable: every week has an allowed day")


def missed_policy(
    due: datetime, now: datetime, grace: timedelta = MISSED_GRACE
) -> Literal["send", "skip"]:
    """Whether a reminder found late (the bot was down) is still worth sending.

    Less than ``grace`` late: send it once. Later than that it would arrive at a time the
    person did not choose, so skip it and wait for the next one (:func:`after_missed`).
    """
    _require_aware(due, "due")
    _require_aware(now, "now")
    return "send" if now - due < grace else "skip"


def after_missed(
    due: datetime, now: datetime, local_time: time, weekdays: frozenset[int], zone_name: str
) -> datetime:
    """The reminder to schedule after a skipped late one: the next one still ahead."""
    return next_due(local_time, weekdays, zone_name, after=max(due, now))


def snooze(now: datetime, minutes: int = SNOOZE_MINUTES) -> datetime:
    """When a snoozed reminder comes back, in UTC."""
    _require_aware(now, "now")
    if minutes <= 0:
        raise ValueError(f"snooze must be at least a minute, got {minutes}")
    return now.astimezone(UTC) + timedelta(minutes=minutes)


def should_stop_nagging(reminders_since_last_session: int, days_without_session: int) -> bool:
    """Whether to pause reminders (and say so once) instead of sending another.

    Both must hold: 3 reminders gone unanswered, and 3 days without a session. The days
    alone would pause a once-a-week reminder after one try; the count alone would pause
    after a morning of snoozes.
    """
    if reminders_since_last_session < 0 or days_without_session < 0:
        raise ValueError("counts cannot be negative")
    return (
        reminders_since_last_session >= PAUSE_AFTER_REMINDERS
        and days_without_session >= PAUSE_AFTER_DAYS
    )


def _reminders_from(
    first_day: date, local_time: time, weekdays: frozenset[int], zone: tzinfo
) -> Iterable[datetime]:
    """The reminders on the allowed days of the 8 days from ``first_day``, in order."""
    if not weekdays or not weekdays <= EVERY_DAY:
        raise ValueError(f"weekdays must be a non-empty set of 0 (Monday) to 6, got {weekdays}")
    for offset in range(8):
        day = first_day + timedelta(days=offset)
        if day.weekday() in weekdays:
            yield _wall_clock_instant(day, local_time, zone)


def _wall_clock_instant(day: date, at: time, zone: tzinfo) -> datetime:
    """The UTC instant the local clock shows ``at`` on ``day``, by the clock-change rules."""
    # fold=0 is the first occurrence of a repeated time: the fall-back rule for free.
    wall = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: datetime, zone: tzinfo) -> datetime:
    """The instant the clocks jump over a wall time that does not exist (a DST gap).

    In a gap, fold=1 reads the time with the offset after the jump and fold=0 with the one
    before (PEP 495), giving two instants on either side of the jump. zoneinfo does not
    publish its transitions, so find the jump between them by halving, to the second.
    """
    before = wall.replace(fold=1).astimezone(UTC)
    after = wall.replace(fold=0).astimezone(UTC)
    offset_after = after.astimezone(zone).utcoffset()
    low, high = 0, int((after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if (before + timedelta(seconds=middle)).astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return before + timedelta(seconds=high)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")


# --- showing it to the person ------------------------------------------------------------


def local_display(dt_utc: datetime, zone_name: str) -> str:
    """A moment as the person's clock shows it, with the zone: "07:30 (Europe/Berlin)"."""
    _require_aware(dt_utc, "dt_utc")
    local = dt_utc.astimezone(zone_of(zone_name))
    return f"{local:%H:%M} ({zone_name})"


def local_date_label(dt_utc: datetime, zone_name: str) -> str:
    """The person's local date of a moment, short: "Tue 24 Nov"."""
    _require_aware(dt_utc, "dt_utc")
    local = dt_utc.astimezone(zone_of(zone_name))
    return t(
        "reminders.date",
        weekday=t(f"reminders.weekday.{local.weekday()}"),
        day=local.day,
        month=t(f"reminders.month.{local.month}"),
    )


def describe_days(weekdays: frozenset[int]) -> str:
    """The chosen days inside a sentence: "every day", "on weekdays", "on Mon, Wed and Fri"."""
    if weekdays == EVERY_DAY:
        return t("reminders.days.every_day")
    if weekdays == WEEKDAYS:
        return t("reminders.days.weekdays")
    names = [t(f"reminders.weekday.{day}") for day in sorted(weekdays)]
    if len(names) == 1:
        return t("reminders.days.one", day=names[0])
    return t("reminders.days.several", days=", ".join(names[:-1]), last=names[-1])
