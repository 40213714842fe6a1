"""Stretch pictures for the outbox: rendered once, uploaded once per bot, then a file_id.

A flow says ``unit.say_picture(...)``: the outbox row holds ``{"picture": {"stretch": id,
"kind": "still"|"motion"}}``, never bytes, so it stays small and survives a restart. At
send time :meth:`Pictures.prepare` turns that into the Bot API parameter:

1. the file_id this bot got for the same content hash (memory, then ``picture_uploads``);
2. otherwise the bytes: from the disk cache (``<cache>/<stretch>-<kind>-<hash>.png|gif``),
   rendered in a worker thread on first use; after Telegram accepts them,
   :meth:`Pictures.remember` stores the file_id it returned.

A refused file_id (another bot's, or one Telegram forgot) is forgotten and the bytes are
uploaded again. One upload per picture at a time per process: a second send of the same
picture waits for the first one's file_id instead of uploading it twice. Sending a
stretch's picture starts drawing its animation in the background, so "Start the hold" a
few seconds later finds it ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Message

from bot.db.models import PictureUpload
from content.languages import SOURCE_LANGUAGE, speaking

log = logging.getLogger(__name__)

KINDS = {"still": ("sendPhoto", "photo", "png"), "motion": ("sendAnimation", "animation", "gif")}


@dataclass(frozen=True)
class Prepared:
    """What to send for one picture row: the parameter's value and how it was resolved."""

    field: str
    value: str | tuple[str, bytes]  # a file_id, or (filename, bytes) to upload
    content_hash: str
    kind: str
    stretch_id: str
    language: str = SOURCE_LANGUAGE


# A picture's labels ("Start", "Hold") are drawn in the person's language: the language is
# part of the picture's name, given explicitly because a retry is sent from another task.
@cache
def content_hash(stretch_id: str, kind: str, language: str = SOURCE_LANGUAGE) -> str:
    from bot.render import stretch_pictures

    with speaking(language):
        return stretch_pictures.content_hash(stretch_pictures.pose_of(stretch_id), kind)


@lru_cache(maxsize=64)  # each picture drawn once per process, whatever the disk holds
def render(stretch_id: str, kind: str, language: str = SOURCE_LANGUAGE) -> bytes:
    from bot.render import stretch_pictures

    pose = stretch_pictures.pose_of(stretch_id)
    with speaking(language):
        if kind == "still":
            return stretch_pictures.render_still(pose)
        return stretch_pictures.render_animation(pose)


class Pictures:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cache_dir: Path,
        bot_id: int,
        now: Callable[[], datetime],
    ) -> None:
        self.sessions, self.cache_dir, self.bot_id, self.now = sessions, cache_dir, bot_id, now
        self.file_ids: dict[str, str] = {}
        self._uploading: dict[str, asyncio.Lock] = {}
        self.uploads = 0
        self.reused = 0
        self._warming: set[asyncio.Task[None]] = set()
        self._drawing: dict[str, asyncio.Future[bytes]] = {}

    def lock(self, digest: str) -> asyncio.Lock:
        return self._uploading.setdefault(digest, asyncio.Lock())

    async def prepare(self, picture: dict[str, Any]) -> Prepared:
        stretch_id, kind = str(picture["stretch"]), str(picture["kind"])
        language = str(picture.get("language", SOURCE_LANGUAGE))
        _method, field, extension = KINDS[kind]
        digest = content_hash(stretch_id, kind, language)
        file_id = self.file_ids.get(digest) or await self._stored(digest)
        if file_id:
            self.file_ids[digest] = file_id
            return Prepared(field, file_id, digest, kind, stretch_id, language)
        data = await self.bytes_of(stretch_id, kind, digest, extension, language)
        name = f"{stretch_id}.{extension}"
        return Prepared(field, (name, data), digest, kind, stretch_id, language)

    def _warm(self, stretch_id: str, kind: str, language: str) -> None:
        """Have ``kind``'s bytes on disk before they are asked for, unless Telegram has them."""
        digest = content_hash(stretch_id, kind, language)
        if digest in self.file_ids:
            return

        async def warm() -> None:
            try:
                file_id = await self._stored(digest)
                if file_id:
                    self.file_ids[digest] = file_id
                else:
                    await self.bytes_of(stretch_id, kind, digest, KINDS[kind][2], language)
            except Exception:  # only a head start: the send renders it if this failed
                log.debug("could not draw %s ahead", kind, exc_info=True)

        task = asyncio.create_task(warm())
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    async def _stored(self, digest: str) -> str | None:
        async with self.sessions() as session:
            return (
                await session.execute(
                    select(PictureUpload.file_id).where(
                        PictureUpload.bot_id == self.bot_id, PictureUpload.content_hash == digest
                    )
                )
            ).scalar()

    async def bytes_of(
        self,
        stretch_id: str,
        kind: str,
        digest: str,
        extension: str,
        language: str = SOURCE_LANGUAGE,
    ) -> bytes:
        """From the disk cache, or drawn once (a send and a head start share one drawing)."""
        path = self.cache_dir / f"{stretch_id}-{kind}-{digest}.{extension}"
        if path.exists():
            return path.read_bytes()
        drawing = self._drawing.get(digest)
        if drawing is None:
            drawing = self._drawing[digest] = asyncio.ensure_future(
                self._draw(stretch_id, kind, path, language)
            )
            drawing.add_done_callback(lambda _: self._drawing.pop(digest, None))
        return await asyncio.shield(drawing)

    async def _draw(self, stretch_id: str, kind: str, path: Path, language: str) -> bytes:
        data = await asyncio.to_thread(render, stretch_id, kind, language)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # whole files only, even if two processes render at once
        return data

    async def remember(self, prepared: Prepared, message: Message | None) -> None:
        """After a send: keep the file_id Telegram gave for an upload. After a stretch's
        picture, its animation is drawn (after: drawing it alongside would slow the picture)."""
        if prepared.kind == "still":
            self._warm(prepared.stretch_id, "motion", prepared.language)
        if not isinstance(prepared.value, tuple):
            self.reused += 1
            return
        self.uploads += 1
        file_id = file_id_of(message, prepared.field) if message is not None else None
        if file_id is None:
            return
        self.file_ids[prepared.content_hash] = file_id
        try:
            async with self.sessions() as session, session.begin():
                await session.merge(
                    PictureUpload(
                        bot_id=self.bot_id,
                        content_hash=prepared.content_hash,
                        kind=prepared.kind,
                        file_id=file_id,
                        uploaded_at=self.now(),
                    )
                )
        except IntegrityError:
            pass  # another instance stored it first: either file_id works

    async def forget(self, prepared: Prepared) -> None:
        """Telegram refused a stored file_id: upload the bytes next time."""
        self.file_ids.pop(prepared.content_hash, None)
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(PictureUpload).where(
                    PictureUpload.bot_id == self.bot_id,
                    PictureUpload.content_hash == prepared.content_hash,
                )
            )
        log.info("a stored picture file_id was refused; uploading it again")


def file_id_of(message: Message, field: str) -> str | None:
    if field == "photo":
        return message.photo[-1].file_id if message.photo else None
    return message.animation.file_id if message.animation else None
