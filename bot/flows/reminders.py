"""Daily reminders: setting one up in the chat, and sending it when it is due.

Setting up (/reminders, or the Reminders button after a session): a time (buttons, or typed
"7:30", "19:00", "7pm") -> the days (every day, weekdays, or picked) -> a time zone (buttons,
or a city, an IANA name or a UTC offset typed) -> "it's 14:05 there now, is that your
clock?" -> saved. A reminder is a stored setting, so it needs the person's consent.

Sending: each person has at most one durable timer, ``reminder:<user id>`` of kind
"reminder", holding the next due moment in UTC (bot.core.schedule turns the local time,
days and zone into it, across clock changes). :func:`on_reminder` runs once per due timer,
on whichever instance claims it; it sends at most one message and books the next timer in
the same transaction. So a restart neither loses a reminder nor sends a burst, and nothing
about reminders lives in process memory. When it fires, in this order:

- reminders off, or consent withdrawn: nothing, and nothing booked;
- the person blocked the bot (a 403 marked them inactive): reminders are paused with the
  reason "blocked" and nothing is booked, so the timer stops here instead of coming back
  daily for someone it cannot reach; /reminders offers them again once the person writes;
- an hour or more late (the bot was down): not sent; the next one is booked;
- the person skipped today, or is in a session right now: not sent; the next one is booked;
- three reminders unanswered over three days without a session: one message saying
  reminders are paused and how to turn them back on; nothing booked (no nagging). A
  snoozed reminder coming back is exempt: the person asked for it minutes ago;
- otherwise the reminder, with Start now, Snooze 30 min, Skip today, Change and Turn off.

Snooze and Skip act on today's reminder only: their buttons carry its regular due time, so a
tap on an older reminder is answered as stale.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import bindparam, case, func, select

from bot.core import formats, schedule
from bot.core.schedule import ZoneChoice
from bot.db.models import Reminder, StretchSession, Timer
from bot.flows import session as session_flow
from bot.flows.dialog import Flow, Reminders
from bot.flows.unit import TIMER_BY_KEY, Keyboard, Unit
from content.schema import typed_words
from content.schema.texts import t
from content.schema.typed_words import plain

log = logging.getLogger(__name__)

TIMER_KIND = "reminder"
ALL_DAYS_BITS = 0b1111111


def timer_key(user_id: int) -> str:
    return f"reminder:{user_id}"


# --- what a reminder row means -----------------------------------------------------------------
def days_of(bits: int) -> frozenset[int]:
    """Weekday numbers (0 = Monday) from the stored bit mask (bit 0 = Monday)."""
    return frozenset(day for day in range(7) if bits >> day & 1)


def bits_of(days: frozenset[int]) -> int:
    return sum(1 << day for day in days)


def rule_of(reminder: Reminder) -> tuple[time, frozenset[int], str]:
    """The three things every due time is computed from: local time, weekdays, zone."""
    return time.fromisoformat(reminder.local_time), days_of(reminder.weekdays), reminder.zone_name


def clock_of(moment: datetime, zone_name: str) -> str:
    """ "07:30": what the person's clock shows at ``moment``."""
    return formats.clock(moment.astimezone(schedule.zone_of(zone_name)))


def day_of(moment: datetime, zone_name: str) -> str:
    """The person's local date of ``moment``, ISO: what "today" means for Skip today."""
    return moment.astimezone(schedule.zone_of(zone_name)).date().isoformat()


def stamp_of(moment: datetime) -> int:
    """A due time as it travels in button data: whole seconds since the epoch."""
    return int(moment.timestamp())


def describe(reminder: Reminder) -> dict[str, str]:
    """The placeholders of "{days} at {time}, {zone} time"."""
    return {
        "days": schedule.describe_days(days_of(reminder.weekdays)),
        "time": reminder.local_time,
        "zone": html.escape(reminder.zone_label),
    }


async def reminder_of(unit: Unit) -> Reminder | None:
    return await unit.session.get(Reminder, unit.user.id)


async def booked_timer(unit: Unit) -> Timer | None:
    return (await unit.session.execute(TIMER_BY_KEY, {"key": timer_key(unit.user.id)})).scalar()


