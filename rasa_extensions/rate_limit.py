"""How fast one conversation may send messages on the public chat channel.

A token bucket per conversation: ``burst`` messages at once, then
``per_minute`` on average. A person answering questions stays far below it
(each answer waits for the next question); a script flooding one session is
answered "please slow down" without its messages reaching the NLU.

Hand-written (a few lines) because the well-kept library for this, ``limits``,
needs packaging>=21 and Rasa 3.6 pins packaging 20.9. In memory, per Rasa
replica: with N replicas a flood gets at most N times the rate; per-address
connection limits belong to the reverse proxy (SECURITY.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bot.env import env_int

SLOW_DOWN = "You're sending messages faster than I can answer. Please wait a few seconds, then send your answer again."


class MessageRateLimiter:
    def __init__(
        self, burst: int, per_minute: float, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000
    ) -> None:
        if burst < 1 or per_minute < 0:
            raise ValueError("burst must be at least 1 and per_minute not negative")
        self.burst, self.per_second = float(burst), per_minute / 60.0
        self.clock, self.max_keys = clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens left, when)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def allow(self, key: str) -> bool:
        """Take one message from ``key``'s bucket; False when it is empty."""
        if not self.enabled:
            return True
        with self._lock:
            now = self.clock()
            tokens = self._tokens(key, now)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > self.max_keys:
                self._forget_full(now)
            return allowed

    def _tokens(self, key: str, now: float) -> float:
        tokens, when = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - when) * self.per_second)

    def _forget_full(self, now: float) -> None:
        # A full bucket is the same as no bucket: dropping it bounds memory.
        for key in [k for k in self._buckets if self._tokens(k, now) >= self.burst]:
            del self._buckets[key]


def limiter_from_env() -> MessageRateLimiter:
    """CHAT_BURST_MESSAGES (30) and CHAT_MESSAGES_PER_MINUTE (60; 0 turns the limit off)."""
    return MessageRateLimiter(env_int("CHAT_BURST_MESSAGES", 30), env_int("CHAT_MESSAGES_PER_MINUTE", 60, minimum=0))
