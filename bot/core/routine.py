"""A person's stretch routine: which stretches, in what order, for how long.

The routine for a region of pain at a level is the warm-up, then the first N stretches of
that region's plan (routines.yaml) the level allows. A stretch ruled out by one of the
person's conditions is dropped and named in ``Routine.excluded``; nothing takes its place,
so a shorter routine is the only price of a condition, never a riskier stretch.

The order is the seed texts' "warm up, then start at the neck and work down": by body
area, and within an area by position (sitting, standing, kneeling, all fours, lying), so
the person gets down to the floor once. An optional stretch comes last in its area.

Each hold is one :class:`Step`; a two-sided stretch holds left then right in every rep.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache

from content import languages
from content.loader import ContentError, cached
from content.schema.common import Condition, Region
from content.schema.poses import PoseFile, Prop, Setting
from content.schema.stretches import (
    BodyArea,
    LevelDose,
    Position,
    RoutineFile,
    Stretch,
    StretchFile,
)

# Fewest trips up and down from the floor within one body area.
POSITION_ORDER = (
    Position.SITTING,
    Position.STANDING,
    Position.KNEELING,
    Position.ALL_FOURS,
    Position.LYING_ON_BACK,
)


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class Step:
    """One timed hold: rep ``rep`` of ``reps`` of a stretch, then ``rest_seconds`` of rest."""

    stretch_id: str
    rep: int
    reps: int
    hold_seconds: int
    rest_seconds: int
    area: BodyArea
    modification: str | None  # how to do it differently because of a condition
    side: Side | None = None  # set for two-sided stretches
    optional: bool = False  # the person may skip it without it counting against them


@dataclass(frozen=True)
class Routine:
    level: int
    steps: tuple[Step, ...]
    excluded: tuple[str, ...]  # stretch ids left out because of a condition

    @property
    def stretch_ids(self) -> tuple[str, ...]:
        """The stretches in session order, each once."""
        return tuple(dict.fromkeys(step.stretch_id for step in self.steps))

    def number_of(self, stretch_id: str) -> int:
        """1-based position of a stretch, for "stretch 3 of 7"."""
        return self.stretch_ids.index(stretch_id) + 1

    @property
    def total_seconds(self) -> int:
        return sum(step.hold_seconds + step.rest_seconds for step in self.steps)


@dataclass(frozen=True)
class StretchLibrary:
    """The stretch library and routine rules, checked against each other."""

    stretches: Mapping[str, Stretch]
    rules: RoutineFile

    def stretch(self, stretch_id: str) -> Stretch:
        return self.stretches[stretch_id]

    @property
    def warm_up(self) -> Stretch:
        return self.stretches[self.rules.warm_up]

    @property
    def max_level(self) -> int:
        return len(self.rules.levels)

    def dose(self, level: int) -> LevelDose:
        return self.rules.levels[self.clamp(level) - 1]

    def clamp(self, level: int) -> int:
        return min(max(level, 1), self.max_level)


def library_from(stretch_file: StretchFile, rules: RoutineFile) -> StretchLibrary:
    """Join the two files, raising ContentError where they disagree."""
    stretches = {stretch.id: stretch for stretch in stretch_file.stretches}
    library = StretchLibrary(stretches=stretches, rules=rules)

    def fail(field: str, message: str) -> ContentError:
        return ContentError(f"content file routines.yaml: field {field}: {message}")

    warm_up = stretches.get(rules.warm_up)
    if warm_up is None or warm_up.body_area is not BodyArea.WARMUP:
        raise fail("warm_up", f"{rules.warm_up!r} is not the warm-up in stretches.yaml")
    for stretch in stretches.values():
        if stretch.min_level > library.max_level:
            raise fail("levels", f"{stretch.id} needs level {stretch.min_level}, which is missing")
        if stretch.optional and stretch.min_level != library.max_level:
            raise fail("levels", f"optional {stretch.id} must start at the top level only")
    for region, plan in rules.regions.items():
        where = f"regions.{region.value}.picks"
        if len(set(plan.picks)) != len(plan.picks):
            raise fail(where, "a stretch is picked twice")
        for stretch_id in plan.picks:
            picked = stretches.get(stretch_id)
            if picked is None:
                raise fail(where, f"unknown stretch {stretch_id!r}")
            if picked is warm_up:
                raise fail(where, "the warm-up is added to every routine; don't pick it")
            if region not in picked.regions:
                raise fail(where, f"{stretch_id} does not list {region.value} in its regions")
        for dose in rules.levels:
            allowed = [s for s in plan.picks if stretches[s].min_level <= dose.level]
            if len(allowed) < dose.stretches:
                raise fail(where, f"level {dose.level} needs {dose.stretches} stretches")
    return library


def load_library() -> StretchLibrary:
    """The library in this update's language, every stretch with its pose."""
    return _library_in(languages.current())


