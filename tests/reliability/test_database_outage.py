"""A database that restarts under the bot: a unit that cannot reach it runs again (nothing was
sent before its commit), so the person's update is applied, not answered with an apology.
The whole story (PostgreSQL really restarted under a webhook process) is in the soak."""

from __future__ import annotations

from typing import Any

import pytest
from asyncpg.exceptions import CannotConnectNowError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.db.engine import make_engine
from bot.runtime import database_unreachable
from content.schema.texts import t
from tests.e2e.conftest import Harness
from tests.reliability.journey import first_button
from tests.reliability.killing import free_port


async def test_unreachable_is_told_from_other_database_errors() -> None:
    engine = make_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing")
    try:
        with pytest.raises(Exception) as refused:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert database_unreachable(refused.value), "asyncpg raises a refused connect as it is"
    try:
        # How SQLAlchemy wraps asyncpg's "the database system is starting up" on connect.
        raise DBAPIError("connect", {}, Exception("wrapped")) from CannotConnectNowError()
    except DBAPIError as starting:
        assert database_unreachable(starting)
    assert not database_unreachable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not database_unreachable(ValueError("a bug in a flow"))


async def test_a_unit_that_meets_a_restarting_database_runs_again(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = harness.running.runtime
    real_transaction = runtime._transaction
    outage: list[Exception] = [ConnectionRefusedError(), CannotConnectNowError()]

    async def restarting(*args: Any) -> Any:
        if outage:
            raise outage.pop()
        return await real_transaction(*args)

    monkeypatch.setattr(runtime, "_transaction", restarting)
    ann = harness.user(7301)
    await ann.send("/start")
    await ann.wait_for(lambda m: first_button(m, "ob:consent:") is not None, timeout=30)
    assert outage == []
    texts = [m.text for m in ann.messages()]
    assert t("common.error") not in texts and t("common.error_will_retry") not in texts
