"""Every stretch's picture and animation, checked the way a reviewer would look at them."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageChops, ImageSequence, ImageStat

from bot.core import routine
from bot.gallery import write_gallery
from bot.render import stretch_pictures as pictures
from bot.render.figure import Figure, pose_figure
from content.loader import CONTENT_DIR, ContentError, load_file
from content.schema.poses import PoseFile
from content.schema.stretches import Position, StretchFile

POSES = load_file(PoseFile, "poses.yaml")
STRETCH_IDS = [s.id for s in load_file(StretchFile, "stretches.yaml").stretches]


def changed_pixels(a: Image.Image, b: Image.Image) -> int:
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).convert("L")
    return sum(diff.point(lambda v: 255 if v > 24 else 0).histogram()[255:])


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_every_stretch_has_a_picture_of_the_expected_size_that_is_not_blank(
    stretch_id: str,
) -> None:
    image = Image.open(io.BytesIO(pictures.render_still(POSES.of(stretch_id))))
    assert image.format == "PNG" and image.width == 640
    assert 300 <= image.height <= 560
    # Not blank: the figure's colour and the accent (where it is felt) are both drawn.
    colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 20) or []}
    assert pictures.PALETTE.body in colours or any(
        sum(abs(a - b) for a, b in zip(c, pictures.PALETTE.body, strict=True)) < 12 for c in colours
    )
    assert ImageStat.Stat(image.convert("L")).stddev[0] > 20


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_every_animation_moves_frame_by_frame_and_loops(stretch_id: str) -> None:
    pose = POSES.of(stretch_id)
    gif = Image.open(io.BytesIO(pictures.render_animation(pose)))
    assert gif.format == "GIF" and gif.width == 640 and gif.info.get("loop") == 0
    frames = [frame.copy().convert("RGB") for frame in ImageSequence.Iterator(gif)]
    assert len(frames) >= 10
    for before, after in itertools.pairwise(frames):
        assert changed_pixels(before, after) > 0, "two frames in a row are the same"
    total_ms = sum(pictures.motion(pose)[i][1] for i in range(len(frames)))
    assert 2000 <= total_ms <= 6000  # a few seconds, then it loops


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_start_and_end_positions_differ(stretch_id: str) -> None:
    pose = POSES.of(stretch_id)
    start, end = (
        pictures.figure_of(pose, pose.keyframes[0]),
        pictures.figure_of(pose, pose.keyframes[-1]),
    )
    moved = max(float(abs(start.points[name] - end.points[name]).max()) for name in start.points)
    assert moved > 0.009  # of body height: 1.5 cm or more somewhere (a chin tuck is small)
    frames = pictures.animation_frames(pose)
    first = frames[0][0]
    last = max(frames, key=lambda f: f[1])[0]  # the held position shows longest
    assert changed_pixels(first, last) > 500


def test_the_figure_has_human_proportions_standing() -> None:
    standing = pose_figure(POSES.of("standing_toe_touch").keyframes[0])
    top = max(c[1] + r for s in standing.segments.values() for c, r in s.spheres)
    head = standing.segments["head"].spheres[0][1] * 2
    assert 0.97 <= top <= 1.03  # one body height
    assert 7.0 <= top / head <= 8.0  # a head about 1/7.5 of it
    # The floor touches the feet, not the hips.
    assert min(c[1] - r for c, r in standing.segments["foot_right"].spheres) == pytest.approx(0)


def broken_poses(tmp_path: Path, change: dict[str, object]) -> Path:
    data = yaml.safe_load((CONTENT_DIR / "poses.yaml").read_text())
    data["poses"][1]["keyframes"][1]["joints"].update(change)
    (tmp_path / "poses.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def test_a_knee_bent_backwards_fails_naming_the_file_and_the_field(tmp_path: Path) -> None:
    folder = broken_poses(tmp_path, {"knee_right": {"flex": -15}})
    with pytest.raises(ContentError) as caught:
        load_file(PoseFile, "poses.yaml", folder)
    message = str(caught.value)
    assert message.startswith("content file poses.yaml: field poses.1.keyframes.1.joints")
    assert "knee_right.flex" in message and "greater than or equal to 0" in message


def test_a_joint_the_figure_does_not_have_fails(tmp_path: Path) -> None:
    folder = broken_poses(tmp_path, {"tail": {"flex": 10}})
    with pytest.raises(
        ContentError, match=r"poses\.yaml: field poses\.1\.keyframes\.1\.joints\.tail"
    ):
        load_file(PoseFile, "poses.yaml", folder)


def test_a_neck_tipped_back_to_its_end_range_fails(tmp_path: Path) -> None:
    folder = broken_poses(tmp_path, {"neck": {"flex": -40}})
    with pytest.raises(ContentError, match=r"joints\.neck\.flex"):
        load_file(PoseFile, "poses.yaml", folder)


def test_every_stretch_has_exactly_one_pose() -> None:
    assert sorted(p.stretch for p in POSES.poses) == sorted(STRETCH_IDS)
    library = routine.load_library()
    missing = PoseFile(poses=tuple(p for p in POSES.poses if p.stretch != "chin_tuck"))
    with pytest.raises(ContentError, match=r"poses\.yaml: field poses: no pose for chin_tuck"):
        routine.check_poses(library, missing)


def test_what_a_session_needs_comes_from_its_poses() -> None:
    assert routine.session_needs(["warm_up", "chin_tuck"]) == ("chair",)
    assert routine.session_needs(["towel_hamstring", "kneeling_hip_flexor", "doorway_chest"]) == (
        "floor",
        "cushion",
        "towel",
        "doorway",
    )
    assert routine.session_needs(["warm_up", "standing_back_bend"]) == ()


def test_the_content_hash_changes_with_the_pose_and_the_kind() -> None:
    chin, ear = POSES.of("chin_tuck"), POSES.of("ear_to_shoulder")
    assert pictures.content_hash(chin, "still") == pictures.content_hash(chin, "still")
    assert pictures.content_hash(chin, "still") != pictures.content_hash(chin, "motion")
    assert pictures.content_hash(chin, "still") != pictures.content_hash(ear, "still")


def lowest(fig: Figure, *segments: str) -> float:
    return min(c[1] - r for name in segments for c, r in fig.segments[name].spheres)


# Where each position of stretches.yaml rests on the floor, within 3 cm (of 1.7 m), in
# every keyframe: what "lie on your back", "on all fours" or "sit" says about the body.
CONTACTS = {
    Position.SITTING: [("foot_right",), ("foot_left",)],
    Position.LYING_ON_BACK: [("head",), ("pelvis",)],
    Position.ALL_FOURS: [("hand_right",), ("hand_left",), ("shank_right",), ("shank_left",)],
    Position.KNEELING: [("shank_right", "shank_left"), ("foot_left", "foot_right")],
    Position.STANDING: [("foot_right", "foot_left")],
}


@pytest.mark.parametrize("stretch_id", STRETCH_IDS)
def test_the_figure_rests_on_the_floor_where_the_steps_say(stretch_id: str) -> None:
    position = routine.load_library().stretch(stretch_id).position
    pose = POSES.of(stretch_id)
    for index, frame in enumerate(pose.keyframes):
        fig = pictures.figure_of(pose, frame)
        # On the floor, not floating. Only a pose that rests on named parts (knee rolls: the
        # shoulders) lets the rest sink in, a rolled pelvis by up to 7 cm of 1.7 m.
        deepest = -0.04 if pose.rests_on else -1e-9
        assert deepest <= lowest(fig, *fig.segments) <= 1e-9
        for parts in CONTACTS[position]:
            assert lowest(fig, *parts) < 0.03, f"keyframe {index}: {parts} off the floor"


def test_the_gallery_writes_every_picture_animation_and_one_contact_sheet(tmp_path: Path) -> None:
    sheet = write_gallery(tmp_path / "gallery")
    written = sorted(path.name for path in sheet.parent.iterdir())
    expected = sorted([f"{s}.png" for s in STRETCH_IDS] + [f"{s}.gif" for s in STRETCH_IDS])
    assert written == sorted([*expected, "contact-sheet.png"])
    contact = Image.open(sheet)
    assert contact.width == 1600 and contact.height > 1000  # four to a row, all of them
