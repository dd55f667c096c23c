"""The chat channel's per-conversation message limit (rasa_extensions/rate_limit.py)."""

from __future__ import annotations

import pytest

from rasa_extensions.rate_limit import MessageRateLimiter, limiter_from_env
from web.chat.settings import SettingsError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_one_message_per_refill_interval():
    clock = Clock()
    limiter = MessageRateLimiter(burst=3, per_minute=60, clock=clock)
    assert [limiter.allow("a") for _ in range(5)] == [True, True, True, False, False]
    clock.now += 1.0  # one message a second comes back
    assert [limiter.allow("a") for _ in range(2)] == [True, False]
    clock.now += 60.0  # an idle conversation gets its whole burst again, never more
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]


def test_conversations_have_their_own_buckets():
    limiter = MessageRateLimiter(burst=1, per_minute=1, clock=Clock())
    assert limiter.allow("flooder") and not limiter.allow("flooder")
    assert limiter.allow("someone else")


def test_memory_stays_bounded_by_forgetting_full_buckets():
    clock = Clock()
    limiter = MessageRateLimiter(burst=2, per_minute=60, clock=clock, max_keys=100)
    for n in range(100):
        limiter.allow(f"c{n}")
    clock.now += 5  # every bucket is full again
    limiter.allow("one more")
    assert len(limiter._buckets) == 1
    assert limiter.allow("busy") and limiter.allow("busy")  # now empty: kept, it still limits
    for n in range(100):
        limiter.allow(f"d{n}")
    assert not limiter.allow("busy")


def test_configuration_from_the_environment(monkeypatch):
    monkeypatch.setenv("CHAT_BURST_MESSAGES", "2")
    monkeypatch.setenv("CHAT_MESSAGES_PER_MINUTE", "0")  # off
    limiter = limiter_from_env()
    assert not limiter.enabled and all(limiter.allow("x") for _ in range(100))
    monkeypatch.setenv("CHAT_MESSAGES_PER_MINUTE", "10")
    limiter = limiter_from_env()
    assert [limiter.allow("x") for _ in range(3)] == [True, True, False]
    with pytest.raises(ValueError):
        MessageRateLimiter(burst=0, per_minute=10)
    monkeypatch.setenv("CHAT_BURST_MESSAGES", "lots")
    with pytest.raises(SettingsError, match="CHAT_BURST_MESSAGES must be a whole number"):
        limiter_from_env()
