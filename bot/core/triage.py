"""The red-flag screen: which question comes next, and what the answers mean.

Questions come from ``content/triage.yaml`` in asking order, most dangerous first,
filtered by where it hurts and the age band. After every answer the flow calls
:func:`next_question`; it returns None when the screen is done, or at once when the answers
already mean EMERGENCY, because then nothing else matters. To keep the check short on a
phone it also skips a question that can no longer change the advice: when neither its own
level, nor a rule it could still complete, nor a follow-up it opens is above the level the
answers already give, and nothing in it adapts the routine (``sets_condition``). So a person
already sent to a doctor today is not asked about things that only mean "see a GP", and the
inflammatory-pain questions stop once 4 of 5 can no longer be reached.

:func:`evaluate` turns answers into a :class:`Verdict`: the most severe level found, every
finding that led to it, and the conditions the routine must adapt to. "Not sure" is read as
"maybe yes": on an EMERGENCY question it means "get checked today" (URGENT), on any other
question it keeps that question's level. Rules combine answers the same way, so a rule that
only holds thanks to a "not sure" gives at most URGENT. Nothing here reads the clock,
Telegram or the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum

from babel.lists import format_list

from bot.core.answers import Answer
from content import languages
from content.languages import localised
from content.schema.common import AgeBand, Condition, Level, Region
from content.schema.texts import t
from content.schema.triage import (
    Question,
    RedFlag,
    Rule,
    TriageBank,
    age_band_of,
    is_question_term,
    region_of,
)

__all__ = [
    "Answer",
    "Finding",
    "Profile",
    "Verdict",
    "applies_to",
    "evaluate",
    "load_bank",
    "next_question",
    "plain_reason",
    "questions_for",
    "unsure_level",
]


@dataclass(frozen=True)
class Profile:
    """What onboarding asked before the screen: where it hurts and the age band."""

    region: Region
    age_band: AgeBand


@dataclass(frozen=True)
class Finding:
    """One reason for a level: a question answered yes / not sure, or a rule that held."""

    condition: RedFlag
    level: Level
    source: str  # the citation, as written in the content file
    question_ids: tuple[str, ...]
    unsure: bool  # True when it rests on a "not sure": the advice says "get it checked"
    level_if_yes: Level  # what a firm "yes" would give; above `level` only when unsure
    rule_id: str | None = None
    unsure_ids: tuple[str, ...] = ()  # the questions among question_ids answered "not sure"


@dataclass(frozen=True)
class Verdict:
    level: Level
    findings: tuple[Finding, ...]  # most severe first
    conditions: frozenset[Condition]

    @property
    def unsure_question_ids(self) -> tuple[str, ...]:
        """Questions answered "not sure" that count towards a finding, in asking order."""
        seen: dict[str, None] = {}
        for finding in self.findings:
            if finding.unsure:
                seen.update(dict.fromkeys(finding.unsure_ids))
        return tuple(seen)


class _Truth(IntEnum):
    NO = 0
    MAYBE = 1  # answered "not sure"
    YES = 2


_POSITIVE = (Answer.YES, Answer.UNSURE)


def load_bank() -> TriageBank:
    """The triage content in this update's language, validated once per process."""
    return localised(TriageBank, "triage.yaml")


def unsure_level(level: Level) -> Level:
    """The level a "not sure" gives: a question's own level, but never above URGENT."""
    return Level.URGENT if level.severity > Level.URGENT.severity else level


def applies_to(question: Question, profile: Profile) -> bool:
    in_age = question.age_bands is None or profile.age_band in question.age_bands
    return profile.region in question.regions and in_age


def questions_for(bank: TriageBank, profile: Profile) -> list[Question]:
    """Every question this person may be asked, in asking order (follow-ups included)."""
    return [question for question in bank.questions if applies_to(question, profile)]


def next_question(
    bank: TriageBank, profile: Profile, answers: Mapping[str, Answer]
) -> Question | None:
    """The next question to ask, or None when done or when the answers already mean EMERGENCY.

    A follow-up comes only after a yes or not sure to one of its ``ask_if`` questions, and a
    question that could no longer change the advice is skipped (see the module docstring).
    """
    level = evaluate(bank, profile, answers).level
    if level is Level.EMERGENCY:
        return None
    for question in questions_for(bank, profile):
        if question.id in answers or not _is_due(question, answers):
            continue
        if _could_change_advice(bank, profile, answers, question, level):
            return question
    return None


def _is_due(question: Question, answers: Mapping[str, Answer]) -> bool:
    return not question.ask_if or any(answers.get(q) in _POSITIVE for q in question.ask_if)


def _could_change_advice(
    bank: TriageBank,
    profile: Profile,
    answers: Mapping[str, Answer],
    question: Question,
    level: Level,
) -> bool:
    """Whether some answer here, or to a follow-up it opens, could raise ``level`` or adapt
    the routine. It errs towards asking: an extra question is the safe mistake."""
    family = _with_follow_ups(bank, profile, question)
    if any(member.sets_condition is not None for member in family):
        return True
    ids = {member.id for member in family}
    reach = [member.level for member in family if member.level is not None]
    for rule in bank.rules:
        if ids.intersection(rule.terms) and (
            best := _best_rule_level(bank, profile, answers, rule)
        ):
            reach.append(best)
    return any(possible.severity > level.severity for possible in reach)


