"""The bot under test, ``python -m bot run``, with its database work counted and, on request,
profiled.

``python -m bench.counted_bot --port P`` runs exactly what ``python -m bot run`` runs, after
adding two SQLAlchemy listeners to every engine: ``before_cursor_execute`` counts SQL
statements (an executemany is one) and ``commit`` counts commits; and it counts the units
of work (``Runtime.run_unit``: an update or a timer, one transaction each). A thread serves them on
127.0.0.1:P as JSON (``GET /counts``). ``GET /profile/start`` and ``GET /profile/stop?to=F``
run pyinstrument on the event loop's thread between the two, and write the profile to F
(``F.txt`` the top frames by own time, ``F.pyisession`` the whole session,
``F.statements.json`` the statements run meanwhile by kind), so the profile
holds the measured updates and not start-up or warm-up.

Nothing in the bot knows about this: the listeners cost a function call per statement.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import event
from sqlalchemy.engine import Engine

COUNTS = {"statements": 0, "commits": 0, "units": 0}
# Statements by what they do ("UPDATE stretch_sessions SET phase, position"), for the
# profile: which ones a unit runs, counted rather than estimated.
KINDS: dict[str, int] = {}
PROFILING = False
REPO = str(Path(__file__).resolve().parent.parent) + "/"
TOP_FRAMES = 25
IDLE = ("epoll.poll  ",)  # the event loop waiting for the network (selectors.py)


def _statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    COUNTS["statements"] += 1
    if PROFILING:  # only then: telling kinds apart costs CPU the measured runs would count
        kind = statement_kind(statement)
        KINDS[kind] = KINDS.get(kind, 0) + 1


def _tally(on: bool) -> None:
    global PROFILING
    PROFILING = on


def statement_kind(statement: str) -> str:
    """What a statement does, without its values: the verb, the table, and for an UPDATE the
    columns it sets (``UPDATE users SET level, updated_at``)."""
    sql = " ".join(statement.split())
    verb = sql.split(" ", 1)[0].upper()
    if verb == "UPDATE":
        match = re.match(r"UPDATE (\S+) SET (.*?)(?: WHERE |$)", sql, re.IGNORECASE)
        if match:
            columns = re.findall(r"(\w+)=", match.group(2))
            return f"UPDATE {match.group(1)} SET {', '.join(columns)}"
    if verb in ("INSERT", "DELETE"):
        match = re.match(r"(?:INSERT INTO|DELETE FROM) (\S+)", sql, re.IGNORECASE)
        return f"{verb} {match.group(1) if match else '?'}"
    if verb == "SELECT":
        match = re.search(r" FROM (\S+)", sql, re.IGNORECASE)
        return f"SELECT FROM {match.group(1) if match else '?'}"
    return verb


def _commit(*_args: Any) -> None:
    COUNTS["commits"] += 1


def count_units() -> None:
    """Each Runtime.run_unit call: one person's update or timer (a unit of work)."""
    from bot.runtime import Runtime

    run_unit = Runtime.run_unit

    async def counted(self: Runtime, *args: Any, **kwargs: Any) -> Any:
        COUNTS["units"] += 1
        return await run_unit(self, *args, **kwargs)

    Runtime.run_unit = counted  # type: ignore[method-assign]


class Profiling:
    """pyinstrument, started and stopped on the main thread (the event loop's) by a signal:
    the HTTP thread only asks."""

    def __init__(self) -> None:
        self.profiler: Any = None
        self.target: Path | None = None
        self.done = threading.Event()
        self.kinds_at_start: dict[str, int] = {}
        self.units_at_start = 0

    def toggle(self, _signum: int, _frame: object) -> None:
        from pyinstrument import Profiler

        if self.profiler is None:
            self.profiler = Profiler(interval=0.001, async_mode="disabled")
            self.kinds_at_start = dict(KINDS)
            self.units_at_start = COUNTS["units"]
            _tally(True)
            self.profiler.start()
            self.done.set()
            return
        session = self.profiler.stop()
        _tally(False)
        self.profiler = None
        assert self.target is not None
        write_profile(session, self.target)
        kinds = {kind: KINDS[kind] - self.kinds_at_start.get(kind, 0) for kind in KINDS}
        tally = {
            "units": COUNTS["units"] - self.units_at_start,
            "statements": {kind: n for kind, n in sorted(kinds.items(), key=lambda i: -i[1]) if n},
        }
        self.target.with_suffix(".statements.json").write_text(json.dumps(tally, indent=1))
        self.done.set()

    def ask(self, target: Path | None = None) -> None:
        self.target = target
        self.done.clear()
        os.kill(os.getpid(), signal.SIGUSR1)
        self.done.wait(timeout=120)


