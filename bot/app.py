"""Build the Application: transport, rate limiter, per-person ordering, every handler.

This is the one place where the bot's surface is registered, so it can be read at a
glance: commands, then buttons by prefix, then text and everything else.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from telegram import BotCommand, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.clock import Clock
from bot.config import Settings
from bot.core import routine, safety
from bot.db.engine import make_sessionmaker
from bot.delivery import Delivery
from bot.flows import privacy as privacy_flow
from bot.flows import reminders as reminders_flow
from bot.flows import session as session_flow
from bot.flows.buttons import HurtChoiceButton, HurtWhereButton, PainButton, SessionButton
from bot.http import AiohttpRequest
from bot.metrics import MeteredRequest, Metrics
from bot.pacing import PacedRateLimiter, paced
from bot.pictures import Pictures
from bot.processing import PerUserUpdateProcessor, UserLocks
from bot.reminder_batch import fire_reminders
from bot.runtime import Runtime, default_instance_name, paid_broadcast_rate
from content import languages
from content.schema.texts import t
from handlers import commands_by_name, common, errors, privacy, reminders, session, text, triage
from handlers import progress as progress_handlers

log = logging.getLogger(__name__)

# Shown by Telegram in the "/" menu, in this order.
PUBLISHED_COMMANDS = (
    "start",
    "stretch",
    "checkup",
    "progress",
    "report",
    "reminders",
    "settings",
    "language",
    "mydata",
    "privacy",
    "delete",
    "help",
    "cancel",
)


def rate_limiter(settings: Settings) -> PacedRateLimiter:
    """FLOOD_LIMIT_PER_SECOND for every send, and for sends with allow_paid_broadcast
    (reminders, with PAID_BROADCAST) their own limit, by default Telegram's 1,000 a second,
    here this instance's share of it. Both paced evenly (bot/pacing.py)."""
    paid = paid_broadcast_rate(settings) if settings.paid_broadcast else 0.0
    return PacedRateLimiter(
        paced(settings.flood_limit_per_second), paced(paid) if paid else None, max_retries=3
    )


def build_application(
    settings: Settings, engine: AsyncEngine, *, polling: bool = True
) -> tuple[Application, Runtime]:
    """The Application and the Runtime its handlers run units in, wired to each other here
    only: the Runtime's delivery sends with this Application's bot."""
    assert settings.token is not None
    # A broken content file, or a language with a gap, stops start-up naming the file and field.
    languages.check_all()
    safety.load_banks()  # every language's phrase bank
    for code in languages.languages():
        with languages.speaking(code):
            routine.load_library()
    sessions = make_sessionmaker(engine)
    clock, locks, metrics = Clock(), UserLocks(), Metrics()
    instance = (settings.instance_name or default_instance_name())[:64]
    builder = ApplicationBuilder()
    if not polling:
        builder = builder.updater(None)
    application = (
        builder.token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .request(
            MeteredRequest(
                AiohttpRequest(connection_pool_size=max(32, settings.max_concurrent_updates)),
                metrics,
            )
        )
        .get_updates_request(
            MeteredRequest(AiohttpRequest(connection_pool_size=2, read_timeout=30.0), metrics)
        )
        .rate_limiter(rate_limiter(settings))
        .concurrent_updates(PerUserUpdateProcessor(locks, settings.max_concurrent_updates))
        .build()
    )
    delivery = Delivery(
        application.bot,
        sessions,
        clock,
        instance,
        on_tag=_remember_tag,
        lease=timedelta(seconds=settings.claim_lease_seconds),
        pictures=Pictures(
            sessions,
            settings.resolved_picture_cache_dir,
            bot_id=int(settings.token.split(":", 1)[0]),
            now=clock.now,
        ),
    )
    runtime = Runtime(
        settings, engine, sessions, delivery, clock, locks, instance=instance, metrics=metrics
    )
    application.bot_data["runtime"] = runtime
    _register_timers(runtime)
    register_handlers(application)
    return application, runtime


