"""Schema of ``content/safety_phrases.yaml``: how people write red flags in their own words.

Patterns are regular expressions over *normalised* text (see ``bot/core/safety.py``):
lower case a-z and digits, single spaces, and ``|`` between clauses. A pattern may use
``{name}`` for a shared piece from ``macros`` (which may use earlier macros), and always
matches whole words. A pattern is one of:

- one regex;
- ``together: [...]``: regexes that must all be reported in the same message
  ("stiff neck" + "rash");
- ``near: [a, b]``: two concepts within ``within`` words of each other, in either order, in
  one clause (or two, with ``clauses: 2``), with no negation between them ("bum ... numb",
  "numb ... down there"). This is how the bank generalises: a concept is a list of words,
  and any pairing counts, so a phrasing nobody wrote down still matches. ``unless`` names
  an innocent explanation that, anywhere in the clause, means the match is not a red flag
  ("legs like jelly after leg day");
- ``phrase: regex`` with ``unless``: one regex with its own innocent explanation in the
  clause ("blurry" ... "without my glasses").

``fillers`` are hedge words dropped before matching ("kinda", "sort of"), so they never
stretch the gap between two concepts.

``concerns`` are red-flag TOPICS: one concept alone ("bladder", "both legs" + a weakness
word, "vision") that is not a confident report but is worth one follow-up question. Each
names the question of ``content/triage.yaml`` to ask; an id that file does not have stops
start-up, naming this file and the concern. A reassurance in the clause ("bladder is fine")
keeps a topic from asking.

Everything is compiled once, at load. A regex that does not compile, or names an unknown
macro, stops start-up with the file, the group and the pattern number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator

from content.loader import cached
from content.schema.common import Level, Strict
from content.schema.triage import RedFlag, TriageBank

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]
Regexes = Annotated[tuple[str, ...], Field(min_length=1)]

_MACRO = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_MACRO_DEPTH = 5
_PLAIN = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")


class Together(Strict):
    together: Annotated[tuple[str, ...], Field(min_length=2)]


class Near(Strict):
    near: Annotated[tuple[str, str], Field()]
    # How many words may separate the two concepts (in each clause it spans).
    within: Annotated[int, Field(ge=0, le=12)] = 4
    # 2 lets the pair span one clause break: "went to pee, and it took ages to get going".
    clauses: Annotated[int, Field(ge=1, le=2)] = 1
    unless: str | None = None


class Phrase(Strict):
    phrase: str
    # Found anywhere in the clause of the match: this match does not count.
    unless: str | None = None


Pattern = str | Together | Near | Phrase


class PhraseGroup(Strict):
    """Ways of writing one red flag, all at one level."""

    id: Id
    condition: RedFlag
    level: Level
    source: Id
    patterns: Annotated[tuple[Pattern, ...], Field(min_length=1)]


class Context(Strict):
    """Regex alternatives that decide whether a matched phrase is the person's own report."""

    # Words that negate what follows them in the same clause ("no", "never", "without").
    negations: Regexes
    # How many words before a phrase a negation still reaches.
    negation_window: Annotated[int, Field(ge=1, le=20)] = 5
    # The same for a concern topic: a weaker signal, so a negation further back still counts
    # ("never had any problems with my waterworks").
    concern_negation_window: Annotated[int, Field(ge=1, le=20)] = 8
    # Look like negations but are not ("no idea why", "not sure", "haven't been able").
    pseudo_negations: Regexes
    # A clause answered with a plain "no" right after it ("fever? no").
    negated_after: Regexes
    # Right after a phrase: it is a story, not a report ("car crash movie").
    fiction_after: Regexes
    # Another person is the subject ("my dad", "she").
    other_people: Regexes
    # The person themselves, before the phrase ("I", "me", "my" + not a relative).
    first_person: Regexes
    # The person themselves, inside or after the phrase ("in my lungs", "so did I").
    first_person_after: Regexes
    # Talk about a sign rather than a report of it ("what are the signs of").
    hypothetical: Regexes
    # A clause break is inserted where each of these matches ("but", "and my").
    clause_breaks: Regexes
    # Anywhere in the clause, these keep a concern topic from asking ("bladder is fine").
    # Alarms ignore them: "fine" never cancels a confident report.
    reassurances: tuple[str, ...] = ()
    # A change of state in the clause ("fine until today", "was fine") voids a reassurance.
    turns: tuple[str, ...] = ()
    # Words that place a message in the present hours or days ("today", "since last night",
    # "keeps tripping"): someone else's EMERGENCY sign said with one is their emergency now.
    happening_now: tuple[str, ...] = ()
    # ... unless the message places it long ago ("years ago", "back in 2008").
    long_ago: tuple[str, ...] = ()
    # Words about the body or how it feels: a message with one was about the person's
    # health, and hears that it was read rather than "please use the buttons".
    body_words: tuple[str, ...] = ()


