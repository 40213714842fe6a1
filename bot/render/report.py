"""The /report PDF: a one-to-two page self-care record a person can show a clinician.

It says up front that a chatbot made it and that it is not a medical assessment, then
gives the person's region and programme level, the safety checks with their advice, the
pain chart, sessions with pain before and after, weekly averages, and the times a
stretch hurt. Tables list the newest first.

Two pages is a promise: the record is laid out with generous row limits, and laid out
again with smaller ones until it fits, each table saying how many rows it left out.

Names and notes can be in any script. DejaVu Sans (shipped with matplotlib) covers most;
a character it lacks, or anything outside latin-1 when only Helvetica is available,
becomes its plain-letter form ("ő" -> "o") or "?" rather than breaking the file.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from bot.core import formats
from bot.render.chart import render_progress_png
from bot.render.model import HurtRow, ReportData, SessionRow, TriageRow, WeekRow, local_wall_time
from content.schema.texts import t, texts, tn

MAX_PAGES = 2
# Free text longer than this is cut, so one entry can't eat a page.
MAX_NOTE_CHARS = 160
MAX_SHORT_CHARS = 60  # names, body parts

# Millimetres, on A4 (210 x 297).
MARGIN = 15
LINE = 5.0
CHART_WIDTH = 100  # the PNG is 4:5, so this is 125 mm tall: its labels read at 8 pt or more
MIN_LAST_PAGE = 30  # mm of content a second page must hold

TITLE_PT, HEADING_PT, BODY_PT, TABLE_PT, SMALL_PT = 17, 12.5, 10, 9, 8
HEADER_FILL = (225, 232, 240)
ZEBRA_FILL = (246, 246, 246)
NOTICE_FILL = (245, 240, 225)

Row = TypeVar("Row")


@dataclass(frozen=True)
class RowLimits:
    """How many rows each part of the record may show before saying "... and N more"."""

    triage: int
    findings: int
    sessions: int
    weeks: int
    hurts: int


# Tried in order until the record fits two pages; the last always fits.
LIMITS_TO_TRY = (
    RowLimits(triage=5, findings=6, sessions=24, weeks=8, hurts=8),
    RowLimits(triage=4, findings=4, sessions=16, weeks=6, hurts=5),
    RowLimits(triage=3, findings=3, sessions=10, weeks=4, hurts=3),
    RowLimits(triage=2, findings=2, sessions=5, weeks=3, hurts=2),
    RowLimits(triage=1, findings=1, sessions=2, weeks=1, hurts=1),
    RowLimits(triage=1, findings=0, sessions=0, weeks=0, hurts=0),
)


def render_report_pdf(data: ReportData) -> bytes:
    """The self-care record for ``data`` as PDF bytes, A4, at most two pages."""
    chart = render_progress_png(data.progress)
    fonts = _unicode_fonts()
    for limits in LIMITS_TO_TRY:
        writer = _lay_out(data, chart, limits, fonts)
        pages = writer.pdf.pages_count
        # A last page with a line or two on it reads as a mistake: show fewer rows instead.
        if pages <= MAX_PAGES and (pages == 1 or writer.pdf.get_y() >= MARGIN + MIN_LAST_PAGE):
            break
    writer.add_footers()
    return bytes(writer.pdf.output())


# --- Fonts and safe text -------------------------------------------------------------------


@dataclass(frozen=True)
class UnicodeFonts:
    regular: Path
    bold: Path


def _unicode_fonts() -> UnicodeFonts | None:
    """DejaVu Sans from matplotlib's data folder, or None to fall back to Helvetica."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    fonts = UnicodeFonts(folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf")
    return fonts if fonts.regular.is_file() and fonts.bold.is_file() else None


# Typography latin-1 lacks, said with the letters it has.
_PLAIN_PUNCTUATION = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "•": "-", "…": "..."}
)


def fit_text(text: str, has_glyph: Callable[[str], bool]) -> str:
    """``text`` with every character the font lacks replaced by a plain form or "?"."""
    out = []
    for char in text:
        if char == "\n" or has_glyph(char):
            out.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char.translate(_PLAIN_PUNCTUATION))
        letters = "".join(c for c in plain if not unicodedata.combining(c))
        out.append(letters if letters and all(has_glyph(c) for c in letters) else "?")
    return "".join(out)


def _in_latin1(char: str) -> bool:
    return ord(char) < 256


# --- Layout --------------------------------------------------------------------------------


