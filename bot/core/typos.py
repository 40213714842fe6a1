"""Misspelt red-flag words put right before the phrase rules read them ("bladdr", "numbnes").

People type fast on a phone; a pattern that knows "bladder" misses "bladdr". A word is
corrected only when the spelling dictionary does not know it (so "ladder" stays a ladder)
and it is one or two edits from a word the phrase bank looks for (one edit for words of up
to seven letters, two for longer ones). Nothing else is changed, so an unknown word that is
close to no red-flag word passes through as it was.

The dictionary is pyspellchecker's English word list (shipped inside the wheel, no
download); distances come from rapidfuzz.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

SHORTEST = 5  # shorter words are too often something else at one edit ("wee" / "see")
LONG = 8  # from here, two edits
CACHE_SIZE = 20_000


@cache
def known_words() -> frozenset[str]:
    """Every dictionary word, also as the normaliser writes it: without apostrophes."""
    from spellchecker import SpellChecker

    words = SpellChecker(language="en", distance=1).word_frequency.dictionary
    return frozenset(word.replace("'", "") for word in words)


def _known(word: str) -> bool:
    # A plural or a possessive of a known word ("elses", "mums") is known too.
    return word in known_words() or (word.endswith("s") and word[:-1] in known_words())


_ESCAPES = re.compile(r"\\[a-zA-Z]")
_WORDS = re.compile(r"[a-z]+")


def words_in_patterns(sources: Iterable[str]) -> set[str]:
    """The real words that regex sources spell out ("numb(?!er)" -> "numb")."""
    found: set[str] = set()
    for source in sources:
        found.update(_WORDS.findall(_ESCAPES.sub(" ", source)))
    return {word for word in found if len(word) >= SHORTEST - 1 and word in known_words()}


class TypoFixer:
    """Maps an unknown word to the red-flag word it is a slip away from, if any."""

    def __init__(self, targets: Iterable[str]) -> None:
        self._targets = sorted(set(targets))
        self._fixed: dict[str, str] = {}

    def fix(self, word: str) -> str:
        if len(word) < SHORTEST or not word.isalpha():
            return word
        if word not in self._fixed:
            if len(self._fixed) >= CACHE_SIZE:  # anyone can type anything: stay bounded
                self._fixed.clear()
            self._fixed[word] = self._nearest(word)
        return self._fixed[word]

    def _nearest(self, word: str) -> str:
        if _known(word) or not self._targets:
            return word
        edits = 1 if len(word) < LONG else 2
        found = process.extractOne(
            word, self._targets, scorer=Levenshtein.distance, score_cutoff=edits
        )
        return word if found is None else str(found[0])

    def fix_text(self, text: str) -> str:
        return " ".join(self.fix(word) for word in text.split(" "))
