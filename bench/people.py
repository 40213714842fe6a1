"""Simulated people: each writes or taps, waits for the bot's answer, then goes on.

A person is a closed loop, like someone with a phone: the next update is sent only after
the answer to the last one arrived. Every update's reply latency (from just before the
update was handed to the emulator to the arrival of the bot's first new message) is kept.

Two scripts: :func:`full_flow` (onboarding, the whole triage, a session with pain ratings)
for the bot, and :func:`echo_flow` (the same number of texts, each echoed) for the baseline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.control import EmulatorClient, Message, button_starting

# Seconds a person waits for an answer before the run is declared broken. Long: with a
# thousand people at once, each answer queues behind everyone else's.
WAIT = 600.0


class NoAnswer(TimeoutError):
    """The bot did not answer within :data:`WAIT`; the run is not a measurement."""


@dataclass
class Person:
    emulator: EmulatorClient
    user_id: int
    latencies: list[float] = field(default_factory=list)
    read_events: int = 0  # how many of the chat's events (new or edited messages) were read
    updates: int = 0
    _sent_at: float | None = None  # set while an update waits for its first reply

    async def send(self, text: str) -> None:
        self._sent_at = time.monotonic()
        await self.emulator.send(self.user_id, text)
        self.updates += 1

    async def press(self, message: Message, callback_data: str) -> None:
        self._sent_at = time.monotonic()
        await self.emulator.press(self.user_id, int(message["message_id"]), callback_data)
        self.updates += 1

    async def tap(self, message: Message, *prefixes: str) -> None:
        """Tap the first button starting with one of ``prefixes``."""
        data = button_starting(message, *prefixes)
        if data is None:
            raise LookupError(f"no button {prefixes} on {message.get('text', '')[:60]!r}")
        await self.press(message, data)

    async def wait_for(self, wanted: Callable[[Message], bool], timeout: float = WAIT) -> Message:
        """Read the bot's new and edited messages until one is ``wanted`` (a question may be
        the one just answered, edited into the next); note the first reply's latency."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoAnswer(f"person {self.user_id} got no answer in {timeout:.0f} s")
            batch, self.read_events = await self.emulator.events(
                self.user_id, self.read_events, min(left, 10.0)
            )
            arrived = time.monotonic()
            for message in batch:
                if self._sent_at is not None:
                    self.latencies.append(arrived - self._sent_at)
                    self._sent_at = None
                if wanted(message):
                    return message

    async def wait_for_button(self, *prefixes: str, timeout: float = WAIT) -> Message:
        return await self.wait_for(
            lambda message: button_starting(message, *prefixes) is not None, timeout
        )


async def onboard(person: Person) -> Message:
    """/start, consent, region, age, every triage question answered No; the outcome message."""
    await person.send("/start")
    await person.tap(await person.wait_for_button("ob:consent:yes"), "ob:consent:yes")
    await person.tap(await person.wait_for_button("ob:region:"), "ob:region:lower_back")
    await person.tap(await person.wait_for_button("ob:age:"), "ob:age:16_49")
    while True:
        message = await person.wait_for_button("tq:", "go:stretch")
        if button_starting(message, "go:stretch"):
            return message
        question = button_starting(message, "tq:")
        assert question is not None
        await person.press(message, question.rsplit(":", 1)[0] + ":n")


async def to_first_hold(person: Person, outcome: Message) -> Message:
    """From the triage outcome: Start a session, rate pain 4; the first "Start the hold"."""
    await person.tap(outcome, "go:stretch")
    rating = await person.wait_for_button("pn:b:")
    data = button_starting(rating, "pn:b:")
    assert data is not None
    await person.press(rating, data.rsplit(":", 1)[0] + ":4")
    return await person.wait_for_button("ss:start:")


async def full_flow(person: Person) -> None:
    """The whole conversation of a new person, with holds and rests scaled to zero."""
    ready = await to_first_hold(person, await onboard(person))
    while True:
        await person.tap(ready, "ss:start:")
        ready = await person.wait_for_button("ss:start:", "pn:a:")
        if button_starting(ready, "pn:a:"):
            break
    data = button_starting(ready, "pn:a:")
    assert data is not None
    await person.press(ready, data.rsplit(":", 1)[0] + ":2")
    await person.tap(await person.wait_for_button("ss:nonote:"), "ss:nonote:")
    await person.wait_for_button("go:progress", "go:reminders")  # the summary's last message


async def echo_flow(person: Person, count: int) -> None:
    """``count`` texts, each sent once the echo of the one before arrived."""
    for n in range(count):
        text = f"m{person.user_id}-{n}"
        await person.send(text)
        await person.wait_for(_has_text(text))


def _has_text(text: str) -> Callable[[Message], bool]:
    return lambda message: message.get("text") == text
