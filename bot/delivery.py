"""Sending what flows decided to say, with Telegram's errors handled.

- 429: the rate limiter already waited and retried; if it still fails the row stays in
  the outbox with ``not_before`` set from ``retry_after``.
- 403 (blocked): the person is marked inactive and their pending messages dropped.
- 5xx, timeouts, dropped connections: the row stays and is retried with backoff.
- 400 (a message Telegram will never accept): logged by method and dropped.
Rows are deleted only after Telegram accepted them: each message before the next is sent,
an edit together with the row after it (sent again, an edit changes nothing).

A stretch picture row names the picture, not its bytes: ``bot.pictures`` turns it into a
file_id this bot already uploaded, or the bytes to upload (and keeps the file_id after).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InputFile, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.clock import Clock
from bot.db.models import Outbox, User
from bot.flows.unit import Direct
from bot.pictures import Pictures, Prepared

log = logging.getLogger(__name__)
# Outbox rows hold raw Bot API parameters, so they are sent with do_api_request on purpose.
warnings.filterwarnings("ignore", message="Please use 'Bot.", module="bot.delivery")

LEASE = timedelta(seconds=60)
# Built once: it runs after every message, and building a statement costs SQLAlchemy about as
# much as running it. On the table, not the mapped class: a fresh session holds no outbox
# rows to synchronise, and the ORM's bulk-delete path costs more than the statement itself.
_OUTBOX = cast(Table, Outbox.__table__)
DELETE_SENT = delete(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
SETTLE_ATTEMPTS = 5
# An edit Telegram could no longer apply, sent as a new message instead (Unit.replace_tapped).
SENT_ANEW = "sent anew"
# Called with (session, tag, sent message) to remember e.g. the countdown message id.
TagHandler = Callable[[AsyncSession, str, Message], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(60.0, 0.5 * 2 ** min(attempts, 7)))


class Delivery:
    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        instance: str,
        on_tag: TagHandler | None = None,
        lease: timedelta = LEASE,
        pictures: Pictures | None = None,
    ) -> None:
        self.bot, self.sessions, self.clock, self.instance = bot, sessions, clock, instance
        self.on_tag = on_tag
        self.pictures = pictures
        # A claimed row is left alone by other instances' sweepers for this long.
        self.lease = lease
        self.sent = 0
        self.failed: dict[str, int] = {}
        # Rows Telegram accepted, waiting for the delete that records it (see _record_sent).
        self._accepted: list[tuple[list[tuple[Outbox, Message | None]], asyncio.Future[None]]] = []
        self._recording = asyncio.Lock()

    def claim_new(self, rows: Sequence[Outbox], now: datetime) -> None:
        """Rows written by a unit are leased to this instance so the sweeper leaves them be."""
        for row in rows:
            row.claimed_by, row.lease_until = self.instance, now + self.lease

    async def send_rows(self, rows: Sequence[Outbox]) -> None:
        """Deliver freshly committed rows of one person, in order.

        Each row is deleted right after Telegram accepted it, before the next is sent: a crash
        between Telegram's answer and the delete sends that one message again (the Bot API has
        no idempotency key), never the rows sent before it.
        """
        # Edits Telegram applied, deleted with the row after them: one commit for both.
        # Sent again after a kill, an edit changes nothing ("message is not modified"), so
        # a kill still repeats at most the one message in flight.
        edited: list[tuple[Outbox, Message | None]] = []
        for index, row in enumerate(rows):
            # Only a tagged row needs the sent message (its id); parsing it costs more than
            # the rest of the send (python -m bench, conversations).
            outcome = await self._deliver(row)
            if isinstance(outcome, timedelta):
                # Keep the person's order: later rows wait for this one.
                await self._settle(edited, [(later, outcome) for later in rows[index:]], None)
                return
            if outcome == "blocked":
                await self._settle([], [], row.user_id)
                return
            if repeatable(row, outcome) and index < len(rows) - 1:
                edited.append((row, None))
                continue
            await self._record_sent([*edited, (row, sent_message(outcome))])
            edited = []

    async def send_many(
        self,
        rows: Sequence[Outbox],
        *,
        concurrency: int,
        settled: Callable[[Outbox], None] | None = None,
        go_on: Callable[[], bool] = lambda: True,
    ) -> None:
        """Deliver freshly committed rows of different people (one each), side by side.

        A row accepted by Telegram is deleted together with the others accepted while the
        previous delete ran: one statement for many, and still only the sends in flight or
        waiting for that delete are repeated by a kill, at most one per person.
        ``settled(row)`` is called once the row is deleted or left for a retry. Once
        ``go_on()`` is false (shutting down) no new send starts: those rows stay in the
        outbox for whoever takes them next.
        """
        gate = asyncio.Semaphore(concurrency)

        async def deliver(row: Outbox) -> None:
            try:
                async with gate:
                    if not go_on():
                        return
                    outcome = await self._deliver(row)
                if isinstance(outcome, timedelta):
                    await self._settle([], [(row, outcome)], None)
                elif outcome == "blocked":
                    await self._settle([], [], row.user_id)
                else:
                    await self._record_sent([(row, sent_message(outcome))])
            except Exception:
                # The row stays in the outbox: the sweeper sends it when its lease ends.
                log.exception("could not deliver or record an outbox row")
            finally:
                if settled is not None:
                    settled(row)

        await asyncio.gather(*(deliver(row) for row in rows))

    async def _record_sent(self, accepted: list[tuple[Outbox, Message | None]]) -> None:
        """Delete rows Telegram accepted, with every other row accepted meanwhile.

        One transaction for the rows of everyone whose sends finished while the previous
        delete ran, so under load a commit records many messages. Each caller returns only
        once its own rows are deleted, so a person's next message is never sent before
        them: a kill still repeats at most the one message per person in flight.
        """
        recorded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._accepted.append((accepted, recorded))
        # The lock is fair: once this task holds it, its row was deleted by a group before
        # (its future is done) or waits in self._accepted for this group.
        async with self._recording:
            if not recorded.done():
                group, self._accepted = self._accepted, []
                try:
                    await self._settle([pair for rows, _ in group for pair in rows], [], None)
                except BaseException as exc:
                    # Cancelled too: the others must not wait for a delete that never comes.
                    failed = exc if isinstance(exc, Exception) else RuntimeError("cancelled")
                    for _, waiting in group:
                        waiting.set_exception(failed)
                    recorded.exception()  # raised below, or by the cancellation
                    raise
                else:
                    for _, waiting in group:
                        waiting.set_result(None)
        await recorded

    async def _deliver(self, row: Outbox) -> Message | str | timedelta:
        """One row: a stretch picture through the picture cache, anything else as it is."""
        if "picture" in row.params and self.pictures is not None:
            return await self._send_picture(row, self.pictures)
        if row.params.get("or_send"):
            return await self._edit_or_send(row)
        return await self._send(row.method, row.params, parse=bool(row.tag))

    async def _edit_or_send(self, row: Outbox) -> Message | str | timedelta:
        """A question in place of the one just answered (Unit.replace_tapped); a message
        Telegram can no longer edit (deleted by the person, say) gets it as a new one."""
        edit = {key: value for key, value in row.params.items() if key != "or_send"}
        outcome = await self._send(row.method, edit, parse=bool(row.tag))
        if outcome != "dropped":
            return outcome
        new = {key: value for key, value in edit.items() if key != "message_id"}
        outcome = await self._send("sendMessage", new, parse=bool(row.tag))
        return SENT_ANEW if outcome == "sent" else outcome

    async def _send_picture(self, row: Outbox, pictures: Pictures) -> Message | str | timedelta:
        """By file_id when this bot has one; else upload (one at a time per picture)."""
        picture = row.params["picture"]
        try:
            prepared = await pictures.prepare(picture)
        except Exception:
            # A picture that cannot be drawn (a row from before a content change) must not
            # stop the session: its caption holds the whole step, so send that as text.
            log.exception("could not prepare a stretch picture; sending its text instead")
            return await self._send("sendMessage", _as_text(row.params), parse=bool(row.tag))
        if isinstance(prepared.value, str):
            outcome = await self._send(row.method, self._with(row, prepared), parse=bool(row.tag))
            if outcome != "dropped":
                await pictures.remember(prepared, None)
                return outcome
            await pictures.forget(prepared)  # refused: upload the bytes instead
        async with pictures.lock(prepared.content_hash):
            # Another send may have uploaded it while this one waited.
            prepared = await pictures.prepare(picture)
            outcome = await self._send(row.method, self._with(row, prepared), parse=True)
            if isinstance(outcome, Message):
                await pictures.remember(prepared, outcome)
            return outcome

    @staticmethod
    def _with(row: Outbox, prepared: Prepared) -> dict[str, Any]:
        params = {key: value for key, value in row.params.items() if key != "picture"}
        if isinstance(prepared.value, str):
            params[prepared.field] = prepared.value
        else:
            filename, content = prepared.value
            params[prepared.field] = InputFile(content, filename=filename)
        return params

    async def _send(
        self, method: str, params: dict[str, Any], parse: bool = True
    ) -> Message | str | timedelta:
        try:
            result = await self.bot.do_api_request(
                method, api_kwargs=dict(params), return_type=Message if parse else None
            )
        except Forbidden:
            self._count(method, "403")
            return "blocked"
        except RetryAfter as exc:
            self._count(method, "429")
            retry_after = exc.retry_after
            seconds = (
                retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after
            )
            return timedelta(seconds=float(seconds))
        except BadRequest as exc:
            if method.startswith("edit") and "not modified" in exc.message:
                # The same edit again (its first answer was lost): already in the chat.
                return "sent"
            self._count(method, "400")
            log.warning("Telegram refused %s: %s", method, exc.message)
            return "dropped"
        except TelegramError as exc:
            self._count(method, type(exc).__name__)
            return backoff(1)
        self.sent += 1
        return result if isinstance(result, Message) else "sent"

    def _count(self, method: str, what: str) -> None:
        key = f"{method}:{what}"
        self.failed[key] = self.failed.get(key, 0) + 1

    async def _settle(
        self,
        done: list[tuple[Outbox, Message | None]],
        retry: list[tuple[Outbox, timedelta]],
        blocked_user: int | None,
    ) -> None:
        """Record what happened to each row. Retried: a sent row that stayed in the outbox
        (a pool timeout, a dropped database connection) would be sent a second time."""
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                await self._settle_once(done, retry, blocked_user)
                return
            except (SQLAlchemyError, OSError):
                if attempt == SETTLE_ATTEMPTS - 1:
                    raise
                log.warning("could not record delivered messages; retrying")
                await asyncio.sleep(0.2 * 2**attempt)

    async def _settle_once(
        self,
        done: list[tuple[Outbox, Message | None]],
        retry: list[tuple[Outbox, timedelta]],
        blocked_user: int | None,
    ) -> None:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            if done:
                await session.execute(DELETE_SENT, {"ids": [r.id for r, _ in done]})
            for row, message in done:
                if row.tag and message is not None and self.on_tag is not None:
                    await self.on_tag(session, row.tag, message)
            for row, wait in retry:
                await session.execute(
                    update(Outbox)
                    .where(Outbox.id == row.id)
                    .values(
                        claimed_by=None,
                        lease_until=None,
                        not_before=now + max(wait, backoff(row.attempts)),
                        attempts=Outbox.attempts + 1,
                    )
                )
            if blocked_user is not None:
                await mark_blocked(session, blocked_user, now)

    async def send_direct(self, items: Sequence[Direct]) -> None:
        """Best effort: a lost edit is cosmetic; files are made again on request."""
        for item in items:
            params: dict[str, Any] = dict(item.params)
            for name, (filename, content) in item.files.items():
                params[name] = InputFile(content, filename=filename)
            try:
                await self.bot.do_api_request(item.method, api_kwargs=params)
            except Forbidden:
                self._count(item.method, "403")
                async with self.sessions() as session, session.begin():
                    await mark_blocked(session, int(item.params["chat_id"]), self.clock.now())
                return
            except BadRequest as exc:
                # "message is not modified" after a double tap is expected and harmless.
                self._count(item.method, "400")
                log.debug("Telegram refused %s: %s", item.method, exc.message)
            except TelegramError as exc:
                self._count(item.method, type(exc).__name__)
                log.warning("could not %s: %s", item.method, type(exc).__name__)

    async def sweep(self, limit: int = 200) -> int:
        """Deliver rows left behind by a crash or a retryable error; returns how many."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            ids = (
                select(Outbox.id)
                .where(
                    Outbox.not_before <= now,
                    or_(Outbox.lease_until.is_(None), Outbox.lease_until < now),
                )
                .order_by(Outbox.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            rows = list(
                (
                    await session.execute(
                        update(Outbox)
                        .where(Outbox.id.in_(ids.scalar_subquery()))
                        .values(claimed_by=self.instance, lease_until=now + self.lease)
                        .returning(Outbox)
                    )
                ).scalars()
            )
        by_user: dict[int, list[Outbox]] = {}
        for row in sorted(rows, key=lambda r: r.id):
            by_user.setdefault(row.user_id, []).append(row)
        for user_rows in by_user.values():
            await self.send_rows(user_rows)
        return len(rows)


def sent_message(outcome: Message | str) -> Message | None:
    return outcome if isinstance(outcome, Message) else None


def repeatable(row: Outbox, outcome: Message | str) -> bool:
    """An edit Telegram applied: sending it again changes nothing. Not one that became a new
    message (SENT_ANEW), and not a tagged row, whose sent message is recorded."""
    return row.method.startswith("edit") and not row.tag and outcome != SENT_ANEW


def _as_text(params: dict[str, Any]) -> dict[str, Any]:
    text = {key: value for key, value in params.items() if key not in ("picture", "caption")}
    return {**text, "text": params.get("caption") or "…"}


async def mark_blocked(session: AsyncSession, user_id: int, now: datetime) -> None:
    """The person blocked the bot: send nothing more until they write again."""
    await session.execute(
        update(User).where(User.id == user_id).values(active=False, blocked_at=now)
    )
    await session.execute(delete(Outbox).where(Outbox.user_id == user_id))
    log.info("user %s blocked the bot; marked inactive", user_id)
