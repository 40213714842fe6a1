"""The free-text safety net: every message a person types is screened for red flags.

People describe red flags in their own words at any moment ("can't feel myself when I
wipe", "both legs gone numb"). :func:`screen_text` normalises the message (case, emoji,
punctuation, repeated letters, slang and misspellings), then looks for the phrases of
``content/safety_phrases.yaml``, most severe group first, and returns the first
:class:`Alarm`.

Most phrases are pairs of concepts near each other in a clause ("bum" ... "numb", "pee" ...
"won't start"), so phrasings nobody wrote down still match; see content/schema/safety.py.

When no confident phrase matches, :func:`classify_text` looks for a red-flag TOPIC: one
concept alone ("bladder", "both legs" + a weakness word, "vision", "fever") that is worth
asking about. It returns a :class:`Concern` naming the triage question to ask, so a
phrasing nobody wrote down still gets a question instead of silence. A question costs a
tap; a miss can cost a bladder; asking on every message would be nagging, so topics stay
specific and a reassurance ("bladder's fine") keeps them quiet.

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

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache

from bot.core import triage as triage_core
from bot.core.answers import Answer
from bot.core.typos import TypoFixer, words_in_patterns
from content import languages
from content.loader import ContentError, cached, load_file
from content.schema.common import Level
from content.schema.safety import CompiledConcern, CompiledPattern, CompiledPhrases, PhraseBank
from content.schema.triage import Question, RedFlag, Rule, TriageBank, is_question_term


@dataclass(frozen=True)
class Alarm:
    level: Level
    condition: RedFlag
    pattern_id: str  # "<group>.<number>", for logs and tests; never shown to the person
    source: str  # the citation
    # Someone else's emergency, happening now ("my dad is grey and sweaty, belly and back
    # pain"): the advice is for them.
    for_someone_else: bool = False


@dataclass(frozen=True)
class Concern:
    """A red-flag topic touched without a confident match for its worst case: ask about it."""

    condition: RedFlag  # the condition of the topic's question
    question_id: str  # the question of content/triage.yaml to ask now
    topic_question_id: str  # the topic's own question: follow-ups are those it opens
    # The most a "yes" can lead to, counting its follow-ups and the rules they complete.
    level: Level
    topic_id: str  # "<concern>.<number>", for logs and tests; never shown to the person
    source: str  # the citation
    # A lesser alarm in the same message ("fever": URGENT): its advice comes first. When it
    # already says yes to the topic's own question, the first follow-up is asked instead
    # ("Has that come on quickly?"), and ``assumed_yes`` names the question it answered.
    alarm: Alarm | None = None
    assumed_yes: tuple[str, ...] = ()
    # Questions of other topics touched whose answer adapts the routine (pregnancy,
    # osteoporosis...): asked one by one after this one, unless its answers stop stretching.
    later: tuple[str, ...] = ()


def load_bank() -> PhraseBank:
    """The English phrase bank, validated once per process."""
    return cached(PhraseBank, "safety_phrases.yaml")


@cache
def load_banks() -> tuple[PhraseBank, ...]:
    """English's bank, then each language's own (content/locales/<code>/safety_phrases.yaml).

    Every message is read with all of them, whatever the person's language (people mix
    languages, and a carer may write in another): each bank may add caution, none removes
    what another found.
    """
    banks = [load_bank()]
    for code in languages.languages():
        folder = languages.folder_of(code)
        if code != languages.SOURCE_LANGUAGE and (folder / "safety_phrases.yaml").exists():
            try:
                banks.append(load_file(PhraseBank, "safety_phrases.yaml", folder))
            except ContentError as exc:  # name the language's file, not English's
                where = f"locales/{code}/safety_phrases.yaml"
                raise ContentError(str(exc).replace("safety_phrases.yaml", where, 1)) from None
    return tuple(banks)


def describes_body_in_any(text: str) -> bool:
    """Whether any language's bank reads the message as about the body."""
    return any(describes_body(bank, text) for bank in load_banks())