def slot_of(timer: Timer) -> datetime:
    """The regular due time a timer stands for (a snoozed one fires later than that)."""
    slot = timer.payload.get("slot")
    return datetime.fromisoformat(slot) if slot else timer.due_at


def booking(due: datetime, *, slot: datetime | None = None) -> dict[str, Any]:
    """A reminder timer's payload: the regular time it stands for, and whether it is a snooze."""
    return {"slot": (slot or due).astimezone(UTC).isoformat(), "snoozed": slot is not None}


async def book(unit: Unit, due: datetime, *, slot: datetime | None = None) -> None:
    """Make the person's one reminder timer due at ``due`` (replacing any other)."""
    await unit.schedule(timer_key(unit.user.id), TIMER_KIND, due, booking(due, slot=slot))


# --- keyboards ---------------------------------------------------------------------------------
def time_keyboard() -> Keyboard:
    buttons = [
        (schedule.format_time(at), f"rm:time:{at.hour:02d}{at.minute:02d}")
        for at in schedule.OFFERED_TIMES
    ]
    return [buttons[:3], buttons[3:]]


def days_keyboard() -> Keyboard:
    return [
        [(t("reminders.days.button.every_day"), "rm:days:every")],
        [(t("reminders.days.button.weekdays"), "rm:days:weekdays")],
        [(t("reminders.days.button.custom"), "rm:days:custom")],
    ]


def day_picker(chosen: frozenset[int]) -> Keyboard:
    buttons = [
        (
            t("reminders.days.chosen", day=t(f"reminders.weekday.{day}"))
            if day in chosen
            else t(f"reminders.weekday.{day}"),
            f"rm:day:{day}",
        )
        for day in range(7)
    ]
    return [buttons[:4], buttons[4:], [(t("reminders.days.button.done"), "rm:days:done")]]


def zone_keyboard(current: ZoneChoice | None) -> Keyboard:
    offered = schedule.offered_zones(schedule.zone_catalogue())
    buttons = [(choice.label, f"rm:zone:o:{index}") for index, choice in enumerate(offered)]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if current is not None:
        rows.insert(0, [(t("reminders.button.keep_zone", zone=current.label), "rm:zone:keep")])
    return rows


def nudge_keyboard(slot: datetime) -> Keyboard:
    stamp = stamp_of(slot)
    return [
        [(t("reminders.button.start"), "rm:start")],
        [
            (t("reminders.button.snooze"), f"rm:snooze:{stamp}"),
            (t("reminders.button.skip"), f"rm:skip:{stamp}"),
        ],
        [(t("reminders.button.change"), "rm:change"), (t("reminders.button.off"), "rm:off")],
    ]


# --- /reminders --------------------------------------------------------------------------------
async def open_reminders(unit: Unit) -> None:
    """/reminders: explain consent, set one up, or show the one there is."""
    if not unit.stores_data:
        explain_consent(unit)
        return
    reminder = await reminder_of(unit)
    if reminder is None:
        await ask_time(unit)
    else:
        await show_status(unit, reminder)


def explain_consent(unit: Unit) -> None:
    unit.say(t("reminders.no_consent"), [[(t("reminders.button.privacy"), "go:privacy")]])


async def show_status(unit: Unit, reminder: Reminder) -> None:
    if not reminder.enabled:
        lines = [t("reminders.status.off", **describe(reminder))]
        if reminder.paused_reason:
            lines.append(t(f"reminders.status.paused_{reminder.paused_reason}"))
        lines.append(t("reminders.status.turn_on"))
        unit.say(
            "\n\n".join(lines),
            [[(t("reminders.button.on"), "rm:on"), (t("reminders.button.change"), "rm:change")]],
        )
        return
    at, days, zone = rule_of(reminder)
    timer = await booked_timer(unit)
    upcoming = slot_of(timer) if timer else schedule.next_due(at, days, zone, unit.now)
    if upcoming <= unit.now:  # snoozed: the next regular one is still ahead
        upcoming = schedule.next_due(at, days, zone, upcoming)
    lines = [
        t(
            "reminders.status",
            **describe(reminder),
            next_date=schedule.local_date_label(upcoming, zone),
        )
    ]
    if reminder.snoozed_until and reminder.snoozed_until > unit.now:
        lines.append(t("reminders.status.snoozed", time=clock_of(reminder.snoozed_until, zone)))
    today = day_of(unit.now, zone)
    if reminder.skipped_on == today:
        lines.append(t("reminders.status.skipped"))
    keyboard: list[list[tuple[str, str]]] = []
    if reminder.skipped_on != today and day_of(upcoming, zone) == today:
        keyboard.append([(t("reminders.button.skip"), f"rm:skip:{stamp_of(upcoming)}")])
    keyboard.append(
        [(t("reminders.button.change"), "rm:change"), (t("reminders.button.off"), "rm:off")]
    )
    unit.say("\n".join(lines), keyboard)


