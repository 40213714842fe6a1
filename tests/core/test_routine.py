"""The stretch library and the routines built from it, checked against the clinical brief.

Tables come from the content files: every stretch, every region, every level and every
combination of conditions.
"""

from __future__ import annotations

import re
import string
from itertools import chain, combinations, pairwise
from pathlib import Path

import pytest
import yaml

from bot.core.routine import (
    POSITION_ORDER,
    Routine,
    Side,
    build_routine,
    library_from,
    load_library,
)
from content.loader import CONTENT_DIR, ContentError, load_file
from content.schema.common import Condition, Region
from content.schema.stretches import (
    BONE_RISK_MOVEMENTS,
    BodyArea,
    Position,
    RoutineFile,
    StretchFile,
)
from content.schema.texts import load_texts

LIBRARY = load_library()
STRETCHES = tuple(LIBRARY.stretches.values())
LEVELS = range(1, LIBRARY.max_level + 1)
ALL_CONDITION_SETS = tuple(
    frozenset(combo)
    for combo in chain.from_iterable(combinations(Condition, n) for n in range(len(Condition) + 1))
)
# Names of the sources in /work/shared/clinical-brief.md that stretch content may rest on.
BRIEF_SOURCES = (
    "NHS",
    "CSP/Versus Arthritis",
    "Guy's and St Thomas'",
    "ACSM",
    "Seed texts",
    "Giangregorio",
    "IFOMPT",
    "ACOG",
    "Farrar",
    "Ostelo",
    "Silbernagel",
    "PAR-Q+",
    "clinical brief",
)


def routine(region: Region, level: int, *conditions: Condition) -> Routine:
    return build_routine(LIBRARY, region, level, frozenset(conditions))


# --- The library ----------------------------------------------------------------------------


def test_library_has_the_brief_stretches_and_a_warm_up() -> None:
    ids = set(LIBRARY.stretches)
    named_in_brief = {
        "chin_tuck",
        "ear_to_shoulder",
        "levator_scapulae",
        "shoulder_blade_squeeze",
        "doorway_chest",
        "knee_rolls",
        "knee_to_chest",
        "pelvic_tilt",
        "bottom_to_heels",
        "cat_camel",
        "standing_back_bend",
        "kneeling_hip_flexor",
        "towel_hamstring",
        "standing_toe_touch",
    }
    assert named_in_brief <= ids
    assert len(ids - {LIBRARY.warm_up.id}) >= 14
    assert LIBRARY.warm_up.body_area is BodyArea.WARMUP


@pytest.mark.parametrize("stretch", STRETCHES, ids=lambda s: s.id)
def test_every_stretch_is_complete_and_sourced(stretch) -> None:
    assert stretch.name and stretch.feel
    assert len(stretch.steps) >= 2
    assert stretch.regions
    assert any(source in stretch.source for source in BRIEF_SOURCES), stretch.source


@pytest.mark.parametrize("stretch", STRETCHES, ids=lambda s: s.id)
def test_no_neck_circles_or_head_tipped_back(stretch) -> None:
    forbidden = re.compile(
        r"circle|look up|(tip|tilt|drop|bend) your head back|head (right )?back as far",
        re.IGNORECASE,
    )
    for step in stretch.steps:
        assert not forbidden.search(step), step


@pytest.mark.parametrize("stretch", STRETCHES, ids=lambda s: s.id)
def test_steps_are_short_single_actions_for_a_phone(stretch) -> None:
    for step in stretch.steps:
        assert len(step) <= 90, step
        assert step.count(". ") <= 1, step


@pytest.mark.parametrize("stretch", STRETCHES, ids=lambda s: s.id)
def test_stretch_texts_are_safe_telegram_html(stretch) -> None:
    texts = [stretch.name, stretch.feel, *stretch.steps, *stretch.cautions]
    for text in [*texts, *stretch.modified_for.values()]:
        assert not re.search(r"[<>&]", text), text


def test_every_stretch_is_used_by_some_region() -> None:
    picked = {s for plan in LIBRARY.rules.regions.values() for s in plan.picks}
    assert picked | {LIBRARY.warm_up.id} == set(LIBRARY.stretches)


def test_every_rule_names_a_source_from_the_brief() -> None:
    rules = LIBRARY.rules
    sources = [
        *(dose.source for dose in rules.levels),
        *(plan.source for plan in rules.regions.values()),
        rules.progression.source,
        rules.pain.traffic_light_source,
        rules.pain.change_source,
    ]
    for source in sources:
        assert any(name in source for name in BRIEF_SOURCES), source


