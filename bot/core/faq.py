"""Is a typed message a simple question the content answers? ("how long do I hold it?")

Only questions count: a "?" or a question word first, so "I hold it for ages" is no
question. The first entry of content/faq.yaml with a matching pattern answers.
"""

from __future__ import annotations

import re

from content.languages import localised
from content.schema.faq import FaqFile

_QUESTION_START = re.compile(
    r"^(?:can|could|how|is|are|should|shall|do|does|what|when|where|why|may|am|will|would)\b"
)


def answer_for(text: str) -> str | None:
    """The short answer to ``text``, or None when it is not a question the content knows."""
    plain = " ".join(text.casefold().replace("'", "").replace("’", "").split())
    if "?" not in plain and not _QUESTION_START.match(plain):
        return None
    for entry in localised(FaqFile, "faq.yaml").answers:
        if any(re.search(pattern, plain) for pattern in entry.patterns):
            return entry.answer
    return None
