"""Emergency numbers by place, found from a person's time zone.

``places`` lists numbers with the zones they serve; each cites a source from ``sources``.
A zone listed twice, a zone unknown to the tz database or an unknown source fails at load,
naming the file and the field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from content.schema.common import Strict
from content.schema.timezones import ZoneName

Number = Annotated[str, Field(pattern=r"^\d{2,6}$")]


class LocalNumber(Strict):
    number: Number
    where: Annotated[str, Field(min_length=2, max_length=40)]


class Place(Strict):
    numbers: tuple[LocalNumber, ...] = Field(min_length=1)
    zones: tuple[ZoneName, ...] = Field(min_length=1)
    source: str


class EmergencyNumbers(Strict):
    default: tuple[LocalNumber, ...] = Field(min_length=1)
    sources: dict[str, str]
    places: tuple[Place, ...]

    @model_validator(mode="after")
    def _each_zone_once_and_sources_known(self) -> EmergencyNumbers:
        seen: set[str] = set()
        for index, place in enumerate(self.places):
            if place.source not in self.sources:
                raise ValueError(f"places.{index}.source: {place.source!r} is not in sources")
            for zone in place.zones:
                if zone in seen:
                    raise ValueError(f"places.{index}.zones: {zone} is listed twice")
                seen.add(zone)
        return self

    def for_zone(self, zone: str | None) -> Place | None:
        return next((p for p in self.places if zone in p.zones), None) if zone else None
