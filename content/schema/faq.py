"""Short, sourced answers to simple questions people type (content/faq.yaml).

Each entry has regular expressions that recognise the question, an answer of at most a
few sentences, and its source. A pattern that is not a valid regular expression fails at
load, naming the file and the field.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from content.schema.common import Strict


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


class Answer(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    patterns: tuple[Annotated[str, AfterValidator(_compiles)], ...] = Field(min_length=1)
    answer: Annotated[str, Field(min_length=10, max_length=300)]
    source: Annotated[str, Field(min_length=5)]


class FaqFile(Strict):
    # How a question starts in this language when it has no "?" ("how long ...", "wie lange ...").
    question_start: Annotated[str, AfterValidator(_compiles)]
    answers: tuple[Answer, ...] = Field(min_length=1)
