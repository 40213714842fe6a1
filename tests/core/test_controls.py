"""Typed session controls: "pause", "next", "stop" do what the buttons do; nothing else does."""

from __future__ import annotations

import pytest

from bot.core.controls import Control, parse_command_word, parse_control, parse_hurt_place

READ_AS = [
    ("pause", Control.PAUSE), ("Pause!", Control.PAUSE), ("wait", Control.PAUSE),
    ("hang on please", Control.PAUSE), ("brb", Control.PAUSE),
    ("go", Control.GO), ("resume", Control.GO), ("continue", Control.GO),
    ("ok go on", Control.GO), ("I'm ready", Control.GO), ("lets go", Control.GO),
    ("skip", Control.SKIP), ("next", Control.SKIP), ("next one please", Control.SKIP),
    ("stop", Control.STOP), ("STOP", Control.STOP), ("quit", Control.STOP),
    ("that's enough", Control.STOP), ("stop the session", Control.STOP),
]  # fmt: skip

NOT_A_CONTROL = [
    "",
    "stop, my leg is numb",
    "can't stop peeing",
    "next week",
    "wait what",
    "I want to go to the doctor",
    "7",
    "done",  # done with the hold, or with the session? The buttons say which.
    "please please please please please please stop",
]


@pytest.mark.parametrize(("text", "control"), READ_AS)
def test_a_typed_control_is_read(text: str, control: Control) -> None:
    assert parse_control(text) is control


@pytest.mark.parametrize("text", NOT_A_CONTROL)
def test_anything_more_than_a_control_is_not_one(text: str) -> None:
    assert parse_control(text) is None


COMMAND_WORDS = [
    ("stretch", "stretch"), ("Let's stretch!", "stretch"), ("help", "help"), ("hi", "help"),
    ("my progress please", "progress"), ("reminders", "reminders"), ("check up", "checkup"),
    ("settings", "settings"), ("privacy", "privacy"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "command"), COMMAND_WORDS)
def test_a_command_typed_as_a_word_is_read(text: str, command: str) -> None:
    assert parse_command_word(text) == command


@pytest.mark.parametrize(
    "text",
    [
        "delete",
        "delete my data",
        "stretching hurts my back",
        "help my legs are numb",
        "hi, my back hurts",
    ],
)
def test_nothing_else_and_nothing_destructive_is_a_command_word(text: str) -> None:
    assert parse_command_word(text) is None


PLACES = [
    ("my leg", "leg"), ("Left foot", "leg"), ("lower back", "back"), ("neck", "neck"),
    ("right hand", "arm"), ("from my back down my leg", "leg"), ("shooting into my arm", "arm"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "place"), PLACES)
def test_where_it_hurts_typed_is_read(text: str, place: str) -> None:
    assert parse_hurt_place(text) == place


@pytest.mark.parametrize("text", ["everywhere", "my arm and my leg", "neck and back", ""])
def test_no_place_or_two_limbs_is_asked_again(text: str) -> None:
    assert parse_hurt_place(text) is None
