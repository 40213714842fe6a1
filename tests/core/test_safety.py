"""The free-text safety net, measured on statements written the way people type.

Each ``data/safety_*.yaml`` file holds red flags (each with the level and condition it
must raise) and benign, negated, hypothetical and someone-else messages. The headline tests
print, for every file, recall per level and the false-alarm rate, and hold each to the bar.

Three outcomes: an alarm (a confident phrasing: the advice at once), a concern (a red-flag
topic touched: one follow-up question from the triage bank), or nothing. A red flag is
*caught* when it alarms at its level, or when its concern question can lead to that level
(for EMERGENCY: a concern whose question reaches EMERGENCY). A CHECK_FIRST sign (pregnancy,
a recent spine operation, osteoporosis...) is caught only when a question it leads to, now
or after the first one (``Concern.later``), adapts the routine: its advice promises that.
The bar, for every file: every EMERGENCY caught, at least 95% of URGENT, SEE_GP and
CHECK_FIRST caught, at most 5% false alarms, and a follow-up question on at most 15% of
benign messages (more would be nagging). Some "benign" messages are before-exercising
signs ("I'm pregnant, 20 weeks"): not red flags, but asking about them is the point, so
they count against that 15% knowingly. The alarm-only bar (every EMERGENCY alarmed) still
holds for the three files tuned for it.

Which files were tuned against, and what they scored the first time they were seen:

- ``safety_statements.yaml``: the original set, tuned against from the start.
- ``safety_heldout_1.yaml``: written before round 1 and scored blind on the original bank:
  EMERGENCY 33/82 (40%), URGENT and SEE_GP 11/22, false alarms 5/110 (4.5%). Round 1
  (concept pairs, ``near``) was then tuned against it.
- ``safety_heldout_2.yaml``: written after round 1 and scored blind on the round-1 bank:
  EMERGENCY 37/66 (56%), URGENT and SEE_GP 14/15, false alarms 8/103 (7.8%); the original
  bank would have caught 20/66. Round 2 was then tuned against it.
- ``safety_heldout_3.yaml``: written from the clinical brief alone, before its author read
  the bank, and scored blind on the round-2 bank (alarms only, no concerns yet):
  EMERGENCY 57/74 (77%), URGENT and SEE_GP 16/20, false alarms 7/117 (6.0%). The concern
  layer (round 3) was then designed and tuned against it: alarms 58/74, caught 74/74.
- ``safety_heldout_4.yaml``: written after reading the bank but before the concern topics
  existed, so it is blind for the concern layer only. Round-2 alarms: EMERGENCY 28/43
  (65%). First score with the concern layer: caught 42/43 (98%), URGENT and SEE_GP 6/6,
  false alarms 2/60, follow-up questions on benign 0/60. Then tuned against it.

- ``safety_heldout_5.yaml``: written from the clinical brief and content/triage.yaml alone,
  before its author read the bank, the matcher or any other file here, in phone style (slang,
  typos, flags buried in long messages). Blind, on the round-4 bank: EMERGENCY alarmed 70/77
  (91%), caught 75/77 (97%); URGENT caught 25/28; SEE_GP caught 8/20 (no phrases at all for
  inflammatory back pain, a child, infection risks, a first episode from 50 or pain not
  easing after 4 weeks); CHECK_FIRST caught 1/12; false alarms 9/137 (6.6%), follow-up
  questions 3/137 (2.2%). Round 5 was then tuned against it: SEE_GP groups for those flags,
  age said in passing (65+ with a small fall or lift; under 16), a known aneurysm with pain,
  innocent explanations for long-past events, and "if ... ever" as talk about a sign.
  CHECK_FIRST (pregnancy, recent surgery, osteoporosis...) was left to the onboarding
  check then: an alarm from free text could not adapt the routine as its advice promises.
  Round 6 added concern topics for them, asking the check's own question, whose yes adapts
  the routine (bot/flows/concern.py): CHECK_FIRST caught 1/12 -> 12/12 by the old count, 0/12
  -> 12/12 by today's (tuned against these 12). The benign sets gained questions on 6
  messages, all the person's own before-exercising signs or a question about exercising
  while pregnant ("I'm pregnant, 20 weeks", "physio said i have a bulging disc").

- ``safety_heldout_6.yaml``: written from the clinical brief and content/triage.yaml alone,
  by someone who had read neither the bank nor any statement file, in phone style (slang,
  Nigerian pidgin, typos, flags buried in long messages). Blind, on the round-6 bank:
  EMERGENCY alarmed 92/114 (81%), caught 103/114 (90%); URGENT caught 30/36; SEE_GP caught
  20/26; CHECK_FIRST caught 16/18; false alarms 7/163 (4.3%), follow-up questions 6/163
  (3.7%). Round 7 was then tuned against it: words for the saddle area and its feeling
  ("like wiping someone else's"), numbness moving to the groin, a rapid loss ("went from
  fine to not being able to"), Lhermitte-type shocks on bending the neck, buttons taking
  forever, injecting drugs said plainly, night pain in any position across clauses, inflammatory
  pain eased by sport and worsened by lazing about, a first episode at "57 and ...",
  pregnancy slang; a serious injury weeks or months ago now asks the check's question
  instead of alarming; and jokes taken back ("jk"), "if ... would you" questions, blacked-out
  curtains, collapsing on the sofa and "fever pitch" no longer alarm.

So all seven files are now regression sets, not blind ones: a fresh file written by someone
who has read neither content/safety_phrases.yaml nor these files is the only honest measure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import meaning
from bot.core import meaning as meaning_core
from bot.core import triage as triage_core
from bot.core.answers import Answer
from bot.core.safety import (
    Alarm,
    Concern,
    adapts_routine,
    classify_text,
    is_hurt_report,
    load_bank,
    load_banks,
    next_follow_up,
    normalise,
    reach,
    screen_text,
)
from content.loader import CONTENT_DIR, ContentError, load_file
from content.schema.common import Level
from content.schema.safety import PhraseBank
from content.schema.triage import RedFlag

BANK = load_bank()
TRIAGE = triage_core.load_bank()
DATA = Path(__file__).parent / "data"
# The files the phrase rules were tuned on, each held to the bar by the rules alone.
RULE_FILES = (
    "safety_statements.yaml",
    "safety_heldout_1.yaml",
    "safety_heldout_2.yaml",
    "safety_heldout_3.yaml",
    "safety_heldout_4.yaml",
    "safety_heldout_5.yaml",
    "safety_heldout_6.yaml",
)
# Every English file, held to the bar by both layers together (what a person meets).
FILES = (*RULE_FILES, "safety_heldout_7.yaml")
# Spanish and German: each has its own phrase bank (content/locales/<code>/), written after
# these sets and tuned on them; the meaning layer was trained on them too.
OTHER_LANGUAGES = (
    "safety_heldout_es.yaml",
    "safety_heldout_de.yaml",
    "safety_heldout_es2.yaml",
    "safety_heldout_de2.yaml",
    "safety_heldout_es3.yaml",
    "safety_heldout_de3.yaml",
)
# The files the alarm phrases were tuned to catch on their own, every EMERGENCY included.
ALARM_TUNED = FILES[:3]
# For the others, alarms alone must not fall below what they scored when tuning ended.
ALARM_FLOOR = {
    "safety_heldout_3.yaml": 0.75,
    "safety_heldout_4.yaml": 0.6,
    "safety_heldout_5.yaml": 0.9,
    "safety_heldout_6.yaml": 0.9,
    "safety_heldout_7.yaml": 0.9,
}
MAX_QUESTIONS_ON_BENIGN = 0.15
STATEMENTS = {
    name: yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    for name in (*FILES, *OTHER_LANGUAGES)
}
RED_FLAGS: list[dict[str, str]] = [s for n in RULE_FILES for s in STATEMENTS[n]["red_flags"]]
BENIGN: list[str] = [text for name in RULE_FILES for text in STATEMENTS[name]["benign"]]
EMERGENCIES = [s["text"] for s in RED_FLAGS if s["level"] == Level.EMERGENCY]
ALARMED_EMERGENCIES = [
    s["text"]
    for name in ALARM_TUNED
    for s in STATEMENTS[name]["red_flags"]
    if s["level"] == Level.EMERGENCY
]
# The least each file must hold to mean something: red flags, of them EMERGENCY, benign.
MINIMUM_SIZES = {
    "safety_statements.yaml": (100, 60, 100),
    "safety_heldout_1.yaml": (80, 50, 80),
    "safety_heldout_2.yaml": (60, 40, 60),
    "safety_heldout_3.yaml": (80, 50, 80),
    "safety_heldout_4.yaml": (40, 40, 60),
    "safety_heldout_5.yaml": (130, 75, 130),
    "safety_heldout_6.yaml": (140, 80, 140),
    "safety_heldout_7.yaml": (200, 100, 200),
    "safety_heldout_es.yaml": (95, 50, 65),
    "safety_heldout_de.yaml": (95, 50, 65),
    "safety_heldout_es2.yaml": (120, 60, 100),
    "safety_heldout_de2.yaml": (120, 60, 100),
    "safety_heldout_es3.yaml": (70, 35, 60),
    "safety_heldout_de3.yaml": (70, 35, 60),
}

Classify = Callable[[str], Alarm | Concern | None]
READ = meaning.wait_until_ready()


# Every language's bank reads every message (bot/core/safety.py load_banks): the figures
# are for what a person meets, so "rules" is English's bank with Spanish's and German's.
BANKS = load_banks()


def rules(text: str) -> Alarm | Concern | None:
    return meaning_core.classify(BANKS, text, None)


def both_layers(text: str) -> Alarm | Concern | None:
    return meaning_core.classify(BANKS, text, READ)


LAYERS: dict[str, Classify] = {"rules alone": rules, "rules + meaning": both_layers}


def _alarm_of(found: Alarm | Concern | None) -> Alarm | None:
    return found.alarm if isinstance(found, Concern) else found


def _alarmed(statement: dict[str, str], classify: Classify = rules) -> bool:
    """The alarm alone gives the expected level (EMERGENCY exactly; others at least)."""
    alarm = _alarm_of(classify(statement["text"]))
    expected = Level(statement["level"])
    if expected is Level.EMERGENCY:
        return alarm is not None and alarm.level is Level.EMERGENCY
    return alarm is not None and alarm.level.severity >= expected.severity


def _caught(text: str, expected: Level, classify: Classify = rules) -> bool:
    """An alarm at the level, or a follow-up question that can lead to it."""
    found = classify(text)
    if expected is Level.CHECK_FIRST:  # only a question that adapts the routine will do
        return isinstance(found, Concern) and (
            adapts_routine(found.question_id) or bool(found.later)
        )
    alarm = _alarm_of(found)
    if alarm is not None and (
        alarm.level is expected
        if expected is Level.EMERGENCY
        else alarm.level.severity >= expected.severity
    ):
        return True
    return isinstance(found, Concern) and found.level.severity >= expected.severity


def _asks(text: str, classify: Classify = rules) -> bool:
    found = classify(text)
    return isinstance(found, Concern) and found.alarm is None


@dataclass
class Score:
    """One file's figures under one layer: the fractions per level, and the benign misfires."""

    alarmed: dict[Level, float]
    caught: dict[Level, float]
    counts: dict[Level, int]
    false_alarms: list[str]
    questions: list[str]
    benign: int
    missed_emergencies: list[str]