# --- setting one up ----------------------------------------------------------------------------
async def ask_time(unit: Unit) -> None:
    unit.goto(Flow.REMINDERS, Reminders.TIME)
    unit.say(t("reminders.time.ask"), time_keyboard())


async def choose_time(unit: Unit, at: time) -> str | None:
    if not unit.expect(Flow.REMINDERS, Reminders.TIME):
        return t("common.stale_button")
    unit.dialog.step = Reminders.DAYS
    unit.update_data(time=schedule.format_time(at))
    unit.say(t("reminders.days.ask"), days_keyboard())
    return None


async def choose_days(unit: Unit, which: str, message_id: int | None) -> str | None:
    """Every day, weekdays, or open the day picker (in place of the three buttons)."""
    if not unit.expect(Flow.REMINDERS, Reminders.DAYS):
        return t("common.stale_button")
    if which == "custom":
        unit.dialog.step = Reminders.DAYS_CUSTOM
        unit.update_data(days=[])
        text = t("reminders.days.custom_ask")
        if message_id is None:
            unit.say(text, day_picker(frozenset()))
        else:
            unit.edit(message_id, text, day_picker(frozenset()))
        return None
    days = schedule.EVERY_DAY if which == "every" else schedule.WEEKDAYS
    unit.update_data(days=sorted(days))
    await ask_zone(unit)
    return None


async def toggle_day(unit: Unit, day: int, message_id: int | None) -> str | None:
    if not unit.expect(Flow.REMINDERS, Reminders.DAYS_CUSTOM):
        return t("common.stale_button")
    chosen = frozenset(unit.state.get("days", [])) ^ {day}
    unit.update_data(days=sorted(chosen))
    if message_id is not None:
        unit.edit(message_id, t("reminders.days.custom_ask"), day_picker(chosen))
    return None


async def days_done(unit: Unit, message_id: int | None) -> str | None:
    if not unit.expect(Flow.REMINDERS, Reminders.DAYS_CUSTOM):
        return t("common.stale_button")
    if not unit.state.get("days"):
        unit.say(t("reminders.days.none_chosen"))
        return None
    if message_id is not None:
        unit.clear_buttons(message_id)
    await ask_zone(unit)
    return None


async def known_zone(unit: Unit) -> ZoneChoice | None:
    """The zone the person chose before, if any: offered as "Keep ..." when changing."""
    reminder = await reminder_of(unit)
    if reminder is not None:
        return ZoneChoice(reminder.zone_name, reminder.zone_label)
    name = unit.user.zone_name
    if not name:
        return None
    offered = schedule.offered_zones(schedule.zone_catalogue())
    label = next((c.label for c in offered if c.name == name), name.rpartition("/")[2])
    return ZoneChoice(name, label.replace("_", " "))


async def ask_zone(unit: Unit) -> None:
    unit.dialog.step = Reminders.ZONE
    unit.say(t("reminders.zone.ask"), zone_keyboard(await known_zone(unit)))


async def pick_zone(unit: Unit, kind: str, index: int) -> str | None:
    """A zone button: one of the offered zones ("o"), a candidate ("c"), or keep the old one."""
    if not unit.expect(Flow.REMINDERS, Reminders.ZONE):
        return t("common.stale_button")
    choice: ZoneChoice | None = None
    if kind == "o":
        offered = schedule.offered_zones(schedule.zone_catalogue())
        choice = offered[index] if 0 <= index < len(offered) else None
    elif kind == "c":
        candidates = unit.state.get("candidates", [])
        choice = ZoneChoice(*candidates[index]) if 0 <= index < len(candidates) else None
    elif kind == "keep":
        choice = await known_zone(unit)
    if choice is None:
        return t("common.stale_button")
    await confirm_zone(unit, choice)
    return None