class ConcernTopic(Strict):
    """One red-flag topic, and the triage question to ask when a message touches it."""

    id: Id
    # The id of a question in content/triage.yaml: its text, buttons and levels are reused.
    question: Id
    source: Id
    patterns: Annotated[tuple[Pattern, ...], Field(min_length=1)]
    # Innocent explanations for every pattern of the topic ("blurry without my glasses").
    unless: str | None = None

    @field_validator("question")
    @classmethod
    def _question_exists(cls, question: str) -> str:
        known = {asked.id for asked in cached(TriageBank, "triage.yaml").questions}
        if question not in known:
            raise ValueError(f"question {question!r} is not a question id in triage.yaml")
        return question


@dataclass(frozen=True)
class CompiledPattern:
    id: str  # "<group id>.<number>", numbered from 1 in file order
    parts: tuple[re.Pattern[str], ...]  # every part must be reported
    unless: re.Pattern[str] | None = None  # found in the clause: this match does not count


@dataclass(frozen=True)
class CompiledGroup:
    group: PhraseGroup
    patterns: tuple[CompiledPattern, ...]


@dataclass(frozen=True)
class CompiledPhrases:
    filler: re.Pattern[str] | None
    spelling: re.Pattern[str]
    spelling_map: dict[str, str]
    clause_breaks: tuple[re.Pattern[str], ...]
    negation: re.Pattern[str]
    negation_window: int
    concern_negation_window: int
    pseudo_negation: re.Pattern[str]
    negated_after: re.Pattern[str]
    fiction_after: re.Pattern[str]
    other_people: re.Pattern[str]
    first_person: re.Pattern[str]
    first_person_after: re.Pattern[str]
    hypothetical: re.Pattern[str]
    groups: tuple[CompiledGroup, ...]  # most severe first, file order within a level
    hurt: tuple[re.Pattern[str], ...]
    concerns: tuple[CompiledConcern, ...]  # file order
    reassurance: re.Pattern[str] | None
    turn: re.Pattern[str] | None
    happening_now: re.Pattern[str] | None
    long_ago: re.Pattern[str] | None
    body: re.Pattern[str] | None


@dataclass(frozen=True)
class CompiledConcern:
    topic: ConcernTopic
    patterns: tuple[CompiledPattern, ...]
    unless: re.Pattern[str] | None  # the topic's own innocent explanations


