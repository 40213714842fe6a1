"""Files: the bytes behind every file_id, what an image is (Pillow), and a photo's sizes.

Every file either side sends is kept in the :class:`FileStore` under its file_id and its
download path (``/file/bot<token>/<file_path>``). A photo is stored once per size Telegram
would make (all sizes share the uploaded bytes), and sent again by any of its file_ids it is
the same photo. The bytes the bot uploads are counted by content, so a test can see a
picture uploaded twice where a file_id would have done.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from PIL import Image

from tests.emulator.protocol import JsonDict

if TYPE_CHECKING:
    from tests.emulator.chats import StoredMessage


# What sendPhoto takes, read by Pillow; anything else is refused as Telegram refuses it.
PHOTO_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP")


class Picture(NamedTuple):
    format: str  # Pillow's name: "PNG", "GIF", ...
    width: int
    height: int


def sniff_image(data: bytes, formats: tuple[str, ...] = PHOTO_FORMATS) -> Picture | None:
    """What image ``data`` is and its size, from its header (Pillow decodes no pixels);
    None when it is none of ``formats``, or has more pixels than Pillow will open (far past
    the 10,000 that a photo's width and height may add up to)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as image:
                return Picture(str(image.format), image.width, image.height)
    except (OSError, Image.DecompressionBombError):  # UnidentifiedImageError is an OSError
        return None


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid grey PNG, the default picture a person sends."""
    out = io.BytesIO()
    Image.new("L", (width, height), 128).save(out, format="PNG")
    return out.getvalue()


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
