"""Read consent, where it hurts and an age from what someone typed during onboarding.

Buttons are offered, but "yes, save them", "lower back", "my neck", "sciatica" or "I'm 45"
are understood too. Anything that names two places, or no clear age, gives None and the bot
asks again. Consent to store health data must be explicit (UK GDPR art. 9(2)(a); ICO,
"What is valid consent?"): only plain words of agreement count, never an emoji, a hedge
("I guess") or a symptom word ("a bit"); a refusal counts however it is put.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from bot.core.answers import Answer, parse_answer
from content import languages
from content.schema.common import AgeBand, Region
from content.schema.typed_words import plain, typed_words

# Ages people type; anything outside is not an age.
_YOUNGEST, _OLDEST = 5, 120
_BANDS = (
    (16, AgeBand.UNDER_16),
    (50, AgeBand.FROM_16_TO_49),
    (65, AgeBand.FROM_50_TO_64),
    (75, AgeBand.FROM_65_TO_74),
)


@dataclass(frozen=True)
class _ProfileWords:
    consent: frozenset[str]
    agreeing: frozenset[str]
    refusing: tuple[re.Pattern[str], ...]
    regions: tuple[tuple[Region, tuple[re.Pattern[str], ...]], ...]
    under: tuple[re.Pattern[str], ...]


# Leg first: "lower back and down my leg" is the leg region.
_REGION_ORDER = (Region.LOWER_BACK_LEG, Region.NECK, Region.UPPER_BACK, Region.LOWER_BACK)


@cache
def _words(language: str) -> _ProfileWords:
    """English's and ``language``'s words (content/typed_words.yaml)."""
    typed = typed_words(language)
    return _ProfileWords(
        consent=frozenset(word for phrase in typed.consent_words for word in phrase.split()),
        agreeing=frozenset(word for phrase in typed.consent_agreeing for word in phrase.split()),
        refusing=tuple(re.compile(pattern) for pattern in typed.consent_refusing),
        regions=tuple(
            (region, tuple(re.compile(pattern) for pattern in typed.regions.get(region, ())))
            for region in _REGION_ORDER
        ),
        under=tuple(re.compile(pattern) for pattern in typed.under),
    )


def parse_consent(text: str) -> bool | None:
    """True for a plain "yes" to storing health data, False for a refusal, else None."""
    known = _words(languages.current())
    words = re.findall(r"[a-z]+", plain(text))
    joined = " ".join(words)
    if any(pattern.search(joined) for pattern in known.refusing) or parse_answer(text) is Answer.NO:
        return False
    if words and set(words) <= known.consent and set(words) & known.agreeing:
        return True
    return None


def parse_region(text: str) -> Region | None:
    """The one region ``text`` names ("lower back and down my leg" is the leg region)."""
    words = " ".join(re.findall(r"[a-z]+", plain(text)))
    regions = _words(languages.current()).regions
    found = {region for region, patterns in regions if any(p.search(words) for p in patterns)}
    if Region.LOWER_BACK_LEG in found:
        found.discard(Region.LOWER_BACK)  # "lower back and leg" is one choice
    return found.pop() if len(found) == 1 else None


def band_of(age: int) -> AgeBand:
    return next((band for limit, band in _BANDS if age < limit), AgeBand.FROM_75)


def parse_age_band(text: str) -> AgeBand | None:
    """The age band of "45", "I'm 45", "50-64", "under 16", "75 or over"; else None."""
    lowered = plain(text)
    ages = [int(number) for number in re.findall(r"\d+", lowered)]
    if not ages or not all(_YOUNGEST <= age <= _OLDEST for age in ages) or len(ages) > 2:
        return None
    if any(pattern.search(lowered) for pattern in _words(languages.current()).under):
        return band_of(ages[0] - 1) if len(ages) == 1 else None
    bands = {band_of(age) for age in ages}
    return bands.pop() if len(bands) == 1 else None
