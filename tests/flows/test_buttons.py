"""The session's buttons: what a button packs is what its handler parses, and anything
forged, out of range or from an older shape is refused (the handler answers "?")."""

from __future__ import annotations

import re

import pytest

from bot.flows.buttons import (
    HURT_PLACES,
    ButtonData,
    HurtChoiceButton,
    HurtWhereButton,
    PainButton,
    SessionButton,
)

EVERY_KIND: list[ButtonData] = [
    SessionButton("start", 12, 3),
    SessionButton("nonote", 12, 0),
    PainButton("b", 9_999_999_999, 10),
    PainButton("h", 1, 0),
    *(HurtWhereButton(5, place) for place in HURT_PLACES),
    HurtChoiceButton(5, "go"),
    HurtChoiceButton(5, "stop"),
]


@pytest.mark.parametrize("button", EVERY_KIND, ids=lambda b: b.pack())
def test_a_packed_button_parses_back_and_reaches_its_handler(button: ButtonData) -> None:
    data = button.pack()
    assert len(data.encode()) <= 64  # Telegram's limit for callback_data
    assert type(button).parse(data) == button
    assert re.match(type(button).pattern(), data)
    others = {type(b) for b in EVERY_KIND} - {type(button)}
    assert not any(re.match(other.pattern(), data) for other in others)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (SessionButton, "ss:start:12"),  # a field short
        (SessionButton, "ss:start:12:3:4"),  # one too many
        (SessionButton, "ss:explode:12:3"),  # no such action
        (SessionButton, "ss:start:twelve:3"),
        (SessionButton, "ss:start:-1:3"),
        (SessionButton, "ss:start:1²:3"),  # a digit to str.isdigit, not to int()
        (SessionButton, "pn:start:12:3"),  # another kind's prefix
        (SessionButton, None),
        (PainButton, "pn:b:12:11"),  # pain is 0-10
        (PainButton, "pn:x:12:4"),
        (HurtWhereButton, "hw:12:knee"),
        (HurtChoiceButton, "hc:12:maybe"),
    ],
)
def test_forged_or_stale_callback_data_is_refused(kind: type[ButtonData], data: str | None) -> None:
    assert kind.parse(data) is None
