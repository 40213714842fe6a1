"""Typed replies to a safety question are read as yes / no / not sure, or asked again."""

from __future__ import annotations

import pytest

from bot.core.answers import Answer, parse_answer

YES, NO, UNSURE = Answer.YES, Answer.NO, Answer.UNSURE

READ_AS = [
    # the words people use
    ("yes", YES), ("y", YES), ("yeah", YES), ("yep", YES), ("yup", YES), ("ya", YES),
    ("sure", YES), ("aye", YES), ("definitely", YES), ("of course", YES), ("i think so", YES),
    ("no", NO), ("n", NO), ("nope", NO), ("nah", NO), ("not really", NO), ("never", NO),
    ("not at all", NO), ("i dont think so", NO), ("none", NO),
    ("not sure", UNSURE), ("unsure", UNSURE), ("maybe", UNSURE), ("dunno", UNSURE),
    ("idk", UNSURE), ("don't know", UNSURE), ("no idea", UNSURE), ("perhaps", UNSURE),
    # case, punctuation, emoji, stretched letters
    ("YES", YES), ("Yes!", YES), ("yes.", YES), ("Yesss", YES), ("yeahhh", YES),
    ("yes 👍", YES), ("👍", YES), ("No.", NO), ("noo", NO), ("NOOOO!!!", NO),
    ("Nooope", NO), ("👎", NO), ("not sure 🤷", UNSURE), ("🤷", UNSURE), ("Not sure...", UNSURE),
    # short sentences that still give one answer
    ("Yes, I have", YES), ("yes i do", YES), ("yeah I think so", YES), ("yes please", YES),
    ("no I haven't", NO), ("No, I don't", NO), ("nope, not at all", NO), ("no thanks", NO),
    ("I'm not sure", UNSURE), ("i don't know", UNSURE), ("not sure really", UNSURE),
    # doubt wins over a plain answer
    ("yes maybe", UNSURE), ("no, not sure", UNSURE),
    # a sign there only a little is there; "probably" is doubt
    ("a little", YES), ("a bit", YES), ("sometimes", YES), ("probably", UNSURE),
    ("probably not", UNSURE), ("i guess", UNSURE),
    # more of how people type it
    ("yh", YES), ("indeed", YES), ("that's right", YES), ("no sir", NO), ("na", NO),
    ("nothing like that", NO), ("not me", NO),
]  # fmt: skip

ASKED_AGAIN = [
    "",
    "   ",
    "yes no",
    "yes but only on the left side",
    "no numbness but my foot tingles",
    "numbers",
    "what do you mean?",
    "nobody",
    "yesterday",
    "okay",
    "🙂",
]


@pytest.mark.parametrize(("text", "answer"), READ_AS)
def test_a_typed_reply_is_read_as_the_answer_meant(text: str, answer: Answer) -> None:
    assert parse_answer(text) is answer


@pytest.mark.parametrize("text", ASKED_AGAIN)
def test_an_ambiguous_reply_is_not_guessed(text: str) -> None:
    assert parse_answer(text) is None
