"""Read a typed reply to a yes / no / not-sure question.

People tap the buttons most of the time, but some type: "yep", "Nope!", "yesss 👍",
"not really", "dunno". A reply is read as one answer only when every word in it is
understood; anything else ("yes but only on the left") gives None so the bot asks again
rather than guessing. Doubt wins: "yes maybe" is not sure. A symptom present only a little
("a bit", "sometimes") is a yes: the question asks whether it is there at all.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


# Comma-separated phrases, written without apostrophes (the reply loses them too).
_PHRASES: dict[Answer, str] = {
    Answer.UNSURE: (
        "not sure, unsure, maybe, dunno, idk, dont know, do not know, no idea, not certain, "
        "perhaps, possibly, cant remember, cant say, hard to say, no clue, kind of, kinda, "
        "sort of, might be, could be, probably, probably not, i guess, not certain, "
        "cant tell, not sure tbh"
    ),
    Answer.NO: (
        "no, n, nope, nah, naw, nay, not really, never, not at all, none, no way, negative, "
        "i dont, i do not, i havent, i have not, i am not, im not, i didnt, i did not, "
        "dont think so, i dont think so, not that i know, not that i know of, nothing, "
        "nothing like that, na, nop, nopes, nopp, not me, no no, nah nah, not at all no"
    ),
    Answer.YES: (
        "yes, y, yeah, yea, yeh, ye, yep, yup, ya, yah, yas, aye, sure, for sure, definitely, "
        "absolutely, correct, i do, i have, i am, i did, i think so, of course, affirmative, "
        "true, thats right, that is right, thats correct, that is correct, indeed, yh, yeap, "
        "yesh, yessir, a little, a bit, a little bit, slightly, sometimes, occasionally, "
        "it is, it does, they do, they are, i have yes"
    ),
}
# Words that may come with an answer without changing it.
_FILLERS = frozenset(
    "i im it its is ok okay please thanks thank you ta um uh er erm hmm well so just "
    "really actually honestly mate haha lol sir maam madam doc doctor bro dear".split()
)
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
    text = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("’", "")
    return [_squeeze(word) for word in re.findall(r"[a-z]+", text)]


def _pattern(phrases: str) -> re.Pattern[str]:
    squeezed = {" ".join(map(_squeeze, phrase.split())) for phrase in phrases.split(",")}
    # Longest first, so "i dont think so" wins over "i dont".
    alternatives = sorted(squeezed, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(a) for a in alternatives) + r")\b")


# In the order of _PHRASES: doubt first, so "not sure" is never read as "no" + "sure",
# then "no", so "i do not" is never read as "i do".
_PATTERNS = tuple((answer, _pattern(phrases)) for answer, phrases in _PHRASES.items())
_SQUEEZED_FILLERS = frozenset(_squeeze(word) for word in _FILLERS)


def parse_answer(text: str) -> Answer | None:
    """The answer a typed reply gives, or None when it is empty or ambiguous."""
    words = " ".join(_tokens(text))
    found: set[Answer] = set()
    for answer, pattern in _PATTERNS:
        words, hits = pattern.subn(" ", words)
        if hits:
            found.add(answer)
    if not found or any(word not in _SQUEEZED_FILLERS for word in words.split()):
        return None
    if Answer.UNSURE in found:
        return Answer.UNSURE
    if len(found) > 1:  # "yes no"
        return None
    return found.pop()
