"""The results document (var/bench/results.json) and the table printed from it."""

from __future__ import annotations

import os
import platform
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict

from tabulate import tabulate

from . import stats


def deployment_result(
    *,
    turns: Sequence,
    failures: Sequence,
    conversations: int,
    completed: int,
    turns_per_conversation: dict[str, int],
    wall_seconds: float,
    peak_rss_mb: dict[str, float],
    cpu_seconds: dict[str, float],
    startup_seconds: dict[str, float | None],
    training_seconds: float | None,
    model: str,
    load_average_before: Sequence[float],
    other_cpu_seconds: float = 0.0,
) -> dict:
    """One deployment's figures. `turns` have .kind and .seconds; `failures` are dataclasses;
    cpu_seconds are the servers' CPU seconds while the measured conversations ran."""
    kinds = sorted({turn.kind for turn in turns})
    counts = list(turns_per_conversation.values())
    cpu_total = sum(cpu_seconds.values())
    return {
        "model": model,
        "conversations": conversations,
        "completed": completed,
        "turns": len(turns),
        "turns_per_conversation": round(sum(counts) / len(counts), 1) if counts else None,
        "wall_seconds": round(wall_seconds, 1),
        "turns_per_second": stats.rate(len(turns), wall_seconds),
        "latency_ms": stats.latency_summary(turn.seconds for turn in turns),
        "latency_ms_by_kind": {
            kind: stats.latency_summary(t.seconds for t in turns if t.kind == kind) for kind in kinds
        },
        "errors": len(failures),
        "error_kinds": dict(Counter(failure.error for failure in failures)),
        "error_samples": [asdict(failure) for failure in failures[:10]],
        "peak_rss_mb": peak_rss_mb,
        "cpu_seconds": cpu_seconds,
        # CPU the servers spent per turn: less disturbed than latency by other
        # programs on the machine (still varies ~20% run to run on a shared VM)
        "cpu_ms_per_turn": {
            **{name: stats.per_turn_ms(seconds, len(turns)) for name, seconds in cpu_seconds.items()},
            "total": stats.per_turn_ms(cpu_total, len(turns)),
        },
        "startup_seconds": startup_seconds,
        "training_seconds": training_seconds,
        "load_average_before": [round(x, 2) for x in load_average_before],
        # share of all CPUs busy with anything but the servers and the load driver
        # (other programs, other VMs) while the conversations ran: a disturbed run shows here
        "other_cpu_load_percent": (
            round(100 * other_cpu_seconds / (wall_seconds * (os.cpu_count() or 1)), 1) if wall_seconds > 0 else None
        ),
    }


def ratios(ours: dict, reference: dict | None) -> dict:
    if not reference:
        return {"p50": None, "p95": None, "cpu_per_turn": None}
    return {
        **{q: stats.ratio(ours["latency_ms"][q], reference["latency_ms"][q]) for q in ("p50", "p95")},
        "cpu_per_turn": stats.ratio(ours["cpu_ms_per_turn"]["total"], reference["cpu_ms_per_turn"]["total"]),
    }


def scaling(single: dict, replicas: dict | None) -> dict | None:
    """Two replicas against one server: the gain (or its absence) in throughput."""
    if not replicas:
        return None
    return {
        "throughput": stats.ratio(replicas["turns_per_second"], single["turns_per_second"]),
        "p50": stats.ratio(replicas["latency_ms"]["p50"], single["latency_ms"]["p50"]),
        "p95": stats.ratio(replicas["latency_ms"]["p95"], single["latency_ms"]["p95"]),
    }


def scaling_table(results: dict) -> str:
    one, two, gain = results["ours"], results["replicas"], results["scaling"]
    rows = [
        _row("turns per second", one["turns_per_second"], two["turns_per_second"], gain["throughput"]),
        _row("latency p50 (ms)", one["latency_ms"]["p50"], two["latency_ms"]["p50"], gain["p50"]),
        _row("latency p95 (ms)", one["latency_ms"]["p95"], two["latency_ms"]["p95"], gain["p95"]),
        _row("errors", one["errors"], two["errors"]),
        _row(
            "conversations completed",
            f"{one['completed']}/{one['conversations']}",
            f"{two['completed']}/{two['conversations']}",
        ),
        _row("CPU per turn, all servers (ms)", one["cpu_ms_per_turn"]["total"], two["cpu_ms_per_turn"]["total"]),
    ]
    for name, mb in sorted(two["peak_rss_mb"].items()):
        rows.append(_row(f"peak RSS {name} (MB)", one["peak_rss_mb"].get(name.split("-")[0]), mb))
    return tabulate(
        rows,
        headers=["", "one server (SQLite)", "two replicas (PostgreSQL, Redis)", "two / one"],
        tablefmt="github",
        disable_numparse=True,
    )


