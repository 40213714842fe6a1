"""What people type instead of tapping, per language: content/typed_words.yaml (English)
and content/locales/<code>/typed_words.yaml.

The parsers in bot/core (answers, pain, profile_text, controls, schedule) read English and
the person's language together (:func:`typed_words`), since people mix them: "ok", "stop"
and "no" are typed in every language. Words are matched as the parsers normalise a message:
lower case, accents and apostrophes dropped ("sí" = "si", "weiß" = "weiss"). Keys marked
"regex" hold regular expressions, checked at load.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from content import languages
from content.schema.common import Region, Strict


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


Words = tuple[str, ...]
Patterns = tuple[Annotated[str, AfterValidator(_compiles)], ...]
Place = Literal["arm", "leg", "neck", "back"]


class TypedWords(Strict):
    # A typed answer to a yes / no / not-sure question (bot/core/answers.py).
    unsure: Words
    no: Words
    yes: Words
    answer_fillers: Words
    # A pain score (bot/core/pain.py): the words for 0, 1, ... 10, in that order.
    pain_numbers: Annotated[tuple[Words, ...], Field(min_length=11, max_length=11)]
    no_pain: Words
    pain_fillers: Words
    out_of: Words  # "7 out of 10", "7 de 10", "7 von 10"
    # Consent to store health data (bot/core/profile_text.py): every word one of these,
    # one of them agreeing; a refusal pattern (regex) wins.
    consent_words: Words
    consent_agreeing: Words
    consent_refusing: Patterns
    regions: dict[Region, Patterns]
    under: Patterns  # "under 16", "menos de 16"
    # In a session (bot/core/controls.py).
    pause: Words
    go: Words
    skip: Words
    stop: Words
    control_fillers: Words
    commands: dict[str, Words]
    hurt_places: dict[Place, Patterns]
    # "No note" typed after a session (bot/flows/session.py), "done" in the day picker.
    no_note: Words
    days_done: Words
    # Reminder days (bot/core/schedule.py), besides the day names from CLDR.
    every_day: Words
    weekdays: Words
    weekend: Words
    day_fillers: Words


def plain(text: str) -> str:
    """Lower case, no accents, no apostrophes: how typed words are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    return letters.replace("'", "").replace("’", "")


@cache
def _of(code: str) -> TypedWords:
    return languages.localised_in(TypedWords, "typed_words.yaml", code)


@cache
def typed_words(code: str) -> TypedWords:
    """English's words with ``code``'s added, each normalised with :func:`plain`."""
    english = _of(languages.SOURCE_LANGUAGE)
    if code == languages.SOURCE_LANGUAGE:
        return _normalised(english)
    own = _of(code)
    merged: dict[str, object] = {}
    for name in TypedWords.model_fields:
        first, second = getattr(english, name), getattr(own, name)
        if name == "pain_numbers":
            merged[name] = tuple((*a, *b) for a, b in zip(first, second, strict=True))
        elif isinstance(first, dict):
            merged[name] = {
                key: (*first.get(key, ()), *second.get(key, ())) for key in {*first, *second}
            }
        else:
            merged[name] = (*first, *second)
    return _normalised(TypedWords.model_validate(merged))


def _normalised(words: TypedWords) -> TypedWords:
    def norm(value: object) -> object:
        if isinstance(value, str):
            return plain(value)
        if isinstance(value, tuple):
            return tuple(norm(item) for item in value)
        if isinstance(value, dict):
            return {key: norm(item) for key, item in value.items()}
        return value

    return TypedWords.model_validate(
        {name: norm(getattr(words, name)) for name in TypedWords.model_fields}
    )


def current() -> TypedWords:
    """The words for this update's language (and English)."""
    return typed_words(languages.current())
