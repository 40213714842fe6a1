"""Read a typed control: "pause", "next", "stop", "go on" in a session; "stretch", "help",
"my progress" as a command without its slash.

The buttons and commands do this, but some people type instead. A message counts as a
control only when it is nothing but one (a few polite words allowed: "pause please", "ok
next one"); anything longer is left to the rest of the text handling, so "stop, my leg is
numb" still reaches the safety net and is never read as a plain "stop".
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class Control(StrEnum):
    PAUSE = "pause"
    GO = "go"  # start the hold, or resume when paused
    SKIP = "skip"
    STOP = "stop"


_PHRASES: dict[Control, tuple[str, ...]] = {
    Control.PAUSE: ("pause", "wait", "hold on", "hang on", "brb", "break", "take a break"),
    Control.GO: (
        "go", "go on", "start", "begin", "resume", "continue", "carry on", "keep going",
        "unpause", "ready", "im ready", "back", "im back", "lets go", "go ahead",
        # "ok" / "yes" to "get into position, then start" ("done" is not: done with what?).
        "ok", "okay", "k", "yes", "yep", "yeah", "sure", "in position", "im in position",
    ),
    Control.SKIP: ("skip", "next", "pass", "move on", "skip it", "next one", "skip this one"),
    Control.STOP: (
        "stop", "quit", "end", "exit", "enough", "thats enough", "stop session",
        "end session", "stop the session", "end the session", "stop stretching",
    ),
}  # fmt: skip
# Words that may come with a control without changing it.
_FILLERS = frozenset("ok okay please pls plz now thanks thank you lets just a sec bit".split())
_LOOKUP = {phrase: control for control, phrases in _PHRASES.items() for phrase in phrases}


def parse_control(text: str) -> Control | None:
    """The control a typed message gives, or None when it is anything more."""
    return _look_up(text, _LOOKUP)


def _look_up(text: str, table: dict[str, T]) -> T | None:
    """The message as a whole, or without its polite words, looked up in ``table``."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("’", "")
    words = re.findall(r"[a-z]+", text)
    if not words or len(words) > 6:
        return None
    whole = " ".join(words)
    if whole in table:
        return table[whole]
    return table.get(" ".join(word for word in words if word not in _FILLERS))


# Commands people type as words; never one that deletes anything.
_COMMAND_WORDS: dict[str, tuple[str, ...]] = {
    "help": (
        "help", "menu", "commands", "options", "what can you do", "hi", "hello", "hey",
        "hi there", "hello there", "hey there", "good morning", "good evening",
    ),
    "stretch": (
        "stretch", "stretches", "stretching", "session", "start session", "new session",
        "lets stretch", "start stretching", "stretch now", "exercise", "exercises",
    ),
    "progress": ("progress", "my progress", "stats", "my stats", "history", "my history"),
    "reminders": ("reminder", "reminders", "remind me", "set reminder", "set a reminder"),
    "settings": ("settings", "my settings", "preferences"),
    "checkup": ("checkup", "check up", "check", "safety check", "recheck", "screening"),
    "privacy": ("privacy", "my data", "consent"),
}  # fmt: skip
_COMMAND_LOOKUP = {phrase: name for name, phrases in _COMMAND_WORDS.items() for phrase in phrases}


def parse_command_word(text: str) -> str | None:
    """The command a message names as a plain word or two ("stretch", "my progress")."""
    return _look_up(text, _COMMAND_LOOKUP)


# Where it hurts, after "This hurts": the places of the buttons, by the words people use.
_PLACES = (
    ("arm", re.compile(r"\b(?:arms?|hands?|fingers?|wrists?|elbows?)\b")),
    ("leg", re.compile(r"\b(?:legs?|foot|feet|toes?|knees?|thighs?|calf|calves|ankles?|shins?)\b")),
    ("neck", re.compile(r"\bnecks?\b")),
    ("back", re.compile(r"\b(?:back|spine|lumbar)\b")),
)


def parse_hurt_place(text: str) -> str | None:
    """The place ``text`` names: "neck", "back", "arm" or "leg"; None for none or two.

    An arm or a leg wins over the back or neck it comes with ("down my leg from my back"):
    pain spreading into a limb is the one that matters for safety.
    """
    words = " ".join(re.findall(r"[a-z]+", text.casefold()))
    found = [place for place, pattern in _PLACES if pattern.search(words)]
    limbs = [place for place in found if place in ("arm", "leg")]
    if len(limbs) == 1:
        return limbs[0]
    return found[0] if len(found) == 1 else None
