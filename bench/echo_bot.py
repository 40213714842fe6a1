"""The baseline: a minimal python-telegram-bot echo bot, with a choice of HTTP client.

``python -m bench.echo_bot --base-url http://127.0.0.1:PORT/bot --token T --client aiohttp
--concurrency 64`` replies to every text with the same text, nothing else.
"""

from __future__ import annotations

import argparse

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from bot.http import AiohttpRequest


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


def build(base_url: str, token: str, client: str, concurrency: int) -> Application:  # type: ignore[type-arg]
    pool = max(8, concurrency)
    request = (
        AiohttpRequest(connection_pool_size=pool)
        if client == "aiohttp"
        else HTTPXRequest(connection_pool_size=pool)
    )
    application = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .request(request)
        .concurrent_updates(concurrency)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    return application


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--client", choices=["aiohttp", "httpx"], default="aiohttp")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    build(args.base_url, args.token, args.client, args.concurrency).run_polling(
        poll_interval=0.0, timeout=10, drop_pending_updates=True
    )


if __name__ == "__main__":
    main()
