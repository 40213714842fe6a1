"""The safety net's second layer: it reads meaning, adds caution, and never takes it away.

The recall and false-alarm figures of both layers, file by file, are in test_safety.py;
here: the layer's guarantees (it never lowers what a rule found), its content checks (a
broken file stops start-up naming the file and field, stale weights fail a test), and the
kinds of message it exists for, each as a person would write them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot import meaning
from bot.core import meaning as core
from bot.core.safety import Alarm, Concern, classify_text, load_bank, normalise
from bot.core.typos import TypoFixer
from bot.meaning_training import fingerprint, training_set
from content.loader import CONTENT_DIR, ContentError, load_file
from content.schema.common import Level
from content.schema.meaning import MeaningContent
from content.schema.triage import RedFlag

BANK = load_bank()
READ = meaning.wait_until_ready()
CONTENT = core.load_content()


def both(text: str) -> Alarm | Concern | None:
    return core.classify(BANK, text, READ)


def _alarm(found: Alarm | Concern | None) -> Alarm | None:
    return found.alarm if isinstance(found, Concern) else found


def _alarms_at(found: Alarm | Concern | None, level: Level) -> bool:
    alarm = _alarm(found)
    return alarm is not None and alarm.level is level


def test_the_shipped_weights_were_trained_on_todays_content() -> None:
    """Change an example or a statement file, and this fails until `make train-safety`."""
    weights = meaning.load_weights()
    pairs = training_set(CONTENT)
    assert weights.fingerprint == fingerprint(pairs, CONTENT.thresholds.regularisation)


# --------------------------------------------------------- messages the rules alone missed
@pytest.mark.parametrize(
    ("text", "level"),
    [
        # Urinary retention, with a typo the rules now correct.
        ("bladdr feels full but nothing comes out 😰 lower back agony", Level.EMERGENCY),
        # A tearing pain between the shoulder blades: an aortic emergency.
        (
            "ripping feeling between my shoulder blades came out of nowhere and im sweating "
            "buckets",
            Level.EMERGENCY,
        ),
        # Australian English for being hit by a car on a bicycle this afternoon.
        (
            "got cleaned up by a car on my pushbike this arvo, back's pretty sore now",
            Level.EMERGENCY,
        ),
        # A foot drop that came on overnight.
        (
            "yesterday i was catching my right toes a bit, today i cant lift the front of the "
            "foot at all",
            Level.EMERGENCY,
        ),
        # Someone else's meningitis signs, happening now.
        (
            "my flatmate has a stiff neck and fever and a rash that doesnt fade when i press a "
            "glass on it",
            Level.EMERGENCY,
        ),
    ],
)
def test_the_misses_quoted_in_the_issue_get_the_emergency_advice_at_once(
    text: str, level: Level
) -> None:
    assert _alarms_at(both(text), level)


def test_someone_elses_emergency_happening_now_gets_the_advice_for_them() -> None:
    alarm = _alarm(both("my dad is 72, sudden belly and back pain, grey and sweaty"))
    assert alarm is not None and alarm.level is Level.EMERGENCY
    assert alarm.for_someone_else


@pytest.mark.parametrize(
    "text",
    [
        "had a car crash in 2008, fully recovered",
        "my gran had cancer years ago, she's fine now",
        "what does saddle numbness mean?",
        "what if my legs went numb, what should I do?",
        "legs are killing me after leg day at the gym",
    ],
)
def test_past_events_questions_and_gym_soreness_raise_no_alarm(text: str) -> None:
    assert _alarm(both(text)) is None


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("no puedo orinar, tengo la vejiga llena y me duele mucho la espalda", Level.EMERGENCY),
        (
            "ich kann seit heute morgen nicht mehr pinkeln und spüre meinen Po nicht",
            Level.EMERGENCY,
        ),
    ],
)
def test_the_layer_reads_spanish_and_german(text: str, level: Level) -> None:
    assert _alarms_at(both(text), level)


# ---------------------------------------------------------------- it only ever adds caution
def _alarm_at(level: Level, condition: RedFlag = RedFlag.CAUDA_EQUINA) -> Alarm:
    return Alarm(level, condition, "test.1", "a source")


def _concern(question: str, alarm: Alarm | None = None) -> Concern:
    return Concern(
        condition=RedFlag.CAUDA_EQUINA,
        question_id=question,
        topic_question_id=question,
        level=core.reach(question),
        topic_id="test.1",
        source="a source",
        alarm=alarm,
    )


LEVELS = [Level.EMERGENCY, Level.URGENT, Level.SEE_GP]
QUESTIONS = ["cauda_equina_signs", "leg_nerve_signs", "cancer_history", "pregnant"]
found_by_rules = st.one_of(
    st.none(),
    st.sampled_from(LEVELS).map(_alarm_at),
    st.builds(
        _concern,
        st.sampled_from(QUESTIONS),
        st.one_of(st.none(), st.sampled_from(LEVELS[1:]).map(_alarm_at)),
    ),
)
suggested = st.one_of(
    st.none(),
    st.sampled_from(LEVELS).map(lambda level: _alarm_at(level, RedFlag.ANEURYSM)),
    st.builds(_concern, st.sampled_from(QUESTIONS)),
)


@given(found_by_rules, suggested)
def test_the_layer_never_turns_a_rules_alarm_or_question_into_less(
    found: Alarm | Concern | None, suggestion: Alarm | Concern | None
) -> None:
    merged = core.add_caution(found, suggestion)
    rule_alarm, merged_alarm = _alarm(found), _alarm(merged)
    if rule_alarm is not None:
        assert merged_alarm is not None
        assert merged_alarm.level.severity >= rule_alarm.level.severity
    if isinstance(found, Concern):
        # The rule's question is still asked, unless an emergency alarm stops everything.
        assert (isinstance(merged, Concern) and merged.question_id == found.question_id) or (
            merged_alarm is not None and merged_alarm.level is Level.EMERGENCY
        )


def test_on_every_statement_the_layer_never_lowers_a_rules_alarm() -> None:
    data = Path(__file__).parent / "data"
    lowered = []
    for path in sorted(data.glob("safety_*.yaml")):
        statements = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts = [s["text"] for s in statements["red_flags"]] + list(statements["benign"])
        for text in texts:
            rule_alarm, merged = _alarm(classify_text(BANK, text)), _alarm(both(text))
            if rule_alarm is not None and (
                merged is None or merged.level.severity < rule_alarm.level.severity
            ):
                lowered.append(text)
    assert not lowered


# ---------------------------------------------------------------- typos
@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("bladdr", "bladder"),
        ("numbnes", "numbness"),
        ("tinglling", "tingling"),
        ("incontinant", "incontinent"),
        ("ladder", "ladder"),  # a real word is never "corrected"
        ("elses", "elses"),  # nor is a possessive of one
        ("qwxyzk", "qwxyzk"),  # nor a word close to no red-flag word
    ],
)
def test_misspelt_red_flag_words_are_read_as_meant(typed: str, read: str) -> None:
    assert normalise(BANK, typed) == read


def test_the_typo_memory_stays_bounded() -> None:
    fixer = TypoFixer(["bladder"])
    for number in range(30_000):
        fixer.fix(f"qqqq{number}x")
    assert len(fixer._fixed) <= 20_000


# ---------------------------------------------------------------- broken content
def _load_broken(tmp_path: Path, edit: Any) -> None:
    data = yaml.safe_load((CONTENT_DIR / "safety_meaning.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "safety_meaning.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    load_file(MeaningContent, "safety_meaning.yaml", tmp_path)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d["conditions"]["cancer"].update(ask="no_such_question"), "no_such_question"),
        (lambda d: d["conditions"]["cancer"].update(source="nobody_2099"), "nobody_2099"),
        (lambda d: d["conditions"].pop("meningitis"), "meningitis"),
        (
            lambda d: d["red_flags"].append({"text": "x", "condition": "gout", "level": "URGENT"}),
            "red_flags",
        ),
        (
            lambda d: d["red_flags"].append({"text": "x", "condition": "cancer", "level": "CLEAR"}),
            "red_flags",
        ),
        (lambda d: d["thresholds"].update(alarm_at=1.5), "thresholds.alarm_at"),
    ],
    ids=[
        "unknown question",
        "unknown source",
        "missing condition",
        "unknown condition",
        "CLEAR",
        "threshold",
    ],
)
def test_broken_meaning_content_fails_naming_file_and_field(
    tmp_path: Path, edit: Any, named: str
) -> None:
    with pytest.raises(ContentError) as error:
        _load_broken(tmp_path, edit)
    assert "safety_meaning.yaml" in str(error.value)
    assert named in str(error.value)


def _npz(**fields: Any) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    np.savez(buffer, **fields)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        (
            {
                "labels": np.array(["benign", "cancer:URGENT"]),
                "weights": np.zeros((3, 512)),
                "bias": np.zeros(2),
                "fingerprint": np.array("x"),
            },
            "weights",
        ),
        (
            {
                "labels": np.array(["benign", "gout:URGENT"]),
                "weights": np.zeros((2, 512)),
                "bias": np.zeros(2),
                "fingerprint": np.array("x"),
            },
            "labels",
        ),
        ({"labels": np.array(["benign"])}, "weights"),
    ],
    ids=["wrong shape", "unknown label", "missing array"],
)
def test_broken_weights_fail_naming_the_file(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(ContentError) as error:
        meaning.load_weights(_npz(**fields))
    assert "safety_meaning.npz" in str(error.value)
    assert named in str(error.value)


def test_the_word_list_is_pyspellcheckers_dictionary() -> None:
    """Read from the file in a leaner way, but the same words: one more or fewer changes
    which misspellings are put right."""
    from spellchecker import SpellChecker

    from bot.core.typos import known_words

    dictionary = SpellChecker(language="en", distance=1).word_frequency.dictionary
    expected = {word.replace("'", "") for word in dictionary}
    words = known_words()
    assert len(words) == len(expected)
    assert all(word in words for word in expected)
    assert "bladdr" not in words and "" not in words and "x" * 80 not in words
