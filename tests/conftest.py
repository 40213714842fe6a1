"""Shared fixtures: databases (SQLite and PostgreSQL), the emulator, a running bot.

PostgreSQL tests run in a database of their own per test run. When the server is missing
they are skipped on a developer's machine but FAIL under CI=true, so CI can never pass by
skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_HOST_URL = os.environ.get("TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")


def pg_admin(sql: str) -> None:
    """Run one administrative statement, from sync code, even inside a running loop."""
    import asyncio
    import concurrent.futures

    import asyncpg

    async def execute() -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, execute()).result()


@pytest.fixture(scope="session", autouse=True)
def safety_meaning_layer() -> None:
    """Load the safety net's meaning layer once, before any test, so that every test in this
    process sees both layers (in the bot it loads in the background; racing it would make a
    test's outcome depend on timing)."""
    from bot import meaning

    assert meaning.wait_until_ready() is not None, "the meaning layer did not load"


@pytest.fixture(scope="session")
def pg_available() -> bool:
    try:
        pg_admin("SELECT 1")
        return True
    except Exception:
        return False


@pytest.fixture
def pg_url(pg_available: bool) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    if not pg_available:
        message = "PostgreSQL is not reachable on 127.0.0.1:5432"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    name = f"stretchbot_test_{uuid.uuid4().hex[:12]}"
    pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_HOST_URL}/{name}"
    finally:
        pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Tests never read a developer's .env or real token."""
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "DATABASE_URL", "WEBHOOK_", "STRETCH_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield
