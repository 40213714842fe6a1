"""Files: the bytes behind every file_id, what an image is, and a photo's sizes.

Every file either side sends is kept in the :class:`FileStore` under its file_id and its
download path (``/file/bot<token>/<file_path>``). A photo is stored once per size Telegram
would make (all sizes share the uploaded bytes), and sent again by any of its file_ids it is
the same photo. The bytes the bot uploads are counted by content, so a test can see a
picture uploaded twice where a file_id would have done.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.emulator.protocol import JsonDict

if TYPE_CHECKING:
    from tests.emulator.chats import StoredMessage


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG, GIF, BMP or WebP image; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"BM") and len(data) >= 26:
        width = int.from_bytes(data[18:22], "little", signed=True)
        return width, abs(int.from_bytes(data[22:26], "little", signed=True))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(
                data[27:30], "little"
            )
        if chunk == b"VP8 ":
            return (
                int.from_bytes(data[26:28], "little") & 0x3FFF,
                int.from_bytes(data[28:30], "little") & 0x3FFF,
            )
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            return int.from_bytes(data[i + 7 : i + 9], "big"), height
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


@dataclass
class StoredFile:
    """One uploaded file; every file_id Telegram hands out resolves to one of these."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)


# file_id prefixes close to Telegram's, so ids look like the real thing in logs.
_FILE_ID_PREFIX = {
    "photos": "AgAC",
    "documents": "BQAC",
    "stickers": "CAAC",
    "voice": "AwAC",
    "animations": "CgAC",
}


class FileStore:
    """Bytes of every photo, document, sticker and voice note, by file_id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)
        # Bytes the bot uploaded, by SHA-256: more than 1 is the same file uploaded again.
        self.uploads: Counter[str] = Counter()
        # A photo's sizes by any of their file_ids: re-sending by file_id shows the same photo.
        self.photo_sizes: dict[str, list[JsonDict]] = {}

    def uploaded(self, data: bytes) -> None:
        self.uploads[hashlib.sha256(data).hexdigest()] += 1

    def add(
        self,
        data: bytes,
        *,
        folder: str,
        extension: str,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        digest = hashlib.blake2b(f"{folder}{number}".encode(), digest_size=16).hexdigest()
        stored = StoredFile(
            file_id=f"{_FILE_ID_PREFIX.get(folder, 'BAAC')}AgAD{digest}{number}",
            file_unique_id=f"AQAD{number}",
            data=data,
            file_path=f"{folder}/file_{number}.{extension}",
            file_name=file_name,
            mime_type=mime_type,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def forget(self, file_id: str) -> None:
        """Tests: a file_id Telegram no longer accepts (another bot's, or expired)."""
        stored = self._by_id.pop(file_id, None)
        if stored is not None:
            self._by_path.pop(stored.file_path, None)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def read(self, file_id: str) -> bytes:
        """The bytes behind a file_id from any message (raises KeyError if unknown)."""
        return self._by_id[file_id].data

    def of_message(self, message: StoredMessage) -> bytes:
        """The bytes of a message's photo (largest size), document, sticker or voice note."""
        data = message.data
        if "photo" in data:
            return self.read(data["photo"][-1]["file_id"])
        for kind in ("document", "sticker", "voice", "audio", "video", "animation"):
            if kind in data:
                return self.read(data[kind]["file_id"])
        raise KeyError(f"message {message.message_id} has no file")

    def __getitem__(self, file_id: str) -> StoredFile:
        return self._by_id[file_id]

    def __contains__(self, file_id: object) -> bool:
        return file_id in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)


_PHOTO_SIDES = (90, 320, 800, 1280, 2560)


def photo_sizes(files: FileStore, data: bytes, width: int, height: int) -> list[JsonDict]:
    """PhotoSize list like Telegram's thumbnails (all sizes share the original bytes)."""
    longest = max(width, height, 1)
    sides = [side for side in _PHOTO_SIDES if side < longest] + [min(longest, 2560)]
    sizes = []
    for side in sides:
        scale = side / longest
        stored = files.add(data, folder="photos", extension="jpg", mime_type="image/jpeg")
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": max(1, round(len(data) * scale * scale)),
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            }
        )
    for size in sizes:
        files.photo_sizes[str(size["file_id"])] = sizes
    return sizes
