"""/reminders and the reminder buttons, rm:*: read the button, run the reminders flow.

Button data (all re-checked by the flow against the presser's own reminder and dialog):
rm:time:HHMM, rm:days:every|weekdays|custom|done, rm:day:<0-6>, rm:zone:o|c:<index>,
rm:zone:keep, rm:save, rm:rezone, rm:start, rm:change, rm:off, rm:on,
rm:snooze:<due stamp>, rm:skip:<due stamp>.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import time

from telegram import Update

from bot.flows import reminders
from bot.flows.unit import Unit
from handlers.base import Context, act, answer_query

# Buttons that need nothing but the press itself.
SIMPLE: dict[str, Callable[[Unit], Awaitable[str | None]]] = {
    "save": reminders.save,
    "rezone": reminders.other_zone,
    "start": reminders.start_now,
    "change": reminders.change,
    "off": reminders.turn_off,
    "on": reminders.turn_back_on,
}


async def reminders_command(update: Update, context: Context) -> None:
    """/reminders: set up, show, change or turn off the daily reminder."""
    await act(update, context, reminders.open_reminders)


def _time(value: str) -> time | None:
    if len(value) != 4 or not value.isdigit():
        return None
    hour, minute = int(value[:2]), int(value[2:])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


async def reminder_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")[1:]
    message_id = query.message.message_id if query.message is not None else None
    action, args = (parts[0], parts[1:]) if parts else ("", [])
    toast: str | None = "?"
    if action in SIMPLE and not args:
        toast = await act(update, context, SIMPLE[action])
    elif action == "time" and len(args) == 1 and (at := _time(args[0])) is not None:
        toast = await act(update, context, reminders.choose_time, at)
    elif action == "days" and args == ["done"]:
        toast = await act(update, context, reminders.days_done, message_id)
    elif action == "days" and len(args) == 1 and args[0] in ("every", "weekdays", "custom"):
        toast = await act(update, context, reminders.choose_days, args[0], message_id)
    elif action == "day" and len(args) == 1 and (day := _number(args[0])) is not None and day < 7:
        toast = await act(update, context, reminders.toggle_day, day, message_id)
    elif action == "zone" and args == ["keep"]:
        toast = await act(update, context, reminders.pick_zone, "keep", 0)
    elif action == "zone" and len(args) == 2 and args[0] in ("o", "c"):
        index = _number(args[1])
        if index is not None:
            toast = await act(update, context, reminders.pick_zone, args[0], index)
    elif action in ("snooze", "skip") and len(args) == 1:
        stamp = _number(args[0])
        if stamp is not None:
            flow = reminders.snooze if action == "snooze" else reminders.skip
            toast = await act(update, context, flow, stamp)
    await answer_query(update, toast)
