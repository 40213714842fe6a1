"""/progress and /report: the person's own history, as a chart, a few plain lines and a PDF.

Both take three steps so the ~1 s of drawing never holds a database transaction (on
SQLite that would stall everyone's writes): a unit of work reads the history into plain
data, the chart or record is drawn in a worker thread, and a second unit sends it.

/progress sends the chart with the week's numbers as its caption, then what the weekly
averages say. Whether pain "improved" or got "worse" is decided by
:func:`bot.core.pain.trend` (the brief's rule), never here: a single good session is
praised as a good session, and a rise is said plainly with the safety check offered.
The chart and the verdict are sent directly, not through the outbox: they are a view,
made again on request, and must arrive in order after the photo.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select

from bot.core import counts, formats, routine
from bot.core import pain as pain_core
from bot.core import triage as triage_core
from bot.core.schedule import zone_of
from bot.db.models import (
    PainRating,
    SafetyAlert,
    Screening,
    SessionStep,
    StretchSession,
    TriageAnswer,
)
from bot.flows.unit import Direct, Keyboard, Unit, inline_keyboard
from bot.render.model import (
    HurtRow,
    PainKind,
    PainPoint,
    ProgressData,
    ReportData,
    SessionRow,
    TriageRow,
    WeekRow,
)
from content.schema.texts import t, texts
from content.schema.triage import TriageBank

# Runs a flow function as its own unit of work for the person: handlers pass
# ``functools.partial(act, update, context)``.
RunUnit = Callable[..., Awaitable[Any]]

# Pain kinds as stored -> as the chart draws them.
CHART_KIND: dict[str, PainKind] = {
    "before": "before",
    "after": "after",
    "hurt": "hurt",
    "check_in": "check",
}
KNOWN_KINDS = frozenset(kind.value for kind in pain_core.RatingKind)
# The check's question on how long the pain has lasted (content/triage.yaml).
DURATION_QUESTION = "pain_over_3_months"
# Smaller weekly changes are noise on a 0-10 scale read by a person.
SAME_WITHIN = 0.5
_TAG = re.compile(r"<[^>]+>")


# --- the person's history, as plain data -----------------------------------------------------
@dataclass(frozen=True)
class History:
    """Everything the chart, the summary and the record are made from."""

    zone_name: str  # as stored ("Europe/Berlin", "UTC+05:30"); "UTC" when never set
    tz: tzinfo
    ratings: tuple[PainRating, ...]
    sessions: tuple[StretchSession, ...]  # finished ones, oldest first
    steps: tuple[SessionStep, ...]
    screenings: tuple[Screening, ...]
    answers: tuple[TriageAnswer, ...]
    alerts: tuple[SafetyAlert, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.ratings or self.sessions)

    @property
    def session_starts(self) -> list[datetime]:
        """When each session began: what every "sessions" count and the streak count, so the
        caption, the chart, the week table and the record agree (a stopped session counts)."""
        return [s.started_at for s in self.sessions]

    def core_ratings(self) -> list[pain_core.Rating]:
        return [
            pain_core.Rating(r.at, r.value, pain_core.RatingKind(r.kind))
            for r in self.ratings
            if r.kind in KNOWN_KINDS
        ]


def person_zone(unit: Unit) -> tuple[str, tzinfo]:
    """The person's zone name and tzinfo; a missing or unreadable one is UTC."""
    name = unit.user.zone_name or "UTC"
    try:
        return name, zone_of(name)
    except ValueError:
        return "UTC", UTC


async def load_history(unit: Unit) -> History:
    user_id = unit.user.id

    async def rows(model: Any, order: Any) -> tuple[Any, ...]:
        query = select(model).where(model.user_id == user_id).order_by(order, model.id)
        return tuple((await unit.session.execute(query)).scalars())

    zone_name, tz = person_zone(unit)
    sessions = await rows(StretchSession, StretchSession.started_at)
    return History(
        zone_name=zone_name,
        tz=tz,
        ratings=await rows(PainRating, PainRating.at),
        sessions=tuple(s for s in sessions if s.phase == "done"),
        steps=await rows(SessionStep, SessionStep.at),
        screenings=await rows(Screening, Screening.finished_at),
        answers=await rows(TriageAnswer, TriageAnswer.answered_at),
        alerts=await rows(SafetyAlert, SafetyAlert.at),
    )


