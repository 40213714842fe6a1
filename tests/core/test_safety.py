"""The free-text safety net, measured on statements written the way people type.

Each ``data/safety_*.yaml`` file holds red flags (each with the level and condition it
must raise) and benign, negated, hypothetical and someone-else messages. The headline test
prints recall per level and the false-alarm rate for every file, and holds each to the bar:
every EMERGENCY caught, at least 95% of URGENT, at most 5% false alarms.

Which files were tuned against, and what they scored the first time they were seen:

- ``safety_statements.yaml``: the original set, tuned against from the start.
- ``safety_heldout_1.yaml``: written before round 1 and scored blind on the original bank:
  EMERGENCY 33/82 (40%), URGENT and SEE_GP 11/22, false alarms 5/110 (4.5%). Round 1
  (concept pairs, ``near``) was then tuned against it.
- ``safety_heldout_2.yaml``: written after round 1 and scored blind on the round-1 bank:
  EMERGENCY 37/66 (56%), URGENT and SEE_GP 14/15, false alarms 8/103 (7.8%); the original
  bank would have caught 20/66. Round 2 was then tuned against it.

So all three files are now regression sets, not blind ones: a fresh file written by someone
who has not read content/safety_phrases.yaml is the only honest measure of recall.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.safety import is_hurt_report, load_bank, normalise, screen_text
from content.loader import CONTENT_DIR, ContentError, load_file
from content.schema.common import Level
from content.schema.safety import PhraseBank
from content.schema.triage import RedFlag

BANK = load_bank()
DATA = Path(__file__).parent / "data"
FILES = ("safety_statements.yaml", "safety_heldout_1.yaml", "safety_heldout_2.yaml")
STATEMENTS = {name: yaml.safe_load((DATA / name).read_text(encoding="utf-8")) for name in FILES}
RED_FLAGS: list[dict[str, str]] = [s for data in STATEMENTS.values() for s in data["red_flags"]]
BENIGN: list[str] = [text for data in STATEMENTS.values() for text in data["benign"]]
EMERGENCIES = [s["text"] for s in RED_FLAGS if s["level"] == Level.EMERGENCY]
# The least each file must hold to mean something: red flags, of them EMERGENCY, benign.
MINIMUM_SIZES = {
    "safety_statements.yaml": (100, 60, 100),
    "safety_heldout_1.yaml": (80, 50, 80),
    "safety_heldout_2.yaml": (60, 40, 60),
}


def _caught(statement: dict[str, str]) -> bool:
    alarm = screen_text(BANK, statement["text"])
    expected = Level(statement["level"])
    if expected is Level.EMERGENCY:
        return alarm is not None and alarm.level is Level.EMERGENCY
    return alarm is not None and alarm.level.severity >= expected.severity


@pytest.mark.parametrize("name", FILES)
def test_each_statement_file_is_big_enough_to_mean_something(name: str) -> None:
    red_flags, benign = STATEMENTS[name]["red_flags"], STATEMENTS[name]["benign"]
    least_red, least_emergency, least_benign = MINIMUM_SIZES[name]
    levels = [Level(statement["level"]) for statement in red_flags]
    assert len(red_flags) >= least_red
    assert levels.count(Level.EMERGENCY) >= least_emergency
    assert len(benign) >= least_benign
    for statement in red_flags:
        RedFlag(statement["condition"])  # every label is a real condition


@pytest.mark.parametrize("name", FILES)
def test_recall_and_false_alarms_meet_the_bar(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    red_flags, benign = STATEMENTS[name]["red_flags"], STATEMENTS[name]["benign"]
    by_level: dict[Level, list[dict[str, str]]] = defaultdict(list)
    for statement in red_flags:
        by_level[Level(statement["level"])].append(statement)
    recall = {level: sum(map(_caught, items)) / len(items) for level, items in by_level.items()}
    false_alarms = [text for text in benign if screen_text(BANK, text) is not None]
    false_alarm_rate = len(false_alarms) / len(benign)
    with capsys.disabled():
        print(f"\n  {name}")
        for level, items in sorted(by_level.items(), key=lambda item: -item[0].severity):
            print(f"  recall {level.value:<10} {recall[level]:6.1%}  ({len(items)} statements)")
        print(f"  false alarms     {false_alarm_rate:6.1%}  ({len(false_alarms)} of {len(benign)})")
        for text in false_alarms:
            print(f"    false alarm: {text!r}")
    missed = [s["text"] for s in by_level[Level.EMERGENCY] if not _caught(s)]
    assert not missed, f"missed emergencies: {missed}"
    assert recall[Level.URGENT] >= 0.95
    assert false_alarm_rate <= 0.05


@pytest.mark.parametrize("name", FILES)
def test_alarms_name_the_expected_condition(name: str) -> None:
    red_flags = STATEMENTS[name]["red_flags"]
    alarms = [(statement, screen_text(BANK, statement["text"])) for statement in red_flags]
    exact = [(s, alarm) for s, alarm in alarms if alarm and alarm.level == s["level"]]
    agree = [s for s, alarm in exact if alarm.condition == s["condition"]]
    assert len(agree) / len(exact) >= 0.9


# How people wrap a report: a greeting, a worried question, emoji, a second sentence.
CHAT_FRAMES = [
    ("hi sorry to bother you, ", ""),
    ("", " is that bad?"),
    ("", " 😭😭"),
    ("Morning! Quick question. ", " Should I still stretch today?"),
    ("not sure if this matters but ", ""),
    ("", ". my back is killing me too"),
]


@pytest.mark.parametrize(("before", "after"), CHAT_FRAMES)
def test_every_emergency_still_alarms_inside_ordinary_chat(before: str, after: str) -> None:
    missed = [
        text
        for text in EMERGENCIES
        if (alarm := screen_text(BANK, before + text + after)) is None
        or alarm.level is not Level.EMERGENCY
    ]
    assert not missed


@pytest.mark.parametrize(
    ("text", "alarms"),
    [
        # Concept pairs match in either order, with other words between them.
        ("numb down there", True),
        ("down there has gone a bit numb", True),
        # A negation between the two concepts keeps them apart.
        ("down there is not numb", False),
        # An innocent explanation in the clause cancels a tired-sounding pair.
        ("legs like jelly", True),
        ("legs like jelly after leg day", False),
        # Bladder words reach one clause further: people split the report in two.
        ("went for a wee, nothing came out", True),
        ("went for a wee. then did my stretches", False),
        # A film is not a report.
        ("car crash on the way home", True),
        ("watched a car crash film", False),
        # Fillers never widen a gap.
        ("my bum is kinda sort of literally numb", True),
    ],
)
def test_concept_pairs_generalise_without_listing_sentences(text: str, alarms: bool) -> None:
    alarm = screen_text(BANK, text)
    assert (alarm is not None and alarm.level is Level.EMERGENCY) is alarms


@pytest.mark.parametrize(
    ("text", "level", "condition"),
    [
        ("no idea why but I'm peeing myself", Level.EMERGENCY, RedFlag.CAUDA_EQUINA),
        ("my legs are numb, my dad said it's nothing", Level.EMERGENCY, RedFlag.CAUDA_EQUINA),
        ("can't feel myself when I wipe", Level.EMERGENCY, RedFlag.CAUDA_EQUINA),
        ("both legs gone numb", Level.EMERGENCY, RedFlag.CAUDA_EQUINA),
        ("worst headache of my life", Level.EMERGENCY, RedFlag.NECK_ARTERY),
        ("fell off a ladder", Level.EMERGENCY, RedFlag.MAJOR_TRAUMA),
        ("pulsing in my belly", Level.EMERGENCY, RedFlag.ANEURYSM),
        ("electric shocks down my spine when I bend my neck", Level.URGENT, RedFlag.MYELOPATHY),
        ("night sweats", Level.URGENT, RedFlag.INFECTION),
        ("lost a stone without trying", Level.SEE_GP, RedFlag.CANCER),
    ],
)
def test_examples_from_the_brief_raise_their_alarm(
    text: str, level: Level, condition: RedFlag
) -> None:
    alarm = screen_text(BANK, text)
    assert alarm is not None
    assert (alarm.level, alarm.condition) == (level, condition)
    assert alarm.source in BANK.sources.values()


@pytest.mark.parametrize(
    "text",
    [
        "no numbness",
        "I don't have a fever",
        "not numb",
        "never had cancer",
        "without any fever",
        "my dad had cancer",
        "my wife has a fever",
        "my friend fell off a ladder",
        "fever? no. numbness? no.",
        "what are the signs of cauda equina?",
    ],
)
def test_negated_and_someone_elses_signs_do_not_alarm(text: str) -> None:
    assert screen_text(BANK, text) is None


def test_the_most_severe_sign_in_a_message_wins() -> None:
    alarm = screen_text(BANK, "I've had a fever for days and now I'm peeing myself")
    assert alarm is not None and alarm.level is Level.EMERGENCY


def test_screening_is_fast_enough_for_every_message() -> None:
    texts = [statement["text"] for statement in RED_FLAGS] + BENIGN
    start = time.perf_counter()
    for text in texts:
        screen_text(BANK, text)
    mean = (time.perf_counter() - start) / len(texts)
    assert mean < 0.001, f"{mean * 1000:.2f} ms per message"


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("NUMB BUM!!! 😱", "numb bottom"),
        ("numbbbb down below", "numb groin"),
        ("I can't pee, it won't start", "i cant pee | it wont start"),
        ("weeing myself", "peeing myself"),
        ("no idea why but im peeing", "no idea why | but im peeing"),
        ("temp 38.5", "temperature 38 5"),
        ("my lady garden is kinda numb lol", "my groin is numb"),
        ("sat on the bog", "sat on the toilet"),
    ],
)
def test_messages_are_normalised_before_matching(text: str, normalised: str) -> None:
    assert normalise(BANK, text) == normalised


@pytest.mark.parametrize(
    ("text", "hurts"),
    [
        ("ouch", True),
        ("owww", True),
        ("OWWW 😣", True),
        ("it hurts", True),
        ("that hurts!", True),
        ("painful", True),
        ("hurting", True),
        ("too much pain", True),
        ("argh", True),
        ("doesn't hurt", False),
        ("it doesnt hurt at all", False),
        ("no pain", False),
        ("not painful", False),
        ("it hurts less now", False),
        ("feels good", False),
        ("done", False),
        ("yes", False),
        ("pain is 3", False),
        ("4", False),
        ("sharp pain in my hip", True),
    ],
)
def test_a_hurt_report_is_recognised_during_a_session(text: str, hurts: bool) -> None:
    assert is_hurt_report(text, BANK) is hurts


# ---------------------------------------------------------------- broken content


def _load_broken(tmp_path: Path, edit: Any) -> None:
    data = yaml.safe_load((CONTENT_DIR / "safety_phrases.yaml").read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "safety_phrases.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    load_file(PhraseBank, "safety_phrases.yaml", tmp_path)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda d: d["groups"][1]["patterns"].append("numb (legs"), ["groups", "pattern"]),
        (lambda d: d["groups"][1]["patterns"].append("{no_such_macro}"), ["no_such_macro"]),
        (lambda d: d["groups"][1].update(source="nobody_2099"), ["groups", "nobody_2099"]),
        (lambda d: d["context"]["negations"].append("(no"), ["context", "negations"]),
        (
            lambda d: d["groups"][1]["patterns"].append({"near": ["numb (", "legs"]}),
            ["groups", "pattern"],
        ),
        (
            lambda d: d["groups"][1]["patterns"].append({"near": ["numb", "legs"], "unless": "("}),
            ["groups", "unless"],
        ),
        (lambda d: d["fillers"].append("Kinda!"), ["fillers", "Kinda!"]),
    ],
    ids=[
        "bad regex",
        "unknown macro",
        "unknown source",
        "bad context regex",
        "bad near regex",
        "bad unless regex",
        "bad filler",
    ],
)
def test_broken_phrase_content_fails_naming_file_group_and_pattern(
    tmp_path: Path, edit: Any, named: list[str]
) -> None:
    with pytest.raises(ContentError) as error:
        _load_broken(tmp_path, edit)
    message = str(error.value)
    assert "safety_phrases.yaml" in message
    for words in named:
        assert words in message
    if named[0] == "groups":
        assert repr(BANK.groups[1].id) in message, "the message names the group"