def score(name: str, classify: Classify) -> Score:
    red_flags, benign = STATEMENTS[name]["red_flags"], STATEMENTS[name]["benign"]
    by_level: dict[Level, list[dict[str, str]]] = defaultdict(list)
    for statement in red_flags:
        by_level[Level(statement["level"])].append(statement)
    return Score(
        alarmed={
            level: sum(_alarmed(s, classify) for s in items) / len(items)
            for level, items in by_level.items()
        },
        caught={
            level: sum(_caught(s["text"], level, classify) for s in items) / len(items)
            for level, items in by_level.items()
        },
        counts={level: len(items) for level, items in by_level.items()},
        false_alarms=[text for text in benign if _alarm_of(classify(text)) is not None],
        questions=[text for text in benign if _asks(text, classify)],
        benign=len(benign),
        missed_emergencies=[
            s["text"]
            for s in by_level[Level.EMERGENCY]
            if not _caught(s["text"], Level.EMERGENCY, classify)
        ],
    )


def _print(name: str, layer: str, found: Score, *, details: bool) -> None:
    print(f"\n  {name}  ({layer})")
    for level in sorted(found.counts, key=lambda level: -level.severity):
        print(
            f"  {level.value:<11} alarm {found.alarmed[level]:6.1%}  caught"
            f" {found.caught[level]:6.1%}  ({found.counts[level]} statements)"
        )
    print(
        f"  false alarms      {len(found.false_alarms) / found.benign:6.1%}"
        f"  ({len(found.false_alarms)} of {found.benign})"
    )
    print(f"  questions asked   {len(found.questions) / found.benign:6.1%}  on benign messages")
    if details:
        for text in found.false_alarms:
            print(f"    false alarm: {text!r}")
        for text in found.questions:
            print(f"    question on: {text!r}")
        for text in found.missed_emergencies:
            print(f"    missed emergency: {text!r}")


