"""The languages the bot speaks, and the one the current update speaks.

English is the source of truth and lives at the top of ``content/``. Every other language
is a folder ``content/locales/<code>/`` with a ``language.yaml`` and a full copy of each
file in :data:`LOCALISED_FILES`, its human-readable strings translated. Adding a language
means adding that folder and nothing else.

The flow of one update: the runtime reads the person's stored language and calls
:func:`use` once, before any flow runs; every ``t()`` and every content accessor after that
(``localised(TriageBank, "triage.yaml")``) reads the language from a context variable. A
context variable, not a parameter, because texts are looked up in some 300 places across
flows and renderers and the language is the same for all of them within one update, just
as gettext-style libraries keep the active locale. Each asyncio task has its own copy, so
two people's updates never see each other's language.

:func:`check_all` runs at start-up: a translated file is compared with English field by
field. Ids, levels, numbers and list lengths must be equal; translated texts must keep the
same ``{placeholders}``, HTML tags and checklist bullets. Any gap stops start-up, naming
the file and the key.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel

from content.loader import CONTENT_DIR, ContentError, load_file, read_yaml
from content.schema.common import Strict

M = TypeVar("M", bound=BaseModel)

SOURCE_LANGUAGE = "en"
LOCALES_DIR = CONTENT_DIR / "locales"
# CLDR plural categories: a translation may add the ones its language needs ("few" in Polish).
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")


class LanguageFile(Strict):
    """``language.yaml``: how the language names itself, and who has reviewed it."""

    name: str  # on the language button, in the language itself: "Español"
    locale: str  # Babel locale for dates, times, numbers and plurals
    review: Literal["not_reviewed", "reviewed"]
    reviewed_by: str | None = None


@dataclass(frozen=True)
class FileSpec:
    """Which keys of a localised file hold texts, and which are the language's own."""

    # Values that are texts: a string, a list of strings, or a mapping of id -> string.
    texts: frozenset[str]
    # What people type, matched in their language (FAQ patterns, place names): anything valid.
    own: frozenset[str] = frozenset()


def _spec(texts: str, own: str = "") -> FileSpec:
    return FileSpec(frozenset(texts.split()), frozenset(own.split()))


# Every file a translation must have, besides texts/*.yaml (all of whose values are texts).
LOCALISED_FILES: dict[str, FileSpec] = {
    "triage.yaml": _spec("sources text topic why"),
    "stretches.yaml": _spec("name steps feel cautions modified_for source"),
    "faq.yaml": _spec("answer source", own="patterns question_start"),
    "clearance.yaml": _spec("rationale source"),
    "emergency_numbers.yaml": _spec("where sources", own="default"),
    "timezones.yaml": _spec("label", own="places aliases ambiguous"),
    # What people type: every list is the language's own.
    "typed_words.yaml": _spec(
        "",
        own=" ".join(
            "unsure no yes answer_fillers pain_numbers no_pain pain_fillers out_of consent_words"
            " consent_agreeing consent_refusing regions under pause go skip stop control_fillers"
            " commands hurt_places no_note days_done every_day weekdays weekend day_fillers".split()
        ),
    ),
}

_current: ContextVar[str] = ContextVar("language", default=SOURCE_LANGUAGE)


# --- which languages, and which one now -------------------------------------------------
@cache
def languages() -> Mapping[str, LanguageFile]:
    """Code -> language, English first, then the folders under content/locales/."""
    found = {SOURCE_LANGUAGE: load_file(LanguageFile, "language.yaml")}
    for folder in sorted(LOCALES_DIR.iterdir()) if LOCALES_DIR.is_dir() else ():
        if folder.is_dir() and not folder.name.startswith(("_", ".")):
            found[folder.name] = load_file(LanguageFile, "language.yaml", folder)
    return found


def current() -> str:
    """The language of this update (English outside any)."""
    return _current.get()