def targets(ours: dict, ratio_values: dict) -> dict:
    return stats.check_targets(
        errors=ours["errors"],
        p95_ratio=ratio_values["p95"],
        rasa_rss_mb=ours["peak_rss_mb"].get("rasa"),
        actions_rss_mb=ours["peak_rss_mb"].get("actions"),
    )


def machine(rasa_version: str, rasa_sdk_version: str) -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "rasa": rasa_version,
        "rasa_sdk": rasa_sdk_version,
        "platform": platform.platform(),
        "executable": sys.executable,
    }


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"
    return str(value)


def _row(label: str, ours, reference, ratio=None) -> list[str]:
    return [label, _fmt(ours), _fmt(reference), _fmt(ratio) if ratio is not None else ""]


def figures_table(results: dict) -> str:
    ours, ref = results["ours"], results.get("reference") or {}
    r = results["ratios"]

    def get(doc: dict, *keys):
        for key in keys:
            if not isinstance(doc, dict) or key not in doc:
                return None
            doc = doc[key]
        return doc

    rows = [
        _row(
            "conversations completed",
            f"{ours['completed']}/{ours['conversations']}",
            f"{ref['completed']}/{ref['conversations']}" if ref else None,
        ),
        _row("turns", ours["turns"], get(ref, "turns")),
        _row("turns per conversation", ours["turns_per_conversation"], get(ref, "turns_per_conversation")),
        _row("latency p50 (ms)", ours["latency_ms"]["p50"], get(ref, "latency_ms", "p50"), r["p50"]),
        _row("latency p95 (ms)", ours["latency_ms"]["p95"], get(ref, "latency_ms", "p95"), r["p95"]),
        _row("latency p99 (ms)", ours["latency_ms"]["p99"], get(ref, "latency_ms", "p99")),
        _row("latency mean (ms)", ours["latency_ms"]["mean"], get(ref, "latency_ms", "mean")),
        _row("latency max (ms)", ours["latency_ms"]["max"], get(ref, "latency_ms", "max")),
        _row("turns per second", ours["turns_per_second"], get(ref, "turns_per_second")),
        _row("errors", ours["errors"], get(ref, "errors")),
        _row(
            "CPU per turn, all servers (ms)",
            ours["cpu_ms_per_turn"]["total"],
            get(ref, "cpu_ms_per_turn", "total"),
            r.get("cpu_per_turn"),
        ),
        _row(
            "CPU per turn, Rasa server (ms)", ours["cpu_ms_per_turn"].get("rasa"), get(ref, "cpu_ms_per_turn", "rasa")
        ),
        _row(
            "CPU per turn, action server (ms)",
            ours["cpu_ms_per_turn"].get("actions"),
            get(ref, "cpu_ms_per_turn", "actions"),
        ),
        _row("peak RSS Rasa server (MB)", ours["peak_rss_mb"].get("rasa"), get(ref, "peak_rss_mb", "rasa")),
        _row("peak RSS action server (MB)", ours["peak_rss_mb"].get("actions"), get(ref, "peak_rss_mb", "actions")),
        _row("start-up Rasa server (s)", ours["startup_seconds"].get("rasa"), get(ref, "startup_seconds", "rasa")),
        _row(
            "start-up action server (s)", ours["startup_seconds"].get("actions"), get(ref, "startup_seconds", "actions")
        ),
        _row("training, clean (s)", ours["training_seconds"], get(ref, "training_seconds")),
        _row("other CPU load meanwhile (%)", ours.get("other_cpu_load_percent"), get(ref, "other_cpu_load_percent")),
    ]
    for kind, summary in ours["latency_ms_by_kind"].items():
        rows.append(_row(f"{kind} latency p50 / p95 (ms)", f"{_fmt(summary['p50'])} / {_fmt(summary['p95'])}", None))
    return tabulate(
        rows, headers=["", "ours", "starter bot", "ours / starter"], tablefmt="github", disable_numparse=True
    )


def targets_table(target_results: dict) -> str:
    names = {
        "p95_ratio_at_most": "p95 latency / starter bot's",
        "errors_at_most": "errors",
        "rasa_rss_mb_under": "peak RSS Rasa server (MB)",
        "actions_rss_mb_under": "peak RSS action server (MB)",
    }
    rows = []
    for key, label in names.items():
        target = target_results[key]
        relation = "<=" if key.endswith("at_most") else "<"
        met = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        rows.append([label, f"{relation} {_fmt(target['limit'])}", _fmt(target["value"]), met])
    return tabulate(rows, headers=["target", "limit", "measured", ""], tablefmt="github", disable_numparse=True)


def errors_text(results: dict) -> str:
    lines = []
    for name in ("ours", "reference", "replicas"):
        doc = results.get(name) or {}
        for sample in doc.get("error_samples", []):
            lines.append(f"  {name}: {sample['sender']} turn {sample['turn']}: {sample['error']} {sample['detail']}")
    return "\n".join(lines)