class PhraseBank(Strict):
    sources: dict[Id, Text]
    macros: dict[Id, str]
    # Words that carry no meaning here ("kinda", "sort of"), dropped so they never widen a gap.
    fillers: tuple[str, ...] = ()
    # Variant (a word or a few words) -> the spelling the patterns use.
    spellings: dict[str, str]
    # Words a typo is corrected to (bot/core/typos.py), beside the real words the macros and
    # patterns spell out: the full forms of stems a pattern writes as "tingl\w*".
    typo_targets: tuple[str, ...] = ()
    context: Context
    groups: Annotated[tuple[PhraseGroup, ...], Field(min_length=1)]
    # Mid-session "ouch": patterns for is_hurt_report, same rules for negation.
    hurt: Regexes
    # Topics worth a follow-up question when no group matched.
    concerns: tuple[ConcernTopic, ...] = ()

    _compiled: CompiledPhrases | None = PrivateAttr(default=None)

    @field_validator("spellings")
    @classmethod
    def _plain_words(cls, spellings: dict[str, str]) -> dict[str, str]:
        for variant, spelling in spellings.items():
            for words in (variant, spelling):
                if not _PLAIN.fullmatch(words):
                    raise ValueError(f"spelling {variant!r}: use lower-case words only")
        return spellings

    @field_validator("fillers")
    @classmethod
    def _plain_fillers(cls, fillers: tuple[str, ...]) -> tuple[str, ...]:
        for words in fillers:
            if not _PLAIN.fullmatch(words):
                raise ValueError(f"filler {words!r}: use lower-case words only")
        return fillers

    @field_validator("macros")
    @classmethod
    def _macros_compile(cls, macros: dict[str, str]) -> dict[str, str]:
        for name, regex in macros.items():
            _compile(_expand(regex, macros), f"macro {name!r}")
        return macros

    @field_validator("context")
    @classmethod
    def _context_compiles(cls, context: Context) -> Context:
        for name in Context.model_fields:
            value = getattr(context, name)
            if isinstance(value, tuple):
                for number, regex in enumerate(value, start=1):
                    _compile(regex, f"context {name} {number}")
        return context

    @field_validator("groups")
    @classmethod
    def _groups_compile(
        cls, groups: tuple[PhraseGroup, ...], info: ValidationInfo
    ) -> tuple[PhraseGroup, ...]:
        macros = info.data.get("macros", {})
        sources = info.data.get("sources", {})
        seen: set[str] = set()
        for group in groups:
            if group.id in seen:
                raise ValueError(f"group {group.id!r} is defined twice")
            seen.add(group.id)
            if group.source not in sources:
                raise ValueError(f"group {group.id!r}: unknown source {group.source!r}")
            for number, pattern in enumerate(group.patterns, start=1):
                where = f"group {group.id!r} pattern {number}"
                for regex in _parts(pattern):
                    _compile(_expand(regex, macros), where)
                if isinstance(pattern, Near | Phrase) and pattern.unless is not None:
                    _compile(_expand(pattern.unless, macros), f"{where} unless")
        return groups

    @field_validator("concerns")
    @classmethod
    def _concerns_compile(
        cls, concerns: tuple[ConcernTopic, ...], info: ValidationInfo
    ) -> tuple[ConcernTopic, ...]:
        macros = info.data.get("macros", {})
        sources = info.data.get("sources", {})
        seen: set[str] = set()
        for topic in concerns:
            if topic.id in seen:
                raise ValueError(f"concern {topic.id!r} is defined twice")
            seen.add(topic.id)
            if topic.source not in sources:
                raise ValueError(f"concern {topic.id!r}: unknown source {topic.source!r}")
            for number, pattern in enumerate(topic.patterns, start=1):
                where = f"concern {topic.id!r} pattern {number}"
                for regex in _parts(pattern):
                    _compile(_expand(regex, macros), where)
                if isinstance(pattern, Near | Phrase) and pattern.unless is not None:
                    _compile(_expand(pattern.unless, macros), f"{where} unless")
            if topic.unless is not None:
                _compile(_expand(topic.unless, macros), f"concern {topic.id!r} unless")
        return concerns

    @field_validator("hurt")
    @classmethod
    def _hurt_compiles(cls, hurt: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        macros = info.data.get("macros", {})
        for number, regex in enumerate(hurt, start=1):
            _compile(_expand(regex, macros), f"hurt pattern {number}")
        return hurt

    @property
    def compiled(self) -> CompiledPhrases:
        """Every pattern compiled, built on first use and kept with the bank."""
        if self._compiled is None:
            self._compiled = _compile_bank(self)
        return self._compiled


def _parts(pattern: Pattern) -> tuple[str, ...]:
    if isinstance(pattern, Together):
        return pattern.together
    if isinstance(pattern, Near):
        return pattern.near
    if isinstance(pattern, Phrase):
        return (pattern.phrase,)
    return (pattern,)


def _near(pattern: Near, gap_word: str) -> str:
    """One regex for "a then b, or b then a, at most ``within`` words apart"."""
    first, second = (f"(?:{part})" for part in pattern.near)
    gap = f"(?:{gap_word}){{0,{pattern.within}}}"
    if pattern.clauses == 2:
        gap = rf"{gap}(?:\| {gap})?"
    return f"{first} {gap}{second}|{second} {gap}{first}"


def _expand(regex: str, macros: dict[str, str]) -> str:
    for _ in range(_MACRO_DEPTH):
        names = _MACRO.findall(regex)
        if not names:
            return regex
        for name in names:
            if name not in macros:
                raise ValueError(f"unknown macro {{{name}}} in {regex!r}")
        regex = _MACRO.sub(lambda found: f"(?:{macros[found.group(1)]})", regex)
    raise ValueError(f"macros nested more than {_MACRO_DEPTH} deep in {regex!r}")


def _compile(regex: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(regex)
    except re.error as exc:
        raise ValueError(f"{where} does not compile: {exc}: {regex!r}") from None


def _whole_words(regex: str) -> str:
    return rf"(?<![a-z0-9])(?:{regex})(?![a-z0-9])"


def _alternatives(regexes: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(_whole_words("|".join(f"(?:{regex})" for regex in regexes)))


def _compile_bank(bank: PhraseBank) -> CompiledPhrases:
    context = bank.context
    # A word inside a "near" gap: any word but a negation, so "bum not numb" stays apart.
    negation = "|".join(f"(?:{regex})" for regex in context.negations)
    gap_word = rf"(?!(?:{negation})(?![a-z0-9]))[a-z0-9]+ "

    def phrase(regex: str) -> re.Pattern[str]:
        return re.compile(_whole_words(_expand(regex, bank.macros)))

    def compiled(pattern: Pattern, pattern_id: str) -> CompiledPattern:
        if isinstance(pattern, Near):
            unless = None if pattern.unless is None else phrase(pattern.unless)
            return CompiledPattern(pattern_id, (phrase(_near(pattern, gap_word)),), unless)
        if isinstance(pattern, Phrase):
            unless = None if pattern.unless is None else phrase(pattern.unless)
            return CompiledPattern(pattern_id, (phrase(pattern.phrase),), unless)
        return CompiledPattern(pattern_id, tuple(map(phrase, _parts(pattern))))

    concerns = tuple(
        CompiledConcern(
            topic=topic,
            patterns=tuple(
                compiled(pattern, f"{topic.id}.{number}")
                for number, pattern in enumerate(topic.patterns, start=1)
            ),
            unless=None if topic.unless is None else phrase(topic.unless),
        )
        for topic in bank.concerns
    )

    ordered = sorted(bank.groups, key=lambda group: -group.level.severity)
    groups = tuple(
        CompiledGroup(
            group=group,
            patterns=tuple(
                compiled(pattern, f"{group.id}.{number}")
                for number, pattern in enumerate(group.patterns, start=1)
            ),
        )
        for group in ordered
    )
    variants = sorted(bank.spellings, key=len, reverse=True)
    fillers = sorted(bank.fillers, key=len, reverse=True)
    return CompiledPhrases(
        filler=re.compile(_whole_words("|".join(map(re.escape, fillers)))) if fillers else None,
        spelling=re.compile(_whole_words("|".join(map(re.escape, variants)))),
        spelling_map=dict(bank.spellings),
        clause_breaks=tuple(re.compile(regex) for regex in context.clause_breaks),
        negation=_alternatives(context.negations),
        negation_window=context.negation_window,
        concern_negation_window=context.concern_negation_window,
        pseudo_negation=_alternatives(context.pseudo_negations),
        negated_after=re.compile("|".join(f"(?:{regex})" for regex in context.negated_after)),
        fiction_after=re.compile("|".join(f"(?:{regex})" for regex in context.fiction_after)),
        other_people=_alternatives(context.other_people),
        first_person=_alternatives(context.first_person),
        first_person_after=_alternatives(context.first_person_after),
        hypothetical=_alternatives(context.hypothetical),
        groups=groups,
        hurt=tuple(map(phrase, bank.hurt)),
        concerns=concerns,
        reassurance=_alternatives(context.reassurances) if context.reassurances else None,
        turn=_alternatives(context.turns) if context.turns else None,
        happening_now=_alternatives(context.happening_now) if context.happening_now else None,
        long_ago=_alternatives(context.long_ago) if context.long_ago else None,
        body=_alternatives(context.body_words) if context.body_words else None,
    )
