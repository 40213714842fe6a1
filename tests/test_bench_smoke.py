"""``python -m bench`` runs end to end at a tiny size and writes its table in the agreed shape.

This is the only test of the benchmark code. It asserts no timing (the machine running
the suite may be busy): only that every measure produced its figure, each next to a
baseline from the same run, in ``latest.json`` and in the markdown table.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIELDS = {"name", "value", "unit", "baseline", "ratio", "target", "met", "commit"}
# One figure per measure of the issue, by the start of its name.
MEASURES = {
    "throughput_sqlite_": "conversation throughput against the echo bot",
    "emulator_ceiling_": "the emulator's own ceiling",
    "reply_latency_p99_sqlite_": "reply latency under load",
    "cpu_ms_per_update_sqlite": "CPU per conversation update",
    "statements_per_update": "SQL statements per update",
    "commits_per_update": "commits per update",
    "bot_api_calls_per_update": "Bot API requests per update",
    "reminders_per_s_": "reminder dispatch capacity",
    "bot_peak_rss_": "the bot's memory with many people",
    "flood_limited_rate": "dispatch at Telegram's limit",
    "flood_429_answers": "429 answers at Telegram's limit",
    "flood_delivered_exactly_once": "every reminder delivered once",
    "hold_end_lateness_p99_": "timer accuracy",
    "start_to_first_reply": "start-up to the first reply",
    "heavy_imports_kept_out": "heavy imports kept out of start-up",
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, object]], str]:
    out = tmp_path_factory.mktemp("bench-results")
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--no-postgres", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-4000:]
    rows = json.loads((out / "latest.json").read_text())
    return rows, (out / "latest.md").read_text()


def test_every_measure_has_a_figure_with_a_number(
    tiny_run: tuple[list[dict[str, object]], str],
) -> None:
    rows, _ = tiny_run
    assert all(set(row) == FIELDS for row in rows), rows
    for prefix, measure in MEASURES.items():
        found = [row for row in rows if str(row["name"]).startswith(prefix)]
        assert found, f"no figure for {measure}"
        value = found[0]["value"]
        assert isinstance(value, int | float) and math.isfinite(value), (measure, value)


def test_rates_are_measured_next_to_a_baseline_from_the_same_run(
    tiny_run: tuple[list[dict[str, object]], str],
) -> None:
    rows, _ = tiny_run
    by_name = {str(row["name"]): row for row in rows}
    throughput = next(row for name, row in by_name.items() if name.startswith("throughput_"))
    assert isinstance(throughput["value"], float) and throughput["value"] > 0
    assert isinstance(throughput["baseline"], float) and throughput["baseline"] > 0
    assert throughput["ratio"] == pytest.approx(
        throughput["value"] / throughput["baseline"], rel=0.01
    )
    assert throughput["target"] == "ratio >= 0.75"
    assert isinstance(throughput["met"], bool)
    assert all(isinstance(row["commit"], str) and row["commit"] for row in rows)


def test_reminders_reach_everyone_once_and_start_up_skips_the_chart_libraries(
    tiny_run: tuple[list[dict[str, object]], str],
) -> None:
    rows, _ = tiny_run
    by_name = {str(row["name"]): row for row in rows}
    assert by_name["flood_delivered_exactly_once"]["value"] == 1.0
    assert next(v for k, v in by_name.items() if k.startswith("reminders_per_s_"))["value"] > 0
    assert by_name["heavy_imports_kept_out"]["met"] is True


def test_the_bot_work_per_update_is_counted_not_estimated(
    tiny_run: tuple[list[dict[str, object]], str],
) -> None:
    """Statements and commits come from the bot's engine, requests from the emulator: a
    conversation makes some of each, and the echo baseline makes one request per text."""
    rows, _ = tiny_run
    by_name = {str(row["name"]): row for row in rows}
    for name in ("statements_per_update", "commits_per_update", "bot_api_calls_per_update"):
        value = by_name[name]["value"]
        assert isinstance(value, float) and value > 0, (name, value)
    assert by_name["statements_per_update"]["baseline"] == 0
    assert by_name["bot_api_calls_per_update"]["baseline"] == pytest.approx(1.0, abs=0.05)


def test_the_markdown_table_lists_every_figure(
    tiny_run: tuple[list[dict[str, object]], str],
) -> None:
    rows, markdown = tiny_run
    assert markdown.startswith("# Benchmark results (tiny)")
    for row in rows:
        assert f"| {row['name']} |" in markdown
