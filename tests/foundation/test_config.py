"""A bad setting stops start-up with one line naming it, and never shows the token."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456789:AAHsecretsecretsecretsecretsecret01"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not a token " + TOKEN}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": "bot" + TOKEN}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_API_BASE_URL": "api.telegram.org/bot"}, "TELEGRAM_API_BASE_URL"),
        ({"DATABASE_URL": "mysql://localhost/db"}, "DATABASE_URL"),
        ({"STRETCH_TIME_SCALE": "-1"}, "STRETCH_TIME_SCALE"),
        ({"PORT": "http"}, "PORT"),
    ],
)
def test_malformed_setting_names_the_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], names: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value.code)
    assert names in message
    assert "\n" not in message
    assert TOKEN not in message and "secretsecret" not in message


def test_plain_postgres_url_is_taken_as_asyncpg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://bot@db.example/stretch")
    assert load_settings().resolved_database_url == "postgresql+asyncpg://bot@db.example/stretch"


def test_file_url_follows_a_self_hosted_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    assert load_settings().file_base_url == "http://127.0.0.1:8081/file/bot"


def run_bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **env},
    )


def test_cli_refuses_a_malformed_token_with_one_line_and_exit_2(tmp_path: object) -> None:
    result = run_bot("run", env={"TELEGRAM_BOT_TOKEN": "12345-" + TOKEN})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]
    assert TOKEN not in result.stderr + result.stdout


def test_cli_refuses_an_unreachable_database_with_one_line() -> None:
    result = run_bot(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
        },
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]
    assert TOKEN not in result.stderr


def test_cli_run_without_token_says_what_to_do() -> None:
    result = run_bot("run", env={})
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is missing" in result.stderr
