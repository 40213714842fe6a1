"""Telegram's errors, injected by the emulator: handled, retried or recorded, never a crash."""

from __future__ import annotations

import logging
import time

import pytest

from bot.db.models import Outbox, User
from tests.e2e.conftest import TOKEN, Harness
from tests.e2e.helpers import eventually, rows


async def test_429_is_retried_after_retry_after_and_the_message_arrives_once(
    harness: Harness,
) -> None:
    user = harness.user(4001)
    harness.emulator.faults.too_many_requests(retry_after=1, method="sendMessage", times=1)
    started = time.monotonic()
    await user.send("/help")
    reply = await user.wait_for("What I can do", timeout=10)
    assert time.monotonic() - started >= 1.0, "waited retry_after before trying again"
    assert [m.text for m in user.messages()].count(reply.text) == 1
    assert harness.emulator.faults.fired["429"] == 1

    async def outbox_empty() -> bool:
        return not await rows(harness, Outbox, user_id=4001)

    assert await eventually(outbox_empty), "nothing left waiting to send"


async def test_403_marks_the_person_inactive_until_they_write_again(harness: Harness) -> None:
    user = harness.user(4002)
    rule = harness.emulator.faults.blocked(method="sendMessage", chat_id=user.chat_id)
    await user.send("/help")

    async def inactive() -> User | None:
        found = await rows(harness, User, id=4002)
        return found[0] if found and not found[0].active else None

    person = await eventually(inactive)
    assert person is not None and person.blocked_at is not None
    assert not await rows(harness, Outbox, user_id=4002), "no retries to a blocked person"
    harness.emulator.faults.remove(rule)
    await user.send("/help")
    await user.wait_for("What I can do")
    [person] = await rows(harness, User, id=4002)
    assert person.active is True


@pytest.mark.parametrize("fault", ["500", "502", "drop"])
async def test_server_errors_and_dropped_connections_deliver_late_not_never(
    harness: Harness, fault: str
) -> None:
    user = harness.user(4003)
    if fault == "drop":
        harness.emulator.faults.drop(method="sendMessage", times=1)
    else:
        harness.emulator.faults.server_error(int(fault), method="sendMessage", times=1)
    await user.send("/help")
    await user.wait_for("What I can do", timeout=15)
    await user.send("/cancel")
    await user.wait_for("nothing to stop", timeout=10)
    texts = [m.text for m in user.messages()]
    assert sum("What I can do" in text for text in texts) == 1


async def test_the_token_never_reaches_a_log_line(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    from bot.logs import install_secret_filter

    install_secret_filter(harness.settings.secrets())
    user = harness.user(4004)
    harness.emulator.faults.server_error(500, method="sendMessage", times=1)
    harness.emulator.faults.drop(method="editMessageText")
    await user.send("/start")
    await user.wait_for("save", timeout=15)
    await user.send("/nonsense")
    await user.wait_for("don't know that command", timeout=15)
    assert caplog.records, "the run logged something"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in (record.exc_text or "")
