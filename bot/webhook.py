"""Webhook mode: an ASGI app (Starlette + uvicorn) in front of the same Application.

Telegram POSTs each update to WEBHOOK_URL's path with the secret in
``X-Telegram-Bot-Api-Secret-Token``; a missing or wrong secret gets 403 and nothing is
processed. ``/healthz`` says the process is up, ``/readyz`` that the database is reachable
and migrated.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.config import ConfigError, Settings
from bot.db.engine import check_reachable
from bot.db.migrate import is_current
from bot.launch import RunningBot, start_bot

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def make_asgi_app(settings: Settings, running: RunningBot) -> Starlette:
    assert settings.webhook_url and settings.webhook_secret
    path = urlsplit(settings.webhook_url).path or "/"
    secret = settings.webhook_secret.get_secret_value().encode()
    application = running.application

    async def receive_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except ValueError:
            return PlainTextResponse("bad update", status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        try:
            await check_reachable(running.runtime.engine)
            if not await is_current(running.runtime.engine):
                return PlainTextResponse("migrations pending", status_code=503)
        except Exception:
            return PlainTextResponse("database unreachable", status_code=503)
        return PlainTextResponse("ready")

    return Starlette(
        routes=[
            Route(path, receive_update, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ]
    )


async def serve_webhook(settings: Settings) -> int:
    if not settings.webhook_url or not settings.webhook_secret:
        raise ConfigError(
            "Configuration error: WEBHOOK_URL and WEBHOOK_SECRET are both needed for webhook mode."
        )
    running = await start_bot(settings, polling=False)
    bot = running.application.bot
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            make_asgi_app(settings, running),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            lifespan="off",
        )
    )
    try:
        await server.serve()  # returns on SIGTERM / SIGINT after in-flight requests finish
    finally:
        await running.stop()
    return 0
