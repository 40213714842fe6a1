"""Benchmark figures, each next to its baseline, written as JSON and as a markdown table.

``latest.json`` is a list of ``{"name", "value", "unit", "baseline", "ratio", "target",
"met", "commit"}``. ``latest.md`` adds what the JSON cannot say: the runs behind each median,
how busy the machine was, and why a missed target was missed.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.processes import REPO

FINDINGS = Path(__file__).with_name("findings.md")
FINDINGS_MARK = "<!-- findings: bench/findings.md, python -m bench.results refreshes it -->"


@dataclass(frozen=True)
class Target:
    """A goal on the value itself or on its ratio to the baseline: at least, at most, below."""

    limit: float
    kind: str = "min"  # "min" (>=), "max" (<=), "below" (<)
    on_ratio: bool = False
    text: str = ""

    def describe(self) -> str:
        if self.text:
            return self.text
        sign = {"min": ">=", "max": "<=", "below": "<"}[self.kind]
        return f"{'ratio ' if self.on_ratio else ''}{sign} {_show(self.limit)}"

    def subject(self, value: float, baseline: float | None) -> float | None:
        if not self.on_ratio:
            return value
        return value / baseline if baseline else None

    def met(self, value: float, baseline: float | None) -> bool | None:
        subject = self.subject(value, baseline)
        if subject is None:
            return None
        if self.kind == "min":
            return subject >= self.limit
        if self.kind == "max":
            return subject <= self.limit
        return subject < self.limit

    def gap(self, value: float, baseline: float | None) -> str:
        """By how much a missed target was missed, in words."""
        subject = self.subject(value, baseline)
        if subject is None:
            return "no baseline to compare with"
        what = "ratio" if self.on_ratio else "value"
        if self.kind == "min":
            factor = f"{self.limit / subject:.1f}x short" if subject > 0 else "nothing measured"
            return f"{what} {_show(subject)} where {_show(self.limit)} is needed: {factor}"
        return (
            f"{what} {_show(subject)} where {self.describe()} is needed: "
            f"{subject / self.limit:.1f}x over"
            if self.limit
            else f"{what} {_show(subject)} where 0 is needed"
        )


@dataclass
class Figure:
    """One measured figure: the median of its runs, and the baseline's median beside it."""

    name: str
    unit: str
    runs: list[float]
    baseline_runs: list[float] = field(default_factory=list)
    target: Target | None = None
    note: str = ""  # what a reader needs to trust or read the number
    fixed_met: bool | None = None  # for a yes/no target that is not about the value

    @property
    def value(self) -> float:
        return statistics.median(self.runs)

    @property
    def baseline(self) -> float | None:
        return statistics.median(self.baseline_runs) if self.baseline_runs else None

    @property
    def ratio(self) -> float | None:
        baseline = self.baseline
        return self.value / baseline if baseline else None

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return self.fixed_met
        return self.target.met(self.value, self.baseline)

    def as_json(self, commit: str) -> dict[str, Any]:
        baseline, ratio = self.baseline, self.ratio
        return {
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": None if baseline is None else _round(baseline),
            "ratio": None if ratio is None else round(ratio, 3),
            "target": None if self.target is None else self.target.describe(),
            "met": self.met,
            "commit": commit,
        }


def _round(value: float) -> float:
    return round(value, 3) if abs(value) < 100 else round(value, 1)


def commit_id() -> str:
    """The commit measured, marked ``-dirty`` when the tree had changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


@dataclass
class Report:
    """Everything one ``python -m bench`` run found, ready to write."""

    mode: str
    figures: list[Figure] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # machine load, CPU shares, per section
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def note(self, line: str) -> None:
        self.context.append(line)

    def write(self, folder: Path, commit: str | None = None) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        commit = commit or commit_id()
        rows = [figure.as_json(commit) for figure in self.figures]
        json_path, md_path = folder / "latest.json", folder / "latest.md"
        json_path.write_text(json.dumps(rows, indent=2) + "\n")
        md_path.write_text(self.markdown(commit))
        return json_path, md_path

    def markdown(self, commit: str) -> str:
        lines = [
            f"# Benchmark results ({self.mode})",
            "",
            f"Commit `{commit}`, {self.started:%Y-%m-%d %H:%M} UTC, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}. "
            "Made by `python -m bench"
            + (" --quick`." if self.mode == "quick" else "`.")
            + " Each value is the median of its runs; the baseline is the python-telegram-bot "
            "echo bot (`bench/echo_bot.py`) measured in the same run on the same emulator, "
            "unless the note says otherwise.",
            "",
            "| figure | value | baseline | ratio | target | met |",
            "|---|---|---|---|---|---|",
        ]
        for figure in self.figures:
            baseline, ratio, met = figure.baseline, figure.ratio, figure.met
            lines.append(
                f"| {figure.name} | {_show(figure.value)} {figure.unit} "
                f"| {'' if baseline is None else _show(baseline)} "
                f"| {'' if ratio is None else f'{ratio:.2f}'} "
                f"| {'' if figure.target is None else figure.target.describe()} "
                f"| {'' if met is None else ('yes' if met else '**no**')} |"
            )
        lines += ["", "## Runs and notes", ""]
        for figure in self.figures:
            runs = ", ".join(_show(run) for run in figure.runs)
            base = ", ".join(_show(run) for run in figure.baseline_runs)
            line = f"- **{figure.name}**: runs {runs}"
            if base:
                line += f"; baseline runs {base}"
            if figure.note:
                line += f". {figure.note}"
            lines.append(line)
        missed = [figure for figure in self.figures if figure.met is False]
        if missed:
            lines += ["", "## Targets missed", ""]
            for figure in missed:
                gap = (
                    figure.target.gap(figure.value, figure.baseline)
                    if figure.target
                    else "see the note"
                )
                lines.append(f"- **{figure.name}**: {gap}.")
        if self.context:
            lines += ["", "## Machine and processes", ""]
            lines += [f"- {line}" for line in self.context]
        return "\n".join(lines) + "\n" + findings_section()


def findings_section() -> str:
    """``bench/findings.md``, written by hand after profiling: why a target is missed and
    what would close it. Kept apart so the numbers stay generated."""
    if not FINDINGS.exists():
        return ""
    return f"\n{FINDINGS_MARK}\n\n{FINDINGS.read_text().strip()}\n"


def refresh_findings(markdown_path: Path) -> None:
    """Put the current findings under an existing results table (after editing them)."""
    text = markdown_path.read_text()
    table = text.split(f"\n{FINDINGS_MARK}\n", 1)[0].rstrip("\n") + "\n"
    markdown_path.write_text(table + findings_section())


def _show(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


if __name__ == "__main__":
    # python -m bench.results [latest.md]: re-attach bench/findings.md after editing it.
    import sys

    refresh_findings(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "bench/results/latest.md")
