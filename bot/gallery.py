"""``python -m bot gallery DIR``: every stretch's picture and animation, and one contact sheet.

For review by a physiotherapist: ``DIR/<stretch>.png`` (start and hold), ``DIR/<stretch>.gif``
(the movement, looped) and ``DIR/contact-sheet.png`` (every picture, named, at a glance).
The committed sheet is docs/gallery/contact-sheet.png: ``python -m bot gallery docs/gallery
--sheet-only`` writes it again.
"""

from __future__ import annotations

from pathlib import Path

from bot import pictures
from bot.core import routine
from bot.render import stretch_pictures


def write_gallery(folder: Path, *, sheet_only: bool = False) -> Path:
    library = routine.load_library()
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for pose in stretch_pictures.poses().poses:
        still = stretch_pictures.still_image(pose)
        items.append((library.stretch(pose.stretch).name, still))
        if not sheet_only:
            (folder / f"{pose.stretch}.png").write_bytes(pictures.render(pose.stretch, "still"))
            (folder / f"{pose.stretch}.gif").write_bytes(pictures.render(pose.stretch, "motion"))
    sheet = folder / "contact-sheet.png"
    sheet.write_bytes(stretch_pictures.render_contact_sheet(items))
    return sheet
