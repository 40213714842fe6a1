"""Start and stop the whole bot: database, migrations, Application, timer dispatcher.

Used by the command line (polling, webhook, terminal chat) and by the end-to-end tests,
so the tests drive exactly what people talk to.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application

from bot import meaning
from bot.app import build_application, publish_commands
from bot.config import ConfigError, Settings
from bot.db.engine import check_reachable, make_engine
from bot.db.migrate import upgrade
from bot.runtime import Runtime

log = logging.getLogger(__name__)
MIGRATION_LOCK = {"a": 0x5354, "b": 1}  # "ST", 1
# The encoder starts loading this long after the bot answers, so the first replies don't wait.
MEANING_AFTER_SECONDS = 1.0


@dataclass
class RunningBot:
    runtime: Runtime
    application: Application
    dispatcher: asyncio.Task[None]
    polling: bool
    encoder: asyncio.TimerHandle | None = None  # the safety net's meaning layer, due to load

    async def stop(self) -> None:
        """Stop taking updates, finish the ones in flight, stop the dispatcher, close."""
        if self.encoder is not None:
            self.encoder.cancel()  # stopped before it was due: nothing to load
        if self.polling and self.application.updater and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        self.runtime.stop_dispatch()
        try:
            await asyncio.wait_for(self.dispatcher, timeout=10)
        except (TimeoutError, asyncio.CancelledError):
            pass
        try:
            # Timers and messages this instance claimed but did not finish: free them now,
            # so another instance takes them at once instead of after the lease.
            await self.runtime.release_claims()
        except SQLAlchemyError:
            log.warning("could not release claimed timers; they return after the lease")
        await self.application.shutdown()
        await self.runtime.engine.dispose()


async def upgrade_alone(engine: AsyncEngine) -> None:
    """Migrate; on PostgreSQL one instance at a time (several may start together), the
    others wait and then find nothing left to do."""
    if engine.dialect.name != "postgresql":
        await upgrade(engine)
        return
    async with engine.connect() as lock:
        # Two-number key: never the same lock as a person's (one-number keys, their id).
        await lock.execute(text("SELECT pg_advisory_lock(:a, :b)"), MIGRATION_LOCK)
        try:
            await upgrade(engine)
        finally:
            await lock.execute(text("SELECT pg_advisory_unlock(:a, :b)"), MIGRATION_LOCK)


async def open_database(settings: Settings) -> AsyncEngine:
    """Connect to the database and bring its schema up to date, or exit with one line."""
    engine = make_engine(settings.resolved_database_url, settings.database_pool_size)
    try:
        await check_reachable(engine)
        if settings.auto_migrate:
            await upgrade_alone(engine)
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        raise ConfigError(
            f"Database error: cannot use DATABASE_URL ({type(exc).__name__}); "
            "check that the server is running and the URL is right."
        ) from None
    return engine


async def start_bot(settings: Settings, *, polling: bool = True) -> RunningBot:
    if not settings.token:
        raise ConfigError(
            "Configuration error: TELEGRAM_BOT_TOKEN is missing; get one from @BotFather, "
            "or try the bot offline with `python -m bot chat`."
        )
    engine = await open_database(settings)
    meaning.check_content()  # now; the encoder itself loads once the bot answers (below)
    application, runtime = build_application(settings, engine, polling=polling)
    try:
        await application.initialize()
    except Exception as exc:
        await runtime.engine.dispose()
        raise ConfigError(
            f"Telegram error: cannot reach the Bot API at TELEGRAM_API_BASE_URL "
            f"({type(exc).__name__}); check the URL and the token."
        ) from None
    await application.start()
    if polling and application.updater is not None:
        await application.updater.start_polling(
            allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10
        )
    dispatcher = asyncio.create_task(runtime.dispatch_forever(), name="timer-dispatch")
    # Neither is needed to answer: the "/" menu (three requests) and the safety net's
    # meaning layer (the phrase rules answer alone until it is ready) come a moment later.
    application.create_task(publish_commands(application), name="publish-commands")
    encoder = asyncio.get_running_loop().call_later(
        MEANING_AFTER_SECONDS, meaning.start_loading, settings.data_dir / "cache"
    )
    log.info("bot started (%s)", "polling" if polling else "webhook")
    return RunningBot(runtime, application, dispatcher, polling, encoder)