async def _remember_tag(session: AsyncSession, tag: str, message: Message) -> None:
    if tag.startswith("countdown:"):
        await session_flow.remember_countdown(session, tag, message.message_id)
    elif tag.startswith(privacy_flow.ERASED_TAG):
        await privacy_flow.forget_after_goodbye(session, tag)


def _register_timers(runtime: Runtime) -> None:
    runtime.register_timer("hold_end", session_flow.on_hold_end)
    runtime.register_timer("rest_end", session_flow.on_rest_end)
    runtime.register_timer("hold_tick", session_flow.on_tick)
    runtime.register_timer("session_idle", session_flow.on_idle)
    runtime.register_timer(privacy_flow.LEFTOVER_TIMER, privacy_flow.on_leftover)
    runtime.register_timer(reminders_flow.TIMER_KIND, reminders_flow.on_reminder)
    runtime.register_batch(reminders_flow.TIMER_KIND, fire_reminders)


async def speak_their_telegram_language(update: Update, _context: object) -> None:
    """Before any handler: answer in the language the person's Telegram is set to. A unit
    then switches to the language stored for them (bot/runtime.py); this covers what is
    said outside one (a stale button's toast, an error, a group chat)."""
    user = update.effective_user
    languages.use(languages.from_telegram(user.language_code if user else None))


def register_handlers(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(TypeHandler(Update, speak_their_telegram_language), group=-1)
    application.add_handler(
        MessageHandler(
            ~private & (filters.UpdateType.MESSAGES | filters.UpdateType.CHANNEL_POSTS),
            common.group_chat,
        )
    )
    for name, handler in commands_by_name().items():
        application.add_handler(CommandHandler(name, handler, filters=private))
    buttons = {
        r"^go:": common.go_button,
        r"^ob:": triage.onboarding_button,
        r"^tq:": triage.question_button,
        r"^sq:": triage.concern_button,
        r"^tc:": triage.cleared_button,
        SessionButton.pattern(): session.session_button,
        PainButton.pattern(): session.pain_button,
        HurtWhereButton.pattern(): session.hurt_where_button,
        HurtChoiceButton.pattern(): session.hurt_choice_button,
        r"^rp:": progress_handlers.report_button,
        r"^pv:": privacy.privacy_button,
        r"^set:": privacy.settings_button,
        r"^lang:": privacy.language_button,
        r"^rm:": reminders.reminder_button,
    }
    for pattern, handler in buttons.items():
        application.add_handler(CallbackQueryHandler(handler, pattern=pattern))
    application.add_handler(CallbackQueryHandler(common.stale_button))
    application.add_handler(MessageHandler(private & filters.COMMAND, common.unknown_command))
    application.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, common.edited)
    )
    application.add_handler(MessageHandler(private & filters.TEXT, text.on_text))
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, common.not_text))
    application.add_error_handler(errors.on_error)


async def publish_commands(application: Application) -> None:
    """setMyCommands: the list Telegram shows when the person types '/'.

    A convenience only: if the Bot API refuses it (an outage, a server without the method),
    the bot starts anyway and every command still works when typed.
    """
    available = commands_by_name()
    # English for everyone whose Telegram language has no list of its own; then one list per
    # language, which Telegram shows to people whose app is set to it.
    for code in languages.languages():
        with languages.speaking(code):
            commands = [
                BotCommand(name, t(f"commands.{name}"))
                for name in PUBLISHED_COMMANDS
                if name in available
            ]
        language_code = None if code == languages.SOURCE_LANGUAGE else code
        try:
            await application.bot.set_my_commands(commands, language_code=language_code)
        except TelegramError as exc:
            log.warning(
                "could not publish the command list (%s); starting anyway", type(exc).__name__
            )
            return


__all__ = ["Update", "build_application"]