@cache
def _library_in(language: str) -> StretchLibrary:
    """Validated once per process and language: names, steps and cautions are translated;
    doses, order and exclusions are English's (content/languages.py checks they match)."""
    with languages.speaking(language):
        stretches = languages.localised(StretchFile, "stretches.yaml")
    library = library_from(stretches, cached(RoutineFile, "routines.yaml"))
    check_poses(library, cached(PoseFile, "poses.yaml"))
    return library


def check_poses(library: StretchLibrary, poses: PoseFile) -> None:
    """Every stretch has exactly one picture, and every picture a stretch."""
    drawn = [pose.stretch for pose in poses.poses]
    for stretch_id in library.stretches:
        if stretch_id not in drawn:
            raise ContentError(f"content file poses.yaml: field poses: no pose for {stretch_id}")
    for index, stretch_id in enumerate(drawn):
        if stretch_id not in library.stretches:
            raise ContentError(
                f"content file poses.yaml: field poses.{index}.stretch: "
                f"unknown stretch {stretch_id!r}"
            )


NEEDS_ORDER = ("floor", "chair", "cushion", "towel", "doorway")


def session_needs(stretch_ids: Iterable[str]) -> tuple[str, ...]:
    """What a session asks for, from its stretches' poses: floor space, chair, towel...

    Names in NEEDS_ORDER; texts say them (session.needs.<name>).
    """
    poses = cached(PoseFile, "poses.yaml")
    needs: set[str] = set()
    for stretch_id in stretch_ids:
        pose = poses.of(stretch_id)
        if pose.setting is Setting.FLOOR or Prop.MAT in pose.props:
            needs.add("floor")
        needs.update(prop.value for prop in pose.props if prop is not Prop.MAT)
    return tuple(name for name in NEEDS_ORDER if name in needs)


def modification_for(stretch: Stretch, conditions: frozenset[Condition]) -> str | None:
    """The changes a person's conditions ask for, one per line, or None."""
    # dict.fromkeys: two conditions may ask for the same change; say it once.
    texts = dict.fromkeys(text for c, text in stretch.modified_for.items() if c in conditions)
    return "\n".join(texts) or None


def build_routine(
    library: StretchLibrary, region: Region, level: int, conditions: frozenset[Condition]
) -> Routine:
    """The routine for ``region`` at ``level`` (clamped), without what ``conditions`` rule out."""
    level = library.clamp(level)
    dose = library.dose(level)
    picks = [
        library.stretch(stretch_id)
        for stretch_id in library.rules.regions[region].picks
        if library.stretch(stretch_id).min_level <= level
    ][: dose.stretches]
    candidates = [library.warm_up, *picks]
    chosen = [s for s in candidates if not s.excluded_for & conditions]
    excluded = tuple(s.id for s in candidates if s.excluded_for & conditions)

    pick_rank = {stretch.id: rank for rank, stretch in enumerate(candidates)}
    chosen.sort(
        key=lambda s: (
            s.body_area.order,
            s.optional,
            POSITION_ORDER.index(s.position),
            pick_rank[s.id],
        )
    )
    steps = [step for stretch in chosen for step in _steps_of(stretch, dose, conditions)]
    if steps:  # nothing to rest for after the last hold
        steps[-1] = replace(steps[-1], rest_seconds=0)
    return Routine(level=level, steps=tuple(steps), excluded=excluded)


def _steps_of(stretch: Stretch, dose: LevelDose, conditions: frozenset[Condition]) -> list[Step]:
    reps = stretch.reps or dose.reps
    sides: tuple[Side | None, ...] = (Side.LEFT, Side.RIGHT) if stretch.two_sided else (None,)
    modification = modification_for(stretch, conditions)
    return [
        Step(
            stretch_id=stretch.id,
            rep=rep,
            reps=reps,
            hold_seconds=stretch.hold_seconds or dose.hold_seconds,
            rest_seconds=dose.rest_seconds,
            area=stretch.body_area,
            modification=modification,
            side=side,
            optional=stretch.optional,
        )
        for rep in range(1, reps + 1)
        for side in sides
    ]