# --- weeks, the summary and the verdict (pure) -----------------------------------------------
def weeks_of(history: History, now: datetime) -> tuple[WeekRow, ...]:
    """Every week from the first one to this one, with the core's averages.

    Weeks are the core's 7-day weeks counted from the first usual-pain rating (so the
    chart's average line is exactly what the trend is judged on); sessions before that
    rating fall in the weeks before it.
    """
    averages = pain_core.weekly_averages(history.core_ratings(), history.tz)
    days = [pain_core.local_day(moment, history.tz) for moment in history.session_starts]
    if averages:
        first = averages[0].starts
    elif days:
        first = min(days)
    else:
        return ()
    by_index = {week.number - 1: week.average for week in averages}
    sessions: dict[int, int] = {}
    for day in days:
        index = (day - first).days // 7
        sessions[index] = sessions.get(index, 0) + 1
    today = (pain_core.local_day(now, history.tz) - first).days // 7
    start = min([0, *sessions])
    end = max([today, *sessions, *by_index])
    return tuple(
        WeekRow(first + timedelta(days=7 * index), by_index.get(index), sessions.get(index, 0))
        for index in range(start, end + 1)
    )


def _one_decimal(value: float) -> str:
    return formats.one_decimal(value)


def summary_lines(history: History, now: datetime) -> list[str]:
    """Sessions this week, the streak, and this week's average pain against last week's."""
    weeks = weeks_of(history, now)
    lines = [
        # This week as the week table and the chart count it (their last row is this week).
        t("progress.summary.sessions_week", count=weeks[-1].sessions if weeks else 0),
        t(
            "progress.summary.streak",
            days=pain_core.streak_days(history.session_starts, history.tz, now),
        ),
    ]
    averages = pain_core.weekly_averages(history.core_ratings(), history.tz)
    if not averages:
        lines.append(t("progress.summary.no_average"))
        return lines
    current = (pain_core.local_day(now, history.tz) - averages[0].starts).days // 7 + 1
    by_number = {week.number: week.average for week in averages}
    this_week, last_week = by_number.get(current), by_number.get(current - 1)
    if this_week is None:
        lines.append(t("progress.summary.no_average"))
        return lines
    lines.append(t("progress.summary.average", average=_one_decimal(this_week)))
    if last_week is not None:
        change = this_week - last_week
        if abs(change) < SAME_WITHIN:
            lines.append(t("progress.summary.change_same"))
        else:
            key = "progress.summary.change_down" if change < 0 else "progress.summary.change_up"
            lines.append(t(key, points=_one_decimal(abs(change))))
    return lines


@dataclass(frozen=True)
class Said:
    text: str
    keyboard: Keyboard | None = None


def verdict(history: History) -> list[Said]:
    """What the weekly averages say, by the core's rule; a good last session is praised as one."""
    trend = pain_core.trend(history.core_ratings(), history.tz)
    before = _one_decimal(trend.baseline) if trend.baseline is not None else ""
    after = _one_decimal(trend.latest) if trend.latest is not None else ""
    if trend.kind is pain_core.TrendKind.IMPROVED:
        return [Said(t("progress.improved", before=before, after=after))]
    if trend.kind is pain_core.TrendKind.WORSE:
        recheck = [[(t("common.menu_checkup"), "go:checkup")]]
        return [Said(t("progress.worse", before=before, after=after), recheck)]
    said = []
    if trend.kind is pain_core.TrendKind.UNCHANGED:
        said.append(Said(t("progress.unchanged")))
    last = history.sessions[-1] if history.sessions else None
    if last and last.pain_before is not None and last.pain_after is not None:
        if last.pain_after < last.pain_before:
            said.append(
                Said(t("progress.good_session", before=last.pain_before, after=last.pain_after))
            )
    if not said:
        said.append(Said(t("progress.too_early")))
    return said


