"""The person's data and choices: /privacy (consent), /mydata, /delete, /settings.

/mydata sends every row kept about the person, table by table, as JSON, and the pain
scores as CSV. Every table with a ``user_id`` column is read (``PERSONAL_TABLES``), so a
table added later is exported and erased without touching this module.

/delete asks once, then erases every row about the person in one transaction. The "done"
message must still reach them, and an outbox row needs its ``users`` row: so the erase
leaves a bare placeholder user (no health data, consent ``"erased"``) holding just that
message, and when Telegram has accepted it the delivery's tag callback
(:func:`forget_after_goodbye`) removes the placeholder too. A timer removes it a day later
if the message can never be delivered (the person blocked the bot). Either way, nothing
about the person is left.

Withdrawing consent stops storage from then on (``Unit.stores_data`` reads it) and
offers to erase what is already kept.
"""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import formats, routine
from bot.db.models import PERSONAL_TABLES, Base, PainRating, Reminder, Timer, User
from bot.flows import reminders as reminders_flow
from bot.flows import triage as triage_flow
from bot.flows.progress import person_zone
from bot.flows.unit import Keyboard, Unit
from content import languages
from content.schema.texts import t

ERASED = "erased"  # consent value of the placeholder left until the goodbye is delivered
ERASED_TAG = "erased:"
LEFTOVER_TIMER = "erase_leftover"
LEFTOVER_GRACE = timedelta(days=1)
# The pain CSV's columns; their headings are texts (privacy.mydata.csv_columns), in this order.
PAIN_CSV_COLUMNS = ("id", "at_utc", "at_local", "kind", "value", "body_part", "note", "session_id")


# --- /privacy ----------------------------------------------------------------------------
async def show_privacy(unit: Unit) -> None:
    if unit.stores_data:
        agreed = unit.user.consent_at or unit.user.created_at
        since = formats.day(agreed.date())
        unit.say(
            t("privacy.kept", since=since),
            [
                [(t("privacy.button.withdraw"), "pv:withdraw")],
                [(t("privacy.button.erase"), "pv:delete")],
            ],
        )
    else:
        unit.say(
            t("privacy.not_kept"),
            [
                [(t("privacy.button.allow"), "pv:allow")],
                [(t("privacy.button.erase"), "pv:delete")],
            ],
        )


async def withdraw_consent(unit: Unit) -> str | None:
    """Keep nothing new from now on; offer to erase what is already kept."""
    if not unit.stores_data:
        return t("common.done_button")
    unit.user.consent, unit.user.consent_at = "refused", unit.now
    unit.update_data(erase_asked=True)
    unit.say(t("privacy.withdrawn"), erase_keyboard())
    return None


async def allow_storage(unit: Unit) -> str | None:
    if unit.stores_data:
        return t("common.done_button")
    unit.user.consent, unit.user.consent_at = "given", unit.now
    unit.say(t("privacy.allowed"))
    return None


# --- /delete -----------------------------------------------------------------------------
def erase_keyboard() -> Keyboard:
    return [
        [(t("privacy.button.erase_confirm"), "pv:erase")],
        [(t("privacy.button.keep"), "pv:keep")],
    ]


async def ask_to_erase(unit: Unit) -> None:
    """/delete: say what goes, once, with a button; nothing is erased yet."""
    unit.update_data(erase_asked=True)
    unit.say(t("privacy.erase_question"), erase_keyboard())


async def keep_data(unit: Unit) -> str | None:
    if not unit.state.get("erase_asked"):
        return t("common.stale_button")
    unit.update_data(erase_asked=None)
    unit.say(t("privacy.erase_cancelled"))
    return None


async def erase(unit: Unit) -> str | None:
    """The confirmed erase: every row about the person, then the goodbye (see the docstring)."""
    if not unit.state.get("erase_asked"):
        return t("common.stale_button")
    user_id, chat_id = unit.user.id, unit.user.chat_id
    # The loaded rows are about to vanish underneath the session: stop tracking them.
    for row in (unit.user, unit.dialog):
        if row in unit.session:
            unit.session.expunge(row)
    await erase_rows(unit.session, user_id)
    placeholder = User(
        id=user_id,
        chat_id=chat_id,
        created_at=unit.now,
        consent=ERASED,
        level=1,
        conditions=[],
        active=True,
    )
    unit.session.add(placeholder)
    await unit.session.flush()
    unit.user = placeholder
    unit.say(t("privacy.erased"), tag=f"{ERASED_TAG}{user_id}")
    await unit.schedule(f"erase:{user_id}", LEFTOVER_TIMER, unit.now + LEFTOVER_GRACE)
    return None


async def erase_rows(db: AsyncSession, user_id: int) -> None:
    """Delete the person's rows from every personal table, dependent tables first."""
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in PERSONAL_TABLES:
            column = table.c.id if table.name == "users" else table.c.user_id
            await db.execute(table.delete().where(column == user_id))


async def forget_after_goodbye(db: AsyncSession, tag: str) -> None:
    """Delivery tag callback: the "erased" message was accepted; drop the placeholder."""
    await _drop_placeholder(db, int(tag.removeprefix(ERASED_TAG)))


