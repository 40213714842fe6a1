"""Vocabulary shared by every content file: action levels, body regions, conditions.

Triage produces levels and conditions; routines read them. Keeping the names in one
enum means a typo in a content file fails validation instead of silently not matching.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base for content models: unknown fields are errors, loaded content is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(StrEnum):
    """Action levels of the clinical brief, section 2, most urgent first."""

    EMERGENCY = "EMERGENCY"
    URGENT = "URGENT"
    SEE_GP = "SEE_GP"
    CHECK_FIRST = "CHECK_FIRST"
    CLEAR = "CLEAR"

    @property
    def severity(self) -> int:
        """Higher is more urgent; CLEAR is 0."""
        return {"EMERGENCY": 4, "URGENT": 3, "SEE_GP": 2, "CHECK_FIRST": 1, "CLEAR": 0}[self.value]

    @property
    def blocks_stretching(self) -> bool:
        """EMERGENCY and URGENT refuse sessions until re-screened or cleared by a clinician."""
        return self in (Level.EMERGENCY, Level.URGENT)


class Region(StrEnum):
    """Where it hurts, as asked during onboarding."""

    NECK = "neck"
    UPPER_BACK = "upper_back"
    LOWER_BACK = "lower_back"
    LOWER_BACK_LEG = "lower_back_leg"

    @property
    def is_neck(self) -> bool:
        return self is Region.NECK


class AgeBand(StrEnum):
    """Age bands chosen so every age threshold in the brief falls on a boundary."""

    UNDER_16 = "under_16"
    FROM_16_TO_49 = "16_49"
    FROM_50_TO_64 = "50_64"
    FROM_65_TO_74 = "65_74"
    FROM_75 = "75_plus"


class Condition(StrEnum):
    """Conditions found by triage (CHECK_FIRST and others) that exclude or modify stretches."""

    OSTEOPOROSIS = "osteoporosis"
    PREGNANCY = "pregnancy"
    RECENT_SPINAL_SURGERY = "recent_spinal_surgery"
    RECENT_FRACTURE = "recent_fracture"
    DISC_PROLAPSE_LEG_PAIN = "disc_prolapse_leg_pain"
    SPINAL_STENOSIS = "spinal_stenosis"
    SPONDYLOLISTHESIS = "spondylolisthesis"
    HEART_CONDITION = "heart_condition"
    NECK_ARTERY_SIGNS = "neck_artery_signs"
