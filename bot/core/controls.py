"""Read a typed control: "pause", "next", "stop", "go on" in a session; "stretch", "help",
"my progress" as a command without its slash.

The buttons and commands do this, but some people type instead. A message counts as a
control only when it is nothing but one (a few polite words allowed: "pause please", "ok
next one"); anything longer is left to the rest of the text handling, so "stop, my leg is
numb" still reaches the safety net and is never read as a plain "stop". The words are
English's and the person's language's (content/typed_words.yaml): "pausa", "weiter".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TypeVar

from content import languages
from content.schema.typed_words import plain, typed_words

T = TypeVar("T")


class Control(StrEnum):
    PAUSE = "pause"
    GO = "go"  # start the hold, or resume when paused
    SKIP = "skip"
    STOP = "stop"


@dataclass(frozen=True)
class _ControlWords:
    controls: dict[str, Control]
    commands: dict[str, str]
    fillers: frozenset[str]
    places: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]


@cache
def _words(language: str) -> _ControlWords:
    """English's and ``language``'s words (content/typed_words.yaml). A phrase two controls
    share keeps the first: stop before skip before pause before go ("para" stops)."""
    typed = typed_words(language)
    controls: dict[str, Control] = {}
    for control, phrases in (
        (Control.STOP, typed.stop),
        (Control.SKIP, typed.skip),
        (Control.PAUSE, typed.pause),
        (Control.GO, typed.go),
    ):
        for phrase in phrases:
            controls.setdefault(phrase, control)
    commands = {phrase: name for name, phrases in typed.commands.items() for phrase in phrases}
    places = tuple(
        (place, tuple(re.compile(pattern) for pattern in typed.hurt_places.get(place, ())))
        for place in ("arm", "leg", "neck", "back")
    )
    return _ControlWords(controls, commands, frozenset(typed.control_fillers), places)


def parse_control(text: str) -> Control | None:
    """The control a typed message gives, or None when it is anything more."""
    words = _words(languages.current())
    return _look_up(text, words.controls, words.fillers)


def _look_up(text: str, table: dict[str, T], fillers: frozenset[str]) -> T | None:
    """The message as a whole, or without its polite words, looked up in ``table``."""
    words = re.findall(r"[a-z]+", plain(text))
    if not words or len(words) > 6:
        return None
    whole = " ".join(words)
    if whole in table:
        return table[whole]
    return table.get(" ".join(word for word in words if word not in fillers))


def parse_command_word(text: str) -> str | None:
    """The command a message names as a plain word or two ("stretch", "my progress")."""
    words = _words(languages.current())
    return _look_up(text, words.commands, words.fillers)


def parse_hurt_place(text: str) -> str | None:
    """The place ``text`` names: "neck", "back", "arm" or "leg"; None for none or two.

    An arm or a leg wins over the back or neck it comes with ("down my leg from my back"):
    pain spreading into a limb is the one that matters for safety.
    """
    words = " ".join(re.findall(r"[a-z]+", plain(text)))
    places = _words(languages.current()).places
    found = [place for place, patterns in places if any(p.search(words) for p in patterns)]
    limbs = [place for place in found if place in ("arm", "leg")]
    if len(limbs) == 1:
        return limbs[0]
    return found[0] if len(found) == 1 else None