def about_someone_else_in_any(text: str) -> bool:
    """Whether any language's bank reads the message as about another person only."""
    return any(about_someone_else(bank, text) for bank in load_banks())


def talks_about_a_sign(text: str) -> bool:
    """A question or a hypothetical about a sign ("what does X mean?"), in any language."""
    return any(
        bank.compiled.hypothetical.search(normalise(bank, text)) is not None
        for bank in load_banks()
    )


_APOSTROPHES = re.compile(r"['’‘`´ʼ]")
_DECIMAL = re.compile(r"(?<=\d)[.,](?=\d)")
_CLAUSE_PUNCTUATION = re.compile(r"[.!?;:,()\[\]{}\n\r•…–—]+|\s-+\s")
_NOT_TEXT = re.compile(r"[^a-z0-9|]+")
_LONG_RUNS = re.compile(r"([a-z])\1{2,}")
_BREAKS = re.compile(r"\s*(?:\|\s*)+")


_NORMALISED: dict[tuple[int, str], str] = {}  # both layers read one message: normalise once


def normalise(bank: PhraseBank, text: str) -> str:
    """The message as the patterns see it: plain words, " | " between clauses."""
    key = (id(bank), text)
    words = _NORMALISED.get(key)
    if words is None:
        words = _normalise(bank, text)
        if len(_NORMALISED) >= 256:
            _NORMALISED.clear()
        _NORMALISED[key] = words
    return words


def _normalise(bank: PhraseBank, text: str) -> str:
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
    text = _typo_fixer(bank).fix_text(text)
    for clause_break in phrases.clause_breaks:
        text = clause_break.sub(lambda found: f"| {found.group(0)}", text)
    return _BREAKS.sub(" | ", f" {text} ").strip(" |")


def screen_text(bank: PhraseBank, text: str) -> Alarm | None:
    """The most severe red flag the message reports, or None."""
    return _alarm(bank, normalise(bank, text))


def classify_text(bank: PhraseBank, text: str) -> Alarm | Concern | None:
    """An alarm for a confident report; a concern for a red-flag topic; else None.

    An alarm below EMERGENCY comes inside a concern when the message also touches a topic
    whose question can lead further: the advice, then the question that could raise it.
    """
    words = normalise(bank, text)
    alarm = _alarm(bank, words)
    if alarm is not None and alarm.level is Level.EMERGENCY:
        return alarm
    found = _first_question(bank, words, alarm)
    if alarm is not None and alarm.level.blocks_stretching:
        return found  # no stretching until checked: the routine can wait
    # A topic that adapts the routine ("just found out I'm pregnant") reaches only
    # CHECK_FIRST, so it never goes beyond another topic or an alarm; it is asked after them.
    adapting = [c for c in _concerns(bank, words, adapting=True)]
    if not adapting:
        return found
    if not isinstance(found, Concern):  # nothing else to ask, or a SEE_GP alarm to say first
        first, adapting = replace(adapting[0], alarm=found), adapting[1:]
    else:
        first = found
    later = tuple(c.question_id for c in adapting if c.question_id != first.question_id)
    return replace(first, later=later)


def _first_question(bank: PhraseBank, words: str, alarm: Alarm | None) -> Alarm | Concern | None:
    """The topic reaching furthest, or one going beyond the alarm; else the alarm."""
    for concern in _concerns(bank, words):  # furthest reach first
        if alarm is None:
            return concern
        if concern.level.severity <= alarm.level.severity:
            break  # none further on goes beyond the alarm
        if (beyond := _beyond(concern, alarm)) is not None:
            return beyond
    return alarm