# --- Every routine ----------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("region", list(Region))
def test_every_routine_for_every_condition_set_is_safe_and_ordered(
    region: Region, level: int
) -> None:
    unconstrained = build_routine(LIBRARY, region, level, frozenset())
    for conditions in ALL_CONDITION_SETS:
        built = build_routine(LIBRARY, region, level, conditions)
        stretches = [LIBRARY.stretch(s) for s in built.stretch_ids]

        assert built.steps[0].stretch_id == LIBRARY.warm_up.id
        orders = [step.area.order for step in built.steps]
        assert orders == sorted(orders), (conditions, built.stretch_ids)
        for stretch in stretches:
            assert not stretch.excluded_for & conditions, (stretch.id, conditions)
        # A condition only ever takes stretches away; nothing new comes in their place.
        assert set(built.stretch_ids) <= set(unconstrained.stretch_ids)
        assert set(built.excluded) == set(unconstrained.stretch_ids) - set(built.stretch_ids)
        for step in built.steps:
            if step.area is not BodyArea.WARMUP:
                assert 20 <= step.hold_seconds <= 30
            assert 5 <= step.rest_seconds <= 10 or step is built.steps[-1]
        assert built.steps[-1].rest_seconds == 0


@pytest.mark.parametrize("region", list(Region))
def test_level_one_is_six_stretches_of_twenty_seconds_twice(region: Region) -> None:
    built = routine(region, 1)
    stretches = [s for s in built.stretch_ids if s != LIBRARY.warm_up.id]
    assert len(stretches) == 6
    for step in built.steps[1:]:
        assert (step.hold_seconds, step.reps) == (20, 2)


@pytest.mark.parametrize("dose", LIBRARY.rules.levels, ids=lambda d: f"level{d.level}")
@pytest.mark.parametrize("region", list(Region))
def test_each_level_gives_its_dose(region: Region, dose) -> None:
    built = routine(region, dose.level)
    assert built.level == dose.level
    assert len(built.stretch_ids) == dose.stretches + 1  # and the warm-up
    for step in built.steps[1:]:
        assert (step.hold_seconds, step.reps) == (dose.hold_seconds, dose.reps)


def test_higher_levels_hold_longer_and_do_more() -> None:
    doses = LIBRARY.rules.levels
    for lower, higher in pairwise(doses):
        assert higher.hold_seconds >= lower.hold_seconds
        assert higher.stretches > lower.stretches


def test_warm_up_is_timed_like_a_hold_of_a_minute_or_two() -> None:
    warm_up_steps = [s for s in routine(Region.NECK, 1).steps if s.area is BodyArea.WARMUP]
    assert len(warm_up_steps) == 1
    assert 60 <= warm_up_steps[0].hold_seconds <= 120


@pytest.mark.parametrize(("asked", "given"), [(0, 1), (-3, 1), (4, 3), (99, 3), (2, 2)])
def test_level_is_clamped_to_the_available_range(asked: int, given: int) -> None:
    assert routine(Region.LOWER_BACK, asked).level == given


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("region", list(Region))
def test_within_an_area_the_floor_comes_last_and_optional_after_that(
    region: Region, level: int
) -> None:
    stretches = [LIBRARY.stretch(s) for s in routine(region, level).stretch_ids]
    for area in BodyArea:
        in_area = [s for s in stretches if s.body_area is area]
        keys = [(s.optional, POSITION_ORDER.index(s.position)) for s in in_area]
        assert keys == sorted(keys), [s.id for s in in_area]


def test_the_optional_toe_touch_closes_the_top_level_session() -> None:
    built = routine(Region.LOWER_BACK, LIBRARY.max_level)
    assert built.stretch_ids[-2:] == ("towel_hamstring", "standing_toe_touch")


def test_two_sided_stretches_hold_left_then_right_each_round() -> None:
    built = routine(Region.NECK, 1)
    sides = [(s.rep, s.side) for s in built.steps if s.stretch_id == "ear_to_shoulder"]
    assert sides == [(1, Side.LEFT), (1, Side.RIGHT), (2, Side.LEFT), (2, Side.RIGHT)]
    chin = [(s.rep, s.side) for s in built.steps if s.stretch_id == "chin_tuck"]
    assert chin == [(1, None), (2, None)]


