"""Schema for the stretch pictures (poses.yaml): keyframes of one figure, as joint angles.

Each stretch has a view (side, front, top, or above: from beyond the feet, looking down),
a setting (the floor, a chair, standing, a doorway), props (mat, towel, chair, cushion,
doorway), the body areas the stretch is felt in, the body points whose path an arrow
shows, and two or more keyframes: the start position first, the held position last. A
joint left out of a keyframe is at rest.

Every angle is anatomical and bounded by its joint's natural range of motion, so a knee bent
backwards or a neck tipped back to its end range fails at load time naming the file and
the field (``poses.3.keyframes.1.joints.knee_left.flex``). Ranges: American Academy of
Orthopaedic Surgeons normal values (Greene & Heckman, 1994) and Norkin & White, Measurement
of Joint Motion (5th ed.), rounded; the neck's backward range is capped well short of its
end, as the clinical brief asks (section 5).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from content.schema.common import Strict
from content.schema.stretches import StretchId


def _angle(low: float, high: float, what: str) -> Any:
    return Field(default=0.0, ge=low, le=high, description=what)


class Body(Strict):
    """The whole figure: tilt 0 stands up, 90 lies on the back, -90 faces the floor."""

    # Past 90 on the back is the pelvis tipping under (a pelvic tilt), the chest kept flat.
    tilt: float = _angle(-100, 100, "forward (-) or backward (+) from upright, degrees")
    roll: float = _angle(-60, 60, "turn about the body's long axis, degrees (knee rolls)")
    shift: float = _angle(-0.5, 0.5, "forward shift of the hips, in body heights")


class Spine(Strict):
    flex: float = _angle(-30, 60, "bending forward (+) or back (-) at the waist")
    side: float = _angle(-35, 35, "side bend, to the left (+)")
    twist: float = _angle(-45, 45, "turn of the chest to the left (+)")


class Neck(Strict):
    # Backward only to -20: never to the end of its range (clinical brief, section 5).
    flex: float = _angle(-20, 45, "chin towards the chest (+), tipped back (-)")
    side: float = _angle(-45, 45, "ear towards the left shoulder (+)")
    turn: float = _angle(-80, 80, "looking to the left (+)")


class Head(Strict):
    nod: float = _angle(-15, 30, "nod on the top of the neck, down (+)")


class Shoulder(Strict):
    # The collarbone turning back at the breastbone: shoulder blades drawn together.
    blades: float = _angle(-15, 25, "shoulder blades drawn back (+) or forward (-)")
    flex: float = _angle(-50, 180, "arm forward and up (+), back (-)")
    abd: float = _angle(-10, 180, "arm out to the side")
    horiz: float = _angle(-30, 45, "an arm held out to the side, moved back (+)")
    rot: float = _angle(-70, 90, "outward (+) or inward (-) turn of the upper arm")


class Elbow(Strict):
    flex: float = _angle(0, 150, "bend; 0 is straight, less would bend it backwards")


class Wrist(Strict):
    bend: float = _angle(-70, 90, "fingers turned forward (+), as with a palm flat on the floor")


class Hip(Strict):
    flex: float = _angle(-20, 125, "thigh forward (+) or back (-)")
    abd: float = _angle(-25, 45, "thigh out to the side (+) or across (-)")
    rot: float = _angle(-40, 45, "outward (+) or inward (-) turn of the thigh")


class Knee(Strict):
    flex: float = _angle(0, 150, "bend; 0 is straight, less would bend it backwards")


class Ankle(Strict):
    point: float = _angle(-20, 65, "toes pointed (+) or pulled up (-)")


class Joints(Strict):
    """The joints a keyframe may bend; any other name is an error."""

    spine: Spine = Spine()
    neck: Neck = Neck()
    head: Head = Head()
    shoulder_left: Shoulder = Shoulder()
    shoulder_right: Shoulder = Shoulder()
    elbow_left: Elbow = Elbow()
    elbow_right: Elbow = Elbow()
    wrist_left: Wrist = Wrist()
    wrist_right: Wrist = Wrist()
    hip_left: Hip = Hip()
    hip_right: Hip = Hip()
    knee_left: Knee = Knee()
    knee_right: Knee = Knee()
    ankle_left: Ankle = Ankle()
    ankle_right: Ankle = Ankle()


class Keyframe(Strict):
    body: Body = Body()
    joints: Joints = Joints()


class View(StrEnum):
    SIDE = "side"  # seen from the person's left, facing right
    FRONT = "front"
    TOP = "top"  # from straight above, head to the left
    ABOVE = "above"  # from beyond the feet, 35 degrees above the floor (lying stretches)


class Setting(StrEnum):
    FLOOR = "floor"
    CHAIR = "chair"
    STANDING = "standing"
    DOORWAY = "doorway"


class Prop(StrEnum):
    MAT = "mat"
    TOWEL = "towel"
    CHAIR = "chair"
    CUSHION = "cushion"
    DOORWAY = "doorway"


class Area(StrEnum):
    """Body parts that can be shown as where the stretch is felt."""

    HEAD = "head"
    NECK = "neck"
    CHEST = "chest"
    UPPER_BACK = "upper_back"
    LOWER_BACK = "lower_back"
    SHOULDER_LEFT = "shoulder_left"
    SHOULDER_RIGHT = "shoulder_right"
    HIP_LEFT = "hip_left"
    HIP_RIGHT = "hip_right"
    THIGH_LEFT = "thigh_left"
    THIGH_RIGHT = "thigh_right"


class Point(StrEnum):
    """Body points whose path from the first to the last keyframe an arrow can show."""

    HEAD = "head"
    CHEST = "chest"
    HIPS = "hips"
    SHOULDER_LEFT = "shoulder_left"
    SHOULDER_RIGHT = "shoulder_right"
    ELBOW_LEFT = "elbow_left"
    ELBOW_RIGHT = "elbow_right"
    HAND_LEFT = "hand_left"
    HAND_RIGHT = "hand_right"
    KNEE_LEFT = "knee_left"
    KNEE_RIGHT = "knee_right"
    FOOT_LEFT = "foot_left"
    FOOT_RIGHT = "foot_right"


class Resting(StrEnum):
    """Parts a lying figure can be said to rest on; the rest may sink in a little (a
    rolled pelvis), as a body does."""

    HEAD = "head"
    CHEST = "chest"
    PELVIS = "pelvis"


class StretchPose(Strict):
    stretch: StretchId
    view: View
    setting: Setting
    props: frozenset[Prop] = frozenset()
    # On the floor: these parts' lowest point; left out, the figure's lowest point.
    rests_on: tuple[Resting, ...] = ()
    # The second panel's label (texts picture.<end_label>): a held stretch, or a movement.
    end_label: Literal["hold", "keep_going"] = "hold"
    felt_in: tuple[Area, ...] = Field(min_length=1)
    arrows: tuple[Point, ...] = Field(min_length=1)
    # One move there and back, or "alternate" between the keyframes (marching).
    keyframes: tuple[Keyframe, ...] = Field(min_length=2, max_length=4)

    @model_validator(mode="after")
    def _moves(self) -> Self:
        if self.keyframes[0] == self.keyframes[-1]:
            raise ValueError(f"{self.stretch}: the start and end keyframes are the same")
        if self.setting is Setting.CHAIR and Prop.CHAIR not in self.props:
            raise ValueError(f"{self.stretch}: sitting needs the chair prop")
        if self.setting is Setting.DOORWAY and Prop.DOORWAY not in self.props:
            raise ValueError(f"{self.stretch}: a doorway stretch needs the doorway prop")
        return self


class PoseFile(Strict):
    poses: tuple[StretchPose, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        for pose in self.poses:
            if pose.stretch in seen:
                raise ValueError(f"stretch {pose.stretch!r} has two poses")
            seen.add(pose.stretch)
        return self

    def of(self, stretch_id: str) -> StretchPose:
        for pose in self.poses:
            if pose.stretch == stretch_id:
                return pose
        raise KeyError(stretch_id)
