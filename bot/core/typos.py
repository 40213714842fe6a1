"""Misspelt red-flag words put right before the phrase rules read them ("bladdr", "numbnes").

People type fast on a phone; a pattern that knows "bladder" misses "bladdr". A word is
corrected only when the spelling dictionary does not know it (so "ladder" stays a ladder)
and it is one or two edits from a word the phrase bank looks for (one edit for words of up
to seven letters, two for longer ones). Nothing else is changed, so an unknown word that is
close to no red-flag word passes through as it was.

The dictionary is pyspellchecker's English word list (shipped inside the wheel, no
download), read from its file straight into sorted arrays of bytes (1.2 MB, with no Python
object per word: pyspellchecker's own loading and a set of the words kept 20 MB);
distances come from rapidfuzz.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

SHORTEST = 5  # shorter words are too often something else at one edit ("wee" / "see")
LONG = 8  # from here, two edits
CACHE_SIZE = 20_000


class WordList:
    """Words as sorted arrays of UTF-8 bytes, one array per length: ``word in words`` by
    binary search (a microsecond or two). One array of the longest word's width (45 bytes)
    held 6.1 MB, mostly padding; by length they hold the 1.2 MB the words are."""

    def __init__(self, words: np.ndarray) -> None:
        lengths = np.char.str_len(words)
        self._by_length = {
            int(length): words[lengths == length].astype(f"S{length}")
            for length in np.unique(lengths)
        }
        self._count = len(words)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        key = word.encode()
        same_length = self._by_length.get(len(key))
        if same_length is None:
            return False
        at = int(np.searchsorted(same_length, key))
        return at < len(same_length) and bytes(same_length[at]) == key

    def __len__(self) -> int:
        return self._count


APOSTROPHE, QUOTE = ord("'"), ord('"')
BLOCK = 8192  # words handled at a time: the index arrays stay a few MB


@cache
def known_words() -> WordList:
    """Every dictionary word, also as the normaliser writes it: without apostrophes.

    The file is JSON, one '"word": count,' a line, with no quote or backslash inside a
    word; so the quotes, in pairs, give each word's start and end in the raw bytes."""
    data = gzip.decompress(files("spellchecker").joinpath("resources/en.json.gz").read_bytes())
    raw = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(raw == QUOTE)
    if len(quotes) % 2 or len(quotes) < 200_000 or b"\\" in data:
        raise RuntimeError("pyspellchecker's English word list is not in the layout expected")
    starts, lengths = quotes[0::2] + 1, quotes[1::2] - quotes[0::2] - 1
    width = int(lengths.max())
    table = np.zeros((len(starts), width), dtype=np.uint8)
    columns = np.arange(width)
    for first in range(0, len(starts), BLOCK):
        rows = slice(first, first + BLOCK)
        inside = columns < lengths[rows, None]
        block = np.where(inside, raw[np.minimum(starts[rows, None] + columns, len(raw) - 1)], 0)
        block[(block >= ord("A")) & (block <= ord("Z"))] += 32  # ASCII lower case, as before
        # Apostrophes out, the letters after them moved up (a stable sort puts them last).
        order = np.argsort((block == APOSTROPHE) | (block == 0), axis=1, kind="stable")
        block = np.take_along_axis(block, order, axis=1)
        block[block == APOSTROPHE] = 0
        table[rows] = block
    return WordList(np.unique(table.view(f"S{width}").ravel()))


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
