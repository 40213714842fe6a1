"""Which emergency numbers to give, first the one for where the person seems to be.

The place comes from the person's time zone (content/emergency_numbers.yaml); until one is
known the default list is given. The others follow the local number, for someone
travelling: "112 (Europe); elsewhere 999 (UK) or 911 (US, Canada)".
"""

from __future__ import annotations

from collections.abc import Sequence

from content.languages import localised
from content.schema.emergency import EmergencyNumbers, LocalNumber
from content.schema.texts import t


def numbers() -> EmergencyNumbers:
    return localised(EmergencyNumbers, "emergency_numbers.yaml")


def numbers_to_call(zone: str | None) -> str:
    """The numbers to name in the advice, the person's own first."""
    book = numbers()
    place = book.for_zone(zone)
    if place is None:
        return _listed(book.default)
    given = {n.number for n in place.numbers}
    others = [n for n in book.default if n.number not in given]
    local = _listed(place.numbers)
    return t("triage.numbers.elsewhere", local=local, others=_listed(others)) if others else local


def _listed(entries: Sequence[LocalNumber]) -> str:
    """ "999 or 112 (UK)", "999 (UK), 112 (Europe) or 911 (US, Canada)"."""
    groups: dict[str, list[str]] = {}
    for entry in entries:
        groups.setdefault(entry.where, []).append(entry.number)
    word = f" {t('triage.numbers.or')} "
    parts = [f"{word.join(nums)} ({where})" for where, nums in groups.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + word + parts[-1]
