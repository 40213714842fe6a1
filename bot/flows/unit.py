"""A unit of work: one person's update or timer, in one transaction.

A flow function gets a :class:`Unit`, reads and changes the person's rows through it,
and says what to send with :meth:`Unit.say`. Messages are written to the outbox in the
same transaction as the decision, and delivered right after the commit; a crash in
between delivers them late rather than never.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Unpack, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.inserts import IdInserts
from bot.db.models import Dialog, Outbox, StretchSession, Timer, User
from bot.flows.dialog import CARRIED, DialogData, Flow, Step
from content import languages

Button = tuple[str, str]  # (label, callback data)
# Built once (building costs SQLAlchemy about as much as running it): see bot.runtime.
TIMER_BY_KEY = select(Timer).where(Timer.key == bindparam("key"))
_OUTBOX = cast(Table, Outbox.__table__)
_TIMERS = cast(Table, Timer.__table__)


def _upsert_timer(dialect_insert: Any) -> Any:
    """Create or move the timer with this key in one statement (the key is unique)."""
    statement = dialect_insert(_TIMERS)
    return statement.on_conflict_do_update(
        index_elements=[_TIMERS.c.key],
        set_={
            "kind": statement.excluded.kind,
            "due_at": statement.excluded.due_at,
            "payload": statement.excluded.payload,
            "claimed_by": None,
            "lease_until": None,
            "attempts": 0,
        },
    )


SCHEDULE = {"sqlite": _upsert_timer(sqlite.insert), "postgresql": _upsert_timer(postgresql.insert)}
CANCEL = delete(_TIMERS).where(
    _TIMERS.c.user_id == bindparam("user_id"), _TIMERS.c.key.in_(bindparam("keys", expanding=True))
)
# A unit's messages go in with one statement at its end.
SAY_ALL = IdInserts(_OUTBOX)
OUTBOX_COLUMNS = (
    "user_id",
    "chat_id",
    "method",
    "params",
    "tag",
    "not_before",
    "claimed_by",
    "lease_until",
    "attempts",
)
Keyboard = Sequence[Sequence[Button]]


def inline_keyboard(keyboard: Keyboard) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in keyboard
        ]
    }


def message_params(
    chat_id: int, text: str, keyboard: Keyboard | None = None, *, paid_broadcast: bool = False
) -> dict[str, Any]:
    """sendMessage's parameters for one message, as the outbox keeps them."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
    if keyboard:
        params["reply_markup"] = inline_keyboard(keyboard)
    if paid_broadcast:
        # Bot API 7.11: up to 1,000 messages a second, paid in Stars beyond the free 30.
        params["allow_paid_broadcast"] = True
    return params


