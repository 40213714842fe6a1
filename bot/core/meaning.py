"""The safety net's second layer: what a message means, read from its sentence embedding.

The phrase rules (bot/core/safety.py) know the words people were seen to use; a message
worded as nobody wrote before falls through them. This layer reads the message's meaning
instead: a multilingual sentence embedding (bot/meaning.py computes it) is scored by a
logistic regression trained on labelled messages (content/safety_meaning.yaml and the
statement files). :func:`suggest` turns the scores into one of three outcomes:

- an :class:`~bot.core.safety.Alarm` at the label's level, when one condition and level is
  likely enough (``alarm_at``);
- a :class:`~bot.core.safety.Concern`, the question content/safety_meaning.yaml names for
  the likeliest condition, when the message is likely enough not to be benign
  (``concern_at``) but no one label is sure;
- nothing.

Talk about a sign ("what if my legs went numb?"), as the phrase bank's context
recognises it, never alarms here: at most it asks. :func:`add_caution` merges a suggestion
into what the rules found, and only ever adds: a rule's alarm is never lowered and a
rule's question never dropped, unless an emergency alarm replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.core import triage as triage_core
from bot.core.safety import Alarm, Concern, classify_text, reach
from content.loader import cached
from content.schema.common import Level
from content.schema.meaning import BENIGN, MeaningContent, MeaningWeights
from content.schema.safety import PhraseBank
from content.schema.triage import RedFlag

Found = Alarm | Concern | None


def load_content() -> MeaningContent:
    return cached(MeaningContent, "safety_meaning.yaml")


@dataclass(frozen=True)
class Reading:
    """How likely the message is each label: the likeliest red flag, and not benign at all."""

    condition: RedFlag
    level: Level
    likelihood: float  # of that condition at that level
    not_benign: float  # of any red flag


def read(weights: MeaningWeights, embedding: np.ndarray) -> Reading:
    """The regression's probabilities for one embedding (a softmax over the labels)."""
    scores = weights.weights @ embedding + weights.bias
    scores = np.exp(scores - scores.max())
    probabilities = scores / scores.sum()
    benign = weights.labels.index(BENIGN)
    not_benign = 1.0 - float(probabilities[benign])
    probabilities[benign] = -1.0
    top = int(np.argmax(probabilities))
    condition, _, level = weights.labels[top].partition(":")
    return Reading(RedFlag(condition), Level(level), float(probabilities[top]), not_benign)


def suggest(
    content: MeaningContent,
    reading: Reading,
    *,
    talk_about_a_sign: bool,
    someone_else: bool = False,
) -> Found:
    """What the layer adds on its own: an alarm, a question, or nothing.

    ``someone_else``: the message is about another person; an emergency is theirs.
    """
    thresholds = content.thresholds
    if reading.not_benign < thresholds.concern_at:
        return None
    advice = content.conditions[reading.condition]
    source = content.sources[advice.source]
    confident = reading.likelihood >= thresholds.alarm_at and not talk_about_a_sign
    # A before-exercising sign is only worth its question, whose answer adapts the routine.
    if confident and reading.level is not Level.CHECK_FIRST:
        label = f"{reading.condition.value}:{reading.level.value}"
        theirs = someone_else and reading.level is Level.EMERGENCY
        return Alarm(reading.level, reading.condition, f"meaning.{label}", source, theirs)
    if advice.ask is None:
        return None
    question = triage_core.load_bank().question(advice.ask)
    return Concern(
        condition=question.condition,
        question_id=question.id,
        topic_question_id=question.id,
        level=reach(question.id),
        topic_id=f"meaning.{reading.condition.value}",
        source=source,
    )


def add_caution(found: Found, suggestion: Found) -> Found:
    """The rules' result with the layer's suggestion added, never taken away.

    An emergency alarm stands alone (nothing else is asked after it). A lesser alarm joins
    the rules' question as the advice said first; a question comes with the rules' lesser
    alarm when it can lead further than that alarm.
    """
    rule_alarm = found.alarm if isinstance(found, Concern) else found
    if suggestion is None or (rule_alarm is not None and rule_alarm.level is Level.EMERGENCY):
        return found
    if isinstance(suggestion, Alarm):
        if rule_alarm is not None and suggestion.level.severity <= rule_alarm.level.severity:
            return found
        if suggestion.level is Level.EMERGENCY or found is None or isinstance(found, Alarm):
            return suggestion
        return replace(found, alarm=suggestion)
    if found is None:
        return suggestion
    if isinstance(found, Alarm) and suggestion.level.severity > found.level.severity:
        return replace(suggestion, alarm=found)
    return found


def classify(
    banks: PhraseBank | Sequence[PhraseBank], text: str, read: Callable[[str], Found] | None
) -> Found:
    """Both layers: the phrase rules of every language's bank, each adding caution to the
    last, then the meaning layer's added caution (once loaded)."""
    ordered = (banks,) if isinstance(banks, PhraseBank) else tuple(banks)
    found = classify_text(ordered[0], text)
    for bank in ordered[1:]:
        found = add_caution(found, classify_text(bank, text))
    return add_caution(found, read(text) if read is not None else None)


def rules_of_every_language(banks: Sequence[PhraseBank], text: str) -> Found:
    """The phrase rules alone, every language's bank adding caution to English's."""
    return classify(banks, text, None)
