"""The bot's front door for people it already knows: menu, help, cancel."""

from __future__ import annotations

from bot.flows.unit import Keyboard, Unit
from content.schema.texts import t


def menu() -> Keyboard:
    return [
        [(t("common.menu_stretch"), "go:stretch")],
        [(t("common.menu_checkup"), "go:checkup"), (t("common.menu_progress"), "go:progress")],
        [(t("common.menu_reminders"), "go:reminders")],
    ]


async def show_menu(unit: Unit) -> None:
    unit.say(t("common.welcome_back"), menu())


async def show_help(unit: Unit) -> None:
    unit.say(t("common.help"))


async def say_text(unit: Unit, key: str) -> None:
    unit.say(t(key))