class RecordWriter:
    """Writes the parts of the record; every string goes through the font's :func:`fit_text`."""

    def __init__(self, data: ReportData, fonts: UnicodeFonts | None) -> None:
        from fpdf import FPDF  # loads PIL and fontTools: only when a record is made

        self.data = data
        self.pdf = pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=MARGIN + 3)
        self.family = "helvetica"
        self._has_glyph: Callable[[str], bool] = _in_latin1
        if fonts is not None:
            pdf.add_font("dejavu", "", str(fonts.regular))
            pdf.add_font("dejavu", "B", str(fonts.bold))
            cmap = pdf.fonts["dejavu"].cmap  # type: ignore[union-attr]
            self._has_glyph = lambda char: ord(char) in cmap
            self.family = "dejavu"
        pdf.set_title(self.fit(t("progress.pdf.title")))
        pdf.set_creator("stretchbot")
        pdf.set_creation_date(data.generated_at)
        pdf.add_page()

    def add_footers(self) -> None:
        """Repeat what this document is on every page, for a page read on its own."""
        pdf = self.pdf
        pdf.set_auto_page_break(False)
        pages = pdf.pages_count
        for page in range(1, pages + 1):
            pdf.page = page
            pdf.set_y(-12)
            self.font(SMALL_PT)
            pdf.set_text_color(100)
            footer = t("progress.pdf.footer", page=page, pages=pages)
            pdf.cell(0, 5, self.fit(footer), align="C")
        pdf.set_text_color(0)

    def fit(self, text: str) -> str:
        return fit_text(text, self._has_glyph)

    def when(self, moment: datetime) -> str:
        local = local_wall_time(moment, self.data.zone)
        return formats.day_and_clock(local)

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)

    def paragraph(self, text: str, size: float = BODY_PT, bold: bool = False) -> None:
        self.font(size, bold)
        self.pdf.multi_cell(0, size * 0.5, self.fit(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str, keep_with: float = 20) -> None:
        """A section heading, moved to the next page with its first ``keep_with`` mm."""
        if self.pdf.will_page_break(HEADING_PT * 0.5 + 4 + keep_with):
            self.pdf.add_page()
        self.pdf.ln(4)
        self.paragraph(text, HEADING_PT, bold=True)
        self.pdf.ln(1)

    def table(
        self, widths: Sequence[float], header: Sequence[str], rows: Sequence[Sequence[str]]
    ) -> None:
        from fpdf import FontFace

        self.font(TABLE_PT)
        with self.pdf.table(
            col_widths=tuple(widths),
            width=sum(widths),
            align="LEFT",
            text_align="LEFT",
            line_height=TABLE_PT * 0.5,
            padding=(0.8, 1.2),
            headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
            cell_fill_color=ZEBRA_FILL,
            cell_fill_mode="ROWS",
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for cells in (header, *rows):
                row = table.row()
                for text in cells:
                    row.cell(self.fit(text))

    def left_out(self, count: int) -> None:
        if count > 0:
            self.paragraph(t("progress.pdf.more", count=count), SMALL_PT)


def _lay_out(
    data: ReportData, chart: bytes, limits: RowLimits, fonts: UnicodeFonts | None
) -> RecordWriter:
    writer = RecordWriter(data, fonts)
    _write_header(writer)
    _write_triage(writer, data.triage, limits)
    _write_chart(writer, chart)
    _write_sessions(writer, data.sessions, limits.sessions)
    _write_session_details(writer, data.sessions, limits.sessions)
    _write_weeks(writer, data.weeks, limits.weeks)
    _write_hurts(writer, data.hurts, limits.hurts)
    return writer


def _write_header(writer: RecordWriter) -> None:
    data = writer.data
    writer.paragraph(t("progress.pdf.title"), TITLE_PT, bold=True)
    writer.pdf.ln(1)
    generated = local_wall_time(data.generated_at, data.zone).date()
    writer.paragraph(t("progress.pdf.generated", date=_day(generated), zone=data.zone))
    writer.pdf.ln(2)
    writer.pdf.set_fill_color(*NOTICE_FILL)
    writer.font(BODY_PT, bold=True)
    writer.pdf.multi_cell(
        0,
        LINE,
        writer.fit(t("progress.pdf.disclaimer")),
        fill=True,
        padding=2,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    writer.pdf.ln(2)
    if data.name:
        writer.paragraph(t("progress.pdf.name", name=_shortened(data.name, MAX_SHORT_CHARS)))
    writer.paragraph(t("progress.pdf.region", region=_region(data.region)))
    if data.age_band:
        writer.paragraph(t("progress.pdf.age", band=t(f"triage.age_{data.age_band}")))
    if data.pain_over_3_months:
        writer.paragraph(t(f"progress.pdf.duration.{data.pain_over_3_months}"))
    writer.paragraph(t("progress.pdf.programme_level", level=data.level))
    if data.cleared_at is not None:
        writer.paragraph(t("progress.pdf.cleared", when=writer.when(data.cleared_at)))


def _write_triage(writer: RecordWriter, checks: Sequence[TriageRow], limits: RowLimits) -> None:
    writer.heading(t("progress.pdf.triage_heading"))
    if not checks:
        writer.paragraph(t("progress.pdf.triage_none"))
        return
    shown, left = _newest(checks, limits.triage, key=lambda check: check.at)
    for check in shown:
        writer.paragraph(f"{writer.when(check.at)}: {_outcome(check.level)}", bold=True)
        if not check.findings:
            writer.paragraph(f"   {t('progress.pdf.findings_none')}")
        lines = check.findings[: limits.findings]
        for line in lines:
            writer.paragraph(f"   - {line}")
        if len(check.findings) > len(lines):
            writer.pdf.set_x(MARGIN + 4)
            writer.left_out(len(check.findings) - len(lines))
        writer.pdf.ln(1)
    writer.left_out(left)


def _write_chart(writer: RecordWriter, chart: bytes) -> None:
    height = CHART_WIDTH * 1350 / 1080
    writer.heading(t("progress.pdf.chart_heading"), keep_with=height)
    from fpdf import Align

    writer.pdf.image(io.BytesIO(chart), x=Align.C, w=CHART_WIDTH)


def _write_sessions(writer: RecordWriter, sessions: Sequence[SessionRow], limit: int) -> None:
    writer.heading(t("progress.pdf.sessions_heading"))
    if not sessions:
        writer.paragraph(t("progress.pdf.sessions_none"))
        return
    writer.paragraph(
        t(
            "progress.pdf.sessions_summary",
            started=tn("progress.pdf.sessions", len(sessions)),
            finished=sum(session.completed for session in sessions),
            done=tn("progress.pdf.stretches", sum(session.stretches_done for session in sessions)),
            skipped=sum(session.stretches_skipped for session in sessions),
        )
    )
    shown, left = _newest(sessions, limit, key=lambda session: session.started_at)
    if shown:
        writer.pdf.ln(1)
        writer.table(
            (40, 24, 24, 28, 20, 20, 16),
            [
                t(f"progress.pdf.col_{column}")
                for column in ("date", "before", "after", "done", "skipped", "finished", "level")
            ],
            [
                (
                    writer.when(session.started_at),
                    _score(session.pain_before),
                    _score(session.pain_after),
                    str(session.stretches_done),
                    str(session.stretches_skipped),
                    t("progress.pdf.yes") if session.completed else t("progress.pdf.no"),
                    str(session.level),
                )
                for session in shown
            ],
        )
    writer.left_out(left)


def _write_session_details(
    writer: RecordWriter, sessions: Sequence[SessionRow], limit: int
) -> None:
    """Which stretches each session did, and the person's own note about it."""
    told = [s for s in sessions if s.stretches or s.note]
    shown, left = _newest(told, limit, key=lambda session: session.started_at)
    if not shown:
        return
    writer.heading(t("progress.pdf.session_details_heading"))
    for session in shown:
        names = ", ".join(session.stretches) or t("progress.pdf.no_stretches")
        writer.paragraph(
            t("progress.pdf.session_detail", when=writer.when(session.started_at), stretches=names)
        )
        if session.note:
            writer.paragraph(t("progress.pdf.session_note", note=_shortened(session.note)))
    writer.left_out(left)


def _write_weeks(writer: RecordWriter, weeks: Sequence[WeekRow], limit: int) -> None:
    if not weeks:
        return
    writer.heading(t("progress.pdf.weeks_heading"))
    shown, left = _newest(weeks, limit, key=lambda week: week.week_start)
    if shown:
        writer.table(
            (40, 30, 24),
            [
                t("progress.pdf.col_week"),
                t("progress.pdf.col_average"),
                t("progress.pdf.col_sessions"),
            ],
            [
                (
                    _day(week.week_start),
                    t("progress.pdf.no_score")
                    if week.average is None
                    else formats.one_decimal(week.average),
                    str(week.sessions),
                )
                for week in shown
            ],
        )
    writer.left_out(left)


def _write_hurts(writer: RecordWriter, hurts: Sequence[HurtRow], limit: int) -> None:
    writer.heading(t("progress.pdf.hurts_heading"))
    if not hurts:
        writer.paragraph(t("progress.pdf.hurts_none"))
        return
    shown, left = _newest(hurts, limit, key=lambda hurt: hurt.at)
    if shown:
        writer.table(
            (40, 16, 40, 84),
            [t(f"progress.pdf.col_{column}") for column in ("date", "pain", "where", "note")],
            [
                (
                    writer.when(hurt.at),
                    _score(hurt.value),
                    _shortened(hurt.where, MAX_SHORT_CHARS),
                    _shortened(hurt.note),
                )
                for hurt in shown
            ],
        )
    writer.left_out(left)


# --- Small formatting rules ----------------------------------------------------------------


def _newest(rows: Sequence[Row], limit: int, key: Callable[[Row], date]) -> tuple[list[Row], int]:
    """The newest ``limit`` rows, newest first, and how many were left out."""
    ordered = sorted(rows, key=key, reverse=True)
    return ordered[:limit], max(0, len(ordered) - limit)


def _day(day: date) -> str:
    return formats.day(day)


def _score(value: int | None) -> str:
    return t("progress.pdf.no_score") if value is None else str(value)


def _shortened(text: str | None, limit: int = MAX_NOTE_CHARS) -> str:
    if not text or not text.strip():
        return t("progress.pdf.no_score")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _region(region: str) -> str:
    key = f"progress.pdf.region.{region}"
    return t(key) if key in texts() else region.replace("_", " ")


def _outcome(level: str) -> str:
    key = f"progress.pdf.outcome.{level}"
    return t(key) if key in texts() else t("progress.pdf.outcome_other", level=level)
