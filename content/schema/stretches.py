"""Schemas for the stretch library (stretches.yaml) and the dosing rules (routines.yaml).

A stretch describes itself in a way the safety rules can check: where it works
(``body_area``), the position it is done in and how it moves the spine. Validators turn
the clinical brief's hard rules into load-time errors, so a new stretch that forgets an
exclusion stops start-up instead of reaching someone it could harm:

- every neck stretch excludes ``neck_artery_signs`` (IFOMPT Cervical Framework, Rushton 2023);
- a loaded or end-range forward bend or twist excludes ``osteoporosis`` and
  ``recent_fracture`` (Giangregorio, Osteoporosis International 2014);
- a stretch done lying on the back is modified or excluded for ``pregnancy`` (ACOG).

routines.yaml holds the numbers: hold, reps and stretch count per level, which stretches
each region of pain gets, the progression rule and the pain-rating thresholds, each with
its source.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from content.schema.common import Condition, Region, Strict

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
StretchId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]


class BodyArea(StrEnum):
    """Where a stretch works. The order of the members is the session order: neck down."""

    WARMUP = "warmup"
    NECK = "neck"
    UPPER_BACK = "upper_back"
    LOWER_BACK_HIPS = "lower_back_hips"
    HAMSTRINGS = "hamstrings"

    @property
    def order(self) -> int:
        return list(BodyArea).index(self)


class Position(StrEnum):
    STANDING = "standing"
    SITTING = "sitting"
    LYING_ON_BACK = "lying_on_back"
    ALL_FOURS = "all_fours"
    KNEELING = "kneeling"


class SpineMovement(StrEnum):
    """How a stretch moves the spine; the first three are what osteoporosis rules out."""

    END_RANGE_FORWARD_BEND = "end_range_forward_bend"
    LOADED_FORWARD_BEND = "loaded_forward_bend"
    END_RANGE_TWIST = "end_range_twist"
    GENTLE_FORWARD_BEND = "gentle_forward_bend"
    GENTLE_TWIST = "gentle_twist"
    BACK_BEND = "back_bend"


BONE_RISK_MOVEMENTS = frozenset(
    {
        SpineMovement.END_RANGE_FORWARD_BEND,
        SpineMovement.LOADED_FORWARD_BEND,
        SpineMovement.END_RANGE_TWIST,
    }
)
FRAGILE_BONE_CONDITIONS = frozenset({Condition.OSTEOPOROSIS, Condition.RECENT_FRACTURE})


class Stretch(Strict):
    id: StretchId
    name: Text
    body_area: BodyArea
    position: Position
    spine: tuple[SpineMovement, ...] = ()
    two_sided: bool = Field(description="done once per side: each rep holds left, then right")
    # A movement (the warm-up march, cat-camel) is kept going for its time, not held still:
    # its button says "Start", not "Start the hold".
    movement: bool = False
    steps: tuple[Text, ...] = Field(min_length=2)
    feel: Text
    cautions: tuple[Text, ...] = ()
    # None: the level's dose from routines.yaml; set only where a stretch is timed differently.
    hold_seconds: int | None = Field(default=None, ge=5, le=180)
    reps: int | None = Field(default=None, ge=1, le=5)
    excluded_for: frozenset[Condition] = frozenset()
    modified_for: dict[Condition, Text] = Field(default_factory=dict)
    regions: frozenset[Region] = Field(min_length=1)
    min_level: int = Field(ge=1)
    optional: bool = False
    source: Source

    @model_validator(mode="after")
    def _safety_rules(self) -> Self:
        clash = self.excluded_for & self.modified_for.keys()
        if clash:
            raise ValueError(f"{self.id}: both excluded and modified for {sorted(clash)}")
        if self.body_area is BodyArea.NECK and Condition.NECK_ARTERY_SIGNS not in self.excluded_for:
            raise ValueError(f"{self.id}: a neck stretch must exclude neck_artery_signs")
        if (
            BONE_RISK_MOVEMENTS & set(self.spine)
            and not FRAGILE_BONE_CONDITIONS <= self.excluded_for
        ):
            raise ValueError(
                f"{self.id}: an end-range or loaded bend or twist must exclude "
                "osteoporosis and recent_fracture"
            )
        if self.position is Position.LYING_ON_BACK and not (
            Condition.PREGNANCY in self.excluded_for or Condition.PREGNANCY in self.modified_for
        ):
            raise ValueError(f"{self.id}: lying on the back needs a pregnancy modification")
        return self


class StretchFile(Strict):
    stretches: tuple[Stretch, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        seen: set[str] = set()
        for stretch in self.stretches:
            if stretch.id in seen:
                raise ValueError(f"stretch id {stretch.id!r} is used twice")
            seen.add(stretch.id)
        warmups = [s.id for s in self.stretches if s.body_area is BodyArea.WARMUP]
        if len(warmups) != 1:
            raise ValueError(f"exactly one warm-up is needed, found {warmups}")
        return self


class LevelDose(Strict):
    level: int = Field(ge=1)
    hold_seconds: int = Field(ge=10, le=60)
    reps: int = Field(ge=1, le=5)
    rest_seconds: int = Field(ge=0, le=30)
    stretches: int = Field(ge=1, description="how many stretches after the warm-up")
    source: Source


class RegionPlan(Strict):
    """The stretches a region of pain gets, most important first; a level takes the first N."""

    picks: tuple[StretchId, ...] = Field(min_length=1)
    why: Text
    source: Source


class ProgressionRules(Strict):
    steady_sessions_to_level_up: int = Field(ge=1)
    pain_rise_to_level_down: int = Field(ge=1, le=10)
    source: Source


class PainRules(Strict):
    """Thresholds on the 0-10 scale for hurt advice, trends and the re-screen trigger."""

    fine_up_to: int = Field(ge=0, le=10)
    ease_off_up_to: int = Field(ge=0, le=10)
    improvement_points: float = Field(gt=0)
    improvement_fraction: float = Field(gt=0, lt=1)
    improvement_weeks: int = Field(ge=1)
    worse_points: float = Field(gt=0)
    rescreen_rise_points: float = Field(gt=0)
    min_ratings_per_week: int = Field(ge=1)
    traffic_light_source: Source
    change_source: Source

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.fine_up_to < self.ease_off_up_to < 10:
            raise ValueError("need fine_up_to < ease_off_up_to < 10")
        return self


class RoutineFile(Strict):
    warm_up: StretchId
    levels: tuple[LevelDose, ...] = Field(min_length=1)
    regions: dict[Region, RegionPlan]
    progression: ProgressionRules
    pain: PainRules

    @model_validator(mode="after")
    def _complete(self) -> Self:
        numbers = [dose.level for dose in self.levels]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"levels must be 1, 2, ... in order, got {numbers}")
        missing = set(Region) - self.regions.keys()
        if missing:
            raise ValueError(f"regions without a plan: {sorted(missing)}")
        return self
