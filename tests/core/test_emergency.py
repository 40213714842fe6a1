"""Emergency numbers by time zone (content/emergency_numbers.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.emergency import numbers, numbers_to_call
from bot.core.schedule import zone_catalogue
from content.loader import ContentError, load_file
from content.schema.emergency import EmergencyNumbers


def test_every_zone_offered_as_a_button_has_its_own_number() -> None:
    for offered in zone_catalogue().offered:
        assert numbers().for_zone(offered.zone) is not None, offered.label


def test_each_place_cites_a_source_and_the_local_number_comes_first() -> None:
    assert numbers_to_call("Europe/London").startswith("999 or 112 (UK)")
    assert numbers_to_call("Asia/Tokyo").startswith("119 (Japan and Korea)")
    assert numbers_to_call(None) == "999 (UK), 112 (Europe) or 911 (US, Canada)"


def test_a_zone_listed_twice_fails_naming_the_file_and_field(tmp_path: Path) -> None:
    folder = tmp_path
    (folder / "emergency_numbers.yaml").write_text(
        "default: [{number: '112', where: Europe}]\n"
        "sources: {a: a source}\n"
        "places:\n"
        "  - {numbers: [{number: '112', where: Europe}], zones: [Europe/Paris], source: a}\n"
        "  - {numbers: [{number: '112', where: France}], zones: [Europe/Paris], source: a}\n"
    )
    with pytest.raises(ContentError, match=r"emergency_numbers\.yaml.*listed twice"):
        load_file(EmergencyNumbers, "emergency_numbers.yaml", folder)


def test_each_blocking_level_has_a_clearance_wait_with_its_reason() -> None:
    from content.loader import cached
    from content.schema.clearance import ClearanceFile
    from content.schema.common import Level

    waits = cached(ClearanceFile, "clearance.yaml").waits
    assert set(waits) == {Level.EMERGENCY, Level.URGENT}
    assert waits[Level.EMERGENCY].hours >= waits[Level.URGENT].hours > 0
    assert all(wait.rationale and wait.source for wait in waits.values())


def test_a_clearance_file_without_urgent_fails_naming_the_file(tmp_path: Path) -> None:
    from content.schema.clearance import ClearanceFile

    (tmp_path / "clearance.yaml").write_text(
        "waits:\n  EMERGENCY: {hours: 4, rationale: a reason long enough here, source: a source}\n"
    )
    with pytest.raises(ContentError, match=r"clearance\.yaml"):
        load_file(ClearanceFile, "clearance.yaml", tmp_path)