def _beyond(concern: Concern, alarm: Alarm) -> Concern | None:
    """The concern asked after ``alarm``: past its own question when the alarm answers it."""
    triage = triage_core.load_bank()
    question = triage.question(concern.question_id)
    answered = (
        alarm.condition is question.condition
        and question.level is not None
        and alarm.level.severity >= question.level.severity
    )
    if not answered:
        return replace(concern, alarm=alarm)
    follow_up = next_follow_up(triage, question.id, {question.id: Answer.YES}, None)
    if follow_up is None:
        return None
    return replace(concern, question_id=follow_up.id, alarm=alarm, assumed_yes=(question.id,))


def _alarm(bank: PhraseBank, words: str) -> Alarm | None:
    """The person's own most severe sign; else someone else's emergency happening now."""
    found = _first_alarm(bank, words)
    if found is not None:
        others = found.level is Level.EMERGENCY and _only_someone_else(bank.compiled, words)
        return replace(found, for_someone_else=True) if others else found
    if not _happening_now(bank.compiled, words):
        return None
    theirs = _first_alarm(bank, words, anyone=True)
    if theirs is None or theirs.level is not Level.EMERGENCY:
        return None
    return replace(theirs, for_someone_else=True)


def _first_alarm(bank: PhraseBank, words: str, *, anyone: bool = False) -> Alarm | None:
    phrases = bank.compiled
    for compiled_group in phrases.groups:
        for pattern in compiled_group.patterns:
            if all(
                _reported(phrases, part, words, pattern.unless, anyone=anyone)
                for part in pattern.parts
            ):
                group = compiled_group.group
                return Alarm(
                    level=group.level,
                    condition=group.condition,
                    pattern_id=pattern.id,
                    source=bank.sources[group.source],
                )
    return None


def _happening_now(phrases: CompiledPhrases, words: str) -> bool:
    """The message places what it says in the present hours or days, not long ago."""
    if phrases.happening_now is None or not phrases.happening_now.search(words):
        return False
    return phrases.long_ago is None or not phrases.long_ago.search(words)


def _concerns(bank: PhraseBank, words: str, *, adapting: bool = False) -> Iterator[Concern]:
    """The topics touched, the ones whose question reaches furthest first (then file order).

    ``adapting``: only the topics whose question adapts the routine.
    """
    phrases = bank.compiled
    triage = triage_core.load_bank()
    for compiled in _by_reach(phrases):
        if adapting and not adapts_routine(compiled.topic.question):
            continue
        pattern = next(
            (p for p in compiled.patterns if _topic_touched(phrases, p, compiled.unless, words)),
            None,
        )
        if pattern is not None:
            question = triage.question(compiled.topic.question)
            yield Concern(
                condition=question.condition,
                question_id=question.id,
                topic_question_id=question.id,
                level=reach(question.id),
                topic_id=pattern.id,
                source=bank.sources[compiled.topic.source],
            )


_ORDERED: dict[int, tuple[CompiledConcern, ...]] = {}
_TYPOS: dict[int, TypoFixer] = {}


def _typo_fixer(bank: PhraseBank) -> TypoFixer:
    """Built once per bank: the words its patterns look for are what typos are fixed to."""
    if id(bank) not in _TYPOS:
        spelled = json.dumps(
            [
                bank.macros,
                [g.model_dump() for g in bank.groups],
                [c.model_dump() for c in bank.concerns],
            ]
        )
        targets = (
            words_in_patterns([spelled]) | set(bank.spellings.values()) | set(bank.typo_targets)
        )
        _TYPOS[id(bank)] = TypoFixer(word for target in targets for word in target.split())
    return _TYPOS[id(bank)]


def _by_reach(phrases: CompiledPhrases) -> tuple[CompiledConcern, ...]:
    """The topics sorted once per bank: a stable sort keeps file order at equal reach."""
    if id(phrases) not in _ORDERED:
        _ORDERED[id(phrases)] = tuple(
            sorted(phrases.concerns, key=lambda topic: -reach(topic.topic.question).severity)
        )
    return _ORDERED[id(phrases)]


