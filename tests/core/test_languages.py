"""Every language's content is complete and in step with English, and a gap stops start-up.

English is the source of truth: the table tests below hold every other language to its
levels, answer codes, doses and placeholders. The last tests break a copy of English in
each way a translation can go wrong and check the error names the file and the key.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.core import formats, routine, safety
from bot.core import triage as triage_core
from bot.flows import triage as triage_flow
from content import languages
from content.loader import CONTENT_DIR, ContentError
from content.schema.texts import load_texts, texts_of, tn

OTHERS = [code for code in languages.languages() if code != languages.SOURCE_LANGUAGE]
EVERY = list(languages.languages())


def test_spanish_and_german_are_offered() -> None:
    assert {"en", "es", "de"} <= set(languages.languages())
    assert languages.languages()["es"].name == "Español"
    assert languages.languages()["de"].name == "Deutsch"


@pytest.mark.parametrize("code", OTHERS)
def test_every_language_passes_the_start_up_check(code: str) -> None:
    languages.check_language(code)


@pytest.mark.parametrize("code", OTHERS)
def test_every_question_keeps_english_levels_and_answers(code: str) -> None:
    with languages.speaking("en"):
        english = triage_core.load_bank()
        english_buttons = [triage_flow.answer_keyboard(q.id) for q in english.questions]
    with languages.speaking(code):
        translated = triage_core.load_bank()
        buttons = [triage_flow.answer_keyboard(q.id) for q in translated.questions]
    assert [q.id for q in translated.questions] == [q.id for q in english.questions]
    for mine, theirs in zip(translated.questions, english.questions, strict=True):
        assert (mine.level, mine.condition, mine.regions, mine.ask_if) == (
            theirs.level,
            theirs.condition,
            theirs.regions,
            theirs.ask_if,
        )
        assert mine.text != theirs.text, f"{code}: {mine.id} is not translated"
    assert translated.rules == english.rules or [r.id for r in translated.rules] == [
        r.id for r in english.rules
    ]
    # The same answer codes behind the buttons, in the same order; only the labels differ.
    codes = [[[data for _, data in row] for row in keyboard] for keyboard in buttons]
    english_codes = [[[data for _, data in row] for row in kb] for kb in english_buttons]
    assert codes == english_codes


@pytest.mark.parametrize("code", OTHERS)
def test_every_stretch_keeps_english_dose_and_exclusions(code: str) -> None:
    with languages.speaking("en"):
        english = routine.load_library()
    with languages.speaking(code):
        translated = routine.load_library()
    assert translated.stretches.keys() == english.stretches.keys()
    for stretch_id, theirs in english.stretches.items():
        mine = translated.stretches[stretch_id]
        assert mine.excluded_for == theirs.excluded_for
        assert mine.modified_for.keys() == theirs.modified_for.keys()
        assert len(mine.steps) == len(theirs.steps)
        assert mine.name != theirs.name, f"{code}: {stretch_id} is not translated"


@pytest.mark.parametrize("code", OTHERS)
def test_no_text_is_left_in_english(code: str) -> None:
    """A text equal to English is a text nobody translated, unless it has no words."""
    english, translated = texts_of("en"), texts_of(code)
    same = [
        key
        for key, text in english.items()
        if translated[key] == text and any(ch.isalpha() for ch in text) and len(text) > 3
    ]
    # Names, symbols and words the languages share (e.g. "OK", "PDF") may stay.
    assert len(same) <= 12, same


@pytest.mark.parametrize("code", EVERY)
def test_dates_numbers_and_plurals_follow_the_language(code: str) -> None:
    from datetime import date, time

    with languages.speaking(code):
        day, half, sessions = (
            formats.day(date(2026, 12, 7)),
            formats.one_decimal(3.5),
            tn("progress.pdf.sessions", 2),
        )
        clock = formats.clock(time(7, 30))
    expected_day = {"en": "7 Dec 2026", "es": "7 dic 2026", "de": "7. Dez. 2026"}
    assert day == expected_day.get(code, day)
    assert half == ("3.5" if code == "en" else "3,5")
    assert "2" in sessions
    assert clock in ("07:30", "7:30")


@pytest.mark.parametrize(
    ("tag", "language"),
    [("es", "es"), ("es-419", "es"), ("de-AT", "de"), ("DE", "de"), ("pt-br", "en"), (None, "en")],
)
def test_telegram_language_code_chooses_the_language(tag: str | None, language: str) -> None:
    assert languages.from_telegram(tag) == language


def test_a_language_the_bot_does_not_have_falls_back_to_english() -> None:
    with languages.speaking("xx"):
        assert languages.current() == "en"


# --- a broken translation stops start-up, naming the file and the key ------------------------
def _copy_of_english(tmp_path: Path) -> Path:
    folder = tmp_path / "xx"
    shutil.copytree(CONTENT_DIR / "texts", folder / "texts")
    for name in languages.LOCALISED_FILES:
        shutil.copy(CONTENT_DIR / name, folder / name)
    (folder / "language.yaml").write_text("name: Test\nlocale: fr\nreview: not_reviewed\n")
    return folder


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_an_untouched_copy_of_english_passes(tmp_path: Path) -> None:
    languages.check_folder(_copy_of_english(tmp_path), "locales/xx")


def test_a_missing_text_is_named(tmp_path: Path) -> None:
    folder = _copy_of_english(tmp_path)
    _edit(folder / "texts" / "session.yaml", lambda d: d.pop("session.intro"))
    with pytest.raises(
        ContentError, match=r"locales/xx/texts/session.yaml: field session.intro: missing"
    ):
        languages.check_folder(folder, "locales/xx")


def test_a_lost_placeholder_is_named(tmp_path: Path) -> None:
    folder = _copy_of_english(tmp_path)
    _edit(
        folder / "texts" / "triage.yaml",
        lambda d: d.update({"triage.outcome_emergency": "Call now."}),
    )
    with pytest.raises(
        ContentError, match=r"triage.yaml: field triage.outcome_emergency: placeholders"
    ):
        languages.check_folder(folder, "locales/xx")


def test_a_changed_level_is_named(tmp_path: Path) -> None:
    folder = _copy_of_english(tmp_path)
    _edit(folder / "triage.yaml", lambda d: d["questions"][0].update({"level": "SEE_GP"}))
    first = yaml.safe_load((CONTENT_DIR / "triage.yaml").read_text())["questions"][0]["id"]
    with pytest.raises(
        ContentError, match=rf"locales/xx/triage.yaml: field questions.{first}.level"
    ):
        languages.check_folder(folder, "locales/xx")


def test_a_dropped_checklist_line_is_named(tmp_path: Path) -> None:
    folder = _copy_of_english(tmp_path)

    def drop_a_line(data: dict) -> None:  # type: ignore[type-arg]
        text = data["questions"][0]["text"]
        data["questions"][0]["text"] = text.rsplit("\n•", 1)[0]

    _edit(folder / "triage.yaml", drop_a_line)
    with pytest.raises(
        ContentError, match=r"triage.yaml: field questions.\w+.text: the number of '•'"
    ):
        languages.check_folder(folder, "locales/xx")


def test_a_missing_step_is_named(tmp_path: Path) -> None:
    folder = _copy_of_english(tmp_path)
    _edit(folder / "stretches.yaml", lambda d: d["stretches"][1]["steps"].pop())
    with pytest.raises(
        ContentError, match=r"stretches.yaml: field stretches.\w+.steps: should have"
    ):
        languages.check_folder(folder, "locales/xx")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    folder = _copy_of_english(tmp_path)
    (folder / "faq.yaml").unlink()
    with pytest.raises(ContentError, match=r"locales/xx/faq.yaml: missing"):
        languages.check_folder(folder, "locales/xx")


def test_an_unknown_locale_is_named(tmp_path: Path) -> None:
    folder = _copy_of_english(tmp_path)
    (folder / "language.yaml").write_text("name: X\nlocale: zz_QQ\nreview: not_reviewed\n")
    with pytest.raises(ContentError, match=r"language.yaml: field locale"):
        languages.check_folder(folder, "locales/xx")


def test_a_language_may_add_the_plural_forms_it_needs(tmp_path: Path) -> None:
    folder = _copy_of_english(tmp_path)
    _edit(
        folder / "texts" / "progress.yaml",
        lambda d: d.update({"progress.pdf.sessions.few": "{count} x"}),
    )
    languages.check_folder(folder, "locales/xx")
    _edit(folder / "texts" / "progress.yaml", lambda d: d.update({"progress.pdf.invented": "x"}))
    with pytest.raises(ContentError, match=r"progress.pdf.invented: not in English"):
        languages.check_folder(folder, "locales/xx")


def test_english_texts_load() -> None:
    assert load_texts()["commands.language"]
    assert safety  # the safety net imports with every language's content in place


@pytest.mark.parametrize("code", EVERY)
def test_the_pain_export_has_a_heading_for_every_column(code: str) -> None:
    from bot.flows.privacy import PAIN_CSV_COLUMNS

    headings = texts_of(code)["privacy.mydata.csv_columns"].split(",")
    assert len(headings) == len(PAIN_CSV_COLUMNS)


def test_english_questions_keep_to_350_characters() -> None:
    """English is the shortest: it keeps the old limit, so translations have room."""
    with languages.speaking("en"):
        assert max(len(q.text) for q in triage_core.load_bank().questions) <= 350


# --- What people type is understood in their language, and English still works ----------
from bot.core.answers import Answer, parse_answer  # noqa: E402
from bot.core.controls import Control, parse_control, parse_hurt_place  # noqa: E402
from bot.core.pain import parse_pain  # noqa: E402
from bot.core.profile_text import parse_consent, parse_region  # noqa: E402
from bot.core.schedule import parse_days  # noqa: E402
from content.schema.common import Region  # noqa: E402

TYPED_ANSWERS = [
    ("es", "sí", Answer.YES),
    ("es", "Sí, un poco", Answer.YES),
    ("es", "no", Answer.NO),
    ("es", "para nada", Answer.NO),
    ("es", "no sé", Answer.UNSURE),
    ("es", "ni idea", Answer.UNSURE),
    ("es", "no estoy segura", Answer.UNSURE),
    ("es", "sí no sé", Answer.UNSURE),
    ("de", "ja", Answer.YES),
    ("de", "ja, ein bisschen", Answer.YES),
    ("de", "nein", Answer.NO),
    ("de", "nö", Answer.NO),
    ("de", "weiß nicht", Answer.UNSURE),
    ("de", "keine Ahnung", Answer.UNSURE),
    ("de", "vielleicht", Answer.UNSURE),
    ("es", "yes", Answer.YES),
    ("de", "not sure", Answer.UNSURE),
]


@pytest.mark.parametrize(("code", "typed", "expected"), TYPED_ANSWERS)
def test_a_typed_answer_is_read_in_the_persons_language(
    code: str, typed: str, expected: Answer
) -> None:
    with languages.speaking(code):
        assert parse_answer(typed) is expected


@pytest.mark.parametrize(
    ("code", "typed"), [("es", "sí pero solo a la izquierda"), ("de", "ja aber nur links")]
)
def test_an_answer_with_more_in_it_is_asked_again(code: str, typed: str) -> None:
    with languages.speaking(code):
        assert parse_answer(typed) is None


def test_spanish_words_mean_nothing_to_an_english_reader() -> None:
    """English people are read with English words only: "sí" is not their yes."""
    with languages.speaking("en"):
        assert parse_answer("nein") is None
        assert parse_pain("siete") is None


@pytest.mark.parametrize(
    ("code", "typed", "score"),
    [
        ("es", "siete", 7),
        ("es", "7 de 10", 7),
        ("es", "sin dolor", 0),
        ("es", "un 6 más o menos", 6),
        ("de", "sieben", 7),
        ("de", "7 von 10", 7),
        ("de", "keine Schmerzen", 0),
        ("de", "so etwa 4", 4),
        ("de", "7 oder 8", None),
        ("es", "7", 7),
    ],
)
def test_a_typed_pain_score_is_read_in_the_persons_language(
    code: str, typed: str, score: int | None
) -> None:
    with languages.speaking(code):
        assert parse_pain(typed) == score


@pytest.mark.parametrize(
    ("code", "typed", "consent"),
    [
        ("es", "sí, guárdalas", True),
        ("es", "no guardes nada", False),
        ("es", "bueno no sé", None),
        ("de", "ja, speichern", True),
        ("de", "bitte nichts speichern", False),
        ("de", "👍", None),
    ],
)
def test_consent_is_explicit_in_every_language(code: str, typed: str, consent: bool | None) -> None:
    with languages.speaking(code):
        assert parse_consent(typed) is consent


@pytest.mark.parametrize(
    ("code", "typed", "region"),
    [
        ("es", "zona lumbar", Region.LOWER_BACK),
        ("es", "ciática", Region.LOWER_BACK_LEG),
        ("es", "el cuello", Region.NECK),
        ("de", "unterer Rücken", Region.LOWER_BACK),
        ("de", "Ischias", Region.LOWER_BACK_LEG),
        ("de", "Nacken", Region.NECK),
    ],
)
def test_where_it_hurts_is_read_in_the_persons_language(
    code: str, typed: str, region: Region
) -> None:
    with languages.speaking(code):
        assert parse_region(typed) is region


@pytest.mark.parametrize(
    ("code", "typed", "control"),
    [
        ("es", "pausa", Control.PAUSE),
        ("es", "para", Control.STOP),
        ("es", "siguiente", Control.SKIP),
        ("es", "sigue", Control.GO),
        ("de", "Pause", Control.PAUSE),
        ("de", "stopp", Control.STOP),
        ("de", "überspringen", Control.SKIP),
        ("de", "weiter", Control.GO),
        ("de", "stop", Control.STOP),
    ],
)
def test_session_controls_are_read_in_the_persons_language(
    code: str, typed: str, control: Control
) -> None:
    with languages.speaking(code):
        assert parse_control(typed) is control


def test_a_control_with_a_symptom_is_not_a_control() -> None:
    with languages.speaking("es"):
        assert parse_control("para, se me duerme la pierna") is None


@pytest.mark.parametrize(
    ("code", "typed", "place"),
    [
        ("es", "me duele la pierna", "leg"),
        ("es", "en la mano", "arm"),
        ("de", "im Bein", "leg"),
        ("de", "der Nacken", "neck"),
        ("de", "vom Rücken ins Bein", "leg"),
    ],
)
def test_where_a_stretch_hurts_is_read_in_the_persons_language(
    code: str, typed: str, place: str
) -> None:
    with languages.speaking(code):
        assert parse_hurt_place(typed) == place


@pytest.mark.parametrize(
    ("code", "typed", "days"),
    [
        ("es", "todos los días", frozenset(range(7))),
        ("es", "lunes miércoles viernes", frozenset({0, 2, 4})),
        ("es", "entre semana", frozenset(range(5))),
        ("de", "jeden Tag", frozenset(range(7))),
        ("de", "Montag und Donnerstag", frozenset({0, 3})),
        ("de", "am Wochenende", frozenset({5, 6})),
    ],
)
def test_reminder_days_are_read_in_the_persons_language(
    code: str, typed: str, days: frozenset[int]
) -> None:
    with languages.speaking(code):
        assert parse_days(typed) == days


@pytest.mark.parametrize(
    ("typed", "hour"), [("19 Uhr", 19), ("um 7:30 Uhr", 7), ("a las 19:00", 19), ("20h", 20)]
)
def test_times_are_read_the_way_spanish_and_german_write_them(typed: str, hour: int) -> None:
    from bot.core.schedule import parse_time

    found = parse_time(typed)
    assert found is not None and found.hour == hour


def test_lists_in_a_sentence_use_the_languages_own_and() -> None:
    from babel.lists import format_list

    for code, word in (("en", " and "), ("es", " y "), ("de", " und ")):
        with languages.speaking(code):
            assert word in format_list(["a", "b"], locale=languages.locale())


@pytest.mark.parametrize("code", EVERY)
def test_picture_labels_use_only_letters_the_picture_font_can_draw(code: str) -> None:
    """Pillow's own font draws a box for "é" or "ü": a label with one would show it."""
    from PIL import ImageFont

    font = ImageFont.load_default(size=40)
    missing = bytes(font.getmask("\u4e00"))  # a character the font surely lacks
    for key in ("picture.start", "picture.hold", "picture.keep_going"):
        label = texts_of(code)[key]
        assert all(bytes(font.getmask(char)) != missing for char in label if char != " "), label