def use(code: str) -> None:
    """Speak ``code`` for the rest of this task (one update, one timer)."""
    _current.set(code if code in languages() else SOURCE_LANGUAGE)


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Speak ``code`` inside the block only: a batch that writes to many people."""
    token = _current.set(code if code in languages() else SOURCE_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def from_telegram(language_code: str | None) -> str:
    """The language for Telegram's ``language_code`` (an IETF tag: "es", "de-AT", "pt-br")."""
    primary = (language_code or "").replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in languages() else SOURCE_LANGUAGE


@cache
def babel_locale(code: str) -> Locale:
    return Locale.parse(languages()[code].locale)


def locale() -> Locale:
    """Babel's locale for this update: dates, times, numbers, plural rules."""
    return babel_locale(current())


def folder_of(code: str) -> Path:
    return CONTENT_DIR if code == SOURCE_LANGUAGE else LOCALES_DIR / code


@cache
def _load(model: type[M], filename: str, code: str) -> M:
    return load_file(model, filename, folder_of(code))


def localised(model: type[M], filename: str) -> M:
    """``filename`` validated as ``model``, in this update's language."""
    return _load(model, filename, current())


def localised_in(model: type[M], filename: str, code: str) -> M:
    """``filename`` validated as ``model``, in ``code``'s language."""
    return _load(model, filename, code)


# --- the start-up check ----------------------------------------------------------------
_TAG = re.compile(r"</?[a-z]+>")


