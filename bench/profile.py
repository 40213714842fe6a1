"""``python -m bench.profile --out F [--people N] [--database sqlite|postgres]``: profile the
bot over one conversation run, as the bench runs it.

pyinstrument runs in the bot process (bench/counted_bot.py) from just before the measured
people start to just after the last one finished, so start-up and the warm-up are left
out. Writes ``F.txt`` (the top frames by own time, then the call tree) and
``F.pyisession`` (``pyinstrument --load F.pyisession`` shows it again, in any renderer),
and prints what the run counted per update, with the statements by kind
(``F.statements.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from bench import conversations


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--out", type=Path, required=True, help="written as OUT.txt, .pyisession")
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="stretchbot-profile-"))
    try:
        run = await conversations.run_bot(
            scratch, args.database, args.people, profile=args.out.with_suffix(".txt")
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"{run.updates} updates in {run.seconds:.1f} s (profiled, so slower); "
        f"{run.cpu_ms_per_update:.1f} ms of CPU, {run.statements_per_update:.1f} statements, "
        f"{run.commits_per_update:.2f} commits, {run.api_calls_per_update:.2f} Bot API requests "
        f"per update; reply latency median {statistics.median(run.latencies) * 1000:.0f} ms"
    )
    tally = json.loads(args.out.with_suffix(".statements.json").read_text())
    print(f"statements per update by kind ({tally['units'] / run.updates:.2f} units per update):")
    for kind, count in tally["statements"].items():
        if count / run.updates >= 0.01:
            print(f"  {count / run.updates:5.2f}  {kind}")
    print(f"written: {args.out.with_suffix('.txt')} and {args.out.with_suffix('.pyisession')}")


if __name__ == "__main__":
    asyncio.run(main())
