"""Settings from the environment (and an optional ``.env``), checked once at start-up.

A bad setting stops the bot with one line naming the variable and what to fix; the
token's value never appears in that line (pydantic's own errors would echo it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(SystemExit):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    data_dir: Path = Path("data")
    # Rendered stretch pictures, named by content hash; default DATA_DIR/pictures.
    picture_cache_dir: Path | None = None
    database_url: str | None = None
    # Connections per instance: up to twice this many at peak (pool plus overflow).
    database_pool_size: int = Field(default=10, ge=1, le=100)
    auto_migrate: bool = True
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Only one of several instances needs to call setWebhook; the others set this to false.
    webhook_register: bool = True
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=1, le=65535)
    # How long an instance's claim on a due timer or an unsent message lasts: if the
    # instance dies, another one takes the work over after this long.
    claim_lease_seconds: float = Field(default=60.0, gt=0.0, le=3600.0)

    # Multiplies every hold and rest, so demos and tests run the same code path faster.
    stretch_time_scale: float = Field(default=1.0, ge=0.0, le=10.0)
    # Telegram allows about 30 messages per second overall; 0 turns the limiter off
    # (benchmarks against an emulator with no flood limit).
    flood_limit_per_second: float = Field(default=30.0, ge=0.0)
    # Reminders sent as paid broadcasts (Bot API 7.11, allow_paid_broadcast): up to 1,000 a
    # second overall instead of 30, each one past the free 30 paid for in Telegram Stars.
    paid_broadcast: bool = False
    # Updates handled at once across people (one person's always in order).
    max_concurrent_updates: int = Field(default=64, ge=1, le=4096)
    instance_name: str | None = None

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_SHAPE.match(value.get_secret_value().strip()):
            raise ValueError(
                "is malformed: expected the form 123456789:ABC-DEF1234ghIkl from @BotFather"
            )
        return SecretStr(value.get_secret_value().strip()) if value else None

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token; checked here so setWebhook cannot fail at start.
        if value is not None and not WEBHOOK_SECRET_SHAPE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters: letters, digits, _ and - only")
        return value

    @field_validator("telegram_api_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL, for example https://api.telegram.org/bot")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgres://", "postgresql://")):
            # Hosting platforms hand out plain postgres URLs; we speak asyncpg.
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:/// or postgresql+asyncpg:// (or postgres://)"
            )
        return value

    @property
    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    @property
    def resolved_picture_cache_dir(self) -> Path:
        return self.picture_cache_dir or self.data_dir / "pictures"

    @property
    def file_base_url(self) -> str:
        """python-telegram-bot's base_file_url, derived from the API base URL."""
        base = self.telegram_api_base_url
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'stretchbot.db'}"

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        found = [
            self.token,
            self.webhook_secret.get_secret_value() if self.webhook_secret else None,
        ]
        return [value for value in found if value]


def load_settings(**overrides: object) -> Settings:
    """Read the settings, or exit with one line saying what to fix."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"Configuration error: {field} {message}.") from None
