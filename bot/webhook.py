"""Webhook mode: an ASGI app (Starlette + uvicorn) in front of the same Application.

Telegram POSTs each update to WEBHOOK_URL's path with the secret in
``X-Telegram-Bot-Api-Secret-Token``; a missing or wrong secret gets 403 and nothing is
processed. The answer is given only after the update was handled and its messages sent:
Telegram sends a chat's next update after the previous one was answered, so one person's
updates stay in order even when a load balancer spreads them over instances. A database
failure answers 503, so Telegram sends the update again; a re-sent update (same
``update_id``) is recognised in the database and never applied twice.

``/healthz``: the process is up. ``/readyz``: the database is reachable and migrated, and
the instance is not shutting down. ``/metrics``: Prometheus counters (``bot/metrics.py``).

SIGTERM: stop accepting connections, finish the updates in flight, stop the timer
dispatcher, hand claimed timers back to the other instances, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update
from telegram.error import TelegramError

from bot.config import ConfigError, Settings
from bot.db.engine import check_reachable
from bot.db.migrate import is_current
from bot.launch import RunningBot, start_bot
from bot.metrics import CONTENT_TYPE
from bot.runtime import UpdateInFlight, current_update

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Platforms kill a process about 30 s after SIGTERM; in-flight updates get most of that.
SHUTDOWN_GRACE_SECONDS = 25
KEEP_ALIVE_SECONDS = 65


def webhook_path(settings: Settings) -> str:
    assert settings.webhook_url
    return urlsplit(settings.webhook_url).path or "/"


def make_asgi_app(settings: Settings, running: RunningBot, instance: WebhookInstance) -> Starlette:
    assert settings.webhook_secret
    secret = settings.webhook_secret.get_secret_value().encode()
    application = running.application
    metrics = running.runtime.metrics

    async def receive_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            metrics.webhook_rejected.labels("secret").inc()
            return PlainTextResponse("forbidden", status_code=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except Exception:
            metrics.webhook_rejected.labels("malformed").inc()
            return PlainTextResponse("bad update", status_code=400)
        metrics.updates_received.inc()
        in_flight = UpdateInFlight(update.update_id)
        marker = current_update.set(in_flight)
        started = time.perf_counter()
        try:
            # Through the per-person processor: the same ordering and bounds as polling.
            await application.update_processor.process_update(
                update, application.process_update(update)
            )
        finally:
            current_update.reset(marker)
        metrics.handler_seconds.labels("update").observe(time.perf_counter() - started)
        outcome = "duplicate" if in_flight.duplicate else "error" if in_flight.failed else "ok"
        metrics.updates_processed.labels(outcome).inc()
        if in_flight.database_failed:
            # Rolled back: Telegram sends it again later, and then it is applied (once).
            return PlainTextResponse("database unavailable", status_code=503)
        return Response(status_code=200)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        if instance.stopping:
            return PlainTextResponse("stopping", status_code=503)
        try:
            await check_reachable(running.runtime.engine)
            if not await is_current(running.runtime.engine):
                return PlainTextResponse("migrations pending", status_code=503)
        except Exception:
            running.runtime.metrics.database_errors.labels("readyz").inc()
            return PlainTextResponse("database unreachable", status_code=503)
        return PlainTextResponse("ready")

    async def metrics_page(_: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return Starlette(
        routes=[
            Route(webhook_path(settings), receive_update, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_page),
        ]
    )


class QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: :func:`serve_webhook` decides what SIGTERM
    does (uvicorn would re-raise it after serving, killing the process before cleanup)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class WebhookInstance:
    """One webhook instance: the bot and its HTTP server, started and stopped together."""

    settings: Settings
    running: RunningBot
    server: QuietServer | None = None
    serving: asyncio.Task[None] | None = None
    stopping: bool = False

    @property
    def port(self) -> int:
        assert self.server is not None and self.server.servers
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    def begin_shutdown(self) -> None:
        """Stop accepting; the requests in flight are finished (see :meth:`stop`)."""
        self.stopping = True
        if self.server is not None:
            self.server.should_exit = True

    async def stop(self) -> None:
        """Graceful: finish in-flight updates, stop the bot, release claimed timers."""
        self.begin_shutdown()
        if self.serving is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self.serving
        await self.running.stop()


async def start_webhook(settings: Settings, sock: socket.socket | None = None) -> WebhookInstance:
    """Listen (on ``sock`` if given, else HOST:PORT), start the bot, register the webhook."""
    if not settings.webhook_url or not settings.webhook_secret:
        raise ConfigError(
            "Configuration error: WEBHOOK_URL and WEBHOOK_SECRET are both needed for webhook mode."
        )
    if sock is None:
        sock = listen_on(settings.host, settings.port)
    instance = WebhookInstance(settings, await start_bot(settings, polling=False))
    try:
        server = QuietServer(
            uvicorn.Config(
                make_asgi_app(settings, instance.running, instance),
                host=settings.host,
                port=settings.port,
                log_config=None,  # keep our logging (and its secret filter)
                log_level="warning",
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
                # Longer than a load balancer's idle timeout (often 60 s), so the balancer
                # never reuses a connection the instance is just closing.
                timeout_keep_alive=KEEP_ALIVE_SECONDS,
            )
        )
        instance.server = server
        instance.serving = asyncio.create_task(server.serve(sockets=[sock]), name="webhook")
        while not server.started:
            if instance.serving.done():
                raise RuntimeError("the webhook server stopped while starting")
            await asyncio.sleep(0.01)
        if settings.webhook_register:
            await _register(instance.running, settings)
    except BaseException:
        await instance.stop()
        raise
    log.info("webhook listening on port %s", instance.port)
    return instance


def listen_on(host: str, port: int) -> socket.socket:
    """Bind before starting anything, so a busy port is one clear line, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise ConfigError(
            f"Network error: cannot listen on {host}:{port} ({exc.strerror}); "
            "set HOST and PORT to a free address."
        ) from None


async def _register(running: RunningBot, settings: Settings) -> None:
    assert settings.webhook_url and settings.webhook_secret
    try:
        await running.application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    except TelegramError as exc:
        raise ConfigError(
            f"Telegram error: setWebhook failed ({exc.message}); check WEBHOOK_URL."
        ) from None


async def serve_webhook(settings: Settings) -> int:
    """``python -m bot webhook``: serve until SIGTERM or SIGINT, then stop gracefully."""
    instance = await start_webhook(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, instance.begin_shutdown)
    assert instance.serving is not None
    with contextlib.suppress(Exception):
        await instance.serving  # returns once SIGTERM closed the server and requests finished
    await instance.stop()
    log.info("webhook instance stopped")
    return 0
