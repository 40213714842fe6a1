"""The picture and the animation of a stretch, drawn from content/poses.yaml with Pillow.

- :func:`render_still`: PNG, 640 px wide: "1 Start" and "2 Hold" side by side (or one above
  the other for poses on the floor), arrows for the movement, the area it is felt in
  in the accent colour.
- :func:`render_animation`: a looped GIF, start -> hold -> start, eased, about 3 s.
- :func:`render_contact_sheet`: every stretch's picture on one PNG, for review.

Pillow because it is small, well kept, already installed (matplotlib needs it), and makes
a GIF without ffmpeg; everything is drawn at twice the size and downsampled, which is
Pillow's way to antialias filled shapes. Fonts: Pillow's own (``load_default(size=...)``).
Same pose data, labels and drawing code, same bytes: :func:`content_hash` keys every cache
(the files on disk and Telegram's file_ids), so any change to one of them makes new pictures.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.render import figure
from bot.render.figure import (
    ABOVE_SIN,
    Canvas,
    Figure,
    Palette,
    draw_figure,
    pose_figure,
    project,
    to_view,
)
from content.loader import cached
from content.schema.poses import Area, Keyframe, PoseFile, Prop, StretchPose, View
from content.schema.texts import t

# The drawing code itself: editing the renderer changes every picture's hash.
RENDERER = hashlib.sha256(
    Path(__file__).read_bytes() + Path(figure.__file__).read_bytes()
).hexdigest()[:16]
WIDTH = 640
SUPER = 2  # drawn at twice the size, then downsampled: smooth edges
PALETTE = Palette(
    background=(246, 243, 237),
    body=(37, 82, 122),
    far=(126, 160, 192),
    accent=(230, 110, 55),
    hair=(22, 52, 80),
    prop=(160, 154, 146),
    prop_light=(224, 219, 211),
)
AREA_SEGMENTS: dict[Area, tuple[str, str]] = {
    Area.HEAD: ("head", "head"),
    Area.NECK: ("torso", "neck"),
    Area.CHEST: ("torso", "chest"),
    Area.UPPER_BACK: ("torso", "chest"),
    Area.LOWER_BACK: ("torso", "pelvis"),
    Area.SHOULDER_LEFT: ("arm_left", "upper_arm_left"),
    Area.SHOULDER_RIGHT: ("arm_right", "upper_arm_right"),
    Area.HIP_LEFT: ("torso", "pelvis"),
    Area.HIP_RIGHT: ("torso", "pelvis"),
    Area.THIGH_LEFT: ("leg_left", "thigh_left"),
    Area.THIGH_RIGHT: ("leg_right", "thigh_right"),
}
STEPS = 8  # in-between frames per move
FLOOR_PLANE_VIEWS = frozenset({View.TOP, View.ABOVE})  # the floor is a plane, not a line
MAT_HALF_WIDTH = 0.3
MOVE_MS, START_MS, HOLD_MS = 90, 700, 1000


def poses() -> PoseFile:
    return cached(PoseFile, "poses.yaml")


def content_hash(pose: StretchPose, kind: str) -> str:
    """Changes when the pose data, the kind of picture or the renderer changes."""
    labels = [t("picture.start"), t(f"picture.{pose.end_label}")]
    text = f"{RENDERER}:{kind}:{WIDTH}:{labels}:{pose.model_dump_json()}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def figure_of(pose: StretchPose, frame: Keyframe) -> Figure:
    return pose_figure(frame, [part.value for part in pose.rests_on])


# --- poses between keyframes ---------------------------------------------------------------
def blend(a: Keyframe, b: Keyframe, t: float) -> Keyframe:
    """Every angle eased from ``a`` to ``b`` (t from 0 to 1)."""
    eased = (1 - math.cos(math.pi * t)) / 2

    def mix(x: dict, y: dict) -> dict:
        return {
            key: mix(x[key], y[key])
            if isinstance(x[key], dict)
            else x[key] + (y[key] - x[key]) * eased
            for key in x
        }

    return Keyframe.model_validate(mix(a.model_dump(), b.model_dump()))


def motion(pose: StretchPose) -> list[tuple[Keyframe, int]]:
    """(pose, milliseconds) for one loop: through the keyframes to the hold and back."""
    frames: list[tuple[Keyframe, int]] = [(pose.keyframes[0], START_MS)]
    path = [*pose.keyframes, *reversed(pose.keyframes[:-1])]
    for a, b in itertools.pairwise(path):
        for step in range(1, STEPS + 1):
            frames.append((blend(a, b, step / STEPS), MOVE_MS))
        if b is pose.keyframes[-1]:
            frames[-1] = (frames[-1][0], HOLD_MS)
    frames.pop()  # the last frame is the first again: the loop restarts there
    return frames


# --- layout --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bounds:
    """The view-space box every frame of a pose fits in (the floor is at 0)."""

    left: float
    right: float
    bottom: float
    top: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom


def bounds(figures: list[Figure], pose: StretchPose) -> Bounds:
    xs: list[float] = []
    ys: list[float] = []
    for fig in figures:
        for seg in fig.segments.values():
            for centre, radius in seg.spheres:
                x, y, _ = to_view(centre, pose.view)
                xs += [x - radius, x + radius]
                ys += [y - radius, y + radius]
    if pose.view in FLOOR_PLANE_VIEWS:
        left, right, bottom, top = _mat_corners(figures[0], pose)
        return Bounds(
            min(min(xs), left) - 0.04,
            max(max(xs), right) + 0.04,
            min(min(ys), bottom) - 0.03,
            max(max(ys), top) + 0.03,
        )
    extra = _prop_extent(figures[0], pose)
    return Bounds(
        min(min(xs), extra[0]) - 0.04, max(max(xs), extra[1]) + 0.04, 0.0, max(max(ys), extra[2])
    )


def _mat_corners(fig: Figure, pose: StretchPose) -> tuple[float, float, float, float]:
    """The mat under the figure on the floor, in view units: left, right, bottom, top."""
    xs = [float(p[0]) for p in fig.points.values()]
    length = (min(xs) - 0.2, max(xs) + 0.2)
    if pose.view is View.ABOVE:  # lengthwise away from the viewer, foreshortened
        return -MAT_HALF_WIDTH, MAT_HALF_WIDTH, -length[1] * ABOVE_SIN, -length[0] * ABOVE_SIN
    return length[0], length[1], -MAT_HALF_WIDTH, MAT_HALF_WIDTH


def _prop_extent(fig: Figure, pose: StretchPose) -> tuple[float, float, float]:
    hip = to_view(fig.points["hip_right"], pose.view)
    if Prop.CHAIR in pose.props and pose.view is View.SIDE:
        return hip[0] - 0.2, hip[0] + 0.16, hip[1] + 0.36
    if Prop.DOORWAY in pose.props:
        post = _doorway_x(fig, pose)
        return post - 0.05, post + 0.05, 1.12
    return math.inf, -math.inf, 0.0


def _doorway_x(fig: Figure, pose: StretchPose) -> float:
    """The door frame stays where the forearm rested at the start."""
    return to_view(figure_of(pose, pose.keyframes[0]).points["elbow_right"], pose.view)[0]


def wide(box: Bounds) -> bool:
    """Poses wider than tall (on the floor) get their two panels one above the other."""
    return box.width > 1.3 * box.top


# --- drawing -------------------------------------------------------------------------------
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _panel(
    pose: StretchPose,
    frame: Keyframe,
    size: tuple[int, int],
    box: Bounds,
    *,
    arrows: tuple[Figure, Figure] | None = None,
    label: str | None = None,
    number: int | None = None,
) -> Image.Image:
    """One pose on its own panel, drawn at SUPER times ``size``."""
    w, h = size[0] * SUPER, size[1] * SUPER
    image = Image.new("RGB", (w, h), PALETTE.background)
    draw = ImageDraw.Draw(image)
    margin = 0.05 * w
    top_room = 0.13 * h  # the label, or an arrow over the head
    floor_room = 0.08 * h
    room_w, room_h = w - 2 * margin, h - top_room - floor_room
    scale = min(room_w / box.width, room_h / box.height)
    left = margin + (room_w - box.width * scale) / 2 - box.left * scale
    floor = h - floor_room - (room_h - box.height * scale) / 2 + box.bottom * scale
    if pose.view not in FLOOR_PLANE_VIEWS:
        floor = h - floor_room  # the floor stays at the bottom
    canvas = Canvas(scale, left, floor)
    fig = figure_of(pose, frame)
    shapes = project(fig, pose.view)
    _draw_setting_behind(draw, pose, fig, canvas)
    highlight: dict[str, list[str]] = {}
    for area in pose.felt_in:
        group, segment = AREA_SEGMENTS[area]
        highlight.setdefault(group, []).append(segment)
    draw_figure(image, shapes, canvas, PALETTE, pose.view, highlight)
    _draw_props_in_front(draw, pose, fig, canvas)
    if arrows is not None:  # from the start position to the held one
        for point in pose.arrows:
            _arrow(draw, canvas, pose.view, *arrows, point.value)
    if label:
        font = _font(round(0.03 * WIDTH * SUPER))
        x, y = 0.025 * WIDTH * SUPER, 0.025 * WIDTH * SUPER
        radius = 0.018 * WIDTH * SUPER
        if number is not None:
            draw.ellipse((x, y, x + 2 * radius, y + 2 * radius), fill=PALETTE.body)
            draw.text(
                (x + radius, y + radius),
                str(number),
                font=font,
                fill=PALETTE.background,
                anchor="mm",
            )
        draw.text((x + 2.5 * radius, y + radius), label, font=font, fill=PALETTE.body, anchor="lm")
    return image


def _draw_setting_behind(
    draw: ImageDraw.ImageDraw, pose: StretchPose, fig: Figure, c: Canvas
) -> None:
    s = c.scale
    w = draw.im.size[0]
    if pose.view not in FLOOR_PLANE_VIEWS:
        if Prop.MAT in pose.props:
            xs = [to_view(p, pose.view)[0] for p in fig.points.values()]
            x0, _ = c.px(min(xs) - 0.16, 0)
            x1, _ = c.px(max(xs) + 0.16, 0)
            _, y = c.px(0, 0)
            draw.rounded_rectangle(
                (x0, y - 0.018 * s, x1, y + 0.004 * s), radius=0.01 * s, fill=PALETTE.prop_light
            )
        _, y = c.px(0, 0)
        draw.line(
            (0.03 * w, y + 0.006 * s, 0.97 * w, y + 0.006 * s),
            fill=PALETTE.prop,
            width=max(3, round(0.012 * s)),
        )
    elif Prop.MAT in pose.props:
        left, right, bottom, top = _mat_corners(fig, pose)
        x0, y0 = c.px(left, top)
        x1, y1 = c.px(right, bottom)
        draw.rounded_rectangle((x0, y0, x1, y1), radius=0.03 * s, fill=PALETTE.prop_light)
    if Prop.CHAIR in pose.props:
        _chair(draw, pose, fig, c)
    if Prop.DOORWAY in pose.props:
        post = _doorway_x(fig, pose)
        x0, y0 = c.px(post - 0.025, 1.12)
        x1, y1 = c.px(post + 0.025, 0)
        draw.rounded_rectangle(
            (x0, y0, x1, y1),
            radius=0.01 * s,
            fill=PALETTE.prop_light,
            outline=PALETTE.prop,
            width=max(2, round(0.006 * s)),
        )
    if Prop.CUSHION in pose.props:
        knees = [fig.points["knee_right"], fig.points["knee_left"]]
        low = min(knees, key=lambda k: float(k[1]))
        x, _, _ = to_view(low, pose.view)
        x0, y0 = c.px(x - 0.09, 0.028)
        x1, y1 = c.px(x + 0.09, 0)
        draw.rounded_rectangle((x0, y0, x1, y1), radius=0.017 * s, fill=PALETTE.prop)


def _chair(draw: ImageDraw.ImageDraw, pose: StretchPose, fig: Figure, c: Canvas) -> None:
    s = c.scale
    thick = max(3, round(0.02 * s))
    hip = to_view(fig.points["hip_right"], pose.view)
    seat = hip[1] - 0.07
    if pose.view is View.SIDE:
        front, back = hip[0] + 0.12, hip[0] - 0.17
        x0, y0 = c.px(back, seat)
        x1, y1 = c.px(front, seat - 0.035)
        draw.rounded_rectangle((x0, y0, x1, y1), radius=0.012 * s, fill=PALETTE.prop)
        for x in (back + 0.02, front - 0.02):
            draw.line((*c.px(x, seat - 0.03), *c.px(x, 0)), fill=PALETTE.prop, width=thick)
        draw.line(
            (*c.px(back + 0.015, seat), *c.px(back - 0.01, seat + 0.36)),
            fill=PALETTE.prop,
            width=thick,
        )
    else:
        half = 0.2
        x0, y0 = c.px(-half, seat)
        x1, y1 = c.px(half, seat - 0.035)
        draw.rounded_rectangle((x0, y0, x1, y1), radius=0.012 * s, fill=PALETTE.prop)
        for x in (-half + 0.02, half - 0.02):
            draw.line((*c.px(x, seat - 0.03), *c.px(x, 0)), fill=PALETTE.prop, width=thick)


def _draw_props_in_front(
    draw: ImageDraw.ImageDraw, pose: StretchPose, fig: Figure, c: Canvas
) -> None:
    if Prop.TOWEL in pose.props:
        sole = to_view(fig.points["sole_right"], pose.view)
        width = max(3, round(0.014 * c.scale))
        for side in ("right", "left"):
            hand = to_view(fig.points[f"wrist_{side}"], pose.view)
            draw.line(
                (*c.px(hand[0], hand[1]), *c.px(sole[0], sole[1])), fill=PALETTE.prop, width=width
            )


def _arrow(
    draw: ImageDraw.ImageDraw,
    c: Canvas,
    view: View,
    start: Figure,
    end: Figure,
    point: str,
) -> None:
    """A curved arrow beside the body from where ``point`` starts to where it ends."""
    a = to_view(start.points[point], view)
    b = to_view(end.points[point], view)
    ax, ay, bx, by = a[0], a[1], b[0], b[1]
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    if length < 1e-6:
        return
    ux, uy = dx / length, dy / length
    small = length < 0.12
    if small:  # a small movement still gets a readable arrow
        mx, my = (ax + bx) / 2, (ay + by) / 2
        ax, ay, bx, by = mx - ux * 0.06, my - uy * 0.06, mx + ux * 0.06, my + uy * 0.06
        length = 0.12
    # Beside the body: offset to the side away from the held figure's centre.
    shapes = project(end, view)
    cx = sum(x for s in shapes for x, _ in s.outline) / sum(len(s.outline) for s in shapes)
    cy = sum(y for s in shapes for _, y in s.outline) / sum(len(s.outline) for s in shapes)
    nx, ny = -uy, ux
    mx, my = (ax + bx) / 2, (ay + by) / 2
    if (mx - cx) * nx + (my - cy) * ny < 0:
        nx, ny = -nx, -ny
    offset = 0.1 if point == "head" else 0.06 if small else 0.085
    bend = 0.25 * length
    p0 = (ax + nx * offset, ay + ny * offset)
    p2 = (bx + nx * offset, by + ny * offset)
    p1 = (mx + nx * (offset + bend), my + ny * (offset + bend))
    curve = [
        (
            (1 - t) ** 2 * p0[0] + 2 * (1 - t) * t * p1[0] + t**2 * p2[0],
            (1 - t) ** 2 * p0[1] + 2 * (1 - t) * t * p1[1] + t**2 * p2[1],
        )
        for t in (i / 24 for i in range(25))
    ]
    head = 0.045
    tx, ty = curve[-1][0] - curve[-4][0], curve[-1][1] - curve[-4][1]
    tl = math.hypot(tx, ty) or 1.0
    tx, ty = tx / tl, ty / tl
    shaft = [c.px(x, y) for x, y in curve if math.hypot(x - p2[0], y - p2[1]) > head * 0.6]
    width = max(4, round(0.016 * c.scale))
    draw.line(shaft, fill=PALETTE.accent, width=width, joint="curve")
    sx, sy = c.px(*shaft[0]) if False else shaft[0]
    r = width / 2
    draw.ellipse((sx - r, sy - r, sx + r, sy + r), fill=PALETTE.accent)
    tip = c.px(*p2)
    left = c.px(p2[0] - tx * head - ty * head * 0.6, p2[1] - ty * head + tx * head * 0.6)
    right = c.px(p2[0] - tx * head + ty * head * 0.6, p2[1] - ty * head - tx * head * 0.6)
    draw.polygon([tip, left, right], fill=PALETTE.accent)


def _finish(image: Image.Image) -> Image.Image:
    return image.resize((image.width // SUPER, image.height // SUPER), Image.Resampling.LANCZOS)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- the three products --------------------------------------------------------------------
def still_image(pose: StretchPose) -> Image.Image:
    first, last = pose.keyframes[0], pose.keyframes[-1]
    end = t(f"picture.{pose.end_label}")
    figures = [figure_of(pose, frame) for frame in (first, last)]
    box = bounds(figures, pose)
    if wide(box):
        size = (WIDTH, 250)
        panels = [
            _panel(pose, first, size, box, label=t("picture.start"), number=1),
            _panel(pose, last, size, box, arrows=(figures[0], figures[1]), label=end, number=2),
        ]
        sheet = Image.new("RGB", (WIDTH * SUPER, 2 * size[1] * SUPER), PALETTE.background)
        sheet.paste(panels[0], (0, 0))
        sheet.paste(panels[1], (0, size[1] * SUPER))
        draw = ImageDraw.Draw(sheet)
        y = size[1] * SUPER
        draw.line((0.04 * sheet.width, y, 0.96 * sheet.width, y), fill=PALETTE.prop_light, width=3)
    else:
        size = (WIDTH // 2, 400)
        panels = [
            _panel(pose, first, size, box, label=t("picture.start"), number=1),
            _panel(pose, last, size, box, arrows=(figures[0], figures[1]), label=end, number=2),
        ]
        sheet = Image.new("RGB", (WIDTH * SUPER, size[1] * SUPER), PALETTE.background)
        sheet.paste(panels[0], (0, 0))
        sheet.paste(panels[1], (size[0] * SUPER, 0))
        draw = ImageDraw.Draw(sheet)
        x = size[0] * SUPER
        draw.line(
            (x, 0.06 * sheet.height, x, 0.94 * sheet.height), fill=PALETTE.prop_light, width=3
        )
    return _finish(sheet)


def render_still(pose: StretchPose) -> bytes:
    return _png(still_image(pose))


def animation_frames(pose: StretchPose) -> list[tuple[Image.Image, int]]:
    frames = motion(pose)
    figures = [figure_of(pose, frame) for frame, _ in frames]
    box = bounds(figures, pose)
    size = (WIDTH, 360) if wide(box) else (WIDTH, 480)
    # The same arrow in every frame: the way the movement goes, start to hold.
    arrows = (figures[0], figure_of(pose, pose.keyframes[-1]))
    return [(_finish(_panel(pose, frame, size, box, arrows=arrows)), ms) for frame, ms in frames]


def render_animation(pose: StretchPose) -> bytes:
    frames = animation_frames(pose)
    images = [image.quantize(colors=48, method=Image.Quantize.MEDIANCUT) for image, _ in frames]
    out = io.BytesIO()
    images[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=[ms for _, ms in frames],
        loop=0,
        optimize=False,
        disposal=1,
    )
    return out.getvalue()


def render_contact_sheet(items: list[tuple[str, Image.Image]], columns: int = 4) -> bytes:
    """Every stretch's picture with its name under it, ``columns`` to a row."""
    cell_w, label_h, pad = 400, 30, 10
    cells = []
    for name, image in items:
        thumb = image.copy()
        thumb.thumbnail((cell_w - 2 * pad, cell_w), Image.Resampling.LANCZOS)
        cells.append((name, thumb))
    rows = [cells[i : i + columns] for i in range(0, len(cells), columns)]
    heights = [max(t.height for _, t in row) + label_h + 2 * pad for row in rows]
    sheet = Image.new("RGB", (columns * cell_w, sum(heights)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = _font(18)
    y = 0
    for row, height in zip(rows, heights, strict=True):
        for index, (name, thumb) in enumerate(row):
            x = index * cell_w
            sheet.paste(thumb, (x + (cell_w - thumb.width) // 2, y + pad))
            label_y = y + pad + thumb.height + label_h // 2
            draw.text((x + cell_w // 2, label_y), name, font=font, fill=PALETTE.body, anchor="mm")
        y += height
    out = io.BytesIO()
    # A few flat colours: a palette PNG is a third of the size and looks the same.
    sheet.quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()


@cache
def pose_of(stretch_id: str) -> StretchPose:
    return poses().of(stretch_id)