@dataclass
class Direct:
    """Sent after commit but not through the outbox: cosmetic edits, files."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass
class Unit:
    session: AsyncSession
    user: User
    dialog: Dialog
    now: datetime
    time_scale: float = 1.0
    outbox: list[Outbox] = field(default_factory=list)
    direct: list[Direct] = field(default_factory=list)
    # What the person asked for that waited for this unit's flow to end ("stretch" after
    # the check): run next, in this unit, by the handler (handlers/base.py), so flows never
    # import each other in a circle.
    then: str | None = None
    # The person's unfinished stretch session, read with their row (flows/session.py).
    running_session: StretchSession | None = None
    # The earliest due time of the timers this unit booked: the dispatcher wakes for it.
    earliest_booked: datetime | None = None
    # The keys this unit booked: a timer firing here and booked again is moved, not deleted.
    booked_keys: set[str] = field(default_factory=set)
    # A timer's unit (Runtime.fire): the timer is still ours to fire, not cancelled or moved.
    timer_due: bool = False
    # (instance, lease end) given to each message as it is said, so the row is inserted
    # already leased to this instance rather than inserted, then updated at commit.
    lease: tuple[str, datetime] | None = None
    # PAID_BROADCAST: what the bot sends unasked (reminders) may go past the free 30 a second.
    paid_broadcast: bool = False
    # The message whose button started this unit, if any (handlers/base.py): a flow may turn
    # it into what comes next (replace_tapped) instead of marking it and saying something new.
    tapped: int | None = None
    replaced_tapped: bool = False

    @property
    def stores_data(self) -> bool:
        """Health data is kept only with the person's consent."""
        return self.user.consent == "given"

    def say(
        self,
        text: str,
        keyboard: Keyboard | None = None,
        *,
        tag: str | None = None,
        broadcast: bool = False,
    ) -> None:
        """``broadcast``: sent unasked (a reminder), so a paid broadcast when that is on."""
        params = message_params(
            self.user.chat_id, text, keyboard, paid_broadcast=broadcast and self.paid_broadcast
        )
        self._queue("sendMessage", params, tag)

    def replace_tapped(self, text: str, keyboard: Keyboard | None = None) -> None:
        """The next question in place of the one just answered: one edit, where marking the
        answer and sending the question were two requests (the button's toast shows the
        answer). Through the outbox, in order with the messages; if Telegram can no longer
        edit that message, delivery sends this as a new one. Without a tapped message (a
        typed answer), a new message."""
        if self.tapped is None or self.replaced_tapped:
            self.say(text, keyboard)
            return
        params = message_params(self.user.chat_id, text, keyboard)
        params.update(message_id=self.tapped, or_send=True)
        self._queue("editMessageText", params, None)
        self.replaced_tapped = True

    def acknowledge_tapped(self, question: str, note: str) -> None:
        """``note`` ("Pain now: 4 out of 10") under the question it answers, in one edit;
        after a typed answer, ``note`` as a message of its own."""
        if self.tapped is None or self.replaced_tapped:
            self.say(note)
            return
        self.replace_tapped(f"{question}\n\n<i>✓ {note}</i>")

    def _queue(self, method: str, params: dict[str, Any], tag: str | None) -> None:
        row = Outbox(
            user_id=self.user.id,
            chat_id=self.user.chat_id,
            method=method,
            params=params,
            tag=tag,
            not_before=self.now,
            attempts=0,
        )
        if self.lease is not None:
            row.claimed_by, row.lease_until = self.lease
        self.outbox.append(row)  # written by write_outbox() with the unit's other rows

    async def write_outbox(self) -> None:
        """Insert what the unit said, in one statement, and give each row its id."""
        if not self.outbox:
            return
        values = [{name: getattr(row, name) for name in OUTBOX_COLUMNS} for row in self.outbox]
        ids = await SAY_ALL(self.session, values)
        for row, row_id in zip(self.outbox, ids, strict=True):
            row.id = row_id

    def say_picture(
        self,
        kind: str,
        stretch_id: str,
        caption: str,
        keyboard: Keyboard | None = None,
        *,
        tag: str | None = None,
    ) -> None:
        """A stretch's picture ("still", sendPhoto) or animation ("motion", sendAnimation)
        with a caption, through the outbox; delivery sends a file_id once it has one."""
        method = "sendPhoto" if kind == "still" else "sendAnimation"
        params: dict[str, Any] = {
            "chat_id": self.user.chat_id,
            "caption": caption,
            "parse_mode": "HTML",
            # Its labels are drawn in the person's language (bot/pictures.py).
            "picture": {"stretch": stretch_id, "kind": kind, "language": languages.current()},
        }
        if keyboard:
            params["reply_markup"] = inline_keyboard(keyboard)
        self._queue(method, params, tag)

    def edit(self, message_id: int, text: str, keyboard: Keyboard | None = None) -> None:
        params: dict[str, Any] = {
            "chat_id": self.user.chat_id,
            "message_id": message_id,
            "text": text,
            "parse_mode": "HTML",
        }
        if keyboard:
            params["reply_markup"] = inline_keyboard(keyboard)
        self.direct.append(Direct("editMessageText", params))

    def edit_caption(
        self,
        message_id: int,
        caption: str,
        keyboard: Keyboard | None = None,
        *,
        durable: bool = False,
    ) -> None:
        """The caption of a photo or animation (editMessageText fails on those). ``durable``:
        through the outbox, in order with the messages, retried like them (a final state
        such as "Done"), rather than best effort (a countdown tick)."""
        params: dict[str, Any] = {
            "chat_id": self.user.chat_id,
            "message_id": message_id,
            "caption": caption,
            "parse_mode": "HTML",
        }
        if keyboard:
            params["reply_markup"] = inline_keyboard(keyboard)
        if durable:
            self._queue("editMessageCaption", params, None)
        else:
            self.direct.append(Direct("editMessageCaption", params))

    def clear_buttons(self, message_id: int) -> None:
        self.direct.append(
            Direct(
                "editMessageReplyMarkup",
                {"chat_id": self.user.chat_id, "message_id": message_id},
            )
        )

    def send_file(
        self,
        method: str,
        field_name: str,
        filename: str,
        content: bytes,
        caption: str | None = None,
    ) -> None:
        params: dict[str, Any] = {"chat_id": self.user.chat_id}
        if caption:
            params["caption"] = caption
            params["parse_mode"] = "HTML"
        self.direct.append(Direct(method, params, {field_name: (filename, content)}))

    # --- dialog state -------------------------------------------------------------
    def expect(self, flow: Flow, step: Step | None = None) -> bool:
        """Is the dialog in ``flow`` (at ``step``)? False: the tap or text is for another."""
        if self.dialog.flow != flow:
            return False
        return step is None or self.dialog.step == step

    @property
    def state(self) -> DialogData:
        """The dialog's data, typed by bot/flows/dialog.py. Read it here; write it with
        update_data or goto (a new dict, so the row is seen as changed)."""
        return cast(DialogData, self.dialog.data)

    def goto(self, flow: Flow, step: Step | None = None, **data: Unpack[DialogData]) -> None:
        """Move the person's dialog to ``flow``/``step`` with fresh ``data`` (and CARRIED)."""
        carried: dict[str, Any] = {
            key: self.dialog.data[key] for key in CARRIED if key in self.dialog.data
        }
        self.dialog.flow, self.dialog.step = flow.value, step.value if step else ""
        self.dialog.data = {**carried, **data}
        self.dialog.version += 1
        self.dialog.updated_at = self.now

    # A yes / no safety question waits, and something else was asked since ("Erase
    # everything?"): a typed yes / no may be meant for that, so the question is asked again.
    def leave_question(self) -> None:
        self.update_data(question_left=True)

    def question_asked(self) -> None:
        self.update_data(question_left=False)

    @property
    def question_left(self) -> bool:
        return bool(self.state.get("question_left"))

    def update_data(self, **data: Unpack[DialogData]) -> None:
        self.dialog.data = {**self.dialog.data, **data}
        self.dialog.updated_at = self.now

    def idle(self) -> None:
        self.goto(Flow.IDLE)

    # --- timers ---------------------------------------------------------------------
    async def schedule(
        self, key: str, kind: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """Create or move the timer ``key``; there is never more than one per key."""
        dialect = self.session.get_bind().dialect.name
        await self.session.execute(
            SCHEDULE[dialect],
            {
                "key": key,
                "kind": kind,
                "user_id": self.user.id,
                "due_at": due_at,
                "payload": payload or {},
                "claimed_by": None,
                "lease_until": None,
                "attempts": 0,
            },
        )
        self.booked_keys.add(key)
        if self.earliest_booked is None or due_at < self.earliest_booked:
            self.earliest_booked = due_at

    async def cancel_timers(self, *keys: str) -> None:
        """Remove the person's timers with these keys, in one statement."""
        await self.session.execute(CANCEL, {"user_id": self.user.id, "keys": list(keys)})
        self.booked_keys.difference_update(keys)

    def later(self, seconds: float) -> datetime:
        """``seconds`` of exercise time from now, scaled by STRETCH_TIME_SCALE."""
        return self.now + timedelta(seconds=seconds * self.time_scale)