def chart_data(history: History, now: datetime) -> ProgressData:
    points = tuple(
        PainPoint(r.at, r.value, CHART_KIND[r.kind])
        for r in history.ratings
        if r.kind in CHART_KIND
    )
    return ProgressData(history.zone_name, points, weeks_of(history, now))


# --- /progress ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ProgressView:
    chart: ProgressData
    caption: str
    verdict: list[Said]


async def show_progress(run: RunUnit) -> None:
    """/progress: read, draw off the event loop and outside any transaction, send."""
    view: ProgressView | None = await run(read_progress)
    if view is None:
        return
    from bot.render.chart import render_progress_png

    png = await asyncio.to_thread(render_progress_png, view.chart)
    await run(send_progress, view, png)


async def read_progress(unit: Unit) -> ProgressView | None:
    history = await load_history(unit)
    if history.is_empty:
        unit.say(t("progress.empty" if unit.stores_data else "progress.not_kept"))
        return None
    _chat_action(unit, "upload_photo")
    caption = "\n".join([t("progress.chart_caption"), "", *summary_lines(history, unit.now)])
    return ProgressView(chart_data(history, unit.now), caption, verdict(history))


async def send_progress(unit: Unit, view: ProgressView, png: bytes) -> None:
    unit.send_file("sendPhoto", "photo", t("progress.chart.filename"), png, caption=view.caption)
    for said in view.verdict:
        params: dict[str, Any] = {
            "chat_id": unit.user.chat_id,
            "text": said.text,
            "parse_mode": "HTML",
        }
        if said.keyboard:
            params["reply_markup"] = inline_keyboard(said.keyboard)
        unit.direct.append(Direct("sendMessage", params))


def _chat_action(unit: Unit, action: str) -> None:
    """Show "sending a photo..." in the chat header while the file is made."""
    unit.direct.append(Direct("sendChatAction", {"chat_id": unit.user.chat_id, "action": action}))


# --- /report -------------------------------------------------------------------------------
async def show_report(run: RunUnit, name: str | None) -> None:
    """/report: the self-care record as a PDF, made the same three-step way as the chart."""
    data: ReportData | None = await run(read_report, name)
    if data is None:
        return
    from bot.render.report import render_report_pdf

    pdf = await asyncio.to_thread(render_report_pdf, data)
    await run(send_report, data, pdf)


async def read_report(unit: Unit, name: str | None) -> ReportData | None:
    history = await load_history(unit)
    if history.is_empty and not history.screenings and not history.alerts:
        unit.say(t("progress.report.empty" if unit.stores_data else "progress.report.not_kept"))
        return None
    if name and unit.user.name_on_report is None:
        # The Telegram name goes on a record only if the person agrees (asked once).
        unit.say(
            t("progress.report.name_question", name=html.escape(name)),
            [
                [(t("progress.report.name_yes"), "rp:name:yes")],
                [(t("progress.report.name_no"), "rp:name:no")],
            ],
        )
        return None
    unit.say(t("progress.report.making"))
    _chat_action(unit, "upload_document")
    return report_data(history, unit, name if unit.user.name_on_report else None)


async def choose_name_on_report(unit: Unit, yes: bool) -> None:
    unit.user.name_on_report = yes


async def send_report(unit: Unit, data: ReportData, pdf: bytes) -> None:
    day = data.generated_at.astimezone(person_zone(unit)[1]).date()
    filename = t("progress.report.filename", day=day.isoformat())
    unit.send_file("sendDocument", "document", filename, pdf, caption=t("progress.report.caption"))


def report_data(history: History, unit: Unit, name: str | None) -> ReportData:
    region = unit.user.region or unit.state.get("region") or "unknown"
    chart = chart_data(history, unit.now)
    return ReportData(
        name=name,
        generated_at=unit.now,
        zone=chart.zone,
        region=region,
        level=unit.user.level,
        triage=triage_rows(history),
        sessions=session_rows(history),
        points=chart.points,
        hurts=hurt_rows(history),
        weeks=chart.weeks,
        cleared_at=unit.user.cleared_by_clinician_at if unit.stores_data else None,
        age_band=unit.user.age_band,
        pain_over_3_months=_pain_duration(history),
    )