def _fields(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:  # an unmatched brace
        raise ValueError(f"broken placeholder: {exc}") from None


def _same_marks(english: str, translated: str) -> str | None:
    """Why ``translated`` cannot stand for ``english``, or None."""
    try:
        english_fields, translated_fields = _fields(english), _fields(translated)
    except ValueError as exc:
        return str(exc)
    if english_fields != translated_fields:
        return (
            f"placeholders {sorted(translated_fields)} differ from English {sorted(english_fields)}"
        )
    if Counter(_TAG.findall(english)) != Counter(_TAG.findall(translated)):
        return "HTML tags differ from English"
    if english.count("•") != translated.count("•"):
        return "the number of '•' checklist lines differs from English"
    if not translated.strip():
        return "empty"
    return None


def _compare_text(english: Any, translated: Any, where: str) -> Iterator[str]:
    if isinstance(english, str):
        if not isinstance(translated, str):
            yield f"{where}: should be a text"
        elif (problem := _same_marks(english, translated)) is not None:
            yield f"{where}: {problem}"
    elif isinstance(english, list):
        if not isinstance(translated, list) or len(translated) != len(english):
            yield f"{where}: should have {len(english)} items, like English"
        else:
            for index, (one, other) in enumerate(zip(english, translated, strict=True)):
                yield from _compare_text(one, other, f"{where}.{index}")
    elif isinstance(english, dict):
        yield from _compare_mapping(english, translated, where, _compare_text)
    elif english != translated:
        yield f"{where}: should be {english!r}, as in English"


def _compare_mapping(english: Any, translated: Any, where: str, compare: Any) -> Iterator[str]:
    if not isinstance(translated, dict):
        yield f"{where or '(top level)'}: should be a mapping"
        return
    for key in english:
        if key not in translated:
            yield f"{_join(where, key)}: missing"
    for key in translated:
        if key not in english:
            yield f"{_join(where, key)}: not in English"
    for key in english:
        if key in translated:
            yield from compare(english[key], translated[key], _join(where, key))


def _join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def compare_file(english: Any, translated: Any, spec: FileSpec, where: str = "") -> Iterator[str]:
    """Every difference between a translated file and English that the spec does not allow."""
    if isinstance(english, dict):
        if not isinstance(translated, dict):
            yield f"{where or '(top level)'}: should be a mapping"
            return
        for key in english:
            if key not in translated and key not in spec.own:
                yield f"{_join(where, key)}: missing"
        for key in translated:
            if key not in english:
                yield f"{_join(where, key)}: not in English"
        for key, value in english.items():
            if key not in translated or key in spec.own:
                continue
            if key in spec.texts:
                yield from _compare_text(value, translated[key], _join(where, key))
            else:
                yield from compare_file(value, translated[key], spec, _join(where, key))
    elif isinstance(english, list):
        if not isinstance(translated, list) or len(translated) != len(english):
            yield f"{where}: should have {len(english)} items, like English"
            return
        for index, (one, other) in enumerate(zip(english, translated, strict=True)):
            label = one.get("id", index) if isinstance(one, dict) else index
            yield from compare_file(one, other, spec, _join(where, label))
    elif english != translated:
        yield f"{where}: should be {english!r}, as in English"


def _plural_base(key: str) -> str | None:
    base, _, category = key.rpartition(".")
    return base if category in PLURAL_CATEGORIES else None


def compare_texts(english: Mapping[str, str], translated: Mapping[str, str]) -> Iterator[str]:
    """Same keys as English (plural keys may add their language's categories), same marks."""
    plural_bases = {base for key in english if (base := _plural_base(key)) is not None}
    for key, text in english.items():
        if key not in translated:
            yield f"{key}: missing"
        elif (problem := _same_marks(text, translated[key])) is not None:
            yield f"{key}: {problem}"
    for key in translated:
        if key not in english and _plural_base(key) not in plural_bases:
            yield f"{key}: not in English"


def check_language(code: str) -> None:
    """Raise ContentError naming the file and key of the first gap in ``code``'s content."""
    check_folder(folder_of(code), f"locales/{code}")


def check_folder(folder: Path, where: str) -> None:
    """``folder`` holds a complete translation of English, in step with it (see module doc)."""
    from content.schema.texts import load_texts, text_files

    language = load_file(LanguageFile, "language.yaml", folder)
    try:
        Locale.parse(language.locale)
    except (ValueError, UnknownLocaleError) as exc:
        raise ContentError(f"content file {where}/language.yaml: field locale: {exc}") from None
    english_texts = text_files(CONTENT_DIR)
    translated_texts = text_files(folder)
    for name, english in english_texts.items():
        if name not in translated_texts:
            raise ContentError(f"content file {where}/texts/{name}: missing")
        for problem in compare_texts(english, translated_texts[name]):
            raise ContentError(f"content file {where}/texts/{name}: field {problem}")
    for name in translated_texts.keys() - english_texts.keys():
        raise ContentError(f"content file {where}/texts/{name}: not in English")
    load_texts(folder)  # a key in two files
    for filename, spec in LOCALISED_FILES.items():
        english_data = read_yaml(CONTENT_DIR / filename)
        try:
            translated_data = read_yaml(folder / filename)
        except ContentError:
            raise ContentError(f"content file {where}/{filename}: missing or not YAML") from None
        for problem in compare_file(english_data, translated_data, spec):
            raise ContentError(f"content file {where}/{filename}: field {problem}")
        try:
            load_file(_models()[filename], filename, folder)
        except ContentError as exc:
            raise ContentError(
                str(exc).replace(f"file {filename}", f"file {where}/{filename}")
            ) from None


def _models() -> dict[str, type[BaseModel]]:
    # Imported here: the schemas import the loader, and some read other content files.
    from content.schema.clearance import ClearanceFile
    from content.schema.emergency import EmergencyNumbers
    from content.schema.faq import FaqFile
    from content.schema.stretches import StretchFile
    from content.schema.timezones import ZoneCatalogue
    from content.schema.triage import TriageBank
    from content.schema.typed_words import TypedWords

    return {
        "triage.yaml": TriageBank,
        "stretches.yaml": StretchFile,
        "faq.yaml": FaqFile,
        "clearance.yaml": ClearanceFile,
        "emergency_numbers.yaml": EmergencyNumbers,
        "timezones.yaml": ZoneCatalogue,
        "typed_words.yaml": TypedWords,
    }


def check_all() -> None:
    """Every language complete and in step with English, and valid under its schema."""
    from content.schema.texts import texts_of

    models = _models()
    assert models.keys() == LOCALISED_FILES.keys()
    for code in languages():
        if code != SOURCE_LANGUAGE:
            check_language(code)
        texts_of(code)
        for filename, model in models.items():
            _load(model, filename, code)
