"""The progress chart (PNG) and the self-care record (PDF), checked as a person would see them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageStat

from bot.render import report
from bot.render.chart import BAR_COLOUR, PAIN_STYLES, render_progress_png
from bot.render.model import (
    HurtRow,
    PainKind,
    PainPoint,
    ProgressData,
    ReportData,
    SessionRow,
    TriageRow,
    WeekRow,
    local_wall_time,
)
from bot.render.report import MAX_PAGES, fit_text, render_report_pdf
from content.schema.common import Level, Region
from content.schema.texts import t, texts

REPO = Path(__file__).resolve().parents[2]
START = datetime(2025, 3, 3, 7, 30, tzinfo=UTC)  # a Monday


def sessions_over(days: int) -> tuple[SessionRow, ...]:
    return tuple(
        SessionRow(
            started_at=START + timedelta(days=day),
            completed=day % 4 != 3,
            stretches_done=6,
            stretches_skipped=day % 2,
            pain_before=7 - day // 3,
            pain_after=5 - day // 3 if day % 4 != 3 else None,
            level=1 + day // 7,
        )
        for day in range(days)
    )


def points_of(sessions: tuple[SessionRow, ...]) -> tuple[PainPoint, ...]:
    points = []
    for session in sessions:
        if session.pain_before is not None:
            points.append(PainPoint(session.started_at, session.pain_before, "before"))
        if session.pain_after is not None:
            end = session.started_at + timedelta(minutes=12)
            points.append(PainPoint(end, session.pain_after, "after"))
    return tuple(points)


def weeks_of(count: int) -> tuple[WeekRow, ...]:
    return tuple(
        WeekRow(date(2025, 3, 3) + timedelta(weeks=week), 6.0 - 1.5 * week, 5)
        for week in range(count)
    )


SESSIONS = sessions_over(10)
PROGRESS = ProgressData("Europe/London", points_of(SESSIONS), weeks_of(2))


def report_data(**changes: object) -> ReportData:
    base = {
        "name": "Sam",
        "generated_at": START + timedelta(days=14),
        "zone": "Europe/London",
        "region": Region.LOWER_BACK.value,
        "level": 2,
        "triage": (
            TriageRow(START - timedelta(days=1), Level.CHECK_FIRST.value, ("Has osteoporosis",)),
        ),
        "sessions": SESSIONS,
        "points": points_of(SESSIONS),
        "hurts": (HurtRow(START + timedelta(days=2), 6, "left hip", "sharp when I bent forward"),),
        "weeks": weeks_of(2),
    }
    base.update(changes)
    return ReportData(**base)  # type: ignore[arg-type]


def png(data: ProgressData) -> Image.Image:
    return Image.open(io.BytesIO(render_progress_png(data))).convert("RGB")


def pixels_of(image: Image.Image, colour: str) -> int:
    """How many pixels are exactly ``colour`` ("#RRGGBB"): the inside of markers and bars."""
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(count for count, rgb in image.getcolors(maxcolors=1 << 20) or [] if rgb == wanted)


def pdf_text(content: bytes) -> tuple[int, str]:
    """Page count and all text, whitespace collapsed so wrapped lines still match."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- The chart ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        PROGRESS,
        ProgressData("Europe/London", (), ()),
        ProgressData("Europe/London", (PainPoint(START, 4, "before"),), ()),
        ProgressData("Europe/London", (), weeks_of(1)),
        ProgressData("Not/AZone", points_of(sessions_over(3)), ()),
        ProgressData("Asia/Tokyo", points_of(sessions_over(200)), weeks_of(29)),
    ],
    ids=["a fortnight", "nothing yet", "one score", "weeks only", "unknown zone", "long history"],
)
def test_chart_is_a_portrait_phone_sized_picture_with_content(data: ProgressData) -> None:
    image = png(data)
    width, height = image.size
    assert width >= 800
    assert height > width  # portrait, fills a phone screen
    # Not a blank canvas: title, axes and labels make the pixels vary.
    assert max(ImageStat.Stat(image.convert("L")).stddev) > 20


@pytest.mark.parametrize("kind", list(PAIN_STYLES))
def test_each_kind_of_pain_score_is_drawn_in_its_own_colour(kind: PainKind) -> None:
    colour = PAIN_STYLES[kind].colour
    with_score = png(ProgressData("UTC", (PainPoint(START, 5, kind),), ()))
    without = png(ProgressData("UTC", (), ()))
    assert pixels_of(with_score, colour) > 30
    assert pixels_of(without, colour) == 0


def test_sessions_per_week_are_drawn_as_bars() -> None:
    assert pixels_of(png(ProgressData("UTC", (), weeks_of(2))), BAR_COLOUR) > 1000
    no_sessions = (WeekRow(date(2025, 3, 3), None, 0),)
    assert pixels_of(png(ProgressData("UTC", (), no_sessions)), BAR_COLOUR) == 0


def test_chart_marker_colours_are_all_different() -> None:
    colours = [style.colour for style in PAIN_STYLES.values()] + [BAR_COLOUR]
    markers = [style.marker for style in PAIN_STYLES.values()]
    assert len(set(colours)) == len(colours)
    assert len(set(markers)) == len(markers)  # colour is never the only cue


