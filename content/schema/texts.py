"""User-facing texts: flat key -> text maps, one YAML file per feature under texts/.

English is ``content/texts/``; another language is ``content/locales/<code>/texts/`` with
the same files and keys (checked at start-up by content/languages.py). :func:`t` and
:func:`tn` answer in the current update's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from pydantic import RootModel, field_validator

from content import languages
from content.loader import CONTENT_DIR, ContentError, load_file


class TextFile(RootModel[dict[str, str]]):
    @field_validator("root")
    @classmethod
    def _no_empty_texts(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if not text.strip():
                raise ValueError(f"text {key!r} is empty")
        return value


def text_files(directory: Path | None = None) -> dict[str, dict[str, str]]:
    """File name -> that file's texts, for every texts/*.yaml under ``directory``."""
    folder = (directory or CONTENT_DIR) / "texts"
    return {
        path.name: {
            key: text.strip() for key, text in load_file(TextFile, path.name, folder).root.items()
        }
        for path in sorted(folder.glob("*.yaml"))
    }


def load_texts(directory: Path | None = None) -> Mapping[str, str]:
    """Merge every texts/*.yaml into one map; a key defined twice is an error."""
    merged: dict[str, str] = {}
    for name, file_texts in text_files(directory).items():
        for key, text in file_texts.items():
            if key in merged:
                raise ContentError(f"content file texts/{name}: field {key}: defined twice")
            merged[key] = text
    return merged


@cache
def texts_of(code: str) -> Mapping[str, str]:
    return load_texts(languages.folder_of(code))


def texts() -> Mapping[str, str]:
    """Every text in the current update's language."""
    return texts_of(languages.current())


def t(key: str, **values: object) -> str:
    """The text for ``key`` with ``{placeholders}`` filled in."""
    template = texts()[key]
    return template.format(**values) if values else template


def tn(key: str, count: int, **values: object) -> str:
    """``key.<plural category>`` for ``count`` in this language (CLDR: one, few, other...),
    falling back to ``key.other``, with ``{count}`` filled in."""
    category = languages.locale().plural_form(abs(count))
    chosen = f"{key}.{category}"
    return t(chosen if chosen in texts() else f"{key}.other", count=count, **values)