def write_profile(session: Any, target: Path) -> None:
    """Where the busy time went: by package, the top frames by own time, the bot's own
    functions by inclusive time, then pyinstrument's call tree."""
    from pyinstrument.renderers import ConsoleRenderer

    target.parent.mkdir(parents=True, exist_ok=True)
    session.save(str(target.with_suffix(".pyisession")))
    own: dict[str, float] = {}
    packages: dict[str, float] = {}
    ours: dict[str, float] = {}

    def walk(frame: Any, package: str, inside: frozenset[str]) -> None:
        if frame.identifier.startswith("["):  # [self], [await]: counted as the parent's own
            return
        path = frame.file_path or ""
        if not path.startswith("<"):  # a built-in counts for the package that called it
            package = _package(path)
        key = f"{frame.function}  {_short(path)}:{frame.line_no}"
        own[key] = own.get(key, 0.0) + frame.total_self_time
        packages[package] = packages.get(package, 0.0) + frame.total_self_time
        if package in ("bot", "handlers") and key not in inside:
            ours[key] = ours.get(key, 0.0) + frame.time  # recursion counted once
            inside = inside | {key}
        for child in frame.children:
            walk(child, package, inside)

    root = session.root_frame()
    if root is not None:
        walk(root, "?", frozenset())
    idle = sum(seconds for key, seconds in own.items() if key.startswith(IDLE))
    busy = sum(own.values()) - idle
    lines = [
        f"pyinstrument {session.duration:.1f} s wall, {session.sample_count} samples; "
        f"the event loop waited for the network {idle:.1f} s and was busy {busy:.1f} s.",
        "",
        "Busy time by package (own time, built-ins counted for their caller):",
        "",
    ]
    packages["stdlib selectors"] = packages.get("stdlib selectors", 0.0) - idle
    for package, seconds in sorted(packages.items(), key=lambda item: -item[1]):
        if seconds / busy >= 0.005:
            lines.append(f"{seconds / busy:6.1%} {seconds:7.2f} s  {package}")
    lines += ["", f"Top {TOP_FRAMES} frames by own time, as a share of the busy time:", ""]
    ranked = sorted(
        ((seconds, key) for key, seconds in own.items() if not key.startswith(IDLE)),
        reverse=True,
    )
    for seconds, key in ranked[:TOP_FRAMES]:
        lines.append(f"{seconds / busy:6.1%} {seconds:7.2f} s  {key}")
    lines += ["", f"Top {TOP_FRAMES} of the bot's own functions by inclusive time:", ""]
    for key, seconds in sorted(ours.items(), key=lambda item: -item[1])[:TOP_FRAMES]:
        lines.append(f"{seconds / busy:6.1%} {seconds:7.2f} s  {key}")
    tree = ConsoleRenderer(
        unicode=False, color=False, processor_options={"filter_threshold": 0.01}
    ).render(session)
    lines += ["", "Call tree (pyinstrument, library frames folded):", "", tree]
    target.write_text("\n".join(lines) + "\n")


def _package(path: str) -> str:
    """``.../site-packages/sqlalchemy/orm/x.py`` -> ``sqlalchemy``; the stdlib by module."""
    short = _short(path)
    first = short.split("/", 1)[0]
    if first.startswith(".") and "/" in short:  # the standard library: ".11/json/x.py"
        return "stdlib " + short.split("/")[1].removesuffix(".py")
    return first.removesuffix(".py")


def _short(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.removeprefix(REPO)  # the bot's own files: "bot/...", "handlers/..."


def _fully_loaded() -> bool:
    """The safety net's meaning layer has loaded (or failed, or is off): bot/meaning.py."""
    meaning = sys.modules.get("bot.meaning")
    return meaning is not None and meaning._ready.is_set()


def serve(port: int, profiling: Profiling) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/profile/start":
                profiling.ask()
            elif url.path == "/profile/stop":
                profiling.ask(Path(parse_qs(url.query)["to"][0]))
            body = json.dumps({**COUNTS, "ready": _fully_loaded()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, name="bench-counts", daemon=True).start()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    event.listen(Engine, "before_cursor_execute", _statement)
    event.listen(Engine, "commit", _commit)
    count_units()
    profiling = Profiling()
    signal.signal(signal.SIGUSR1, profiling.toggle)
    serve(args.port, profiling)
    from bot.__main__ import main as bot_main

    return bot_main(["run"])


if __name__ == "__main__":
    sys.exit(main())
