"""The processes a measurement runs: the emulator, the bot under test, the echo baseline.

Each runs as its own OS process on 127.0.0.1, so the bot and the baseline pay the same HTTP
and scheduling costs a real deployment pays, and the driver (the benchmark itself) shares
no event loop with either. CPU time and peak memory are read from ``/proc`` (Linux).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
TOKEN = "4242:benchmark-token-stretchbot"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_queue_seconds(pid: int) -> float:
    """Time the process's threads were ready to run but waited for a CPU (busy machine)."""
    waited = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            waited += int(task.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return waited / 1e9


def peak_rss_mb(pid: int) -> float:
    """The most resident memory the process has had (VmHWM), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def load_average() -> float:
    """The 1-minute load average: how busy the shared machine was."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child: no developer .env settings, the repo importable."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_", "STRETCH_", "FLOOD_"))
    }
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


@dataclass
class Process:
    """A child process with a name, stopped politely and then firmly."""

    name: str
    popen: subprocess.Popen[bytes]
    started_at: float  # time.monotonic() just before the process was created
    log_path: Path | None = None
    # The bot's SQL counters and profiler switch (bench/counted_bot.py); None for the others.
    counts_url: str | None = None
    cpu_mark: float = field(default=0.0)
    wait_mark: float = field(default=0.0)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def mark_cpu(self) -> None:
        self.cpu_mark = cpu_seconds(self.pid)
        self.wait_mark = run_queue_seconds(self.pid)

    def cpu_since_mark(self) -> float:
        return cpu_seconds(self.pid) - self.cpu_mark

    def waited_since_mark(self) -> float:
        return run_queue_seconds(self.pid) - self.wait_mark

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Process:
    log_path = log_dir / f"{name}.log"
    log = log_path.open("ab")
    started = time.monotonic()
    popen = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=log_dir,  # a scratch folder: no .env, no data/ of the developer
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    return Process(name, popen, started, log_path)


def start_emulator(log_dir: Path, *, started_people: range | None = None) -> tuple[Process, str]:
    """The emulator (with ``started_people`` already having written to the bot)."""
    port = free_port()
    args = ["-m", "bench.emulator_host", "--port", str(port), "--token", TOKEN]
    if started_people is not None and len(started_people):
        args += ["--started-from", str(started_people.start), "--started-count"]
        args += [str(len(started_people))]
    return spawn("emulator", args, child_env(), log_dir), f"http://127.0.0.1:{port}"


def start_bot(
    log_dir: Path,
    emulator_url: str,
    database_url: str,
    *,
    time_scale: float = 0.0,
    flood_limit: float | None = 0.0,
    concurrency: int = 64,
    picture_cache_dir: Path | None = None,
) -> Process:
    """The real bot, ``python -m bot run``, configured only through its environment, with
    its SQL statements and commits counted (bench/counted_bot.py).

    ``flood_limit`` None keeps the bot's own default (Telegram's limit); 0 turns it off.
    ``picture_cache_dir``: where rendered stretch pictures go (default: under the scratch
    folder, shared by the runs of one benchmark).
    """
    env = child_env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"{emulator_url}/bot",
        DATABASE_URL=database_url,
        STRETCH_TIME_SCALE=str(time_scale),
        MAX_CONCURRENT_UPDATES=str(concurrency),
        LOG_LEVEL="INFO",  # as deployed; the log goes to a file
    )
    if flood_limit is not None:
        env["FLOOD_LIMIT_PER_SECOND"] = str(flood_limit)
    if picture_cache_dir is not None:
        env["PICTURE_CACHE_DIR"] = str(picture_cache_dir)
    port = free_port()
    process = spawn("bot", ["-m", "bench.counted_bot", "--port", str(port)], env, log_dir)
    process.counts_url = f"http://127.0.0.1:{port}"
    return process


def start_echo(log_dir: Path, emulator_url: str, *, concurrency: int = 64) -> Process:
    """The baseline: a minimal python-telegram-bot echo bot on the same transport."""
    args = ["-m", "bench.echo_bot", "--base-url", f"{emulator_url}/bot", "--token", TOKEN]
    args += ["--client", "aiohttp", "--concurrency", str(concurrency)]
    return spawn("echo", args, child_env(), log_dir)


def start_raw_echo(log_dir: Path, emulator_url: str, *, concurrency: int = 64) -> Process:
    """The emulator's ceiling: an echo loop on bare aiohttp, no bot framework at all."""
    args = ["-m", "bench.raw_echo", "--base-url", f"{emulator_url}/bot", "--token", TOKEN]
    args += ["--concurrency", str(concurrency)]
    return spawn("raw_echo", args, child_env(), log_dir)


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``await check()`` until it is true; TimeoutError names ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if await check():
                return
        except (aiohttp.ClientError, OSError):
            pass
        await asyncio.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
