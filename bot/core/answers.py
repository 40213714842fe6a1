"""Read a typed reply to a yes / no / not-sure question.

People tap the buttons most of the time, but some type: "yep", "Nope!", "yesss 👍",
"not really", "dunno". A reply is read as one answer only when every word in it is
understood; anything else ("yes but only on the left") gives None so the bot asks again
rather than guessing. Doubt wins: "yes maybe" is not sure. A symptom present only a little
("a bit", "sometimes") is a yes: the question asks whether it is there at all. The words
are English's and the person's language's (content/typed_words.yaml): "sí", "no sé",
"nein", "weiß nicht".
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache

from content import languages
from content.schema.typed_words import plain, typed_words


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


_EMOJI = {
    "👍": " yes ",
    "✅": " yes ",
    "✔": " yes ",
    "👎": " no ",
    "❌": " no ",
    "🤷": " not sure ",
}


def _squeeze(word: str) -> str:
    """Collapse repeated letters so "yesss", "noo" and "yeahhh" read as their plain word."""
    return re.sub(r"(.)\1+", r"\1", word)


def _tokens(text: str) -> list[str]:
    for emoji, word in _EMOJI.items():
        text = text.replace(emoji, f" {word} ")
    return [_squeeze(word) for word in re.findall(r"[a-z]+", plain(text))]


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    squeezed = {" ".join(map(_squeeze, phrase.split())) for phrase in phrases}
    # Longest first, so "i dont think so" wins over "i dont".
    alternatives = sorted(squeezed, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(a) for a in alternatives) + r")\b")


@cache
def _tables(language: str) -> tuple[tuple[tuple[Answer, re.Pattern[str]], ...], frozenset[str]]:
    """The phrases of English and ``language`` (content/typed_words.yaml): doubt first, so
    "not sure" is never read as "no" + "sure", then "no", so "i do not" is never "i do"."""
    words = typed_words(language)
    patterns = (
        (Answer.UNSURE, _pattern(words.unsure)),
        (Answer.NO, _pattern(words.no)),
        (Answer.YES, _pattern(words.yes)),
    )
    return patterns, frozenset(_squeeze(word) for word in words.answer_fillers)


def parse_answer(text: str) -> Answer | None:
    """The answer a typed reply gives, or None when it is empty or ambiguous."""
    patterns, fillers = _tables(languages.current())
    words = " ".join(_tokens(text))
    found: set[Answer] = set()
    for answer, pattern in patterns:
        words, hits = pattern.subn(" ", words)
        if hits:
            found.add(answer)
    if not found or any(word not in fillers for word in words.split()):
        return None
    if Answer.UNSURE in found:
        return Answer.UNSURE
    if len(found) > 1:  # "yes no"
        return None
    return found.pop()
