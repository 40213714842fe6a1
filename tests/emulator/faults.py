"""Things that go wrong on purpose: injected faults, Telegram's flood limits, and counters.

A :class:`FaultRule` makes matching requests fail (429, 403, 500, 502), wait, or lose their
connection, for the next K calls or with probability p from a seeded RNG, so a failing run can
be replayed. :class:`FloodLimiter` answers 429 with ``retry_after`` the way Telegram does when a
bot sends too fast (30 messages/s overall, about 1/s per chat after a burst of 5, 20/min per
group). Both are checked BEFORE a method acts, so a refused request never stores a message and
a retry is safe. :class:`Counters` lets tests and benchmarks assert things like "zero 429".
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from tests.emulator.protocol import ApiError

# Only these count against flood limits: they put a new message into a chat.
MESSAGE_SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendSticker",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVideoNote",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)


class FaultKind(StrEnum):
    TOO_MANY_REQUESTS = "429"
    BLOCKED = "403"
    INTERNAL_ERROR = "500"
    BAD_GATEWAY = "502"
    DELAY = "delay"
    DROP = "drop"  # close the socket without answering


_ERROR_DESCRIPTIONS = {
    FaultKind.BLOCKED: "Forbidden: bot was blocked by the user",
    FaultKind.INTERNAL_ERROR: "Internal Server Error",
    FaultKind.BAD_GATEWAY: "Bad Gateway",
}


@dataclass
class FaultRule:
    """Which calls fail and how. With neither ``times`` nor ``probability`` it fires every time."""

    kind: FaultKind
    method: str | None = None  # None: any method
    chat_id: int | None = None  # None: any chat
    times: int | None = None  # fire for the next K matching calls, then retire
    probability: float | None = None  # fire with this chance per matching call
    retry_after: int = 5  # for 429
    seconds: float = 1.0  # for delay
    id: int = 0
    fired: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError | None:
        """The error answer this rule gives; None for delay and drop."""
        if self.kind is FaultKind.TOO_MANY_REQUESTS:
            return ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                retry_after=self.retry_after,
            )
        description = _ERROR_DESCRIPTIONS.get(self.kind)
        return None if description is None else ApiError(int(self.kind), description)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        known = {"kind", "method", "chat_id", "times", "probability", "retry_after", "seconds"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}")
        values = dict(data)
        values["kind"] = FaultKind(str(values["kind"]))
        return cls(**values)


class FaultInjector:
    """The active fault rules, consulted once per Bot API request."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._random = random.Random(seed)
        self.fired: Counter[str] = Counter()

    def reseed(self, seed: int) -> None:
        self._random = random.Random(seed)

    @property
    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def add(
        self,
        kind: FaultKind | str,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = None,
        probability: float | None = None,
        retry_after: int = 5,
        seconds: float = 1.0,
    ) -> FaultRule:
        rule = FaultRule(FaultKind(kind), method, chat_id, times, probability, retry_after, seconds)
        return self.add_rule(rule)

    def add_rule(self, rule: FaultRule) -> FaultRule:
        if rule.probability is not None and not 0 <= rule.probability <= 1:
            raise ValueError("probability must be between 0 and 1")
        rule.id = self._next_id
        self._next_id += 1
        self._rules.append(rule)
        return rule

    def too_many_requests(self, retry_after: int = 5, **match: Any) -> FaultRule:
        return self.add(FaultKind.TOO_MANY_REQUESTS, retry_after=retry_after, **match)

    def blocked(self, **match: Any) -> FaultRule:
        return self.add(FaultKind.BLOCKED, **match)

    def server_error(self, code: int = 500, **match: Any) -> FaultRule:
        return self.add(FaultKind(str(code)), **match)

    def delay(self, seconds: float, **match: Any) -> FaultRule:
        return self.add(FaultKind.DELAY, seconds=seconds, **match)

    def drop(self, **match: Any) -> FaultRule:
        return self.add(FaultKind.DROP, **match)

    def remove(self, rule: FaultRule | int) -> None:
        rule_id = rule if isinstance(rule, int) else rule.id
        self._rules = [r for r in self._rules if r.id != rule_id]

    def clear(self) -> None:
        self._rules.clear()

    def pick(self, method: str, chat_id: int | None) -> FaultRule | None:
        """The first rule that fires for this call (counting it), or None."""
        for rule in self._rules:
            if not rule.matches(method, chat_id):
                continue
            if rule.probability is not None and self._random.random() >= rule.probability:
                continue
            rule.fired += 1
            self.fired[rule.kind.value] += 1
            if rule.times is not None and rule.fired >= rule.times:
                self._rules.remove(rule)
            return rule
        return None


