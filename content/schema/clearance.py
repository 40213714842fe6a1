"""How long after EMERGENCY or URGENT advice a clinician's clearance can be reported.

One entry per level that blocks stretching, each with its wait, the reason for it and a
source; a level left out, or another level, fails at load naming the file and the field.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from content.schema.common import Level, Strict


class Wait(Strict):
    hours: float = Field(gt=0, le=72)
    rationale: str = Field(min_length=20)
    source: str = Field(min_length=10)

    @property
    def duration(self) -> timedelta:
        return timedelta(hours=self.hours)


class ClearanceFile(Strict):
    waits: dict[Level, Wait]

    @model_validator(mode="after")
    def _one_wait_per_blocking_level(self) -> ClearanceFile:
        blocking = {level for level in Level if level.blocks_stretching}
        if set(self.waits) != blocking:
            raise ValueError(f"give a wait for exactly {sorted(blocking)}")
        return self