def test_charts_drawn_at_once_from_several_threads_all_come_out_whole() -> None:
    results: list[bytes] = []

    def draw() -> None:
        results.append(render_progress_png(PROGRESS))

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert len(set(results)) == 1  # same data, same picture: no thread spoilt another's


@pytest.mark.parametrize(
    ("moment", "zone", "shown"),
    [
        (datetime(2025, 3, 2, 23, 30, tzinfo=UTC), "Asia/Tokyo", datetime(2025, 3, 3, 8, 30)),
        (datetime(2025, 7, 1, 12, 0, tzinfo=UTC), "Europe/London", datetime(2025, 7, 1, 13, 0)),
        (datetime(2025, 7, 1, 12, 0), "America/New_York", datetime(2025, 7, 1, 8, 0)),
        (datetime(2025, 7, 1, 12, 0, tzinfo=UTC), "UTC+05:30", datetime(2025, 7, 1, 17, 30)),
        (datetime(2025, 7, 1, 12, 0, tzinfo=UTC), "UTC-03:00", datetime(2025, 7, 1, 9, 0)),
        (datetime(2025, 7, 1, 12, 0, tzinfo=UTC), "Not/AZone", datetime(2025, 7, 1, 12, 0)),
    ],
    ids=[
        "next day in Tokyo",
        "summer time",
        "naive is UTC",
        "half-hour offset typed by the person",
        "offset west of UTC",
        "unknown zone is UTC",
    ],
)
def test_times_are_shown_on_the_persons_own_clock(
    moment: datetime, zone: str, shown: datetime
) -> None:
    assert local_wall_time(moment, zone) == shown


# --- The record --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def record() -> tuple[int, str]:
    return pdf_text(render_report_pdf(report_data()))


def test_record_is_one_or_two_pages_with_title_and_the_chatbot_statement(
    record: tuple[int, str],
) -> None:
    pages, text = record
    assert 1 <= pages <= MAX_PAGES
    assert t("progress.pdf.title") in text
    assert one_line(t("progress.pdf.disclaimer")) in text
    assert "17 Mar 2025" in text  # the date it was made


def test_record_shows_the_persons_pain_scores_with_their_dates(record: tuple[int, str]) -> None:
    _, text = record
    for session in SESSIONS:
        local = local_wall_time(session.started_at, "Europe/London")
        after = "-" if session.pain_after is None else str(session.pain_after)
        row = f"{local.day} {local:%b %Y}, {local:%H:%M} {session.pain_before} {after}"
        assert row in text


def test_record_shows_region_level_safety_checks_sessions_and_hurts(
    record: tuple[int, str],
) -> None:
    _, text = record
    assert t("progress.pdf.region", region=t("progress.pdf.region.lower_back")) in text
    assert t("progress.pdf.programme_level", level=2) in text
    assert "2 Mar 2025, 07:30" in text  # the safety check, on the person's clock
    assert one_line(t("progress.pdf.outcome.CHECK_FIRST")) in text
    assert "Has osteoporosis" in text
    finished = sum(session.completed for session in SESSIONS)
    assert f"10 sessions started, {finished} finished. 60 stretches done, 5 skipped." in text
    assert "left hip" in text
    assert "sharp when I bent forward" in text
    assert "4.5" in text  # the second week's average


def test_record_for_a_newcomer_says_what_is_missing() -> None:
    empty = report_data(name=None, triage=(), sessions=(), points=(), hurts=(), weeks=())
    pages, text = pdf_text(render_report_pdf(empty))
    assert pages == 1
    assert t("progress.pdf.sessions_none") in text
    assert t("progress.pdf.hurts_none") in text
    assert t("progress.pdf.triage_none") in text


def test_a_long_history_still_fits_two_pages_and_says_what_was_left_out() -> None:
    sessions = sessions_over(150)
    many_findings = tuple(f"Answer number {n}, in a fairly long line of words" for n in range(12))
    long = report_data(
        name="A" * 300,
        sessions=sessions,
        points=points_of(sessions),
        triage=tuple(
            TriageRow(START + timedelta(days=7 * n), Level.SEE_GP.value, many_findings)
            for n in range(20)
        ),
        hurts=tuple(
            HurtRow(START + timedelta(days=n), 7, "lower back " * 10, "it hurt " * 80)
            for n in range(30)
        ),
        weeks=weeks_of(22),
    )
    pages, text = pdf_text(render_report_pdf(long))
    assert pages == MAX_PAGES
    left_out = [int(n) for n in re.findall(r"\.\.\. and (\d+) more", text)]
    assert left_out, "the record must say it left rows out"
    assert max(left_out) >= 100  # most of the 150 sessions
    newest = local_wall_time(sessions[-1].started_at, "Europe/London")
    assert f"{newest.day} {newest:%b %Y}" in text  # the newest rows are the ones kept


