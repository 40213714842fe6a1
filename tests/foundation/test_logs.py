"""Secrets never reach a log line, whatever a library logs."""

from __future__ import annotations

import logging

from bot.logs import SecretFilter

TOKEN = "123456789:AAHsecretsecretsecretsecretsecret01"


def test_token_in_message_args_and_traceback_is_redacted() -> None:
    record = logging.LogRecord(
        "x",
        logging.ERROR,
        __file__,
        1,
        "POST https://api.telegram.org/bot%s/sendMessage",
        (TOKEN,),
        None,
    )
    try:
        raise RuntimeError(f"failed for {TOKEN}")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    SecretFilter([TOKEN]).filter(record)
    formatted = logging.Formatter().format(record)
    assert TOKEN not in formatted
    assert "[redacted]" in formatted