async def confirm_zone(unit: Unit, choice: ZoneChoice) -> None:
    """Show the person's local time in the chosen zone, so a wrong zone shows at once."""
    unit.dialog.step = Reminders.CONFIRM
    unit.update_data(zone=choice.name, label=choice.label, candidates=[])
    days = frozenset(unit.state["days"])
    parts = [
        t(
            "reminders.zone.check",
            days=schedule.describe_days(days),
            time=unit.state["time"],
            zone=html.escape(choice.label),
            now=clock_of(unit.now, choice.name),
        )
    ]
    if choice.is_fixed_offset:
        parts.append(t("reminders.zone.fixed_offset_note"))
    unit.say(
        "\n\n".join(parts),
        [
            [(t("reminders.button.right"), "rm:save")],
            [(t("reminders.button.other_zone"), "rm:rezone")],
        ],
    )


async def other_zone(unit: Unit) -> str | None:
    if not unit.expect(Flow.REMINDERS, Reminders.CONFIRM):
        return t("common.stale_button")
    await ask_zone(unit)
    return None


async def save(unit: Unit) -> str | None:
    """Keep the reminder and book its first due time."""
    if not unit.expect(Flow.REMINDERS, Reminders.CONFIRM):
        return t("common.stale_button")
    if not unit.stores_data:
        unit.idle()
        explain_consent(unit)
        return None
    data = unit.state
    reminder = await reminder_of(unit)
    if reminder is None:
        reminder = Reminder(user_id=unit.user.id)
        unit.session.add(reminder)
    reminder.local_time, reminder.weekdays = data["time"], bits_of(frozenset(data["days"]))
    reminder.zone_name, reminder.zone_label = data["zone"], data["label"][:64]
    unit.user.zone_name = data["zone"]
    # New settings start afresh: old reminder buttons go stale, the pause count restarts.
    reminder.last_due_at = reminder.snoozed_until = reminder.skipped_on = None
    unit.idle()
    await turn_on(unit, reminder)
    return None


async def turn_on(unit: Unit, reminder: Reminder) -> None:
    reminder.enabled, reminder.paused_reason = True, None
    reminder.turned_on_at, reminder.sent_without_session = unit.now, 0
    at, days, zone = rule_of(reminder)
    due = schedule.next_due(at, days, zone, unit.now)
    await book(unit, due)
    unit.say(
        t("reminders.confirm", **describe(reminder), next_date=schedule.local_date_label(due, zone))
    )


async def typed(unit: Unit, text: str) -> bool:
    """Typed text while setting up: a time, the days or a zone, depending on the step."""
    step = unit.dialog.step
    if step == Reminders.TIME:
        at = schedule.parse_time(text)
        hour = text.strip().rstrip(".")
        if at is None and hour.isdigit() and 1 <= int(hour) <= 12:
            # "8": morning or evening? Ask with both, rather than guess or refuse.
            morning, evening = time(int(hour) % 12), time(int(hour) % 12 + 12)
            unit.say(
                t("reminders.time.which_half", hour=int(hour)),
                [
                    [
                        (schedule.format_time(at), f"rm:time:{at.hour:02d}00")
                        for at in (morning, evening)
                    ]
                ],
            )
        elif at is None:
            unit.say(t("reminders.time.not_understood"))
        else:
            await choose_time(unit, at)
        return True
    if step == Reminders.ZONE:
        catalogue = schedule.zone_catalogue()
        choice = schedule.parse_zone(text, catalogue)
        candidates = schedule.zone_candidates(text, catalogue) if choice is None else ()
        if choice is not None:
            await confirm_zone(unit, choice)
        elif candidates:
            unit.update_data(candidates=[[c.name, c.label] for c in candidates])
            unit.say(
                t("reminders.zone.which_one", name=html.escape(text.strip())),
                [[(c.label, f"rm:zone:c:{i}")] for i, c in enumerate(candidates)],
            )
        else:
            unit.say(t("reminders.zone.not_understood"))
        return True
    done_words = typed_words.current().days_done
    if step == Reminders.DAYS_CUSTOM and " ".join(plain(text).strip(" .!").split()) in done_words:
        await days_done(unit, None)  # the Done button, typed
        return True
    days = schedule.parse_days(text) if step in (Reminders.DAYS, Reminders.DAYS_CUSTOM) else None
    if days is not None:
        unit.dialog.step = Reminders.DAYS
        unit.update_data(days=sorted(days))
        await ask_zone(unit)
        return True
    unit.say(t("reminders.use_buttons"))
    return True