@pytest.mark.parametrize("name", (*FILES, *OTHER_LANGUAGES))
def test_each_statement_file_is_big_enough_to_mean_something(name: str) -> None:
    red_flags, benign = STATEMENTS[name]["red_flags"], STATEMENTS[name]["benign"]
    least_red, least_emergency, least_benign = MINIMUM_SIZES[name]
    levels = [Level(statement["level"]) for statement in red_flags]
    assert len(red_flags) >= least_red
    assert levels.count(Level.EMERGENCY) >= least_emergency
    assert len(benign) >= least_benign
    for statement in red_flags:
        RedFlag(statement["condition"])  # every label is a real condition


def _meets_the_bar(found: Score) -> None:
    assert not found.missed_emergencies, (
        f"emergencies neither alarmed nor asked about: {found.missed_emergencies}"
    )
    for level in (Level.URGENT, Level.SEE_GP, Level.CHECK_FIRST):
        assert found.caught.get(level, 1.0) >= 0.95, level
    assert len(found.false_alarms) / found.benign <= 0.05
    assert len(found.questions) / found.benign <= MAX_QUESTIONS_ON_BENIGN, "nagging"


@pytest.mark.parametrize("name", FILES)
def test_recall_and_false_alarms_meet_the_bar(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both layers, as a person meets them; and the rules alone on the files they were tuned on.
    The figures of each layer are printed, so a change shows what each layer adds."""
    by_layer = {layer: score(name, classify) for layer, classify in LAYERS.items()}
    with capsys.disabled():
        for layer, found in by_layer.items():
            _print(name, layer, found, details=layer == "rules + meaning")
    combined = by_layer["rules + meaning"]
    _meets_the_bar(combined)
    if name in RULE_FILES:
        _meets_the_bar(by_layer["rules alone"])
    if name in ALARM_TUNED:
        alone = by_layer["rules alone"]
        unalarmed = [
            s["text"]
            for s in STATEMENTS[name]["red_flags"]
            if s["level"] == Level.EMERGENCY and not _alarmed(s)
        ]
        assert not unalarmed, f"missed emergencies: {unalarmed}"
        assert alone.alarmed[Level.URGENT] >= 0.95
    else:
        assert combined.alarmed[Level.EMERGENCY] >= ALARM_FLOOR[name]


# What Spanish and German hold, by layer: figures as they stood when tuning ended, so a
# change that loses ground fails. Blind first scores: README, "Languages".
OTHER_LANGUAGE_FLOOR = {
    ("safety_heldout_es.yaml", "rules alone"): {"alarm": 0.75, "caught": 0.77, "fa": 0.02},
    ("safety_heldout_es.yaml", "rules + meaning"): {"alarm": 0.97, "caught": 0.98, "fa": 0.02},
    ("safety_heldout_de.yaml", "rules alone"): {"alarm": 0.66, "caught": 0.68, "fa": 0.02},
    ("safety_heldout_de.yaml", "rules + meaning"): {"alarm": 0.83, "caught": 0.96, "fa": 0.02},
    ("safety_heldout_es2.yaml", "rules alone"): {"alarm": 0.64, "caught": 0.66, "fa": 0.02},
    ("safety_heldout_es2.yaml", "rules + meaning"): {"alarm": 0.77, "caught": 0.96, "fa": 0.03},
    ("safety_heldout_de2.yaml", "rules alone"): {"alarm": 0.57, "caught": 0.6, "fa": 0.01},
    ("safety_heldout_de2.yaml", "rules + meaning"): {"alarm": 0.69, "caught": 0.92, "fa": 0.05},
    ("safety_heldout_es3.yaml", "rules alone"): {"alarm": 0.55, "caught": 0.58, "fa": 0.09},
    ("safety_heldout_es3.yaml", "rules + meaning"): {"alarm": 0.77, "caught": 0.91, "fa": 0.09},
    ("safety_heldout_de3.yaml", "rules alone"): {"alarm": 0.27, "caught": 0.27, "fa": 0.02},
    ("safety_heldout_de3.yaml", "rules + meaning"): {"alarm": 0.55, "caught": 0.77, "fa": 0.02},
}


@pytest.mark.parametrize(("name", "layer"), list(OTHER_LANGUAGE_FLOOR))
def test_spanish_and_german_are_read_by_both_layers(
    name: str, layer: str, capsys: pytest.CaptureFixture[str]
) -> None:
    found = score(name, LAYERS[layer])
    with capsys.disabled():
        _print(name, layer, found, details=False)
    floor = OTHER_LANGUAGE_FLOOR[(name, layer)]
    assert found.alarmed[Level.EMERGENCY] >= floor["alarm"]
    assert found.caught[Level.EMERGENCY] >= floor["caught"]
    assert len(found.false_alarms) / found.benign <= floor["fa"]


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
        for text in ALARMED_EMERGENCIES
        if (alarm := screen_text(BANK, before + text + after)) is None
        or alarm.level is not Level.EMERGENCY
    ]
    assert not missed


@pytest.mark.parametrize(("before", "after"), CHAT_FRAMES)
def test_every_emergency_is_still_caught_inside_ordinary_chat(before: str, after: str) -> None:
    missed = [text for text in EMERGENCIES if not _caught(before + text + after, Level.EMERGENCY)]
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


@pytest.mark.parametrize(
    ("text", "level", "condition"),
    [
        # Age said in passing, with a small fall or lift (Downie 2013) or a neck knock.
        ("aged 77, picked up the cat and felt a crack", Level.URGENT, RedFlag.FRAGILITY_FRACTURE),
        ("im 69 and slipped in the garden, neck sore", Level.EMERGENCY, RedFlag.NECK_INJURY),
        # Under 16: outside NICE NG59.
        ("hi im 12", Level.SEE_GP, RedFlag.CHILD),
        ("is this ok for my daughter, shes 13 and her back aches", Level.SEE_GP, RedFlag.CHILD),
        # Two inflammatory features together (ASAS).
        ("mornings my back is stiff for hours, moving helps", Level.SEE_GP, RedFlag.INFLAMMATORY),
        # The other cancer flags (NICE CKS).
        ("im 61 and never had back trouble before", Level.SEE_GP, RedFlag.CANCER),
        ("2 months now and still no better", Level.SEE_GP, RedFlag.CANCER),
        # A known aneurysm with pain; a weak immune system.
        ("ive got an aaa and my back is killing me", Level.EMERGENCY, RedFlag.ANEURYSM),
        ("im immunosuppressed after a kidney transplant", Level.SEE_GP, RedFlag.INFECTION),
    ],
)
def test_flags_said_in_passing_raise_their_alarm(
    text: str, level: Level, condition: RedFlag
) -> None:
    alarm = screen_text(BANK, text)
    assert alarm is not None
    assert (alarm.level, alarm.condition) == (level, condition)


@pytest.mark.parametrize(
    "text",
    [
        "if my bum ever went numb i'd call 999",
        "fell out of a tree when i was 9, fine since",
        "my vision is fuzzy until i put my specs on",
        "almost peed myself when the alarm went off",
        "im 15 minutes into the stretches",
        "im 12 weeks pregnant",
        "my gran is 90 and fell last week",
        "a friend of mine has psoriasis",
    ],
)
def test_past_hypothetical_explained_or_someone_elses_do_not_alarm(text: str) -> None:
    assert screen_text(BANK, text) is None


def test_the_most_severe_sign_in_a_message_wins() -> None:
    alarm = screen_text(BANK, "I've had a fever for days and now I'm peeing myself")
    assert alarm is not None and alarm.level is Level.EMERGENCY


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


# ---------------------------------------------------------------- concerns: when in doubt, ask


@pytest.mark.parametrize(
    ("text", "question_id"),
    [
        # One concept is enough for a question; none of these is a confident report.
        ("struggling on the toilet lately", "cauda_equina_signs"),
        ("both my knees feel kind of weird", "cauda_equina_signs"),
        ("seeing a bit blurry today", "neck_artery_signs"),
        ("my speech sounded odd to my wife", "neck_artery_signs"),
        ("theres a lump in my belly that beats", "aneurysm_signs"),
        ("my neck hurts since i slipped on the stairs", "neck_injury"),
        ("my arms feel weak", "arm_nerve_signs"),
        # "Fine" no longer reassures once things changed.
        ("my bladder was fine until today", "cauda_equina_signs"),
    ],
)
def test_a_red_flag_topic_asks_its_question_from_the_triage_bank(
    text: str, question_id: str
) -> None:
    found = classify_text(BANK, text)
    assert isinstance(found, Concern), found
    assert found.question_id == question_id and found.alarm is None
    assert found.condition is TRIAGE.question(question_id).condition
    assert found.level is Level.EMERGENCY, "each of these can lead to emergency advice"
    assert found.source in BANK.sources.values()
    assert screen_text(BANK, text) is None, "a question, not an alarm"


@pytest.mark.parametrize(
    "text",
    [
        "my bladder is fine",
        "bladder: fine",
        "never had problems with my bladder",
        "my mums bladder is weak",
        "what would happen if my bladder stopped working",
        "brb need a wee",
        "everything looks blurry without my glasses",
        "my legs are sore from cycling",
        "swallowed a painkiller and lay down",
    ],
)
def test_negated_reassured_someone_elses_or_explained_topics_ask_nothing(text: str) -> None:
    assert classify_text(BANK, text) is None


def test_an_emergency_alarm_needs_no_question() -> None:
    assert isinstance(classify_text(BANK, "i cant feel my bum when i wipe"), Alarm)


def test_a_lesser_alarm_comes_with_the_question_that_could_make_it_an_emergency() -> None:
    found = classify_text(BANK, "my foot has been getting weaker")
    assert isinstance(found, Concern) and found.alarm is not None
    assert found.alarm.level is Level.URGENT
    # The alarm already says "yes" to the weaker-leg question: ask how fast it is changing.
    assert found.assumed_yes == ("leg_nerve_signs",)
    assert found.question_id == "leg_change_fast"
    assert TRIAGE.question("leg_change_fast").level is Level.EMERGENCY


def test_a_lesser_alarm_without_a_further_question_stays_an_alarm() -> None:
    found = classify_text(BANK, "i had chemo years back")
    assert isinstance(found, Alarm) and found.level is Level.URGENT


@pytest.mark.parametrize(
    ("question_id", "level"),
    [
        ("cauda_equina_signs", Level.EMERGENCY),
        ("neck_injury", Level.EMERGENCY),  # through the age 65 rule
        ("leg_nerve_signs", Level.EMERGENCY),  # through "has it come on quickly?"
        ("infection_signs", Level.EMERGENCY),  # through "very unwell"
        ("cancer_history", Level.URGENT),  # with new spinal pain
    ],
)
def test_a_question_reaches_the_most_its_yes_can_lead_to(question_id: str, level: Level) -> None:
    assert reach(question_id) is level


@pytest.mark.parametrize("topic", BANK.concerns, ids=lambda topic: topic.id)
def test_every_topic_asks_something_that_can_send_a_person_to_a_doctor_within_a_day(
    topic: Any,
) -> None:
    """...or, for a before-exercising sign, something that adapts the routine."""
    question = TRIAGE.question(topic.question)
    if question.level is Level.CHECK_FIRST:
        assert question.sets_condition is not None, "the answer must adapt the routine"
    else:
        assert reach(topic.question).severity >= Level.URGENT.severity


def test_follow_ups_come_after_a_yes_as_in_the_check() -> None:
    yes, no = Answer.YES, Answer.NO
    asked = next_follow_up(TRIAGE, "leg_nerve_signs", {"leg_nerve_signs": yes}, None)
    assert asked is not None and asked.id == "leg_change_fast"
    assert next_follow_up(TRIAGE, "leg_nerve_signs", {"leg_nerve_signs": no}, None) is None
    done = {"leg_nerve_signs": yes, "leg_change_fast": no}
    assert next_follow_up(TRIAGE, "leg_nerve_signs", done, None) is None
    emergency = next_follow_up(TRIAGE, "cauda_equina_signs", {"cauda_equina_signs": yes}, None)
    assert emergency is None, "nothing more to ask once it is an emergency"


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
        (lambda d: d["concerns"][0].update(question="no_such_q"), ["concerns", "no_such_q"]),
        (lambda d: d["concerns"][0]["patterns"].append("numb (legs"), ["concern", "pattern"]),
        (lambda d: d["concerns"][0].update(source="nobody_2099"), ["concern", "nobody_2099"]),
    ],
    ids=[
        "bad regex",
        "unknown macro",
        "unknown source",
        "bad context regex",
        "bad near regex",
        "bad unless regex",
        "bad filler",
        "unknown triage question",
        "bad concern regex",
        "unknown concern source",
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


# ---------------------------------------------------------------- before exercising (CHECK_FIRST)
CHECK_FIRST_SIGNS = [s["text"] for s in RED_FLAGS if s["level"] == Level.CHECK_FIRST]


@pytest.mark.parametrize("text", CHECK_FIRST_SIGNS)
def test_a_before_exercising_sign_asks_a_question_that_adapts_the_routine(text: str) -> None:
    found = classify_text(BANK, text)
    assert isinstance(found, Concern), found
    asked = [found.question_id, *found.later]
    adapting = [qid for qid in asked if adapts_routine(qid)]
    assert adapting, asked
    for qid in adapting:
        question = TRIAGE.question(qid)
        assert question.level is Level.CHECK_FIRST and question.sets_condition is not None


@pytest.mark.parametrize(
    ("text", "question_id"),
    [
        # The specific question, not the "any of these?" list.
        ("i just found out i'm pregnant", "pregnant"),
        ("preggers with my second", "pregnant"),
        ("had my spinal fusion last month", "spinal_surgery"),
        ("doc says i have osteoporosis", "osteoporosis"),
        ("broke my wrist 2 months ago", "recent_fracture"),
        ("i have a slipped disc with sciatica down my leg", "disc_prolapse_leg_pain"),
        ("spinal stenosis diagnosed last year", "spinal_stenosis"),
        ("spondylolisthesis grade 1 apparently", "spondylolisthesis"),
        ("got a heart condition, had a stent put in", "heart_condition"),
        ("get chest pain when i walk up hills", "heart_condition"),
    ],
)
def test_a_before_exercising_sign_asks_its_own_question(text: str, question_id: str) -> None:
    found = classify_text(BANK, text)
    assert isinstance(found, Concern), found
    assert (found.question_id, found.alarm, found.later) == (question_id, None, ())
    question = TRIAGE.question(question_id)
    assert found.level is Level.CHECK_FIRST and question.sets_condition is not None
    assert screen_text(BANK, text) is None, "a question, not an alarm"


@pytest.mark.parametrize(
    "text",
    [
        "my sister is pregnant",
        "not pregnant",
        "i'm not pregnant",
        "what if i get pregnant",
        "pregnant wife keeps complaining about her back",
        "broke my arm as a kid",
        "broke my leg years ago",
        "my mum has osteoporosis",
        "no heart problems",
        "my dad had a heart attack",
        "take a break, my back hurts",
        "my heart rate goes up when i stretch",
    ],
)
def test_someone_elses_negated_hypothetical_or_long_past_signs_ask_nothing(text: str) -> None:
    assert classify_text(BANK, text) is None


def test_a_before_exercising_sign_comes_after_a_question_that_reaches_further() -> None:
    found = classify_text(BANK, "had back surgery 3 weeks ago")
    assert isinstance(found, Concern)
    assert found.question_id == "infection_risks", "the infection risk is asked first"
    assert found.later == ("spinal_surgery",)
    both = classify_text(BANK, "i have osteoporosis and i am pregnant")
    assert isinstance(both, Concern)
    assert (both.question_id, both.later) == ("pregnant", ("osteoporosis",))


def test_a_before_exercising_sign_waits_while_stretching_is_stopped() -> None:
    """After an URGENT alarm nobody stretches until checked: no routine question then."""
    found = classify_text(BANK, "had back surgery 3 weeks ago and feel feverish")
    assert found is not None
    assert not (isinstance(found, Concern) and found.later)
    assert (found.alarm if isinstance(found, Concern) else found) is not None


# --- Spanish and German: the same handling of negation, other people, talk and the past ----
SPANISH_GERMAN_ALARMS = [
    "no siento nada cuando me limpio",
    "me he hecho pis encima sin darme cuenta",
    "se me duermen las dos piernas",
    "veo doble y me duele el cuello",
    "ich spüre beim Abwischen nichts mehr",
    "hab mir in die hose gepinkelt ohne es zu merken",
    "beide beine sind taub",
    "ich sehe doppelt und der nacken tut weh",
]


@pytest.mark.parametrize("text", SPANISH_GERMAN_ALARMS)
def test_spanish_and_german_emergencies_alarm_by_rule(text: str) -> None:
    alarm = _alarm_of(rules(text))
    assert alarm is not None and alarm.level is Level.EMERGENCY
    assert not alarm.for_someone_else


@pytest.mark.parametrize(
    "text",
    [
        "mi marido está aquí a mi lado y dice que no siente la entrepierna",
        "mein mann sitzt neben mir, er spürt im schritt nichts und kann nicht pinkeln",
    ],
)
def test_someone_elses_emergency_happening_now_alarms_for_them(text: str) -> None:
    alarm = _alarm_of(rules(text))
    assert alarm is not None and alarm.level is Level.EMERGENCY and alarm.for_someone_else


@pytest.mark.parametrize(
    "text",
    [
        "no tengo fiebre ni nada",  # negated
        "no noto nada raro al orinar",
        "¿qué pasaría si no pudiera orinar?",  # a hypothetical
        "¿qué significa anestesia en silla de montar?",  # a question about a sign
        "hace diez años me caí de una escalera, ya estoy bien",  # long past
        "la vejiga bien, solo me duele la espalda",  # reassured
        "ich habe kein Fieber",
        "kein Taubheitsgefühl im Intimbereich",
        "was wäre wenn ich nicht mehr pinkeln könnte?",
        "was bedeutet reithosenanästhesie?",
        "vor 10 jahren hatte ich einen autounfall, alles gut verheilt",
        "blase ist okay, nur der rücken zwickt",
        "hab mir fast in die hose gemacht vor schreck",
    ],
)
def test_spanish_and_german_negations_talk_and_the_past_do_not_alarm(text: str) -> None:
    assert _alarm_of(rules(text)) is None
