"""Journeys a person lives, run for real and written out for review (docs/journeys/):
three in English, one in Spanish, one in German.

Each journey drives the real bot over real HTTP through the local Bot API emulator, as the
end-to-end tests do, and records what the person typed or tapped and every message the bot
sent, in order (countdown edits and the "✓ chosen" marks under answered questions left out;
other edits, such as a question that became the next one or a day picker's new buttons,
shown). ``tests/e2e/test_journey.py`` runs
the same journeys and checks that none repeats or contradicts a message.

    python -m tests.journeys            # writes docs/journeys/*.md
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from tests.e2e.conftest import Harness, bot_on
from tests.emulator.chats import StoredMessage
from tests.emulator.userside import TelegramUser

OUT = Path(__file__).resolve().parents[1] / "docs" / "journeys"
QUIET = 0.5  # seconds without a new bot message: the bot has said what it will say


def is_pdf(message: StoredMessage) -> bool:
    document = message.data.get("document") or {}
    return str(document.get("file_name", "")).endswith(".pdf")


@dataclass
class Recorder:
    """A person in the chat: what they do, and what the bot says back, as transcript lines."""

    harness: Harness
    user: TelegramUser
    quiet: float = QUIET
    lines: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # the bot's message texts, in order
    _events: int = 0
    _edits: int = 0
    _labels: dict[int, set[str]] = field(default_factory=dict)  # buttons each message had

    async def send(self, text: str) -> None:
        self.lines.append(f"> 👤 {text}\n")
        await self.user.send(text)
        await self.settle()

    async def tap(self, prefix: str, label: str | None = None) -> None:
        """Tap the newest button whose callback data starts with ``prefix`` (or by label)."""
        message, button = self._find(prefix, label)
        self.lines.append(f"> 👤 *taps* **{button['text']}**\n")
        await self.user.press(message, callback_data=str(button["callback_data"]))
        await self.settle()

    async def wait_for_button(self, prefix: str, timeout: float = 15) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                try:
                    self._find(prefix, None)
                    await self.settle()
                    return
                except LookupError:
                    await asyncio.sleep(0.05)

    async def wait_for_document(self, timeout: float = 30) -> None:  # noqa: ASYNC109
        """Until the bot has sent a PDF (the report takes a moment to make)."""
        async with asyncio.timeout(timeout):
            while not any(is_pdf(m) for m in self.user.messages()):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await self.settle()

    def has_button(self, prefix: str) -> bool:
        try:
            self._find(prefix, None)
        except LookupError:
            return False
        return True

    def _find(self, prefix: str, label: str | None) -> tuple[StoredMessage, dict[str, object]]:
        for message in reversed(self.user.messages()):
            for row in message.inline_keyboard:
                for button in row:
                    data = str(button["callback_data"])
                    if data.startswith(prefix) and (label is None or button["text"] == label):
                        return message, button
        raise LookupError(f"no {prefix!r} button")

    async def settle(self) -> None:
        """Wait until the bot has been quiet for a moment, then write down what it said."""
        chat = self.user.chat
        seen = -1
        while seen != len(chat.events):
            seen = len(chat.events)
            await asyncio.sleep(self.quiet)
        self._record()

    def note(self, text: str) -> None:
        self.lines.append(f"*{text}*\n")

    def _record(self) -> None:
        chat = self.user.chat
        while self._events < len(chat.events):
            kind, message = chat.events[self._events]
            self._events += 1
            if kind == "edit":
                edit = chat.edits[self._edits]
                self._edits += 1
                keyboard = (edit.markup or {}).get("inline_keyboard", [])
                if (keyboard and edit.field == "reply_markup") or _new_buttons(edit):
                    self.lines.append(f"🤖 *(edited)* {_markdown(edit.text)}\n")
                    self.lines.append(_buttons(keyboard))
                    self._labels[message.message_id] = {str(b["text"]) for r in keyboard for b in r}
                elif noted := _note_under(edit, self._labels.get(message.message_id, set())):
                    self.lines.append(f"🤖 *(added under it)* {_markdown(noted)}\n")
                continue
            text = _original_text(message)
            self.said.append(text)
            self.lines.append(f"🤖 {_markdown(text)}\n")
            if "animation" in message.data:
                self.lines.append("   🎞️ *an animation of the movement (its caption is above)*\n")
            elif "photo" in message.data:
                self.lines.append("   🖼️ *a picture (its caption is above)*\n")
            elif "document" in message.data:
                self.lines.append("   📎 *a file: the PDF record*\n")
            first_markup = _original_markup(message)
            self._labels[message.message_id] = {str(b["text"]) for r in first_markup for b in r}
            if first_markup:
                self.lines.append(_buttons(first_markup))


def _new_buttons(edit: object) -> bool:
    """A text edit that brings buttons of its own (a day picker), not a countdown tick."""
    markup = getattr(edit, "markup", None) or {}
    return bool(markup.get("inline_keyboard")) and "left" not in getattr(edit, "text", "")


def _note_under(edit: object, labels: set[str]) -> str | None:
    """A line added under a question that says more than the tapped label ("✓ Thanks. Pain
    now: 4 out of 10."), or None for a plain mark ("✓ No")."""
    if getattr(edit, "field", "") != "text":
        return None
    found = re.search(r"\n\n✓ (.*)\Z", str(getattr(edit, "text", "")), flags=re.S)
    if found is None or found.group(1) in labels:
        return None
    return f"✓ {found.group(1)}"


def _original_text(message: StoredMessage) -> str:
    """The text as first sent: before a countdown's edits or a "✓ chosen" mark under it."""
    edits = [e for e in message.chat.edits if e.message_id == message.message_id]
    first = next((e for e in edits if e.field == "text"), None)
    text = str(first.before) if first is not None else message.text
    return re.sub(r"\n\n✓ .*\Z", "", text, flags=re.S)


def _original_markup(message: StoredMessage) -> list[list[dict[str, object]]]:
    edits = [e for e in message.chat.edits if e.message_id == message.message_id]
    if edits and edits[0].field == "reply_markup":
        before = edits[0].before or {}
        return list(before.get("inline_keyboard", []))
    if edits:  # a text edit (marked chosen, or a countdown) removed or kept them: as sent
        return []
    return message.inline_keyboard


def _buttons(keyboard: list[list[dict[str, object]]]) -> str:
    return "   " + " ".join(f"`[{b['text']}]`" for row in keyboard for b in row) + "\n"


def _markdown(text: str) -> str:
    text = re.sub(r"</?b>", "**", text)
    text = re.sub(r"</?i>", "_", text)
    return text.replace("\n", "  \n")


# --- the three journeys ------------------------------------------------------------------------
async def answer_check(person: Recorder, unsure: tuple[str, ...] = ()) -> None:
    """Answer the safety check: "not sure" (typed) to the questions in ``unsure``, No else."""
    while True:
        latest = person.user.messages()[-1]
        asked = [str(b["callback_data"]) for row in latest.inline_keyboard for b in row]
        if not asked or not asked[0].startswith("tq:"):
            return  # the outcome: the check is over
        question = asked[0].split(":")[1]
        if question in unsure:
            await person.send("not sure")
        else:
            await person.tap(f"tq:{question}:n")


async def stretch_through(person: Recorder, stop_after: int | None = None) -> None:
    """Tap Start on each stretch until the pain-after question (or Stop after some)."""
    started = 0
    while not person.has_button("pn:a:"):
        if stop_after is not None and started >= stop_after and person.has_button("ss:stop:"):
            await person.tap("ss:stop:")
            break
        if person.has_button("ss:start:"):
            card = person._find("ss:start:", None)[0]
            await person.tap("ss:start:")
            started += 1
            await _until(_next_card(person, card), person)
        else:
            await asyncio.sleep(0.1)
            await person.settle()


def _next_card(person: Recorder, card: StoredMessage) -> Callable[[], bool]:
    return lambda: person._find("ss:start:", None)[0] is not card


async def _until(check: Callable[[], bool], person: Recorder) -> None:
    async with asyncio.timeout(60):
        while True:
            try:
                if person.has_button("pn:a:") or check():
                    await person.settle()
                    return
            except LookupError:
                pass
            await asyncio.sleep(0.1)


async def clear_lower_back(person: Recorder) -> None:
    """A newcomer with ordinary lower back pain: the check, a whole session, the record."""
    await person.send("/start")
    await person.tap("ob:consent:yes")
    await person.tap("ob:region:lower_back")
    await person.tap("ob:age:16_49")
    await answer_check(person)
    await person.tap("go:stretch")
    await person.tap("pn:b:", "4")
    await stretch_through(person)
    await person.tap("pn:a:", "2")
    await person.send("felt looser afterwards")
    await person.send("/progress")
    await person.send("/report")
    await person.tap("rp:name:no")


async def neck_not_sure(person: Recorder) -> None:
    """Neck pain, "not sure" about warning signs: see a doctor first, cleared later."""
    await person.send("/start")
    await person.tap("ob:consent:yes")
    await person.tap("ob:region:neck")
    await person.tap("ob:age:50_64")
    await answer_check(person, unsure=("neck_artery_signs", "myelopathy_signs"))
    await person.send("/stretch")
    person.harness.shift_clock(timedelta(hours=3))
    person.note("Three hours later, after seeing a GP.")
    await person.send("/stretch")
    await person.tap("tc:ask")
    await person.tap("tc:yes")
    await person.tap("go:stretch")
    await person.tap("pn:b:", "3")
    await stretch_through(person, stop_after=1)
    await person.tap("pn:a:", "3")
    await person.send("done")


async def free_text(person: Recorder) -> None:
    """Typing instead of tapping, at odd moments: consent, questions, mid-session, reminders."""
    await person.send("/start")
    await person.send(
        "hi, my back has been hurting for weeks and I'm fed up, my wife says I should try "
        "stretching so here I am"
    )
    await person.send("👍")
    await person.send("yes")
    await person.send("lower back")
    await person.send("I'm 45")
    await person.send("is this going to take long?")
    await answer_check(person)
    await person.send("stretch")
    await person.send("about a 5")
    await person.send("can I do this on the bus?")
    await person.send("ok")
    await person.send("how long do I hold it?")
    await person.wait_for_button("ss:start:")
    await person.send("ouch")
    await person.send("3")
    await person.send("my back")
    await person.send("carry on")
    await person.tap("ss:stop:")
    await person.send("2")
    await person.send("no")
    await person.send("/reminders")
    await person.send("8")
    await person.tap("rm:time:2000")
    await person.tap("rm:days:every")
    await person.tap("rm:zone:o:", "Central Europe")


async def spanish_lower_back(person: Recorder) -> None:
    """Telegram set to Spanish: the check, a whole session, the record, all in Spanish."""
    await person.send("/start")
    await person.tap("ob:consent:yes")
    await person.tap("ob:region:lower_back")
    await person.tap("ob:age:16_49")
    await answer_check(person)
    await person.tap("go:stretch")
    await person.tap("pn:b:", "5")
    await stretch_through(person)
    await person.tap("pn:a:", "3")
    await person.send("me noto la espalda más suelta")
    await person.send("/progress")
    await person.send("/report")
    await person.wait_for_button("rp:name:")  # after the chart: the first one takes a while
    await person.tap("rp:name:no")
    await person.wait_for_document()


GERMAN_CAUDA_EQUINA = (
    "seit heute früh spüre ich meinen Po und die Innenseite der Oberschenkel kaum noch, "
    "und Wasserlassen klappt irgendwie nicht richtig"
)


async def german_warning_sign_mid_session(person: Recorder) -> None:
    """Telegram set to German: a cauda equina sign typed in the middle of a stretch."""
    await person.send("/start")
    await person.tap("ob:consent:yes")
    await person.tap("ob:region:lower_back")
    await person.tap("ob:age:50_64")
    await answer_check(person)
    await person.tap("go:stretch")
    await person.tap("pn:b:", "4")
    await person.tap("ss:start:")
    await person.send(GERMAN_CAUDA_EQUINA)
    await person.tap("pn:a:", "6")
    await person.tap("ss:nonote:")
    await person.send("/stretch")


@dataclass(frozen=True)
class Journey:
    slug: str
    title: str
    run: Callable[[Recorder], Awaitable[None]]
    language: str = "en"  # what the person's Telegram app is set to


JOURNEYS = (
    Journey(
        "1-clear-lower-back", "Clear lower back pain: check, session, record", clear_lower_back
    ),
    Journey("2-neck-not-sure", 'Neck pain with "not sure" answers', neck_not_sure),
    Journey("3-free-text", "Free text at odd moments", free_text),
    Journey(
        "4-es-lumbar",
        "En español: dolor lumbar, la comprobación, una sesión y el informe",
        spanish_lower_back,
        language="es",
    ),
    Journey(
        "5-de-warnzeichen",
        "Auf Deutsch: ein Cauda-equina-Warnzeichen mitten in der Dehnung",
        german_warning_sign_mid_session,
        language="de",
    ),
)


async def run_journey(
    harness: Harness, journey: Journey, user_id: int, quiet: float = QUIET
) -> Recorder:
    user = harness.user(user_id, first_name="Sam", language_code=journey.language)
    person = Recorder(harness, user, quiet=quiet)
    await journey.run(person)
    return person


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


async def write_all() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    commit = _commit()
    with tempfile.TemporaryDirectory() as folder:
        for number, journey in enumerate(JOURNEYS, 1):
            url = f"sqlite+aiosqlite:///{Path(folder) / f'{journey.slug}.db'}"
            async with bot_on(url) as harness:
                person = await run_journey(harness, journey, 9000 + number)
            header = [
                f"# {journey.title}\n",
                f"Generated by `python -m tests.journeys` from a real run at commit {commit}: "
                "the bot over HTTP against the local Bot API emulator, holds 100 times "
                "shorter. 👤 is the person, 🤖 the bot; buttons are in `[brackets]`.\n",
            ]
            (OUT / f"{journey.slug}.md").write_text("\n".join(header + person.lines))
            print(f"wrote {OUT / journey.slug}.md ({len(person.said)} bot messages)")


if __name__ == "__main__":
    asyncio.run(write_all())
    sys.exit(0)
