"""Is a typed message a simple question the content answers? ("how long do I hold it?")

Only questions count: a "?" or a question word first, so "I hold it for ages" is no
question. The first entry of content/faq.yaml with a matching pattern answers.
"""

from __future__ import annotations

import re

from content.languages import localised
from content.schema.faq import FaqFile


def answer_for(text: str) -> str | None:
    """The short answer to ``text``, or None when it is not a question the content knows."""
    plain = " ".join(text.casefold().replace("'", "").replace("’", "").split())
    faq = localised(FaqFile, "faq.yaml")
    if "?" not in plain and not re.match(faq.question_start, plain):
        return None
    for entry in faq.answers:
        if any(re.search(pattern, plain) for pattern in entry.patterns):
            return entry.answer
    return None