def test_stretch_numbers_count_each_stretch_once_in_order() -> None:
    built = routine(Region.NECK, 1)
    assert built.number_of(LIBRARY.warm_up.id) == 1
    assert built.number_of(built.steps[-1].stretch_id) == len(built.stretch_ids)


# --- The brief's safety rules ---------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("region", list(Region))
def test_osteoporosis_never_gets_the_toe_touch_or_deep_bends_and_twists(
    region: Region, level: int
) -> None:
    for condition in (Condition.OSTEOPOROSIS, Condition.RECENT_FRACTURE):
        for stretch_id in routine(region, level, condition).stretch_ids:
            assert stretch_id != "standing_toe_touch"
            assert not BONE_RISK_MOVEMENTS & set(LIBRARY.stretch(stretch_id).spine)


def test_osteoporosis_lists_what_it_left_out() -> None:
    built = routine(Region.LOWER_BACK, 3, Condition.OSTEOPOROSIS)
    assert "standing_toe_touch" in built.excluded
    assert "knee_to_chest" in built.excluded
    assert "knee_rolls" in built.excluded


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("region", list(Region))
def test_neck_artery_signs_remove_every_neck_stretch(region: Region, level: int) -> None:
    built = routine(region, level, Condition.NECK_ARTERY_SIGNS)
    assert all(step.area is not BodyArea.NECK for step in built.steps)


def test_neck_artery_signs_shorten_the_neck_routine_rather_than_swap() -> None:
    built = routine(Region.NECK, 1, Condition.NECK_ARTERY_SIGNS)
    assert set(built.excluded) == {"chin_tuck", "ear_to_shoulder", "levator_scapulae"}
    assert len(built.stretch_ids) == 1 + 6 - 3


@pytest.mark.parametrize("region", list(Region))
def test_toe_touch_only_at_the_top_level_and_only_as_optional(region: Region) -> None:
    for level in LEVELS:
        steps = [s for s in routine(region, level).steps if s.stretch_id == "standing_toe_touch"]
        if level < LIBRARY.max_level:
            assert not steps
        assert all(step.optional for step in steps)
    assert "standing_toe_touch" in routine(Region.LOWER_BACK, LIBRARY.max_level).stretch_ids


def test_a_stretch_never_comes_before_its_level_even_when_picked_first() -> None:
    plan = LIBRARY.rules.regions[Region.LOWER_BACK]
    toe_touch_first = plan.model_copy(update={"picks": ("standing_toe_touch", *plan.picks[:-1])})
    regions = {**LIBRARY.rules.regions, Region.LOWER_BACK: toe_touch_first}
    library = library_from(
        load_file(StretchFile, "stretches.yaml"),
        LIBRARY.rules.model_copy(update={"regions": regions}),
    )
    for level in LEVELS:
        built = build_routine(library, Region.LOWER_BACK, level, frozenset())
        assert ("standing_toe_touch" in built.stretch_ids) is (level == LIBRARY.max_level)
        for stretch_id in built.stretch_ids:
            assert library.stretch(stretch_id).min_level <= level


@pytest.mark.parametrize("level", LEVELS)
def test_leg_pain_gets_no_hamstring_loading(level: int) -> None:
    built = routine(Region.LOWER_BACK_LEG, level)
    assert all(step.area is not BodyArea.HAMSTRINGS for step in built.steps)


def test_neck_pain_gets_mostly_neck_and_upper_back() -> None:
    built = routine(Region.NECK, 1)
    areas = [LIBRARY.stretch(s).body_area for s in built.stretch_ids[1:]]
    assert sum(a in (BodyArea.NECK, BodyArea.UPPER_BACK) for a in areas) >= 4


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("region", list(Region))
def test_pregnancy_never_lies_flat_without_an_alternative(region: Region, level: int) -> None:
    for step in routine(region, level, Condition.PREGNANCY).steps:
        if LIBRARY.stretch(step.stretch_id).position is Position.LYING_ON_BACK:
            assert step.modification and "lie flat" in step.modification


def test_a_shared_modification_is_said_once() -> None:
    built = routine(Region.NECK, 1, Condition.OSTEOPOROSIS, Condition.RECENT_FRACTURE)
    cat = next(s for s in built.steps if s.stretch_id == "cat_camel")
    assert cat.modification == LIBRARY.stretch("cat_camel").modified_for[Condition.OSTEOPOROSIS]


