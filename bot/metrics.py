"""What an operator watches: counters and latencies in Prometheus format, served at /metrics.

One :class:`Metrics` per running bot (its own registry), so two instances started in one
test process keep separate numbers. Labels carry only method names, timer kinds, HTTP
status codes and outcomes: never a person's id, chat, text or token.

Bot API calls are counted by wrapping the HTTP transport (:class:`MeteredRequest`), so every
call is seen, whoever makes it (outbox, button answers, edits, setWebhook, getUpdates).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as render_registry
from telegram.request import BaseRequest, RequestData

from bot.flows.reminders import TIMER_KIND as REMINDER_TIMER

# A timer that fires this much after its due time counts as late (the dispatcher polls
# every second; more than this means it is behind).
LATE_AFTER_SECONDS = 5.0
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.updates_received = Counter(
            "stretchbot_updates_received",
            "Updates accepted from Telegram (webhook POSTs with the right secret).",
            registry=registry,
        )
        self.webhook_rejected = Counter(
            "stretchbot_webhook_rejected",
            "Webhook POSTs refused before processing.",
            ["reason"],  # secret | malformed
            registry=registry,
        )
        self.updates_processed = Counter(
            "stretchbot_updates_processed",
            "Updates finished, by outcome.",
            ["outcome"],  # ok | error | duplicate
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "stretchbot_handler_seconds",
            "Time to handle one update or timer, including sending the answer.",
            ["kind"],  # update | timer
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=registry,
        )
        self.bot_api_calls = Counter(
            "stretchbot_bot_api_calls",
            "Bot API requests by method and HTTP status ('network' when no answer came).",
            ["method", "status"],
            registry=registry,
        )
        self.timers_due = Counter(
            "stretchbot_timers_due",
            "Due timers claimed by this instance.",
            ["kind"],
            registry=registry,
        )
        self.timers_fired = Counter(
            "stretchbot_timers_fired",
            "Timers run to completion (their change committed).",
            ["kind"],
            registry=registry,
        )
        self.timers_late = Counter(
            "stretchbot_timers_late",
            f"Timers fired more than {LATE_AFTER_SECONDS:g} s after their due time.",
            ["kind"],
            registry=registry,
        )
        self.timer_delay_seconds = Histogram(
            "stretchbot_timer_delay_seconds",
            "How long after its due time a timer fired.",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=registry,
        )
        self.reminders_sent = Counter(
            "stretchbot_reminders_sent",
            "Reminder timers that committed a message to the outbox.",
            registry=registry,
        )
        self.database_errors = Counter(
            "stretchbot_database_errors",
            "Database errors that failed a unit of work or a dispatcher pass.",
            ["where"],  # update | timer | dispatch
            registry=registry,
        )

    def timer_fired(self, kind: str, delay_seconds: float, messages: int) -> None:
        self.timers_fired.labels(kind).inc()
        self.timer_delay_seconds.observe(max(0.0, delay_seconds))
        if delay_seconds > LATE_AFTER_SECONDS:
            self.timers_late.labels(kind).inc()
        if kind == REMINDER_TIMER and messages:
            self.reminders_sent.inc()

    def render(self) -> bytes:
        return render_registry(self.registry)


def api_method_of(url: str) -> str:
    """``.../bot<token>/sendMessage`` -> ``sendMessage``; the token never becomes a label."""
    return url.rsplit("/", 1)[-1].split("?", 1)[0][:64] or "unknown"


class MeteredRequest(BaseRequest):
    """Wraps any PTB transport and counts each call by method and HTTP status."""

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        self.inner, self.metrics = inner, metrics

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        api_method = api_method_of(url)
        try:
            status, payload = await self.inner.do_request(
                url, method, request_data, *args, **kwargs
            )
        except Exception:
            self.metrics.bot_api_calls.labels(api_method, "network").inc()
            raise
        self.metrics.bot_api_calls.labels(api_method, str(status)).inc()
        return status, payload
