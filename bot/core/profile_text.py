"""Read consent, where it hurts and an age from what someone typed during onboarding.

Buttons are offered, but "yes, save them", "lower back", "my neck", "sciatica" or "I'm 45"
are understood too. Anything that names two places, or no clear age, gives None and the bot
asks again. Consent to store health data must be explicit (UK GDPR art. 9(2)(a); ICO,
"What is valid consent?"): only plain words of agreement count, never an emoji, a hedge
("I guess") or a symptom word ("a bit"); a refusal counts however it is put.
"""

from __future__ import annotations

import re

from bot.core.answers import Answer, parse_answer
from content.schema.common import AgeBand, Region

# Every word of a typed consent must be one of these: plain agreement, and polite fillers.
_CONSENT_WORDS = frozenset(
    "yes yeah yep yup ya sure ok okay fine agree agreed i do please go ahead save them it "
    "that s thats of course absolutely definitely you may can alright all right thanks".split()
)
_AGREEING = frozenset("yes yeah yep yup ya sure ok okay fine agree agreed ahead course".split())
_DONT_SAVE = re.compile(r"\b(?:dont|do not|don t|no)\b.*\b(?:save|keep|store)\b")

_REGION_WORDS: tuple[tuple[Region, re.Pattern[str]], ...] = (
    (Region.LOWER_BACK_LEG, re.compile(r"\b(?:sciatica|legs?|thigh|calf)\b")),
    (Region.NECK, re.compile(r"\b(?:neck|cervical)\b")),
    (
        Region.UPPER_BACK,
        re.compile(r"\b(?:upper|mid|middle|thoracic|shoulder ?blades?|top of (?:my|the) back)\b"),
    ),
    (
        Region.LOWER_BACK,
        re.compile(r"\b(?:lower|low|lumbar|(?:bottom|small) of (?:my|the) back)\b"),
    ),
)
# Ages people type; anything outside is not an age.
_YOUNGEST, _OLDEST = 5, 120
_BANDS = (
    (16, AgeBand.UNDER_16),
    (50, AgeBand.FROM_16_TO_49),
    (65, AgeBand.FROM_50_TO_64),
    (75, AgeBand.FROM_65_TO_74),
)
_UNDER = re.compile(r"\b(?:under|below|less than|younger than)\b")


def parse_consent(text: str) -> bool | None:
    """True for a plain "yes" to storing health data, False for a refusal, else None."""
    words = re.findall(r"[a-z]+", text.casefold().replace("'", "").replace("’", ""))
    if _DONT_SAVE.search(" ".join(words)) or parse_answer(text) is Answer.NO:
        return False
    if words and set(words) <= _CONSENT_WORDS and set(words) & _AGREEING:
        return True
    return None


def parse_region(text: str) -> Region | None:
    """The one region ``text`` names ("lower back and down my leg" is the leg region)."""
    words = " ".join(re.findall(r"[a-z]+", text.casefold()))
    found = {region for region, pattern in _REGION_WORDS if pattern.search(words)}
    if Region.LOWER_BACK_LEG in found:
        found.discard(Region.LOWER_BACK)  # "lower back and leg" is one choice
    return found.pop() if len(found) == 1 else None


def band_of(age: int) -> AgeBand:
    return next((band for limit, band in _BANDS if age < limit), AgeBand.FROM_75)


def parse_age_band(text: str) -> AgeBand | None:
    """The age band of "45", "I'm 45", "50-64", "under 16", "75 or over"; else None."""
    lowered = text.casefold()
    ages = [int(number) for number in re.findall(r"\d+", lowered)]
    if not ages or not all(_YOUNGEST <= age <= _OLDEST for age in ages) or len(ages) > 2:
        return None
    if _UNDER.search(lowered):
        return band_of(ages[0] - 1) if len(ages) == 1 else None
    bands = {band_of(age) for age in ages}
    return bands.pop() if len(bands) == 1 else None