async def on_leftover(unit: Unit, timer: Timer) -> None:
    """A day after an erase whose goodbye never got through: drop the placeholder anyway."""
    if unit.user.consent != ERASED:
        return  # the person came back and chose again: theirs now
    for row in (unit.user, unit.dialog):
        if row in unit.session:
            unit.session.expunge(row)
    await erase_rows(unit.session, unit.user.id)


async def _drop_placeholder(db: AsyncSession, user_id: int) -> None:
    if db.get_bind().dialect.name == "postgresql":
        # The same per-person lock a unit of work takes, so no update of theirs interleaves.
        await db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": user_id})
    consent = (await db.execute(select(User.consent).where(User.id == user_id))).scalar()
    if consent == ERASED:
        await erase_rows(db, user_id)


# --- /mydata -----------------------------------------------------------------------------
async def export_data(unit: Unit) -> None:
    """Everything kept about the person: a JSON file of every table and a CSV of pain scores."""
    tables = {name: await _rows_of(unit.session, name, unit.user.id) for name in PERSONAL_TABLES}
    everything = {
        "exported_at": unit.now.isoformat(),
        "about": t("privacy.mydata.json_about"),
        "tables": tables,
    }
    unit.say(t("privacy.mydata.intro"))
    unit.send_file(
        "sendDocument",
        "document",
        t("privacy.mydata.json_filename"),
        json.dumps(everything, indent=2, ensure_ascii=False, default=_json_value).encode(),
        caption=t("privacy.mydata.json_caption"),
    )
    ratings = (
        await unit.session.execute(
            select(PainRating)
            .where(PainRating.user_id == unit.user.id)
            .order_by(PainRating.at, PainRating.id)
        )
    ).scalars()
    unit.send_file(
        "sendDocument",
        "document",
        t("privacy.mydata.csv_filename"),
        pain_csv(ratings, unit).encode(),
        caption=t("privacy.mydata.csv_caption"),
    )


async def _rows_of(db: AsyncSession, name: str, user_id: int) -> list[dict[str, Any]]:
    table: Table = Base.metadata.tables[name]
    column = table.c.id if name == "users" else table.c.user_id
    order = list(table.primary_key.columns)
    result = await db.execute(select(table).where(column == user_id).order_by(*order))
    return [dict(row) for row in result.mappings()]


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not exported")


def pain_csv(ratings: Any, unit: Unit) -> str:
    tz = person_zone(unit)[1]
    out = io.StringIO()
    writer = csv.writer(out)
    headings = [heading.strip() for heading in t("privacy.mydata.csv_columns").split(",")]
    writer.writerow(headings)
    for r in ratings:
        local = r.at.astimezone(tz).replace(tzinfo=None)
        writer.writerow(
            [
                r.id,
                r.at.isoformat(),
                local.isoformat(timespec="minutes"),
                r.kind,
                r.value,
                r.body_part or "",
                r.note or "",
                r.session_id if r.session_id is not None else "",
            ]
        )
    return out.getvalue()


# --- /settings ---------------------------------------------------------------------------
async def show_settings(unit: Unit) -> None:
    """Region, level, reminder and time zone in one message, each with a way to change it."""
    if not unit.stores_data:
        unit.say(t("privacy.settings.not_kept"))
        return
    region = unit.user.region
    reminder = await unit.session.get(Reminder, unit.user.id)
    if reminder is None or not reminder.enabled:
        reminder_line = t("privacy.settings.reminder_off")
    else:
        reminder_line = t("privacy.settings.reminder_on", **reminders_flow.describe(reminder))
    if reminder is not None:
        zone = reminders_flow.describe(reminder)["zone"]
    else:
        zone = html.escape(unit.user.zone_name or t("privacy.settings.zone_unset"))
    lines = [
        t("privacy.settings.title"),
        t(
            "privacy.settings.region",
            region=t(f"triage.region_{region}") if region else t("privacy.settings.not_set"),
        ),
        t("privacy.settings.level", level=unit.user.level, top=routine.load_library().max_level),
        reminder_line,
        t("privacy.settings.zone", zone=zone),
        t("privacy.settings.language", name=languages.languages()[languages.current()].name),
    ]
    unit.say(
        "\n".join(lines),
        [
            [(t("privacy.settings.button.region"), "set:region")],
            [(t("privacy.settings.button.level"), "set:level")],
            [(t("privacy.settings.button.reminders"), "go:reminders")],
            [(t("privacy.settings.button.language"), "go:language")],
        ],
    )


async def change_region(unit: Unit) -> str | None:
    if not unit.stores_data:
        return t("common.stale_button")
    await triage_flow.ask_region(unit, then="settings")
    return None


async def ask_level(unit: Unit) -> str | None:
    if not unit.stores_data:
        return t("common.stale_button")
    top = routine.load_library().max_level
    buttons = [(str(level), f"set:level:{level}") for level in range(1, top + 1)]
    unit.say(t("privacy.settings.level_question", level=unit.user.level, top=top), [buttons])
    return None


async def choose_level(unit: Unit, level: int) -> str | None:
    """A level from the keyboard; anything outside 1..top (a forged button) is refused."""
    if not unit.stores_data or not 1 <= level <= routine.load_library().max_level:
        return t("common.stale_button")
    unit.user.level = level
    unit.say(t("privacy.settings.level_saved", level=level))
    return None