def _pain_duration(history: History) -> str | None:
    """How long the pain has lasted, by the latest answer to the check's 3-month question."""
    answers = [a for a in history.answers if a.question_id == DURATION_QUESTION]
    if not answers:
        return None
    latest = max(answers, key=lambda a: a.answered_at).answer
    return {"yes": "more", "no": "less"}.get(latest, "unsure")


def triage_rows(history: History) -> tuple[TriageRow, ...]:
    """Each safety check with the questions answered yes or not sure, and free-text alarms."""
    bank = triage_core.load_bank()
    answers: dict[int | None, list[TriageAnswer]] = {}
    for answer in history.answers:
        answers.setdefault(answer.screening_id, []).append(answer)
    rows = []
    label = {"yes": "progress.pdf.answer_yes", "unsure": "progress.pdf.answer_unsure"}
    for screening in history.screenings:
        # The signs that gave the advice (the findings at its level); the other answers
        # did not change it, and a GP reads the ones that did.
        mattered = {
            question
            for finding in screening.findings
            if finding.get("level") == screening.level
            for question in finding.get("questions", [])
        }
        findings = [
            t(label[answer.answer], question=_question(bank, answer))
            for answer in answers.get(screening.id, [])
            if answer.answer in label and answer.question_id in mattered
        ]
        rows.append(TriageRow(screening.finished_at, screening.level, tuple(findings)))
    for alert in history.alerts:
        reason = f"triage.why_{alert.condition}"
        said = _plain(t(reason)) if reason in texts() else alert.condition.replace("_", " ")
        rows.append(TriageRow(alert.at, alert.level, (t("progress.pdf.said_in_chat", why=said),)))
    return tuple(rows)


def _question(bank: TriageBank, answer: TriageAnswer) -> str:
    try:
        return _plain(bank.question(answer.question_id).text)
    except KeyError:  # a question since removed from the content
        return answer.question_id.replace("_", " ")


def _plain(text: str) -> str:
    """Chat text for the PDF: no tags, entities read back."""
    return html.unescape(_TAG.sub("", text))


def session_rows(history: History) -> tuple[SessionRow, ...]:
    warm_up = routine.load_library().warm_up.id
    holds: dict[int, list[tuple[str, str]]] = {}
    for step in history.steps:
        holds.setdefault(step.session_id, []).append((step.stretch_id, step.outcome))
    rows = []
    for s in history.sessions:
        plan = [step["stretch"] for step in s.plan]
        count = counts.count_stretches(plan, holds.get(s.id, []), warm_up)
        rows.append(
            SessionRow(
                started_at=s.started_at,
                completed=s.status == "completed",
                stretches_done=count.done,
                stretches_skipped=count.skipped,
                pain_before=s.pain_before,
                pain_after=s.pain_after,
                level=s.level,
                stretches=_done_names(holds.get(s.id, [])),
                note=s.note,
            )
        )
    return tuple(rows)


def _done_names(holds: list[tuple[str, str]]) -> tuple[str, ...]:
    """What was done, by name (the warm-up too), in the order it was done."""
    library = routine.load_library()
    ids = dict.fromkeys(stretch for stretch, outcome in holds if outcome == "done")
    names = []
    for stretch in ids:
        try:
            names.append(library.stretch(stretch).name)
        except KeyError:  # a stretch since removed from the content
            names.append(stretch.replace("_", " "))
    return tuple(names)


def hurt_rows(history: History) -> tuple[HurtRow, ...]:
    notes = {s.id: s.note for s in history.sessions}
    return tuple(
        HurtRow(
            at=r.at,
            value=r.value,
            where=_where(r.body_part),
            note=r.note or notes.get(r.session_id or -1),
        )
        for r in history.ratings
        if r.kind == "hurt"
    )


def _where(body_part: str | None) -> str | None:
    key = f"progress.pdf.where.{body_part}"
    return t(key) if key in texts() else body_part
