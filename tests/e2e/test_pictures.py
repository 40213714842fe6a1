"""Stretch pictures over HTTP: a photo per stretch, an animation per hold, uploaded once."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.error import BadRequest

from bot.db.models import PictureUpload
from bot.flows import session as session_flow
from tests.e2e.conftest import Harness
from tests.e2e.helpers import button, eventually, has_button, rows, seed_person, start_session
from tests.emulator import chat
from tests.emulator.chats import StoredMessage
from tests.emulator.server import BotApiEmulator


async def test_a_step_is_a_photo_with_its_steps_and_a_hold_is_an_animation(
    harness: Harness,
) -> None:
    user = harness.user(3001)
    await seed_person(harness, 3001)
    await user.send("/stretch")
    intro = await user.wait_for("Today's session")
    # What the session needs, before the first stretch, from the poses.
    assert "You'll need: floor space with a mat or folded towel" in intro.text
    question = await user.wait_for(has_button("pn:b:"))
    await user.press(question, callback_data=button(question, "pn:b:")[:-1] + "3")
    step = await user.wait_for(has_button("ss:start:"))
    assert "photo" in step.data and "text" not in step.data
    # The caption is the whole set of steps: nobody needs the picture to follow them.
    assert step.text.startswith("Warm-up march and shoulder rolls")
    assert "1. Stand tall" in step.text and "5. Breathe easily" in step.text
    assert harness.emulator.files.of_message(step).startswith(b"\x89PNG")
    await user.press(step, callback_data=button(step, "ss:start:"))
    countdown = await user.wait_for(has_button("ss:pause:"))
    assert "animation" in countdown.data
    assert harness.emulator.files.of_message(countdown)[:6] == b"GIF89a"
    assert "s left" in countdown.text
    # The countdown is the animation's caption, edited until the hold ends.
    await user.wait_for("And release", timeout=10)

    async def done() -> bool:
        return countdown.text == "Done ✓" and not countdown.inline_keyboard

    assert await eventually(done)
    assert harness.emulator.stats()["calls"].get("editMessageCaption", 0) >= 1


async def run_first_stretch(harness: Harness, user_id: int) -> None:
    user = harness.user(user_id)
    await seed_person(harness, user_id)
    step = await start_session(harness, user)
    await user.press(step, callback_data=button(step, "ss:start:"))
    await user.wait_for(has_button("ss:pause:"))
    following = await user.wait_for("And release", timeout=10)
    assert has_button("ss:start:")(following) and following is not step  # the next stretch


async def test_a_second_session_sends_the_same_pictures_by_file_id(harness: Harness) -> None:
    await run_first_stretch(harness, 3101)
    first = harness.emulator.stats()
    # The warm-up's picture and animation, and the next stretch's picture.
    assert first["uploads"] == 3
    await run_first_stretch(harness, 3102)
    # After a restart, too: the file_ids are in the database, not only in memory.
    await harness.restart()
    await run_first_stretch(harness, 3103)
    stats = harness.emulator.stats()
    assert stats["uploads"] == 3 and stats["repeated_uploads"] == 0
    assert stats["calls"]["sendPhoto"] == 6 and stats["calls"]["sendAnimation"] == 3
    stored = await rows(harness, PictureUpload)
    assert sorted(row.kind for row in stored) == ["motion", "still", "still"]
    # Every person sees the same picture.
    photos = [
        next(m for m in harness.user(i).messages() if "photo" in m.data) for i in (3101, 3102, 3103)
    ]
    assert len({p.data["photo"][-1]["file_id"] for p in photos}) == 1


async def test_a_refused_file_id_is_uploaded_again(harness: Harness) -> None:
    await run_first_stretch(harness, 3201)
    # Telegram no longer knows the files (another bot's ids, or a server that forgot them).
    for stored in await rows(harness, PictureUpload):
        harness.emulator.files.forget(stored.file_id)
    user = harness.user(3202)
    await seed_person(harness, 3202)
    step = await start_session(harness, user)
    assert "photo" in step.data and harness.emulator.files.of_message(step)[:4] == b"\x89PNG"
    assert harness.emulator.stats()["uploads"] == 4  # the warm-up's picture once more

    async def new_id_kept() -> bool:  # stored just after Telegram's answer
        kept = {row.file_id for row in await rows(harness, PictureUpload)}
        return step.data["photo"][-1]["file_id"] in kept

    assert await eventually(new_id_kept)


async def test_steps_too_long_for_a_caption_come_first_as_text(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_flow, "CAPTION_LIMIT", 120)
    user = harness.user(3301)
    await seed_person(harness, 3301)
    step = await start_session(harness, user)
    steps_text = user.messages()[-2]
    assert "text" in steps_text.data and "1. Stand tall" in steps_text.text
    assert not steps_text.inline_keyboard  # the buttons are on the picture, once
    assert "photo" in step.data and "1. Stand tall" not in step.text
    assert "The steps are in the message above." in step.text
    assert len(step.text) <= 120


async def test_editing_a_photo_as_text_is_refused_like_telegram(harness: Harness) -> None:
    user = harness.user(3401)
    await seed_person(harness, 3401)
    step = await start_session(harness, user)
    bot = harness.running.application.bot
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await bot.edit_message_text("new", chat_id=3401, message_id=step.message_id)
    edited = await bot.edit_message_caption(
        chat_id=3401, message_id=step.message_id, caption="new caption"
    )
    assert edited.caption == "new caption" and step.text == "new caption"


async def test_a_picture_that_cannot_be_drawn_still_sends_its_steps(harness: Harness) -> None:
    user = harness.user(3501)
    await seed_person(harness, 3501)
    pictures = harness.running.runtime.delivery.pictures
    assert pictures is not None

    async def broken(picture: dict[str, object]) -> object:
        raise KeyError("no pose")

    pictures.prepare = broken  # type: ignore[method-assign, assignment]
    step = await start_session(harness, user)
    assert "text" in step.data and "1. Stand tall" in step.text
    assert button(step, "ss:start:")  # the buttons still work


async def test_the_terminal_chat_saves_pictures_once_and_says_where(
    harness: Harness, tmp_path: Path
) -> None:
    user = harness.user(3601)
    await seed_person(harness, 3601)
    step = await start_session(harness, user)
    await user.press(step, callback_data=button(step, "ss:start:"))
    countdown = await user.wait_for(has_button("ss:pause:"))
    check_chat_files(step, countdown, tmp_path / "chat-files", harness.emulator)


def check_chat_files(
    step: StoredMessage, countdown: StoredMessage, files: Path, emulator: BotApiEmulator
) -> None:
    shown = chat.render(step, files, emulator)
    saved = Path(shown.split("📎 saved ", 1)[1].splitlines()[0])
    assert saved.parent == files and saved.read_bytes().startswith(b"\x89PNG")
    animation = chat.save_file(countdown, files, emulator)
    assert animation.suffix == ".gif" and animation.read_bytes()[:6] == b"GIF89a"
    # The same picture again (by file_id) is the same file, not a second copy.
    assert chat.save_file(step, files, emulator) == saved
    assert len(list(files.iterdir())) == 2
