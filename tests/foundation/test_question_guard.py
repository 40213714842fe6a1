"""Which updates make a typed yes / no ambiguous for a pending safety question."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram import CallbackQuery, Chat, Message, Update, User

from handlers.base import leaves_the_question

PERSON = User(id=1, first_name="Ann", is_bot=False)
CHAT = Chat(id=1, type=Chat.PRIVATE)


def typed(text: str) -> Update:
    message = Message(message_id=1, date=datetime.now(UTC), chat=CHAT, from_user=PERSON, text=text)
    return Update(update_id=1, message=message)


def tapped(data: str) -> Update:
    query = CallbackQuery(id="1", from_user=PERSON, chat_instance="1", data=data)
    return Update(update_id=1, callback_query=query)


@pytest.mark.parametrize(
    ("update", "leaves"),
    [
        (typed("/delete"), True),
        (typed("/settings@stretch_test_bot"), True),
        (typed("/help"), False),  # shows the list, asks nothing
        (typed("/progress"), False),
        (typed("no"), False),
        (tapped("pv:erase"), True),
        (tapped("go:reminders"), True),
        (tapped("go:progress"), False),
        (tapped("tq:cauda_equina_signs:n"), False),
        (tapped("sq:cauda_equina_signs:y"), False),
    ],
)
def test_updates_that_ask_something_else_leave_the_question(update: Update, leaves: bool) -> None:
    assert leaves_the_question(update) is leaves