# --- the buttons on a reminder and on the status ----------------------------------------------
async def start_now(unit: Unit) -> str | None:
    """Start now: exactly what /stretch does."""
    await session_flow.start(unit)
    return None


async def change(unit: Unit) -> str | None:
    if not unit.stores_data:
        explain_consent(unit)
        return None
    await ask_time(unit)
    return None


async def turn_off(unit: Unit) -> str | None:
    reminder = await reminder_of(unit)
    if reminder is None or not reminder.enabled:
        return t("common.done_button")
    reminder.enabled, reminder.paused_reason, reminder.snoozed_until = False, None, None
    await unit.cancel_timers(timer_key(unit.user.id))
    unit.say(t("reminders.off"))
    return None


async def turn_back_on(unit: Unit) -> str | None:
    if not unit.stores_data:
        explain_consent(unit)
        return None
    reminder = await reminder_of(unit)
    if reminder is None or reminder.enabled:
        return t("common.done_button")
    reminder.snoozed_until = None
    await turn_on(unit, reminder)
    return None


async def todays(unit: Unit, stamp: int) -> tuple[Reminder, datetime] | None:
    """The person's reminder and the due time ``stamp`` names, if that is today's reminder:
    the one last sent, or the one booked next."""
    reminder = await reminder_of(unit)
    if reminder is None or not reminder.enabled or not unit.stores_data:
        return None
    slot = datetime.fromtimestamp(stamp, UTC)
    timer = await booked_timer(unit)
    known = [reminder.last_due_at, slot_of(timer) if timer else None]
    if stamp not in {stamp_of(moment) for moment in known if moment}:
        return None
    if day_of(slot, reminder.zone_name) != day_of(unit.now, reminder.zone_name):
        return None
    return reminder, slot


async def snooze(unit: Unit, stamp: int) -> str | None:
    found = await todays(unit, stamp)
    if found is None or found[0].last_due_at is None or stamp != stamp_of(found[0].last_due_at):
        return t("common.stale_button")
    reminder, slot = found
    if reminder.skipped_on == day_of(slot, reminder.zone_name):
        return t("common.stale_button")
    if reminder.snoozed_until and reminder.snoozed_until > unit.now:
        return t("common.done_button")
    until = schedule.snooze(unit.now)
    reminder.snoozed_until = until
    await book(unit, until, slot=slot)
    unit.say(t("reminders.snoozed", time=clock_of(until, reminder.zone_name)))
    return None


async def skip(unit: Unit, stamp: int) -> str | None:
    """Skip today's reminder, sent or still to come; the next one is from tomorrow on."""
    found = await todays(unit, stamp)
    if found is None:
        return t("common.stale_button")
    reminder, slot = found
    at, days, zone = rule_of(reminder)
    today = day_of(slot, zone)
    if reminder.skipped_on == today:
        return t("common.done_button")
    reminder.skipped_on, reminder.snoozed_until = today, None
    due = schedule.skip_today(at, days, zone, slot)
    await book(unit, due)
    unit.say(
        t(
            "reminders.skipped",
            next_date=schedule.local_date_label(due, zone),
            time=clock_of(due, zone),
        )
    )
    return None


# --- the reminder itself -----------------------------------------------------------------------
# The reminder's columns a due timer may change (a batch writes them all back, as they are).
DUE_COLUMNS = (
    "enabled",
    "paused_reason",
    "snoozed_until",
    "sent_without_session",
    "last_due_at",
    "last_sent_at",
)


@dataclass
class DueReminder:
    """What one due reminder timer does; decided the same way for one timer or a batch."""

    changes: dict[str, Any] = field(default_factory=dict)  # reminder columns to set
    forget: bool = False  # consent withdrawn: the reminder row goes
    say: tuple[str, Keyboard | None] | None = None
    book: datetime | None = None  # the next regular reminder, if any
    note: str | None = None  # what to log: "sent", "blocked", "no_sessions"


