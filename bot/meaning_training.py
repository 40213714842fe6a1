"""Train the safety net's second layer: ``make train-safety`` (``python -m bot.meaning_training``).

Reads the labelled messages (content/safety_meaning.yaml, and the statement files listed
in ``TRAINING_FILES``), embeds them with the same encoder the bot uses, fits a
multinomial logistic regression (scikit-learn, a development dependency only: the bot
itself needs nothing but numpy to apply it), and writes content/safety_meaning.npz with a
fingerprint of everything it learned from. tests/core/test_meaning.py fails when that
fingerprint no longer matches the content, so the weights never drift from their data.

A blind statement file is scored before it is ever added here: once trained on, it is a
regression set, not a measure.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import yaml

from bot.core import meaning
from bot.meaning import WEIGHTS_FILE, Encoder
from content.loader import CONTENT_DIR
from content.schema.meaning import BENIGN, MeaningContent, label_of

STATEMENTS = Path(__file__).resolve().parent.parent / "tests" / "core" / "data"
TRAINING_FILES = (
    "safety_statements.yaml",
    "safety_heldout_1.yaml",
    "safety_heldout_2.yaml",
    "safety_heldout_3.yaml",
    "safety_heldout_4.yaml",
    "safety_heldout_5.yaml",
    "safety_heldout_6.yaml",
    "safety_heldout_7.yaml",
    "safety_heldout_es.yaml",
    "safety_heldout_de.yaml",
)


def training_set(
    content: MeaningContent, files: tuple[str, ...] = TRAINING_FILES
) -> list[tuple[str, str]]:
    """(message, label) pairs: the content's examples, then each statement file's."""
    pairs = [(e.text, label_of(e.condition, e.level)) for e in content.red_flags]
    pairs += [(text, BENIGN) for text in content.benign]
    for name in files:
        data = yaml.safe_load((STATEMENTS / name).read_text(encoding="utf-8"))
        for statement in data["red_flags"]:
            pairs.append((statement["text"], f"{statement['condition']}:{statement['level']}"))
        pairs += [(text, BENIGN) for text in data["benign"]]
    return pairs


def fingerprint(pairs: list[tuple[str, str]], regularisation: float) -> str:
    digest = hashlib.sha256(json.dumps([pairs, regularisation]).encode("utf-8"))
    return digest.hexdigest()[:16]


def fit(
    embeddings: np.ndarray, labels: list[str], regularisation: float
) -> tuple[list[str], np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=regularisation, max_iter=5000)
    model.fit(embeddings, labels)
    return [str(label) for label in model.classes_], model.coef_, model.intercept_


def main() -> int:
    content = meaning.load_content()
    pairs = training_set(content)
    regularisation = content.thresholds.regularisation
    embeddings = Encoder().embed_many([text for text, _ in pairs])
    labels, weights, bias = fit(embeddings, [label for _, label in pairs], regularisation)
    np.savez_compressed(
        CONTENT_DIR / WEIGHTS_FILE,
        labels=np.array(labels),
        weights=weights.astype(np.float32),
        bias=bias.astype(np.float32),
        fingerprint=np.array(fingerprint(pairs, regularisation)),
    )
    print(f"trained on {len(pairs)} messages, {len(labels)} labels -> {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
