"""User-facing texts: flat key -> text maps, one YAML file per feature under content/texts/."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from pydantic import RootModel, field_validator

from content.loader import CONTENT_DIR, ContentError, load_file


class TextFile(RootModel[dict[str, str]]):
    @field_validator("root")
    @classmethod
    def _no_empty_texts(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not text.strip():
                raise ValueError(f"text {key!r} is empty")
        return value


def load_texts(directory: Path | None = None) -> Mapping[str, str]:
    """Merge every texts/*.yaml into one map; a key defined twice is an error."""
    folder = (directory or CONTENT_DIR) / "texts"
    merged: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        for key, text in load_file(TextFile, path.name, folder).root.items():
            if key in merged:
                raise ContentError(f"content file texts/{path.name}: field {key}: defined twice")
            merged[key] = text.strip()
    return merged


@cache
def texts() -> Mapping[str, str]:
    return load_texts()


def t(key: str, **values: object) -> str:
    """The text for ``key`` with ``{placeholders}`` filled in."""
    template = texts()[key]
    return template.format(**values) if values else template


def tn(key: str, count: int, **values: object) -> str:
    """``key.one`` for a count of 1, else ``key.many``, with ``{count}`` filled in."""
    return t(f"{key}.one" if count == 1 else f"{key}.many", count=count, **values)
