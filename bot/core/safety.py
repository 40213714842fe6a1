"""The free-text safety net: every message a person types is screened for red flags.

People describe red flags in their own words at any moment ("can't feel myself when I
wipe", "both legs gone numb"). :func:`screen_text` normalises the message (case, emoji,
punctuation, repeated letters, slang and misspellings), then looks for the phrases of
``content/safety_phrases.yaml``, most severe group first, and returns the first
:class:`Alarm`.

Most phrases are pairs of concepts near each other in a clause ("bum" ... "numb", "pee" ...
"won't start"), so phrasings nobody wrote down still match; see content/schema/safety.py.

A phrase only counts when it is the person's own, current report. It does not count when
a negation reaches it in the same clause ("no numbness", "I don't have a fever"), when it
is about someone else ("my dad had cancer"), when it is talk about a sign ("what are
the signs of ..."), when it names a film ("car crash movie"), or when its pattern's own
innocent explanation is in the clause ("legs like jelly after leg day"). Clauses are cut
at punctuation and at words like "but", so "no idea why but I'm peeing myself" still
alarms. Where unsure, it alarms: a false alarm costs a message, a miss can cost a bladder.

:func:`is_hurt_report` uses the same machinery for "ouch" during a session.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from content.loader import cached
from content.schema.common import Level
from content.schema.safety import CompiledPhrases, PhraseBank
from content.schema.triage import RedFlag


@dataclass(frozen=True)
class Alarm:
    level: Level
    condition: RedFlag
    pattern_id: str  # "<group>.<number>", for logs and tests; never shown to the person
    source: str  # the citation


def load_bank() -> PhraseBank:
    """The phrase bank, validated once per process."""
    return cached(PhraseBank, "safety_phrases.yaml")


_APOSTROPHES = re.compile(r"['’‘`´ʼ]")
_DECIMAL = re.compile(r"(?<=\d)[.,](?=\d)")
_CLAUSE_PUNCTUATION = re.compile(r"[.!?;:,()\[\]{}\n\r•…–—]+|\s-+\s")
_NOT_TEXT = re.compile(r"[^a-z0-9|]+")
_LONG_RUNS = re.compile(r"([a-z])\1{2,}")
_BREAKS = re.compile(r"\s*(?:\|\s*)+")


def normalise(bank: PhraseBank, text: str) -> str:
    """The message as the patterns see it: plain words, " | " between clauses."""
    phrases = bank.compiled
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _APOSTROPHES.sub("", text).replace("&", " and ").replace("+", " and ")
    text = _DECIMAL.sub(" ", text)
    text = _CLAUSE_PUNCTUATION.sub(" | ", text)
    text = _NOT_TEXT.sub(" ", text)
    text = _LONG_RUNS.sub(r"\1\1", text)  # "numbbbb" -> "numbb", "yesss" -> "yess"
    if phrases.filler is not None:
        text = phrases.filler.sub(" ", text)
    text = " ".join(text.split())
    text = phrases.spelling.sub(lambda found: phrases.spelling_map[found.group(0)], text)
    for clause_break in phrases.clause_breaks:
        text = clause_break.sub(lambda found: f"| {found.group(0)}", text)
    return _BREAKS.sub(" | ", f" {text} ").strip(" |")


def screen_text(bank: PhraseBank, text: str) -> Alarm | None:
    """The most severe red flag the message reports, or None."""
    phrases = bank.compiled
    words = normalise(bank, text)
    for compiled_group in phrases.groups:
        for pattern in compiled_group.patterns:
            if all(_reported(phrases, part, words, pattern.unless) for part in pattern.parts):
                group = compiled_group.group
                return Alarm(
                    level=group.level,
                    condition=group.condition,
                    pattern_id=pattern.id,
                    source=bank.sources[group.source],
                )
    return None


def is_hurt_report(text: str, bank: PhraseBank | None = None) -> bool:
    """Whether a message typed during a session says that it hurts ("ouch", "that hurts")."""
    bank = bank or load_bank()
    words = normalise(bank, text)
    return any(_reported(bank.compiled, pattern, words) for pattern in bank.compiled.hurt)


def _reported(
    phrases: CompiledPhrases,
    pattern: re.Pattern[str],
    words: str,
    unless: re.Pattern[str] | None = None,
) -> bool:
    return any(_own_report(phrases, found, words, unless) for found in pattern.finditer(words))


def _own_report(
    phrases: CompiledPhrases, found: re.Match[str], words: str, unless: re.Pattern[str] | None
) -> bool:
    """Whether this match is the person reporting the sign now, not negating or quoting it."""
    clause_start = words.rfind("|", 0, found.start()) + 1
    clause_end = words.find("|", found.end())
    before = words[clause_start : found.start()]
    rest_of_clause = words[found.start() : clause_end if clause_end >= 0 else len(words)]
    after = words[found.end() :]
    if _negated(phrases, before, after) or phrases.fiction_after.match(after):
        return False
    if phrases.hypothetical.search(before):
        return False
    if unless is not None and unless.search(before + rest_of_clause):
        return False
    return not _about_someone_else(phrases, before, rest_of_clause)


def _negated(phrases: CompiledPhrases, before: str, after: str) -> bool:
    window = phrases.pseudo_negation.sub(" ", before).split()
    reach = " ".join(window[-phrases.negation_window :])
    return bool(phrases.negation.search(reach) or phrases.negated_after.match(after))


def _about_someone_else(phrases: CompiledPhrases, before: str, rest_of_clause: str) -> bool:
    """Someone else is the last person named before the phrase, and the person never is after."""
    others = [found.end() for found in phrases.other_people.finditer(before)]
    if not others:
        return False
    selves = [found.end() for found in phrases.first_person.finditer(before)]
    if selves and selves[-1] > others[-1]:
        return False
    return not phrases.first_person_after.search(rest_of_clause)
