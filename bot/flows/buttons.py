"""Callback data of the session's buttons: one small class per kind of button.

Each class packs itself into the button's ``callback_data`` (Telegram allows 64 bytes),
parses it back (``None`` for anything forged, stale in shape or out of range), and gives
the pattern its handler is registered with, so the format lives in one place.

    SessionButton("start", session_id=12, position=3).pack() == "ss:start:12:3"
    SessionButton.parse("ss:start:12:3") == SessionButton("start", 12, 3)
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from typing import ClassVar, Self

# The places "This hurts" asks about, in the order shown.
HURT_PLACES = ("neck", "back", "arm", "leg", "other")


class ButtonData:
    """``<prefix>:<field>:<field>...``; int fields must be digits, str fields one of CHOICES."""

    PREFIX: ClassVar[str]
    CHOICES: ClassVar[dict[str, frozenset[str]]] = {}
    RANGES: ClassVar[dict[str, range]] = {}

    def pack(self) -> str:
        return ":".join([self.PREFIX, *(str(value) for value in astuple(self))])  # type: ignore[call-overload]

    @classmethod
    def pattern(cls) -> str:
        return rf"^{cls.PREFIX}:"

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        parts = (data or "").split(":")
        declared = fields(cls)  # type: ignore[arg-type]
        if parts[0] != cls.PREFIX or len(parts) != len(declared) + 1:
            return None
        values: list[object] = []
        for field, text in zip(declared, parts[1:], strict=True):
            if field.type in (int, "int"):
                if not (text.isascii() and text.isdigit()):
                    return None
                number = int(text)
                if field.name in cls.RANGES and number not in cls.RANGES[field.name]:
                    return None
                values.append(number)
            elif field.name in cls.CHOICES and text not in cls.CHOICES[field.name]:
                return None
            else:
                values.append(text)
        return cls(*values)


@dataclass(frozen=True)
class SessionButton(ButtonData):
    """Start / Pause / Resume / Skip / Stop / This hurts / No note, on one step."""

    PREFIX: ClassVar[str] = "ss"
    CHOICES: ClassVar[dict[str, frozenset[str]]] = {
        "action": frozenset({"start", "pause", "resume", "skip", "stop", "hurt", "nonote"})
    }
    action: str
    session_id: int
    position: int


@dataclass(frozen=True)
class PainButton(ButtonData):
    """A pain score 0-10: before (b), after (a), or after "This hurts" (h)."""

    PREFIX: ClassVar[str] = "pn"
    CHOICES: ClassVar[dict[str, frozenset[str]]] = {"purpose": frozenset({"b", "a", "h"})}
    RANGES: ClassVar[dict[str, range]] = {"value": range(11)}
    purpose: str
    session_id: int
    value: int


@dataclass(frozen=True)
class HurtWhereButton(ButtonData):
    """Where it hurts, after "This hurts"."""

    PREFIX: ClassVar[str] = "hw"
    CHOICES: ClassVar[dict[str, frozenset[str]]] = {"place": frozenset(HURT_PLACES)}
    session_id: int
    place: str


@dataclass(frozen=True)
class HurtChoiceButton(ButtonData):
    """After "This hurts": carry on gently, or stop here."""

    PREFIX: ClassVar[str] = "hc"
    CHOICES: ClassVar[dict[str, frozenset[str]]] = {"choice": frozenset({"go", "stop"})}
    session_id: int
    choice: str