def _with_follow_ups(bank: TriageBank, profile: Profile, question: Question) -> list[Question]:
    """The question and every follow-up it can open, directly or through another follow-up."""
    family = [question]
    ids = {question.id}
    # Asking order puts a follow-up after its ask_if questions, so one pass finds them all.
    for candidate in questions_for(bank, profile):
        if ids.intersection(candidate.ask_if):
            family.append(candidate)
            ids.add(candidate.id)
    return family


def _best_rule_level(
    bank: TriageBank, profile: Profile, answers: Mapping[str, Answer], rule: Rule
) -> Level | None:
    """The highest level the rule could still give if every open question got a "yes".

    A term already answered "not sure" stays a maybe, so such a rule reaches at most URGENT.
    None when the answers so far rule it out (a "no", or a question that won't be asked).
    """

    def best_case(term: str) -> _Truth:
        if not is_question_term(term) or term in answers:
            return _truth(term, profile, answers)
        question = bank.question(term)
        still_open = applies_to(question, profile) and (
            not question.ask_if or any(answers.get(q) is not Answer.NO for q in question.ask_if)
        )
        return _Truth.YES if still_open else _Truth.NO

    truths = {term: best_case(term) for term in rule.terms}
    if _holds(rule, truths, _Truth.YES):
        return rule.level
    return unsure_level(rule.level) if _holds(rule, truths, _Truth.MAYBE) else None


def evaluate(bank: TriageBank, profile: Profile, answers: Mapping[str, Answer]) -> Verdict:
    """The verdict the answers so far give. Answers to unknown question ids are ignored."""
    findings = [*_question_findings(bank, answers), *_rule_findings(bank, profile, answers)]
    # A stable sort: equal levels keep asking order, questions before rules.
    findings.sort(key=lambda finding: -finding.level.severity)
    conditions = frozenset(
        question.sets_condition
        for question in bank.questions
        if question.sets_condition is not None and answers.get(question.id) in _POSITIVE
    )
    return Verdict(
        level=findings[0].level if findings else Level.CLEAR,
        findings=tuple(findings),
        conditions=conditions,
    )


def _question_findings(bank: TriageBank, answers: Mapping[str, Answer]) -> Iterator[Finding]:
    for question in bank.questions:
        answer = answers.get(question.id)
        if question.level is None or answer not in _POSITIVE:
            continue
        unsure = answer is Answer.UNSURE
        yield Finding(
            condition=question.condition,
            level=unsure_level(question.level) if unsure else question.level,
            source=bank.sources[question.source],
            question_ids=(question.id,),
            unsure=unsure,
            level_if_yes=question.level,
            unsure_ids=(question.id,) if unsure else (),
        )


def _rule_findings(
    bank: TriageBank, profile: Profile, answers: Mapping[str, Answer]
) -> Iterator[Finding]:
    for rule in bank.rules:
        truths = {term: _truth(term, profile, answers) for term in rule.terms}
        # First on firm answers only; failing that, with "not sure" read as "maybe yes".
        for least in (_Truth.YES, _Truth.MAYBE):
            if not _holds(rule, truths, least):
                continue
            unsure = least is _Truth.MAYBE
            counted = [t for t, value in truths.items() if value >= least and is_question_term(t)]
            yield Finding(
                condition=rule.condition,
                level=unsure_level(rule.level) if unsure else rule.level,
                source=bank.sources[rule.source],
                question_ids=tuple(counted),
                unsure=unsure,
                level_if_yes=rule.level,
                rule_id=rule.id,
                unsure_ids=tuple(t for t in counted if truths[t] is _Truth.MAYBE),
            )
            break


def _truth(term: str, profile: Profile, answers: Mapping[str, Answer]) -> _Truth:
    """A rule term as the answers so far have it: an unasked question counts as no."""
    if (band := age_band_of(term)) is not None:
        return _Truth.YES if profile.age_band is band else _Truth.NO
    if (region := region_of(term)) is not None:
        return _Truth.YES if profile.region is region else _Truth.NO
    answer = answers.get(term)
    if answer is Answer.YES:
        return _Truth.YES
    return _Truth.MAYBE if answer is Answer.UNSURE else _Truth.NO


def _holds(rule: Rule, truths: Mapping[str, _Truth], least: _Truth) -> bool:
    def true(term: str) -> bool:
        return truths[term] >= least

    if rule.all_of and not all(map(true, rule.all_of)):
        return False
    if rule.any_of and not any(map(true, rule.any_of)):
        return False
    return not rule.at_least or sum(map(true, rule.at_least.of)) >= rule.at_least.count


def plain_reason(finding: Finding, bank: TriageBank | None = None) -> str:
    """One plain line saying why a finding matters, for the outcome message.

    A "not sure" names what to get checked ("You weren't sure about fainting ..."), today
    when a "yes" would have been an emergency. Otherwise the question's or rule's own
    ``why``, or the line for its condition.
    """
    bank = bank or load_bank()
    if finding.unsure:
        topics = [bank.question(qid).topic for qid in finding.unsure_ids]
        today = finding.level_if_yes is Level.EMERGENCY
        key = "triage.reason_unsure_today" if today else "triage.reason_unsure"
        return t(key, topic=format_list(topics, locale=languages.locale()))
    if finding.rule_id is not None:
        own = next(rule.why for rule in bank.rules if rule.id == finding.rule_id)
    else:
        own = bank.question(finding.question_ids[0]).why
    return own or t(f"triage.why_{finding.condition.value}")
