"""The bot in the person's language, end to end over HTTP (issue #19).

"No English string appears" is checked against the English texts themselves: every literal
stretch of an English template (the words between its placeholders, 12 characters or more)
that the other language does not share must not appear in anything the bot sent: message
texts, captions, button labels, toasts, and the words of the PDF report.
"""

from __future__ import annotations

import io
import re
import string
from collections.abc import Iterable
from typing import Any

import pytest
from pypdf import PdfReader

from bot.db.models import Dialog, User
from content import languages
from content.loader import read_yaml
from content.schema.texts import texts_of
from tests.e2e.conftest import Harness
from tests.e2e.helpers import button, eventually, has_button, rows, tap
from tests.emulator.chats import StoredMessage
from tests.journeys import JOURNEYS, is_pdf, run_journey

MIN_CHUNK = 12


def _chunks(template: str) -> Iterable[str]:
    """The literal parts of a template, HTML tags and emoji dropped."""
    for literal, *_ in string.Formatter().parse(template):
        for piece in re.split(r"<[^>]+>|\n|[^\w\s,.'’:;!?()-]", literal):
            piece = " ".join(piece.split())
            if len(piece) >= MIN_CHUNK:
                yield piece


def _content_texts(data: Any, spec: languages.FileSpec, inside: bool = False) -> Iterable[str]:
    """Every text of a content file: the values under the keys its spec names as texts."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _content_texts(value, spec, inside or key in spec.texts)
    elif isinstance(data, list):
        for item in data:
            yield from _content_texts(item, spec, inside)
    elif inside and isinstance(data, str):
        yield data


def all_texts(code: str) -> list[str]:
    """Texts, safety questions, stretches, FAQ answers, labels: all a person can be shown."""
    found = list(texts_of(code).values())
    for filename, spec in languages.LOCALISED_FILES.items():
        found.extend(_content_texts(read_yaml(languages.folder_of(code) / filename), spec))
    return found


def english_only_chunks(code: str) -> set[str]:
    """English stretches of text found nowhere in the other language ("osteoporosis" is
    Spanish too, so it does not count)."""
    theirs = "\n".join(all_texts(code))
    return {chunk for text in all_texts("en") for chunk in _chunks(text) if chunk not in theirs}


def chunks_of(code: str) -> set[str]:
    return {chunk for text in all_texts(code) for chunk in _chunks(text)}


def everything_shown(messages: Iterable[StoredMessage]) -> list[str]:
    shown = []
    for message in messages:
        shown.append(message.text)
        shown.extend(str(b["text"]) for row in message.inline_keyboard for b in row)
    return shown


def english_in(shown: Iterable[str], code: str) -> list[tuple[str, str]]:
    leftovers = english_only_chunks(code)
    found = []
    for text in shown:
        plain = " ".join(re.sub(r"<[^>]+>", " ", text).split())
        found.extend((chunk, plain[:80]) for chunk in leftovers if chunk in plain)
    return found


def journey(slug: str):  # type: ignore[no-untyped-def]
    return next(j for j in JOURNEYS if j.slug == slug)


# --- Spanish: the check, a session and the report, with no English ----------------------------
async def test_a_spanish_person_goes_through_check_session_and_report_in_spanish(
    harness: Harness,
) -> None:
    person = await run_journey(harness, journey("4-es-lumbar"), 19001, quiet=0.3)
    messages = person.user.messages()
    shown = everything_shown(messages)
    shown.extend(answer.text or "" for answer in person.user.callback_answers())
    assert not english_in(shown, "es")
    # And it is Spanish, not silence: most messages carry a stretch of a Spanish text.
    spanish = chunks_of("es")
    texts = [m.text for m in messages if m.text]
    assert sum(any(chunk in m for chunk in spanish) for m in texts) >= len(texts) * 0.6
    report = next(m for m in messages if is_pdf(m))
    assert report.data["document"]["file_name"].startswith("registro-de-autocuidado-")
    pdf = PdfReader(io.BytesIO(harness.emulator.files.of_message(report)))
    words = " ".join(page.extract_text() for page in pdf.pages)
    assert not english_in([words], "es"), english_in([words], "es")[:3]
    assert "Sesiones" in words or "sesiones" in words
    stored = (await rows(harness, User, id=19001))[0]
    assert stored.language == "es"


# --- German: a cauda equina sign mid-session gets German emergency advice ----------------------
async def test_a_german_cauda_equina_sign_mid_session_gets_german_emergency_advice(
    harness: Harness,
) -> None:
    person = await run_journey(harness, journey("5-de-warnzeichen"), 19002, quiet=0.3)
    said = [m.text for m in person.user.messages()]
    typed = next(i for i, line in enumerate(person.lines) if line.startswith("> 👤 seit heute"))
    assert any("ss:pause:" in line or "Pause" in line for line in person.lines[:typed])
    advice = [text for text in said if text.startswith("🚨")]
    assert advice, said[-4:]
    # First and unmistakable: the German emergency advice, with 112 first.
    german = re.sub(r"<[^>]+>", "", texts_of("de")["triage.outcome_emergency"])
    assert advice[0].startswith(german.split("{numbers}")[0].strip()), advice[0]
    assert advice[0].index("112") < advice[0].index("999")
    assert not english_in(said, "de")
    # No stretch after it: the session ended, and /stretch is refused, in German.
    blocked = said[-1]
    assert blocked.startswith("🚨"), blocked
    refusal = re.sub(r"<[^>]+>", "", texts_of("de")["triage.still_blocked.EMERGENCY"])
    assert refusal.split("{numbers}")[0].strip() in blocked
    assert texts_of("de")["session.summary.next"].split("\n")[0] not in "\n".join(said)
    last = person.user.messages()[-1]
    assert not has_button("ss:start:")(last)


# --- Switching language keeps the state --------------------------------------------------------
async def test_switching_language_mid_check_keeps_the_answers_and_asks_again_in_the_new_one(
    harness: Harness,
) -> None:
    user = harness.user(19003)
    await user.send("/start")
    await user.press(await user.wait_for(has_button("ob:consent:")), callback_data="ob:consent:yes")
    await user.press(
        await user.wait_for(has_button("ob:region:")), callback_data="ob:region:lower_back"
    )
    await user.press(await user.wait_for(has_button("ob:age:")), callback_data="ob:age:16_49")
    first = await user.wait_for(has_button("tq:"))
    first_id = button(first, "tq:").split(":")[1]
    await user.press(first, callback_data=button(first, "tq:")[:-1] + "n")
    second = await user.wait_for(has_button("tq:"))
    pending = button(second, "tq:").split(":")[1]
    before = (await rows(harness, Dialog, user_id=19003))[0].data

    await user.send("/language")
    menu = await user.wait_for(has_button("lang:"))
    labels = [str(b["text"]) for row in menu.inline_keyboard for b in row]
    assert "✓ English" in labels and "Español" in labels and "Deutsch" in labels
    await user.press(menu, callback_data="lang:es")
    again = await user.wait_for(has_button("tq:"))
    assert button(again, "tq:").split(":")[1] == pending
    with languages.speaking("es"):
        from bot.core.triage import load_bank

        spanish = next(q for q in load_bank().questions if q.id == pending)
    assert spanish.text.split("\n")[0] in again.text
    after = (await rows(harness, Dialog, user_id=19003))[0].data
    assert after["answers"] == before["answers"]
    assert (await rows(harness, User, id=19003))[0].language == "es"
    # Answering the question asked again carries on: the third question comes in Spanish,
    # with both earlier answers kept.
    await user.press(again, callback_data=button(again, "tq:")[:-1] + "n")
    third = await user.wait_for(has_button("tq:"))
    third_id = button(third, "tq:").split(":")[1]
    assert third_id not in (pending, first_id)
    with languages.speaking("es"):
        third_text = next(q for q in load_bank().questions if q.id == third_id).text
    assert third_text.split("\n")[0] in third.text
    answers = (await rows(harness, Dialog, user_id=19003))[0].data["answers"]
    assert set(before["answers"]) | {pending} <= set(answers)


async def test_the_first_message_follows_the_telegram_language(harness: Harness) -> None:
    for user_id, code in ((19004, "de"), (19005, "es-419"), (19006, "pt-br")):
        user = harness.user(user_id, language_code=code)
        await user.send("/start")
        consent = await user.wait_for(has_button("ob:consent:"))
        expected = languages.from_telegram(code)
        assert any(
            chunk in consent.text
            for chunk in chunks_of(expected) - chunks_of("en" if expected != "en" else "es")
        ), (code, consent.text[:80])


async def test_a_forged_language_button_changes_nothing(harness: Harness) -> None:
    user = harness.user(19007, language_code="de")
    await user.send("/language")
    menu = await user.wait_for(has_button("lang:"))
    toast = await tap(harness, user, menu, "lang:xx")
    assert toast == texts_of("de")["common.stale_button"]
    assert (await rows(harness, User, id=19007))[0].language == "de"


@pytest.mark.parametrize("code", ["es", "de"])
async def test_the_command_menu_is_published_in_each_language(harness: Harness, code: str) -> None:
    profile = harness.emulator.state.profile

    async def all_published() -> bool:  # a moment after start (the bot answers first)
        return len(profile.commands) >= len(languages.languages())

    assert await eventually(all_published)
    published = profile.commands[f'{{"type": "default"}}|{code}']
    english = profile.commands['{"type": "default"}|']
    assert [c["command"] for c in published] == [c["command"] for c in english]
    assert "language" in [c["command"] for c in published]
    descriptions = {c["description"] for c in published}
    assert descriptions.isdisjoint({c["description"] for c in english})
    assert texts_of(code)["commands.stretch"] in descriptions


async def test_a_typed_si_to_a_warning_sign_is_a_yes_and_gets_spanish_emergency_advice(
    harness: Harness,
) -> None:
    """Typing, not tapping: "sí" to the cauda equina question is a yes, and the advice is
    the emergency one, in Spanish, with 112 first."""
    user = harness.user(19008, language_code="es")
    await user.send("/start")
    await user.send("sí")  # consent, typed
    await user.send("zona lumbar")
    await user.send("tengo 45")
    first = await user.wait_for(has_button("tq:"))
    assert button(first, "tq:").split(":")[1] == "cauda_equina_signs"
    await user.send("no sé")  # not sure: asked again? no, read as "not sure" and the check goes on
    second = await user.wait_for(has_button("tq:"))
    assert button(second, "tq:").split(":")[1] != "cauda_equina_signs"
    await user.send("sí")
    advice = await user.wait_for(lambda m: m.text.startswith("🚨"))
    assert advice.text.index("112") < advice.text.index("911")
    spanish = re.sub(r"<[^>]+>", "", texts_of("es")["triage.outcome_emergency"])
    assert advice.text.startswith(spanish.split("{numbers}")[0].strip())
