"""The time-zone catalogue: zones offered as buttons and the place names people type.

Telegram never tells a bot where a person lives, so the reminder flow asks. Most people
tap one of a few offered zones; the rest type a city or country, which this catalogue maps
to an IANA zone. A name shared by places in different zones ("Portland", "IST") is listed
under ``ambiguous`` with every candidate, so the bot can ask which one instead of guessing.

Every zone must exist in this system's tz database; a typo fails start-up naming the entry.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from content.schema.common import Strict

# Names zoneinfo lists that do not describe a place: "localtime" is whatever the server
# runs in, "Factory" is a placeholder zone.
NOT_A_PLACE = frozenset({"localtime", "Factory"})


@cache
def known_zone_names() -> frozenset[str]:
    """Every IANA zone name this system can load (read once; the tz database is large)."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones()) - NOT_A_PLACE


def place_key(text: str) -> str:
    """How a typed place name is compared: no accents, case, dots, dashes or extra spaces.

    "São Paulo", "sao paulo" and "Sao-Paulo" are the same key; so are "St. Louis" and
    "st louis".
    """
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for mark in "._-,'’":
        letters = letters.replace(mark, " " if mark in "_-," else "")
    return " ".join(letters.casefold().split())


def _must_be_known_zone(name: str) -> str:
    if name not in known_zone_names():
        raise ValueError(f"{name!r} is not a time zone in the IANA tz database")
    return name


ZoneName = Annotated[str, AfterValidator(_must_be_known_zone)]
Label = Annotated[str, Field(min_length=1, max_length=40)]


class LabelledZone(Strict):
    """A zone with the words shown for it: on a button and in "07:30, <label> time"."""

    label: Label
    zone: ZoneName


class ZoneCatalogue(Strict):
    offered: tuple[LabelledZone, ...] = Field(min_length=6, max_length=12)
    # Place name as people type it -> zone; the name itself is the label ("New York time").
    places: dict[str, ZoneName]
    # Abbreviations and nicknames -> zone with a proper label ("EST" -> "US Eastern").
    aliases: dict[str, LabelledZone]
    # Names that mean places in different zones: the bot asks which one.
    ambiguous: dict[str, tuple[LabelledZone, ...]]

    @model_validator(mode="after")
    def _each_name_means_one_thing(self) -> ZoneCatalogue:
        seen: dict[str, str] = {}
        sections = (("places", self.places), ("aliases", self.aliases))
        for section, names in (*sections, ("ambiguous", self.ambiguous)):
            for name in names:
                key = place_key(name)
                if not key:
                    raise ValueError(f"{section}.{name!r}: the name is empty")
                if key in seen:
                    raise ValueError(f"{section}.{name!r}: already listed as {seen[key]}")
                seen[key] = f"{section}.{name!r}"
        for name, candidates in self.ambiguous.items():
            if len({c.zone for c in candidates}) < 2:
                raise ValueError(f"ambiguous.{name!r}: needs at least two different zones")
        return self