def _topic_touched(
    phrases: CompiledPhrases,
    pattern: CompiledPattern,
    topic_unless: re.Pattern[str] | None,
    words: str,
) -> bool:
    """Every part reported, with no innocent explanation or reassurance in its clause."""
    return all(
        any(
            _own_report(phrases, found, words, pattern.unless)
            and (topic_unless is None or _own_report(phrases, found, words, topic_unless))
            and not _negated_further_back(phrases, found, words)
            and not _reassured(phrases, found, words)
            for found in part.finditer(words)
        )
        for part in pattern.parts
    )


def _negated_further_back(phrases: CompiledPhrases, found: re.Match[str], words: str) -> bool:
    before = words[words.rfind("|", 0, found.start()) + 1 : found.start()]
    window = phrases.pseudo_negation.sub(" ", before).split()
    return bool(phrases.negation.search(" ".join(window[-phrases.concern_negation_window :])))


REASSURANCE_REACH = 5  # words after a topic that a "fine" may still be about


def _reassured(phrases: CompiledPhrases, found: re.Match[str], words: str) -> bool:
    if phrases.reassurance is None:
        return False
    end = words.find("|", found.end())
    # Only after the topic starts, and close to it: "bladder is fine", "both legs are fine",
    # or the first words of the next clause, as in a list: "bladder: fine". Not a "fine"
    # further on about something else ("... and the surgeon said gentle movement is fine").
    after = words[found.end() : end if end >= 0 else len(words)].split()
    rest_of_clause = " ".join([found.group(0), *after[:REASSURANCE_REACH]])
    next_words = " ".join(words[end + 1 :].split()[:2]) if end >= 0 else ""
    if not phrases.reassurance.search(f"{rest_of_clause} {next_words}"):
        return False
    start = words.rfind("|", 0, found.start()) + 1
    clause = words[start : end if end >= 0 else len(words)]
    return phrases.turn is None or not phrases.turn.search(clause)


# --- the question behind a concern, and its follow-ups ---------------------------------------
@cache
def reach(question_id: str) -> Level:
    """The most severe advice a "yes" to this question can lead to, for some person.

    Its own level, its follow-ups' levels (asked after a yes), and every rule whose question
    terms all fall among them: "neck injury" reaches EMERGENCY through the age 65 rule.
    """
    triage = triage_core.load_bank()
    family = {question.id for question in follow_ups(triage, question_id)} | {question_id}
    levels = [q.level for q in triage.questions if q.id in family and q.level is not None]
    levels.extend(rule.level for rule in triage.rules if _reachable(rule, family))
    return max(levels, key=lambda level: level.severity, default=Level.CLEAR)


@cache
def adapts_routine(question_id: str) -> bool:
    """Whether it is a "before exercising" question (CHECK_FIRST) whose yes or not sure, or
    a follow-up's, adapts the routine (``sets_condition``): stretching may go on, changed.

    Not the neck-artery question: it sets a condition too, but its yes stops stretching.
    """
    triage = triage_core.load_bank()
    family = [triage.question(question_id), *follow_ups(triage, question_id)]
    return any(
        question.level is Level.CHECK_FIRST and question.sets_condition is not None
        for question in family
    )


def _reachable(rule: Rule, family: set[str]) -> bool:
    """Whether the rule can hold with yeses inside ``family`` (and some age or region)."""

    def possible(term: str) -> bool:
        return not is_question_term(term) or term in family

    counted = rule.at_least.of if rule.at_least else ()
    return (
        bool(family.intersection(rule.terms))
        and all(map(possible, rule.all_of))
        and (not rule.any_of or any(map(possible, rule.any_of)))
        and (not rule.at_least or sum(map(possible, counted)) >= rule.at_least.count)
    )


