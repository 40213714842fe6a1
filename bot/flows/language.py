"""/language and the settings' language button: which language the bot speaks.

The list comes from content/ (content/languages.py): one button per language, named in
itself ("Español"), the current one ticked. Choosing one stores it on the person and
answers in it at once. Nothing else changes: the conversation carries on where it was,
and a safety question that was waiting is asked again in the new language, so nobody
answers a red-flag question they half understood.
"""

from __future__ import annotations

from bot.flows import triage as triage_flow
from bot.flows.dialog import Flow
from bot.flows.unit import Keyboard, Unit
from content import languages
from content.schema.texts import t

CALLBACK = "lang:"


def language_keyboard(current: str) -> Keyboard:
    rows = []
    for code, language in languages.languages().items():
        label = t("language.current", name=language.name) if code == current else language.name
        rows.append([(label, f"{CALLBACK}{code}")])
    return rows


async def ask_language(unit: Unit) -> None:
    unit.say(t("language.question"), language_keyboard(languages.current()))


async def choose_language(unit: Unit, code: str) -> str | None:
    """A language from the keyboard; an unknown code (a forged button) is refused."""
    if code not in languages.languages():
        return t("common.stale_button")
    unit.user.language = code
    languages.use(code)
    unit.say(t("language.chosen"))
    if unit.expect(Flow.TRIAGE) and unit.state.get("pending"):
        await triage_flow.repeat_question(unit)
    return None