def test_every_triage_outcome_is_written_in_plain_words() -> None:
    checks = tuple(
        TriageRow(START + timedelta(days=n), level.value, ()) for n, level in enumerate(Level)
    )
    _, text = pdf_text(render_report_pdf(report_data(triage=checks)))
    for level in Level:
        assert one_line(t(f"progress.pdf.outcome.{level.value}")) in text
        assert f": {level.value}" not in text  # no raw code shown to the reader


@pytest.mark.parametrize("region", list(Region))
def test_every_region_has_a_plain_name_in_the_record(region: Region) -> None:
    assert f"progress.pdf.region.{region.value}" in texts()
    assert "_" not in t(f"progress.pdf.region.{region.value}")


def test_a_cyrillic_name_is_written_as_given_and_other_scripts_do_not_break_it() -> None:
    pages, text = pdf_text(render_report_pdf(report_data(name="Олена Zoë 张伟 😀")))
    assert pages >= 1
    assert "Олена Zoë" in text


def test_without_a_unicode_font_names_are_folded_to_latin1_not_crashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report, "_unicode_fonts", lambda: None)
    name = "Łukasz Ő’Brien Олена"
    _, text = pdf_text(render_report_pdf(report_data(name=name)))
    assert "?ukasz O'Brien ?????" in text
    assert one_line(t("progress.pdf.disclaimer")) in text


@pytest.mark.parametrize(
    ("text", "latin1"),
    [
        ("Zoë Müller", "Zoë Müller"),
        ("Łukasz", "?ukasz"),
        ("Őrs", "Ors"),
        ("it’s “fine” – really…", 'it\'s "fine" - really...'),
        ("张伟", "??"),
    ],
)
def test_text_a_font_cannot_show_gets_a_plain_stand_in(text: str, latin1: str) -> None:
    assert fit_text(text, lambda char: ord(char) < 256) == latin1


# --- Start-up cost -----------------------------------------------------------------------


def test_importing_the_renderers_does_not_load_matplotlib_or_fpdf() -> None:
    probe = (
        "import sys, bot.render.chart, bot.render.report; "
        "print(sorted(m for m in ('matplotlib', 'fpdf') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


# --- Chat texts --------------------------------------------------------------------------

CHAT_TEXTS = {
    "progress.empty": {},
    "progress.chart_caption": {},
    "progress.summary.sessions_week": {"count": 3},
    "progress.summary.streak": {"days": 4},
    "progress.summary.average": {"average": "4.5"},
    "progress.summary.no_average": {},
    "progress.summary.change_down": {"points": "1.5"},
    "progress.summary.change_up": {"points": "1.5"},
    "progress.summary.change_same": {},
    "progress.improved": {"before": "6.5", "after": "4.0"},
    "progress.good_session": {"before": 6, "after": 4},
    "progress.unchanged": {},
    "progress.worse": {"before": "4.0", "after": "6.5"},
    "progress.report.making": {},
    "progress.report.caption": {},
    "progress.report.empty": {},
}


@pytest.mark.parametrize(("key", "values"), CHAT_TEXTS.items())
def test_chat_texts_fill_in_and_use_only_telegram_safe_tags(
    key: str, values: dict[str, object]
) -> None:
    text = t(key, **values)
    assert "{" not in text  # every placeholder filled
    for value in values.values():
        assert str(value) in text
    assert set(re.findall(r"</?(\w+)", text)) <= {"b", "i"}


@pytest.mark.parametrize(
    "key", [key for key in texts() if key.startswith(("progress.chart.", "progress.pdf."))]
)
def test_chart_and_record_texts_have_no_markup(key: str) -> None:
    assert "<" not in t(key)


def test_no_data_suggests_a_session_and_worse_offers_a_safety_recheck() -> None:
    assert "/stretch" in t("progress.empty")
    assert "/stretch" in t("progress.report.empty")
    worse = t("progress.worse", before="4.0", after="6.5")
    assert "/checkup" in worse
    assert "GP" in worse  # where to go if it keeps getting worse
    assert "not a medical assessment" in t("progress.report.caption")


def test_one_session_gives_no_future_days_and_coinciding_scores_both_show() -> None:
    from matplotlib.dates import date2num

    from bot.render.chart import draw_figure

    # A Wednesday morning, in the week starting Monday: before 5, after 5, same minute.
    at = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)
    data = ProgressData(
        "UTC",
        (PainPoint(at, 5, "before"), PainPoint(at, 5, "after")),
        (WeekRow(date(2025, 3, 3), 5.0, 1),),
    )
    fig = draw_figure(data)
    pain_ax = fig.axes[0]
    latest = date2num(at.replace(tzinfo=None))
    assert pain_ax.get_xlim()[1] - latest < 0.5, "the axis ends with the session, not a week on"
    [average] = pain_ax.get_lines()
    assert max(average.get_xdata()) <= latest, "the weekly dot is not in the future"
    before, after = pain_ax.collections[:2]
    xs = [c.get_offset_transform().transform((latest, 5))[0] for c in (before, after)]
    assert abs(xs[0] - xs[1]) >= 10, "the same score at the same time stays visible twice"
    assert "pain before a session" in average.get_label()
