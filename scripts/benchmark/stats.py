"""Statistics of a benchmark run: pure functions on plain numbers, no I/O."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

# The targets. "GB"/"MB" read as binary units (psutil reports bytes).
TARGET_P95_RATIO = 1.5
TARGET_RASA_RSS_MB = 1.5 * 1024
TARGET_ACTIONS_RSS_MB = 300.0


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation between ranks
    (numpy's default method); None for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0-100, not {q}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: Iterable[float]) -> dict[str, float | None]:
    """Per-turn latencies (seconds) as milliseconds: count, mean, min, p50, p95, p99, max."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"count": 0, "mean": None, "min": None, "p50": None, "p95": None, "p99": None, "max": None}
    return {
        "count": len(ms),
        "mean": round(sum(ms) / len(ms), 1),
        "min": round(min(ms), 1),
        "p50": round(percentile(ms, 50), 1),
        "p95": round(percentile(ms, 95), 1),
        "p99": round(percentile(ms, 99), 1),
        "max": round(max(ms), 1),
    }


def rate(count: int, seconds: float) -> float | None:
    """Events per second; None when no time passed."""
    return round(count / seconds, 2) if seconds > 0 else None


def per_turn_ms(seconds: float, turns: int) -> float | None:
    """Seconds spent over `turns` turns, as milliseconds per turn."""
    return round(seconds * 1000 / turns, 1) if turns else None


def ratio(ours: float | None, reference: float | None) -> float | None:
    """ours / reference, or None when either is missing or the reference is zero."""
    if ours is None or reference is None or reference == 0:
        return None
    return round(ours / reference, 2)


def _target(value: float | None, limit: float, strict: bool) -> dict:
    if value is None:
        met = None  # not measured: neither met nor missed
    else:
        met = value < limit if strict else value <= limit
    return {"value": value, "limit": limit, "met": met}


def check_targets(
    errors: int, p95_ratio: float | None, rasa_rss_mb: float | None, actions_rss_mb: float | None
) -> dict:
    """Each target of the issue as {value, limit, met}, plus "all_met".

    A target that could not be measured (no reference run, say) has met=None
    and does not make all_met false, but all_met is None when any is None.
    """
    targets = {
        "p95_ratio_at_most": _target(p95_ratio, TARGET_P95_RATIO, strict=False),
        "errors_at_most": _target(errors, 0, strict=False),
        "rasa_rss_mb_under": _target(rasa_rss_mb, TARGET_RASA_RSS_MB, strict=True),
        "actions_rss_mb_under": _target(actions_rss_mb, TARGET_ACTIONS_RSS_MB, strict=True),
    }
    verdicts = [t["met"] for t in targets.values()]
    if False in verdicts:
        all_met: bool | None = False
    elif None in verdicts:
        all_met = None
    else:
        all_met = True
    return {**targets, "all_met": all_met}
