"""Schema of ``content/triage.yaml``: the red-flag questions and the rules that combine them.

The file has three parts. ``sources`` names every reference once (key -> citation);
``questions`` is the asking order, most dangerous first; ``rules`` raise a level when
answers combine (cancer history AND new pain, 4 of 5 inflammatory features, ...).

A rule term is a question id, ``age:<band>`` for the person's age band, or
``region:<region>`` for where it hurts (cancer history with neck or upper-back pain). Every
reference (a rule term, a follow-up's ``ask_if``, a ``source``) is checked at load, so
a typo stops start-up with the file, the field and the rule or question that has it.

A question may be a checklist: one question line, then one "• " line per sign of the same
condition, answered once ("any of these?"). Every text must fit one phone screen.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from content.schema.common import AgeBand, Condition, Level, Region, Strict

Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]
# About one phone screen with the answer buttons below it. English keeps to 350; Spanish and
# German run 10-20% longer, so the limit every language shares is 400.
QUESTION_MAX_CHARS = 400
QuestionText = Annotated[str, Field(min_length=1, max_length=QUESTION_MAX_CHARS)]

AGE_TERM_PREFIX = "age:"
REGION_TERM_PREFIX = "region:"
BACK_REGIONS = (Region.UPPER_BACK, Region.LOWER_BACK, Region.LOWER_BACK_LEG)
# Shorthands for the regions a question applies to; a list of Region values also works.
REGION_SCOPES: dict[str, tuple[Region, ...]] = {
    "all": tuple(Region),
    "back": BACK_REGIONS,
    "neck": (Region.NECK,),
}


class RedFlag(StrEnum):
    """The clinical concern a question, rule or phrase points to (clinical brief, section 3)."""

    CAUDA_EQUINA = "cauda_equina"
    PROGRESSIVE_DEFICIT = "progressive_deficit"
    MAJOR_TRAUMA = "major_trauma"
    FRAGILITY_FRACTURE = "fragility_fracture"
    CANCER = "cancer"
    INFECTION = "infection"
    ANEURYSM = "aneurysm"
    INFLAMMATORY = "inflammatory"
    MYELOPATHY = "myelopathy"
    NECK_ARTERY = "neck_artery"
    NECK_INJURY = "neck_injury"
    MENINGITIS = "meningitis"
    BEFORE_EXERCISE = "before_exercise"
    CHILD = "child"


class Question(Strict):
    """One yes / no / not-sure question about one symptom, or a checklist of one condition's."""

    id: Id
    text: QuestionText
    # A short noun phrase for "You weren't sure about <topic>".
    topic: Text
    condition: RedFlag
    # Level of a plain "yes"; None when the answer only counts inside a rule.
    level: Level | None = None
    regions: Annotated[tuple[Region, ...], Field(min_length=1)] = tuple(Region)
    age_bands: tuple[AgeBand, ...] | None = None
    # A follow-up: asked only when one of these was answered yes or not sure.
    ask_if: tuple[Id, ...] = ()
    sets_condition: Condition | None = None
    source: Id
    why: Text | None = None

    @field_validator("regions", mode="before")
    @classmethod
    def _expand_scope(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in REGION_SCOPES:
                raise ValueError(f"use a list of regions or one of {sorted(REGION_SCOPES)}")
            return REGION_SCOPES[value]
        return value

    @field_validator("level")
    @classmethod
    def _no_clear_level(cls, value: Level | None) -> Level | None:
        if value is Level.CLEAR:
            raise ValueError("a question's 'yes' cannot be CLEAR; leave level out instead")
        return value


class AtLeast(Strict):
    count: Annotated[int, Field(ge=1)]
    of: tuple[str, ...]

    @model_validator(mode="after")
    def _count_fits(self) -> AtLeast:
        if self.count > len(self.of):
            raise ValueError(f"count {self.count} is more than the {len(self.of)} terms listed")
        return self


class Rule(Strict):
    """Answers that together raise a level. Every clause given must hold."""

    id: Id
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    at_least: AtLeast | None = None
    level: Level
    condition: RedFlag
    source: Id
    why: Text | None = None

    @model_validator(mode="after")
    def _has_a_clause(self) -> Rule:
        if not (self.all_of or self.any_of or self.at_least):
            raise ValueError(f"rule {self.id!r} needs all_of, any_of or at_least")
        if self.level is Level.CLEAR:
            raise ValueError(f"rule {self.id!r}: level CLEAR would never show")
        return self

    @property
    def terms(self) -> tuple[str, ...]:
        extra = self.at_least.of if self.at_least else ()
        return self.all_of + self.any_of + extra


def age_band_of(term: str) -> AgeBand | None:
    """The age band an ``age:<band>`` term names, or None for any other term."""
    if not term.startswith(AGE_TERM_PREFIX):
        return None
    return AgeBand(term.removeprefix(AGE_TERM_PREFIX))


def region_of(term: str) -> Region | None:
    """The region a ``region:<region>`` term names, or None for any other term."""
    if not term.startswith(REGION_TERM_PREFIX):
        return None
    return Region(term.removeprefix(REGION_TERM_PREFIX))


def is_question_term(term: str) -> bool:
    return not term.startswith((AGE_TERM_PREFIX, REGION_TERM_PREFIX))


class TriageBank(Strict):
    sources: dict[Id, Text]
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...] = ()

    @field_validator("questions")
    @classmethod
    def _questions_consistent(
        cls, questions: tuple[Question, ...], info: ValidationInfo
    ) -> tuple[Question, ...]:
        sources = info.data.get("sources", {})
        seen: set[str] = set()
        for question in questions:
            if question.id in seen:
                raise ValueError(f"question {question.id!r} is defined twice")
            if question.source not in sources:
                raise ValueError(f"question {question.id!r}: unknown source {question.source!r}")
            for parent in question.ask_if:
                if parent not in seen:
                    raise ValueError(
                        f"question {question.id!r}: ask_if names {parent!r}, "
                        "which is not a question asked before it"
                    )
            seen.add(question.id)
        return questions

    @field_validator("rules")
    @classmethod
    def _rules_consistent(cls, rules: tuple[Rule, ...], info: ValidationInfo) -> tuple[Rule, ...]:
        sources = info.data.get("sources", {})
        question_ids = {question.id for question in info.data.get("questions", ())}
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule {rule.id!r} is defined twice")
            seen.add(rule.id)
            if rule.source not in sources:
                raise ValueError(f"rule {rule.id!r}: unknown source {rule.source!r}")
            for term in rule.terms:
                _check_term(rule.id, term, question_ids)
        return rules

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)


def _check_term(rule_id: str, term: str, question_ids: set[str]) -> None:
    if term.startswith(AGE_TERM_PREFIX):
        if term.removeprefix(AGE_TERM_PREFIX) not in {band.value for band in AgeBand}:
            raise ValueError(f"rule {rule_id!r}: unknown age band in {term!r}")
    elif term.startswith(REGION_TERM_PREFIX):
        if term.removeprefix(REGION_TERM_PREFIX) not in {region.value for region in Region}:
            raise ValueError(f"rule {rule_id!r}: unknown region in {term!r}")
    elif term not in question_ids:
        raise ValueError(f"rule {rule_id!r}: unknown question {term!r}")