def test_no_condition_means_no_modification() -> None:
    assert all(step.modification is None for step in routine(Region.LOWER_BACK, 3).steps)


# --- Broken content stops start-up with the file and field ------------------------------------


def _write_stretches(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((CONTENT_DIR / "stretches.yaml").read_text(encoding="utf-8"))
    change(data["stretches"])
    (tmp_path / "stretches.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return tmp_path


def _stretch(items: list[dict], stretch_id: str) -> dict:
    return next(item for item in items if item["id"] == stretch_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda items: _stretch(items, "chin_tuck").update(excluded_for=[]),
            "neck stretch must exclude neck_artery_signs",
        ),
        (
            lambda items: _stretch(items, "standing_toe_touch").update(excluded_for=[]),
            "must exclude osteoporosis",
        ),
        (
            lambda items: _stretch(items, "pelvic_tilt").update(modified_for={}),
            "pregnancy",
        ),
        (
            lambda items: _stretch(items, "chin_tuck").update(source=""),
            "source",
        ),
    ],
    ids=["neck", "osteoporosis", "pregnancy", "source"],
)
def test_a_stretch_missing_a_safety_rule_fails_to_load(tmp_path: Path, change, message) -> None:
    folder = _write_stretches(tmp_path, change)
    with pytest.raises(ContentError, match=r"content file stretches\.yaml") as error:
        load_file(StretchFile, "stretches.yaml", folder)
    assert message in str(error.value)


def test_a_pick_that_does_not_suit_the_region_fails_to_load() -> None:
    rules = load_file(RoutineFile, "routines.yaml")
    data = rules.model_dump(mode="json")
    data["regions"]["lower_back_leg"]["picks"][0] = "towel_hamstring"
    broken = RoutineFile.model_validate(data)
    with pytest.raises(ContentError, match=r"routines.yaml: field regions.lower_back_leg.picks"):
        library_from(load_file(StretchFile, "stretches.yaml"), broken)


# --- Session texts --------------------------------------------------------------------------

SESSION_TEXTS = {k: v for k, v in load_texts().items() if k.startswith("session.")}
REQUIRED_TEXTS = {
    "session.pain_before.question": set(),
    "session.stretch.intro": {"name", "number", "total"},
    "session.button.start_hold": set(),
    "session.hold.countdown": {"seconds"},
    "session.release": set(),
    "session.rest": {"seconds"},
    "session.paused": set(),
    "session.resumed": set(),
    "session.skipped": set(),
    "session.stopped": set(),
    "session.button.pause": set(),
    "session.button.resume": set(),
    "session.button.skip": set(),
    "session.button.stop": set(),
    "session.button.hurts": set(),
    "session.hurt.how_bad": set(),
    "session.hurt.where": set(),
    "session.hurt.limb": set(),
    "session.pain_after.question": set(),
    "session.note.prompt": set(),
    "session.summary": {"done", "total", "skipped"},
    "session.summary.pain": {"before", "after"},
    "session.summary.next": set(),
    "session.abandoned": set(),
    "session.stretch.rep_side": {"rep", "reps", "side"},
    **{f"session.side.{side.value}": set() for side in Side},
    **{f"session.hurt.where.{place}": set() for place in ("neck", "back", "arm", "leg", "other")},
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(("key", "placeholders"), REQUIRED_TEXTS.items())
def test_session_has_every_text_it_needs(key: str, placeholders: set[str]) -> None:
    assert _placeholders(SESSION_TEXTS[key]) == placeholders


@pytest.mark.parametrize("key", sorted(SESSION_TEXTS))
def test_session_texts_use_only_bold_and_italic(key: str) -> None:
    text = SESSION_TEXTS[key]
    tags = re.findall(r"</?([a-zA-Z]+)[^>]*>", text)
    assert set(tags) <= {"b", "i"}, text
    assert text.count("<b>") == text.count("</b>") and text.count("<i>") == text.count("</i>")
    assert "&" not in text


def test_a_lower_score_after_one_session_is_a_good_session_not_improvement() -> None:
    lower = SESSION_TEXTS["session.summary.pain_lower"].lower()
    assert "good session" in lower
    assert "improv" not in lower


def test_hurt_stop_advice_says_stop_and_when_to_see_a_doctor() -> None:
    stop = SESSION_TEXTS["session.hurt.advice.stop"].lower()
    assert "stop" in stop and "doctor" in stop
    assert "safety check" in SESSION_TEXTS["session.hurt.limb"].lower()