def follow_ups(triage: TriageBank, question_id: str) -> list[Question]:
    """Every question a yes to ``question_id`` can open, directly or through another, in order."""
    family = {question_id}
    found: list[Question] = []
    for question in triage.questions:  # asking order puts a follow-up after what it follows
        if family.intersection(question.ask_if) and question.id not in family:
            family.add(question.id)
            found.append(question)
    return found


def next_follow_up(
    triage: TriageBank,
    question_id: str,
    answers: Mapping[str, Answer],
    profile: triage_core.Profile | None,
) -> Question | None:
    """The follow-up to ask next after the concern question, as the check would; None when done.

    A follow-up is due after a yes or not sure to one of the questions it follows. Unlike
    the check, region and age do not filter it: the person raised the topic themselves.
    ``profile`` (when known) only tells whether the answers already mean EMERGENCY.
    """
    if _already_emergency(triage, answers, profile):
        return None
    positive = {qid for qid, answer in answers.items() if answer is not Answer.NO}
    for question in follow_ups(triage, question_id):
        if question.id not in answers and positive.intersection(question.ask_if):
            return question
    return None


def _already_emergency(
    triage: TriageBank, answers: Mapping[str, Answer], profile: triage_core.Profile | None
) -> bool:
    if profile is not None:
        return triage_core.evaluate(triage, profile, answers).level is Level.EMERGENCY
    return any(
        answer is Answer.YES and triage.question(qid).level is Level.EMERGENCY
        for qid, answer in answers.items()
    )


def about_someone_else(bank: PhraseBank, text: str) -> bool:
    """Whether the message is about another person only ("my dad is grey and sweaty")."""
    return _only_someone_else(bank.compiled, normalise(bank, text))


def _only_someone_else(phrases: CompiledPhrases, words: str) -> bool:
    return bool(phrases.other_people.search(words)) and not phrases.first_person.search(words)


def describes_body(bank: PhraseBank, text: str) -> bool:
    """Whether a message talks about the body or how it feels ("my back's stiff today")."""
    body = bank.compiled.body
    return body is not None and body.search(normalise(bank, text)) is not None


def is_hurt_report(text: str, bank: PhraseBank | None = None) -> bool:
    """Whether a message typed during a session says that it hurts ("ouch", "that hurts",
    "me duele", "tut weh"): ``bank``, or any language's."""
    for one in (bank,) if bank is not None else load_banks():
        words = normalise(one, text)
        if any(_reported(one.compiled, pattern, words) for pattern in one.compiled.hurt):
            return True
    return False


def _reported(
    phrases: CompiledPhrases,
    pattern: re.Pattern[str],
    words: str,
    unless: re.Pattern[str] | None = None,
    *,
    anyone: bool = False,
) -> bool:
    return any(
        _own_report(phrases, found, words, unless, anyone=anyone)
        for found in pattern.finditer(words)
    )


def _own_report(
    phrases: CompiledPhrases,
    found: re.Match[str],
    words: str,
    unless: re.Pattern[str] | None,
    *,
    anyone: bool = False,
) -> bool:
    """Whether this match is the person reporting the sign now, not negating or quoting it.

    ``anyone``: a report about someone else counts too.
    """
    clause_start = words.rfind("|", 0, found.start()) + 1
    clause_end = words.find("|", found.end())
    before = words[clause_start : found.start()]
    rest_of_clause = words[found.start() : clause_end if clause_end >= 0 else len(words)]
    after = words[found.end() :]
    if _negated(phrases, before, after) or phrases.fiction_after.match(after):
        return False
    if _hypothetical(phrases, before, rest_of_clause):
        return False
    if unless is not None and unless.search(before + rest_of_clause):
        return False
    return anyone or not _about_someone_else(phrases, before, rest_of_clause)


def _hypothetical(phrases: CompiledPhrases, before: str, rest_of_clause: str) -> bool:
    """Talk about a sign, begun before the phrase: "what if", or "if my legs ever went numb"."""
    return any(
        found.start() < len(before)
        for found in phrases.hypothetical.finditer(before + rest_of_clause)
    )


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