@dataclass
class _Bucket:
    """Token bucket: ``capacity`` sends at once, refilled at ``rate`` per second."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def wait_needed(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _Window:
    """A stricter overall counter: at most ``limit`` sends in any one second (a sliding
    window), so a burst of a second's worth right after a quiet spell is refused."""

    limit: float
    sent: deque[float] = field(default_factory=deque)

    def wait_needed(self, now: float) -> float:
        while self.sent and self.sent[0] <= now - 1.0:
            self.sent.popleft()
        return 0.0 if len(self.sent) < self.limit else self.sent[0] + 1.0 - now

    def take(self, now: float) -> None:
        self.sent.append(now)


@dataclass
class FloodSettings:
    enabled: bool = False
    global_per_second: float = 30.0
    # Telegram does not say how it counts its 30 a second. "bucket": a token bucket, which
    # lets a second's worth through at once after a pause; "window": any one second.
    overall_counting: str = "bucket"
    chat_burst: int = 5  # private chats: Telegram tolerates short bursts above 1/s
    chat_per_second: float = 1.0
    group_per_minute: float = 20.0
    # With allow_paid_broadcast (Bot API 7.11) the overall limit is 1,000 a second.
    paid_per_second: float = 1000.0


class FloodLimiter:
    """Telegram's sending limits. Off by default; a refused send costs no token."""

    def __init__(self) -> None:
        # Seconds, for the token buckets; a test may freeze it to make "at once" exact.
        self.clock: Callable[[], float] = time.monotonic
        self.settings = FloodSettings()
        self._global: _Bucket | None = None
        self._window: _Window | None = None
        self._paid: _Bucket | None = None
        self._chats: dict[int, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    def configure(self, **settings: Any) -> FloodSettings:
        unknown = set(settings) - set(asdict(self.settings))
        if unknown:
            raise ValueError(f"unknown flood settings: {sorted(unknown)}")
        counting = settings.get("overall_counting", self.settings.overall_counting)
        if counting not in ("bucket", "window"):
            raise ValueError(f"overall_counting is bucket or window, not {counting!r}")
        for key, value in settings.items():
            current = getattr(self.settings, key)
            if isinstance(current, bool):
                value = value is True or str(value).lower() in ("true", "1")
            setattr(self.settings, key, type(current)(value))
        self._global = self._paid = None
        self._window = None
        self._chats.clear()
        return self.settings

    def enable(self, **settings: Any) -> FloodSettings:
        return self.configure(enabled=True, **settings)

    def disable(self) -> FloodSettings:
        return self.configure(enabled=False)

    def check(
        self, chat_id: int | None, *, is_group: bool, now: float, paid: bool = False
    ) -> int | None:
        """``retry_after`` seconds if this send is over a limit, else None (and count it).

        ``paid``: sent with allow_paid_broadcast, so counted against the paid overall limit
        instead of the free one (the per-chat limits stay)."""
        settings = self.settings
        if paid:
            if self._paid is None:
                per_second = settings.paid_per_second
                self._paid = _Bucket(per_second, per_second, per_second, now)
            overall = self._paid
        else:
            if self._global is None:
                per_second = settings.global_per_second
                self._global = _Bucket(per_second, per_second, per_second, now)
            overall = self._global
        buckets = [overall]
        if chat_id is not None:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                if is_group:
                    per_minute = settings.group_per_minute
                    bucket = _Bucket(per_minute, per_minute / 60, per_minute, now)
                else:
                    burst = max(1, settings.chat_burst)
                    bucket = _Bucket(burst, settings.chat_per_second, burst, now)
                self._chats[chat_id] = bucket
            buckets.append(bucket)
        window = None
        if not paid and settings.overall_counting == "window":
            if self._window is None:
                self._window = _Window(settings.global_per_second)
            window = self._window
        wait = max(b.wait_needed(now) for b in buckets)
        if window is not None:
            wait = max(wait, window.wait_needed(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        for b in buckets:
            b.tokens -= 1
        if window is not None:
            window.take(now)
        return None


@dataclass
class Counters:
    """Calls per method and error answers per status code, since start or the last reset."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    errors_by_method: dict[str, Counter[int]] = field(default_factory=dict)
    dropped: int = 0
    flood_limited: int = 0
    # Message sends that came while a 429's retry_after was still running (not counting
    # those already on their way when the 429 was answered): a bot should send none.
    sent_while_told_to_wait: int = 0

    def call(self, method: str) -> None:
        self.calls[method] += 1

    def error(self, method: str, code: int) -> None:
        self.errors[code] += 1
        per_method = self.errors_by_method.get(method)
        if per_method is None:
            per_method = self.errors_by_method[method] = Counter()
        per_method[code] += 1

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready numbers (status codes become string keys)."""
        return {
            "calls": dict(self.calls),
            "errors": {str(code): n for code, n in self.errors.items()},
            "errors_by_method": {
                method: {str(code): n for code, n in codes.items()}
                for method, codes in self.errors_by_method.items()
            },
            "dropped": self.dropped,
            "flood_limited": self.flood_limited,
            "sent_while_told_to_wait": self.sent_while_told_to_wait,
        }