@dataclass(frozen=True)
class SessionsSeen:
    """What a due reminder needs to know about the person's sessions."""

    last_start: datetime | None = None
    stretching: bool = False  # a session not finished yet


def decide_due(
    reminder: Any,
    timer: Timer,
    now: datetime,
    *,
    stores_data: bool,
    active: bool,
    sessions: SessionsSeen,
) -> DueReminder | None:
    """The reminder timer is due: what to send, change and book. None: nothing at all.

    ``reminder`` is a Reminder, or a row with its columns: only read here.
    """
    if reminder is None or not reminder.enabled:
        return None
    if not stores_data:
        return DueReminder(forget=True)
    if not active:
        return DueReminder(changes={"enabled": False, "paused_reason": "blocked"}, note="blocked")
    at, days, zone = rule_of(reminder)
    slot = slot_of(timer)
    following = schedule.next_due(at, days, zone, max(slot, now))
    changes: dict[str, Any] = {"snoozed_until": None}
    late = schedule.missed_policy(timer.due_at, now) == "skip"
    if late or reminder.skipped_on == day_of(slot, zone) or sessions.stretching:
        return DueReminder(changes, book=following)
    unanswered = reminder.sent_without_session
    last_session = sessions.last_start
    if last_session and reminder.last_sent_at and last_session >= reminder.last_sent_at:
        unanswered = changes["sent_without_session"] = 0
    quiet_days = (now - max(last_session or reminder.turned_on_at, reminder.turned_on_at)).days
    # A snoozed reminder was asked for a moment ago: it is never replaced by the pause.
    asked_for = bool(timer.payload.get("snoozed"))
    if not asked_for and schedule.should_stop_nagging(unanswered, quiet_days):
        changes |= {"enabled": False, "paused_reason": "no_sessions"}
        return DueReminder(
            changes, say=(t("reminders.paused", days=quiet_days), None), note="no_sessions"
        )
    changes |= {"sent_without_session": unanswered + 1, "last_due_at": slot, "last_sent_at": now}
    return DueReminder(
        changes, say=(t("reminders.nudge"), nudge_keyboard(slot)), book=following, note="sent"
    )


def log_due(user_id: int, due: DueReminder) -> None:
    if due.note == "sent":
        log.info("reminder for user %s", user_id)
    elif due.note is not None:
        log.info("reminders paused for user %s: %s", user_id, PAUSE_REASONS[due.note])


PAUSE_REASONS = {"blocked": "the bot is blocked", "no_sessions": "no sessions"}


async def on_reminder(unit: Unit, timer: Timer) -> None:
    """The timer ``reminder:<user id>`` is due: send at most one message, book the next.

    :mod:`bot.reminder_batch` does the same for many people at once, through
    :func:`decide_due`."""
    reminder = await reminder_of(unit)
    due = decide_due(
        reminder,
        timer,
        unit.now,
        stores_data=unit.stores_data,
        active=unit.user.active,
        sessions=await sessions_seen(unit),
    )
    if due is None or reminder is None:
        return
    if due.forget:
        await unit.session.delete(reminder)
        return
    for column, value in due.changes.items():
        setattr(reminder, column, value)
    if due.say is not None:
        unit.say(*due.say, broadcast=True)
    if due.book is not None:
        await book(unit, due.book)
    log_due(unit.user.id, due)


# Both things about a person's sessions in one statement, for one person or for many.
SESSIONS_SEEN = select(
    StretchSession.user_id,
    func.max(StretchSession.started_at),
    func.max(case((StretchSession.phase != "done", 1), else_=0)),
).group_by(StretchSession.user_id)
SESSIONS_OF_ONE = SESSIONS_SEEN.where(StretchSession.user_id == bindparam("user_id"))
SESSIONS_OF_MANY = SESSIONS_SEEN.where(
    StretchSession.user_id.in_(bindparam("user_ids", expanding=True))
)


async def sessions_seen(unit: Unit) -> SessionsSeen:
    found = (await unit.session.execute(SESSIONS_OF_ONE, {"user_id": unit.user.id})).first()
    return SessionsSeen(found[1], bool(found[2])) if found else SessionsSeen()
