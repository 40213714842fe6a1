"""Measure 7: what the free-text safety net costs per message, and in memory.

Run in a fresh interpreter (``python -m bench.safety_net``), so its memory is the bot's
own: the resident set after the start-up imports and the phrase rules, then after the
meaning layer loaded, then the time to screen every statement of tests/core/data (about
2,900 messages, short and long, in three languages) with the rules alone and with both
layers. Prints one JSON object; bench/__main__.py puts it beside the echo baseline.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "core" / "data"


def _rss_mb() -> float:
    """The current resident set, from /proc (ru_maxrss would only give the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _messages() -> list[str]:
    texts: list[str] = []
    for path in sorted(DATA.glob("safety_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [s["text"] for s in data["red_flags"]] + list(data["benign"])
    return texts


def _timings(screen: object, texts: list[str]) -> tuple[list[float], float]:
    """Wall seconds per message, and CPU seconds for them all."""
    each = []
    cpu = time.process_time()
    for text in texts:
        started = time.perf_counter()
        screen(text)  # type: ignore[operator]
        each.append(time.perf_counter() - started)
    return each, time.process_time() - cpu


async def measure() -> dict[str, Any]:
    """One run in a fresh interpreter: its JSON, parsed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.safety_net",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    result: dict[str, Any] = json.loads(output)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result


def main() -> int:
    import bot.launch  # noqa: F401  (what `python -m bot run` imports before it answers)
    from bot import meaning
    from bot.core import meaning as meaning_core
    from bot.core.safety import classify_text, load_bank

    bank = load_bank()
    texts = _messages()
    classify_text(bank, "warming up the rules and their typo dictionary")
    before = _rss_mb()
    started = time.perf_counter()
    read = meaning.wait_until_ready()
    load_seconds = time.perf_counter() - started
    if read is None:
        print(json.dumps({"error": "the meaning layer did not load"}))
        return 1
    after = _rss_mb()
    rules, rules_cpu = _timings(lambda text: classify_text(bank, text), texts)
    both, both_cpu = _timings(lambda text: meaning_core.classify(bank, text, read), texts)
    print(
        json.dumps(
            {
                "messages": len(texts),
                "longest": max(map(len, texts)),
                "rss_before_mb": before,
                "rss_after_mb": after,
                "load_seconds": load_seconds,
                "rules_seconds": rules,
                "both_seconds": both,
                "rules_cpu_ms_per_message": rules_cpu * 1000 / len(texts),
                "both_cpu_ms_per_message": both_cpu * 1000 / len(texts),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
