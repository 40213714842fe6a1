"""Shared by the flow tests: a Runtime on a real SQLite database of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import upgrade
from bot.delivery import Delivery
from bot.runtime import Runtime


@pytest.fixture
async def bare_runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    """A runtime with no Bot API behind it: for flows and timers that send nothing, or
    whose messages stay in the outbox."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'runtime.db'}"
    engine = make_engine(url)
    await upgrade(engine)
    sessions = make_sessionmaker(engine)
    clock = Clock()
    delivery = Delivery(cast(Any, None), sessions, clock, "here")
    yield Runtime(Settings(database_url=url), engine, sessions, delivery, clock, instance="here")
    await engine.dispose()
