"""The real Application over HTTP against the emulator: /start, /help, buttons, commands."""

from __future__ import annotations

from tests.e2e.conftest import Harness
from tests.e2e.helpers import eventually


async def test_start_introduces_the_bot_and_asks_for_consent(harness: Harness) -> None:
    user = harness.user()
    await user.send("/start")
    intro = await user.next_message()
    assert "not a diagnosis" in intro.text.lower() or "diagnos" in intro.text.lower()
    consent = await user.next_message()
    assert consent.inline_keyboard, "consent is asked with buttons"
    await user.press(consent, callback_data="ob:consent:yes")
    region = await user.wait_for(
        lambda m: any(
            b["callback_data"].startswith("ob:region:") for row in m.inline_keyboard for b in row
        )
    )
    assert len(region.inline_keyboard) == 4


async def test_help_lists_the_commands(harness: Harness) -> None:
    user = harness.user()
    await user.send("/help")
    reply = await user.next_message()
    for command in ("/stretch", "/checkup", "/progress", "/delete"):
        assert command in reply.text


async def test_commands_are_published(harness: Harness) -> None:
    """A moment after start (the bot answers first, bot/launch.py)."""
    published = await eventually(harness.running.application.bot.get_my_commands)
    names = [c.command for c in published]
    assert names[:3] == ["start", "stretch", "checkup"]
    assert "help" in names and "cancel" in names


async def test_the_bot_starts_and_answers_when_the_command_list_is_refused(
    harness: Harness,
) -> None:
    """setMyCommands is a convenience: a Bot API that refuses it must not keep the bot down."""
    harness.emulator.faults.server_error(500, method="setMyCommands")
    await harness.restart()
    user = harness.user()
    await user.send("/help")
    await user.wait_for("What I can do")
