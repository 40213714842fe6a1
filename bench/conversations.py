"""Measures 1 and 2: whole conversations under load, against the echo baseline.

Every simulated person runs the bot's full flow (onboarding, the whole triage, a session
with STRETCH_TIME_SCALE=0 and both pain ratings) or, for the baseline, the same number of
texts to the echo bot. Throughput is updates sent by all people divided by the wall time
until the last one finished; latency is each update's time to its first reply.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.people import Person, echo_flow, full_flow
from bench.processes import load_average
from bench.stack import Stack, Work, fresh_database

FIRST_PERSON = 100_000  # ids of measured people; warm-up uses small ids


@dataclass
class LoadRun:
    people: int
    updates: int
    seconds: float
    latencies: list[float]
    cpu: str  # CPU share of each process during the run
    load: float  # the machine's 1-minute load average when the run began
    peak_rss_mb: float  # the bot's (or echo bot's) peak memory
    cpu_seconds: float  # CPU time the bot (or echo bot) used during the run
    work: Work = field(default_factory=Work)  # statements, commits, Bot API requests

    @property
    def cpu_ms_per_update(self) -> float:
        """CPU cost of one update and whatever it causes: less sensitive to a busy machine."""
        return self.cpu_seconds * 1000 / self.updates

    @property
    def statements_per_update(self) -> float:
        return self.work.statements / self.updates

    @property
    def commits_per_update(self) -> float:
        return self.work.commits / self.updates

    @property
    def commits_per_unit(self) -> float:
        """Commits per unit of work (an update or a timer it caused), outbox and timer
        claims included: 1 would be one transaction for each and nothing else."""
        return self.work.commits / max(1, self.work.units)

    @property
    def units_per_update(self) -> float:
        return self.work.units / self.updates

    @property
    def api_calls_per_update(self) -> float:
        return self.work.api_calls / self.updates

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


async def run_bot(
    scratch: Path,
    database: str,
    people: int,
    *,
    profile: Path | None = None,
    arrivals: float | None = None,
) -> LoadRun:
    """``people`` new people talking to the real bot at once, on a fresh database.
    ``profile``: run pyinstrument in the bot over the measured part, written there.
    ``arrivals``: people per second instead (open loop): person n starts n / arrivals
    seconds in, whatever the bot's answers to the others."""
    async with Stack(scratch) as stack, fresh_database(database, scratch) as url:
        client = await stack.emulator()
        await stack.bot(url, time_scale=0.0)
        await full_flow(Person(client, 1))  # warm-up: lazy imports, caches, connections
        persons = [Person(client, FIRST_PERSON + i) for i in range(people)]
        if profile is None:
            return await _measure(stack, persons, arrivals=arrivals)
        await stack.profile("start")
        run = await _measure(stack, persons, arrivals=arrivals)
        await stack.profile("stop", profile)
        return run


async def run_echo(
    scratch: Path, people: int, each: int, *, raw: bool = False, arrivals: float | None = None
) -> LoadRun:
    """The baseline: the same people each sending ``each`` texts to an echo bot."""
    async with Stack(scratch) as stack:
        client = await stack.emulator()
        await stack.echo(raw=raw)
        await echo_flow(Person(client, 1), 3)
        persons = [Person(client, FIRST_PERSON + i) for i in range(people)]
        return await _measure(stack, persons, each, arrivals=arrivals)


async def _measure(
    stack: Stack, persons: list[Person], each: int | None = None, *, arrivals: float | None = None
) -> LoadRun:
    load = load_average()
    before = await stack.work()
    stack.mark_cpu()
    started = time.monotonic()

    async def talk(index: int, person: Person) -> None:
        if arrivals:
            await asyncio.sleep(index / arrivals)
        await (full_flow(person) if each is None else echo_flow(person, each))

    await asyncio.gather(*(talk(index, person) for index, person in enumerate(persons)))
    seconds = time.monotonic() - started
    cpu, cpu_seconds = stack.cpu_shares(seconds), stack.processes[-1].cpu_since_mark()
    # What the last updates caused after their reply (a commit, an edit) is theirs too.
    await asyncio.sleep(0.3)
    return LoadRun(
        people=len(persons),
        updates=sum(person.updates for person in persons),
        seconds=seconds,
        latencies=[latency for person in persons for latency in person.latencies],
        cpu=cpu,
        load=load,
        peak_rss_mb=stack.processes[-1].peak_rss_mb(),
        cpu_seconds=cpu_seconds,
        work=await stack.work() - before,
    )
