"""Schema of ``content/safety_meaning.yaml`` and of the trained weights beside it.

The YAML holds what a clinician can read and change: which question each condition's
concern asks, the source of its advice, how sure the layer must be before it asks or
alarms, and labelled examples. ``safety_meaning.npz`` holds what training made of them: a
logistic regression over sentence embeddings, one row per label (``benign`` or
``<condition>:<level>``). Both are checked at load: an unknown condition, question or
source, a label the YAML does not allow, or weights of the wrong shape stop start-up,
naming the file and the field.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from content.loader import cached
from content.schema.common import Level, Strict
from content.schema.triage import RedFlag, TriageBank

BENIGN = "benign"
Probability = Annotated[float, Field(gt=0, lt=1)]
Text = Annotated[str, Field(min_length=1, max_length=1000)]


def label_of(condition: RedFlag, level: Level) -> str:
    return f"{condition.value}:{level.value}"


class ConditionAdvice(Strict):
    source: str
    # The question of content/triage.yaml asked when the layer is unsure; None: alarm only.
    ask: str | None = None


class Thresholds(Strict):
    concern_at: Probability
    alarm_at: Probability
    regularisation: Annotated[float, Field(gt=0)]


class Example(Strict):
    text: Text
    condition: RedFlag
    level: Level

    @field_validator("level")
    @classmethod
    def _a_red_flag_level(cls, level: Level) -> Level:
        if level is Level.CLEAR:
            raise ValueError("a red flag needs a level above CLEAR; benign messages go in benign")
        return level


class MeaningContent(Strict):
    sources: dict[str, Text]
    conditions: dict[RedFlag, ConditionAdvice]
    thresholds: Thresholds
    red_flags: Annotated[tuple[Example, ...], Field(min_length=1)]
    benign: Annotated[tuple[Text, ...], Field(min_length=1)]

    @field_validator("conditions")
    @classmethod
    def _known_questions_and_sources(
        cls, conditions: dict[RedFlag, ConditionAdvice], info: ValidationInfo
    ) -> dict[RedFlag, ConditionAdvice]:
        sources = info.data.get("sources", {})
        triage = cached(TriageBank, "triage.yaml")
        known = {question.id for question in triage.questions}
        for condition, advice in conditions.items():
            if advice.source not in sources:
                raise ValueError(f"{condition.value}: unknown source {advice.source!r}")
            if advice.ask is not None and advice.ask not in known:
                raise ValueError(f"{condition.value}: unknown triage question {advice.ask!r}")
        missing = set(RedFlag) - set(conditions)
        if missing:
            raise ValueError(f"no advice for {sorted(c.value for c in missing)}")
        return conditions


class MeaningWeights(Strict):
    """The trained regression: ``scores = embedding @ weights.T + bias``, one per label."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    labels: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    # A digest of the training messages, labels and settings: a test fails when the
    # content changed and the weights were not trained again.
    fingerprint: str

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        if BENIGN not in labels:
            raise ValueError("no 'benign' label")
        for label in labels:
            if label == BENIGN:
                continue
            condition, _, level = label.partition(":")
            RedFlag(condition)
            if Level(level) is Level.CLEAR:
                raise ValueError(f"label {label!r}: CLEAR is not a red flag")
        return labels

    @model_validator(mode="after")
    def _shapes_agree(self) -> MeaningWeights:
        if self.weights.ndim != 2 or self.weights.shape[0] != len(self.labels):
            raise ValueError(f"weights: shape {self.weights.shape} for {len(self.labels)} labels")
        if self.bias.shape != (len(self.labels),):
            raise ValueError(f"bias: shape {self.bias.shape} for {len(self.labels)} labels")
        if not (np.isfinite(self.weights).all() and np.isfinite(self.bias).all()):
            raise ValueError("weights: not all finite")
        return self
