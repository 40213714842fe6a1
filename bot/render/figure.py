"""One figure, posed by joint angles and drawn flat: the body in every stretch picture.

Flow: a :class:`~content.schema.poses.Keyframe` -> :func:`pose_figure` (forward kinematics
in 3-D: x forward, y up, z the person's right) -> :func:`project` for a view (side: seen
from the person's right, facing right; front; top: from above) -> :func:`draw_figure`
onto a Pillow image. Limbs are rounded, filled shapes: each segment is the convex hull of
two or three spheres, so a limb tapers the way a body does.

Proportions are fractions of standing height, from Winter's anthropometric table
(Biomechanics and Motor Control of Human Movement, 4th ed., table 4.1): head 0.13
(about 1/7.5), upper arm 0.186, forearm 0.146, thigh 0.245, shank 0.246, ankle 0.039.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from content.schema.poses import Joints, Keyframe, View

Vec = np.ndarray
Colour = tuple[int, int, int]

# Segment lengths (fractions of height).
PELVIS, CHEST, NECK = 0.10, 0.19, 0.05
UPPER_ARM, FOREARM, HAND = 0.186, 0.146, 0.075
THIGH, SHANK, ANKLE = 0.245, 0.246, 0.039
HIP_HALF, SHOULDER_HALF = 0.055, 0.115
HEAD_RADIUS = 0.066
ABOVE = 35  # degrees above the floor
ABOVE_COS, ABOVE_SIN = math.cos(math.radians(ABOVE)), math.sin(math.radians(ABOVE))


def _rx(deg: float) -> Vec:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _ry(deg: float) -> Vec:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rz(deg: float) -> Vec:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


MIRROR = np.diag([1.0, 1.0, -1.0])


def _sided(rotation: Vec, side: str) -> Vec:
    """Rotations are written for the right side (+z); the left side is their mirror image."""
    return rotation if side == "right" else MIRROR @ rotation @ MIRROR


@dataclass
class Segment:
    """Spheres (centre, radius) whose hull is one part of the body, in one drawing group."""

    group: str
    spheres: list[tuple[Vec, float]]


@dataclass
class Figure:
    points: dict[str, Vec] = field(default_factory=dict)
    segments: dict[str, Segment] = field(default_factory=dict)

    def add(self, name: str, group: str, *spheres: tuple[Vec, float]) -> None:
        self.segments[name] = Segment(group, list(spheres))


def pose_figure(frame: Keyframe, rests_on: Sequence[str] = ()) -> Figure:
    """Joint angles to 3-D points, grounded: the lowest of ``rests_on`` (segment names;
    default every segment) on the floor."""
    j: Joints = frame.joints
    fig = Figure()
    body = _rz(frame.body.tilt) @ _ry(frame.body.roll)
    origin = np.array([frame.body.shift, 0.0, 0.0])
    spine = body @ _rz(-j.spine.flex) @ _rx(-j.spine.side) @ _ry(j.spine.twist)
    waist = origin + body @ np.array([0, PELVIS, 0])
    neck_base = waist + spine @ np.array([0, CHEST, 0])
    neck = spine @ _rz(-j.neck.flex) @ _rx(-j.neck.side) @ _ry(j.neck.turn)
    skull = neck_base + neck @ np.array([0.005, NECK, 0])
    head = neck @ _rz(-j.head.nod)
    head_centre = skull + head @ np.array([0.008, 0.058, 0])
    fig.points.update(hips=origin, chest=waist + spine @ np.array([0, 0.1, 0]), head=head_centre)

    def w(vec: list[float], frame_rot: Vec, at: Vec) -> Vec:
        return at + frame_rot @ np.array(vec)

    sternum = w([-0.01, 0.168, 0], spine, waist)

    def shoulder_of(side: str) -> Vec:
        blades = getattr(j, f"shoulder_{side}").blades
        across = np.array([0, 0, SHOULDER_HALF if side == "right" else -SHOULDER_HALF])
        return sternum + spine @ _sided(_ry(-blades), side) @ across

    shoulders = {side: shoulder_of(side) for side in ("right", "left")}
    # Spheres side by side: as wide as a body from the front and as deep from the side.
    fig.add(
        "pelvis",
        "torso",
        (w([-0.005, 0.0, HIP_HALF], body, origin), 0.07),
        (w([-0.005, 0.0, -HIP_HALF], body, origin), 0.07),
        (w([0, 0, 0.03], spine, waist), 0.062),
        (w([0, 0, -0.03], spine, waist), 0.062),
    )
    fig.add(
        "chest",
        "torso",
        (w([0, 0, 0.03], spine, waist), 0.062),
        (w([0, 0, -0.03], spine, waist), 0.062),
        (w([0.008, 0.11, 0.032], spine, waist), 0.068),
        (w([0.008, 0.11, -0.032], spine, waist), 0.068),
        (shoulders["right"] + spine @ np.array([0, 0, -0.015]), 0.045),
        (shoulders["left"] + spine @ np.array([0, 0, 0.015]), 0.045),
    )
    fig.add("neck", "torso", (neck_base, 0.042), (skull, 0.036))
    # Hair: a darker cap behind the face shows which way the head is turned and tipped.
    fig.add("hair", "head", (w([-0.02, 0.016, 0], head, head_centre), 0.061))
    fig.add(
        "head",
        "head",
        (head_centre, HEAD_RADIUS),
        (w([0.058, -0.012, 0], head, head_centre), 0.018),  # the nose shows where it faces
        (w([0.035, -0.05, 0], head, head_centre), 0.03),  # chin and jaw
    )
    for side, sign in (("right", 1.0), ("left", -1.0)):
        sh = getattr(j, f"shoulder_{side}")
        shoulder = shoulders[side]
        arm = spine @ _sided(_ry(-sh.horiz) @ _rz(sh.flex) @ _rx(-sh.abd) @ _ry(-sh.rot), side)
        elbow = shoulder + arm @ np.array([0, -UPPER_ARM, 0])
        fore = arm @ _rz(getattr(j, f"elbow_{side}").flex)
        wrist = elbow + fore @ np.array([0, -FOREARM, 0])
        palm = fore @ _rz(getattr(j, f"wrist_{side}").bend)
        hand = wrist + palm @ np.array([0, -HAND, 0])
        fig.add(f"upper_arm_{side}", f"arm_{side}", (shoulder, 0.04), (elbow, 0.03))
        fig.add(f"forearm_{side}", f"arm_{side}", (elbow, 0.03), (wrist, 0.023))
        fig.add(f"hand_{side}", f"arm_{side}", (wrist, 0.025), (hand, 0.022))

        hip_angles = getattr(j, f"hip_{side}")
        hip = w([0, 0, sign * HIP_HALF], body, origin)
        thigh = body @ _sided(
            _rz(hip_angles.flex) @ _rx(-hip_angles.abd) @ _ry(-hip_angles.rot), side
        )
        knee = hip + thigh @ np.array([0, -THIGH, 0])
        shank = thigh @ _rz(-getattr(j, f"knee_{side}").flex)
        ankle = knee + shank @ np.array([0, -SHANK, 0])
        foot = shank @ _rz(-getattr(j, f"ankle_{side}").point)
        heel = ankle + foot @ np.array([-0.035, -0.018, 0])
        toe = ankle + foot @ np.array([0.125, -0.022, 0])
        fig.add(f"thigh_{side}", f"leg_{side}", (hip, 0.064), (knee, 0.043))
        fig.add(f"shank_{side}", f"leg_{side}", (knee, 0.043), (ankle, 0.028))
        fig.add(f"foot_{side}", f"leg_{side}", (ankle, 0.03), (heel, 0.022), (toe, 0.017))
        fig.points.update(
            {
                f"hand_{side}": hand,
                f"knee_{side}": knee,
                f"foot_{side}": (heel + toe) / 2,
                f"shoulder_{side}": shoulder,
                f"hip_{side}": hip,
                f"sole_{side}": (heel + toe) / 2 + foot @ np.array([0, -0.02, 0]),
                f"wrist_{side}": wrist,
                f"elbow_{side}": elbow,
            }
        )
    _ground(fig, rests_on)
    return fig


def _ground(fig: Figure, rests_on: Sequence[str]) -> None:
    """Lower or lift the figure so its lowest surface rests on the floor (y = 0)."""
    resting = [fig.segments[name] for name in rests_on] or list(fig.segments.values())
    lowest = min(c[1] - r for seg in resting for c, r in seg.spheres)
    offset = np.array([0.0, -lowest, 0.0])
    for seg in fig.segments.values():
        seg.spheres = [(c + offset, r) for c, r in seg.spheres]
    for name in fig.points:
        fig.points[name] = fig.points[name] + offset


# --- projection ----------------------------------------------------------------------------
def to_view(point: Vec, view: View) -> tuple[float, float, float]:
    """(across, up, depth towards the viewer) for a 3-D point."""
    x, y, z = float(point[0]), float(point[1]), float(point[2])
    if view is View.SIDE:
        return x, y, z
    if view is View.FRONT:
        return -z, y, x
    if view is View.ABOVE:  # from beyond the feet, looking down at ABOVE degrees
        c, s = ABOVE_COS, ABOVE_SIN
        return -z, y * c - x * s, x * c + y * s
    return x, -z, y


@dataclass(frozen=True)
class Shape:
    """A projected segment: its outline in view units, where it lies in depth, its group."""

    name: str
    group: str
    outline: list[tuple[float, float]]
    depth: float


def project(fig: Figure, view: View) -> list[Shape]:
    shapes = []
    for name, seg in fig.segments.items():
        circles = [(to_view(c, view), r) for c, r in seg.spheres]
        outline = hull(
            [
                (cx + r * math.cos(a), cy + r * math.sin(a))
                for (cx, cy, _), r in circles
                for a in (i * math.tau / 24 for i in range(24))
            ]
        )
        depth = sum(d for (_, _, d), _ in circles) / len(circles)
        shapes.append(Shape(name, seg.group, outline, depth))
    return shapes


def hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull, counter-clockwise (Andrew's monotone chain)."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


# --- drawing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Canvas:
    """Maps view units (body heights, floor at 0) to pixels of one panel."""

    scale: float
    left: float  # pixel x of view x = 0
    floor: float  # pixel y of the floor

    def px(self, x: float, y: float) -> tuple[float, float]:
        return self.left + x * self.scale, self.floor - y * self.scale


@dataclass(frozen=True)
class Palette:
    background: Colour
    body: Colour
    far: Colour
    accent: Colour
    hair: Colour
    prop: Colour
    prop_light: Colour


def draw_figure(
    image: Image.Image,
    shapes: list[Shape],
    canvas: Canvas,
    palette: Palette,
    view: View,
    highlight: dict[str, list[str]],
) -> None:
    """Groups far to near, each with a thin gap around it; ``highlight`` maps a group to its
    segments that glow in the accent colour (where the stretch is felt)."""
    draw = ImageDraw.Draw(image)
    groups: dict[str, list[Shape]] = {}
    for shape in shapes:
        groups.setdefault(shape.group, []).append(shape)
    torso_depth = sum(s.depth for s in groups["torso"]) / len(groups["torso"])

    def group_depth(name: str) -> float:
        items = groups[name]
        depth = sum(s.depth for s in items) / len(items)
        if name == "head" and view is View.SIDE:
            return torso_depth + 0.001  # on top of the neck
        if name.startswith("arm_") and view is View.FRONT and depth > torso_depth - 0.05:
            return torso_depth + 0.001  # arms by the sides: drawn beside the body, not under
        return depth

    gap = max(2.0, canvas.scale * 0.008)
    for name in sorted(groups, key=group_depth):
        far = view is View.SIDE and name.endswith("_left")
        colour = palette.far if far else palette.body
        for shape in groups[name]:
            outline = [canvas.px(x, y) for x, y in shape.outline]
            draw.polygon(outline, outline=palette.background, width=round(gap * 2))
        for shape in groups[name]:
            fill = palette.hair if shape.name == "hair" else colour
            draw.polygon([canvas.px(x, y) for x, y in shape.outline], fill=fill)
        marked = [s for s in groups[name] if s.name in highlight.get(name, ())]
        if marked:
            _glow(image, groups[name], marked, canvas, palette.accent)


def _glow(
    image: Image.Image, group: list[Shape], marked: list[Shape], canvas: Canvas, colour: Colour
) -> None:
    """A soft patch of ``colour`` over the marked segments, fading towards their edges and
    kept inside the body (drawn on a crop around them: blurring a whole frame is slow)."""
    blur = canvas.scale * 0.022
    points = [canvas.px(x, y) for shape in marked for x, y in shape.outline]
    pad = blur * 3
    left = max(0, int(min(p[0] for p in points) - pad))
    top = max(0, int(min(p[1] for p in points) - pad))
    right = min(image.width, int(max(p[0] for p in points) + pad))
    bottom = min(image.height, int(max(p[1] for p in points) + pad))
    if right <= left or bottom <= top:
        return
    size = (right - left, bottom - top)

    def mask_of(shapes: list[Shape]) -> Image.Image:
        mask = Image.new("L", size, 0)
        pen = ImageDraw.Draw(mask)
        for shape in shapes:
            outline = [canvas.px(x, y) for x, y in shape.outline]
            pen.polygon([(x - left, y - top) for x, y in outline], fill=255)
        return mask

    glow = mask_of(marked).filter(ImageFilter.GaussianBlur(blur))
    inside = ImageChops.multiply(glow, mask_of(group)).point(lambda v: int(v * 0.92))
    patch = Image.new("RGB", size, colour)
    image.paste(patch, (left, top), inside)
