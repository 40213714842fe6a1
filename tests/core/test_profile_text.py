"""Where it hurts and an age, typed during onboarding instead of tapped."""

from __future__ import annotations

import pytest

from bot.core.profile_text import parse_age_band, parse_region
from content.schema.common import AgeBand, Region

REGIONS = [
    ("Neck", Region.NECK), ("my neck and shoulders", Region.NECK),
    ("upper back", Region.UPPER_BACK), ("between my shoulder blades", Region.UPPER_BACK),
    ("lower back", Region.LOWER_BACK), ("low back pain", Region.LOWER_BACK),
    ("lower back and down my leg", Region.LOWER_BACK_LEG), ("sciatica", Region.LOWER_BACK_LEG),
]  # fmt: skip


@pytest.mark.parametrize(("text", "region"), REGIONS)
def test_a_typed_region_is_read(text: str, region: Region) -> None:
    assert parse_region(text) is region


@pytest.mark.parametrize("text", ["my back hurts", "neck and lower back", "everywhere", ""])
def test_no_region_or_two_regions_is_asked_again(text: str) -> None:
    assert parse_region(text) is None


AGES = [
    ("45", AgeBand.FROM_16_TO_49), ("I'm 45", AgeBand.FROM_16_TO_49),
    ("15", AgeBand.UNDER_16), ("under 16", AgeBand.UNDER_16), ("16", AgeBand.FROM_16_TO_49),
    ("49", AgeBand.FROM_16_TO_49), ("50", AgeBand.FROM_50_TO_64),
    ("50-64", AgeBand.FROM_50_TO_64), ("64 years old", AgeBand.FROM_50_TO_64),
    ("65", AgeBand.FROM_65_TO_74), ("74", AgeBand.FROM_65_TO_74),
    ("75 or over", AgeBand.FROM_75), ("I am 88", AgeBand.FROM_75),
]  # fmt: skip


@pytest.mark.parametrize(("text", "band"), AGES)
def test_a_typed_age_gives_its_band(text: str, band: AgeBand) -> None:
    assert parse_age_band(text) is band


@pytest.mark.parametrize("text", ["", "old enough", "45 or 55", "1990", "2", "40 50 60"])
def test_no_clear_age_is_asked_again(text: str) -> None:
    assert parse_age_band(text) is None


def test_only_plain_words_of_agreement_are_consent() -> None:
    from bot.core.profile_text import parse_consent

    assert [parse_consent(t) for t in ("yes", "Yes, save them", "ok", "sure, go ahead")] == [
        True
    ] * 4
    assert [parse_consent(t) for t in ("no", "nope", "don't save anything")] == [False] * 3
    assert [parse_consent(t) for t in ("👍", "✅", "i guess", "a bit", "yes but only some")] == [
        None
    ] * 5
