"""The database schema: typed SQLAlchemy 2 models, the same on SQLite and PostgreSQL.

Everything about a person hangs off ``users.id`` (their Telegram user id) with
``ON DELETE CASCADE``, so erasing a person is one delete (and a test scans every table).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        from datetime import UTC

        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, int: Integer}  # noqa: RUF012


def _user_fk() -> Any:
    return ForeignKey("users.id", ondelete="CASCADE")


class User(Base):
    """A person: consent, what they told us at onboarding, and the safety gate."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    consent: Mapped[str] = mapped_column(String(16), default="unknown")  # unknown|given|refused
    consent_at: Mapped[datetime | None]
    region: Mapped[str | None] = mapped_column(String(32))
    age_band: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(SmallInteger, default=1)
    zone_name: Mapped[str | None] = mapped_column(String(64))
    # The stored triage outcome gates sessions, across restarts and instances.
    gate_level: Mapped[str | None] = mapped_column(String(16))
    gate_at: Mapped[datetime | None]
    conditions: Mapped[list[str]] = mapped_column(JSON, default=list)
    cleared_by_clinician_at: Mapped[datetime | None]
    # Set when the bot said "run the safety check again before your next session" (pain
    # spreading into an arm or leg): /stretch runs the check first if none finished since.
    check_required_at: Mapped[datetime | None]
    # Whether the person agreed to have their Telegram first name on the /report PDF.
    name_on_report: Mapped[bool | None] = mapped_column(Boolean)
    # The language the bot speaks with them (content/languages.py): from Telegram's
    # language_code at first contact, changed with /language. None: not decided yet.
    language: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    blocked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]


class Dialog(Base):
    """Where a person is in a conversation; read and written on every update."""

    __tablename__ = "dialogs"

    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    flow: Mapped[str] = mapped_column(String(32), default="idle")
    step: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Bumped on every change; buttons carry it so stale taps are recognised.
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class Screening(Base):
    """One completed triage: its outcome and the reasons, in plain data."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    region: Mapped[str] = mapped_column(String(32))
    age_band: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class TriageAnswer(Base):
    __tablename__ = "triage_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    screening_id: Mapped[int | None] = mapped_column(
        ForeignKey("screenings.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(8))
    answered_at: Mapped[datetime]


class SafetyAlert(Base):
    """A red flag caught in free text: which condition and level (never the text)."""

    __tablename__ = "safety_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    at: Mapped[datetime]
    condition: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))


class StretchSession(Base):
    __tablename__ = "stretch_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # active | completed | stopped | hurt | abandoned
    status: Mapped[str] = mapped_column(String(16), default="active")
    level: Mapped[int] = mapped_column(SmallInteger)
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    phase: Mapped[str] = mapped_column(String(16), default="pain_before")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    hold_ends_at: Mapped[datetime | None]
    remaining_seconds: Mapped[float | None]
    countdown_message_id: Mapped[int | None] = mapped_column(BigInteger)
    pain_before: Mapped[int | None] = mapped_column(SmallInteger)
    pain_after: Mapped[int | None] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(Text)
    last_activity_at: Mapped[datetime]


class SessionStep(Base):
    __tablename__ = "session_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("stretch_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    position: Mapped[int] = mapped_column(Integer)
    stretch_id: Mapped[str] = mapped_column(String(64))
    rep: Mapped[int] = mapped_column(SmallInteger)
    outcome: Mapped[str] = mapped_column(String(16))  # done | skipped
    at: Mapped[datetime]


class PainRating(Base):
    __tablename__ = "pain_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("stretch_sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # before | after | hurt
    value: Mapped[int] = mapped_column(SmallInteger)
    body_part: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class Reminder(Base):
    """A person's daily reminder: when, on which days, in which zone, and how it is going.

    The next due moment is not kept here but in the timer ``reminder:<user id>``, so the
    dispatcher finds every due reminder through one index on ``timers.due_at``.
    """

    __tablename__ = "reminders"

    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    local_time: Mapped[str] = mapped_column(String(5))  # "07:30" on the person's clock
    weekdays: Mapped[int] = mapped_column(SmallInteger, default=0b1111111)  # bit 0 = Monday
    zone_name: Mapped[str] = mapped_column(String(64))  # read it with core.schedule.zone_of
    zone_label: Mapped[str] = mapped_column(String(64))  # "Central Europe", as the person chose
    # Days without a session are counted from the last session or from here, if later.
    turned_on_at: Mapped[datetime]
    sent_without_session: Mapped[int] = mapped_column(SmallInteger, default=0)
    # The regular time of the latest reminder sent; its buttons carry it, so old ones go stale.
    last_due_at: Mapped[datetime | None]
    last_sent_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    skipped_on: Mapped[str | None] = mapped_column(String(10))  # local date, ISO
    paused_reason: Mapped[str | None] = mapped_column(String(32))  # no_sessions | blocked


class Timer(Base):
    """Something due later (end of a hold, a reminder): run once by whichever instance claims it."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due_at", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Unique per purpose ("step:42", "reminder:1001") so re-scheduling replaces, never doubles.
    key: Mapped[str] = mapped_column(String(96), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)


class Outbox(Base):
    """A message the bot has decided to send, committed with the decision, deleted once sent.

    A crash between the decision and the send delivers it late rather than never.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, _user_fk(), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What to remember about the sent message ("countdown:<session id>"), if anything.
    tag: Mapped[str | None] = mapped_column(String(64))
    not_before: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)


class PictureUpload(Base):
    """A stretch picture Telegram already has: send its file_id instead of the bytes again.

    Keyed by bot (a file_id works only for the bot that uploaded it) and by the content
    hash of the picture (new pose data or a new renderer makes a new picture). No person's
    data: the same picture serves everyone.
    """

    __tablename__ = "picture_uploads"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # still | motion
    file_id: Mapped[str] = mapped_column(String(255))
    uploaded_at: Mapped[datetime]


PERSONAL_TABLES = [
    table.name
    for table in Base.metadata.sorted_tables
    if "user_id" in table.c or table.name == "users"
]
