"""The benchmark's statistics and report (scripts/benchmark/) on synthetic data: no servers, no timing."""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

# `scripts` here is tests/scripts.py, so the bench package is found through its own folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from benchmark import conversations, report, stats


def test_percentile_interpolates_between_ranks_like_numpy():
    values = [10, 20, 30, 40]
    assert stats.percentile(values, 0) == 10
    assert stats.percentile(values, 50) == 25
    assert stats.percentile(values, 100) == 40
    assert stats.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert stats.percentile([7], 99) == 7
    assert stats.percentile([], 50) is None
    with pytest.raises(ValueError):
        stats.percentile(values, 101)


def test_latency_summary_is_in_milliseconds_and_ignores_order():
    summary = stats.latency_summary([0.3, 0.1, 0.2])
    assert summary == {"count": 3, "mean": 200.0, "min": 100.0, "p50": 200.0, "p95": 290.0, "p99": 298.0, "max": 300.0}
    assert stats.latency_summary([])["p95"] is None


def test_ratio_and_rate_handle_missing_and_zero():
    assert stats.ratio(300, 200) == 1.5
    assert stats.ratio(None, 200) is None and stats.ratio(300, None) is None and stats.ratio(1, 0) is None
    assert stats.rate(50, 10) == 5.0 and stats.rate(5, 0) is None


def test_targets_met_missed_and_not_measured():
    met = stats.check_targets(errors=0, p95_ratio=1.5, rasa_rss_mb=1200, actions_rss_mb=299.9)
    assert met["all_met"] is True and met["p95_ratio_at_most"]["met"] is True  # "at most" includes the limit
    missed = stats.check_targets(errors=1, p95_ratio=1.2, rasa_rss_mb=1536, actions_rss_mb=100)
    assert missed["errors_at_most"]["met"] is False
    assert missed["rasa_rss_mb_under"]["met"] is False  # "under" excludes the limit
    assert missed["all_met"] is False
    unknown = stats.check_targets(errors=0, p95_ratio=None, rasa_rss_mb=1000, actions_rss_mb=100)
    assert unknown["p95_ratio_at_most"]["met"] is None and unknown["all_met"] is None


def _deployment(seconds, failures=(), actions_mb=150.0, rasa_cpu=1.0):
    turns = [SimpleNamespace(kind="patient" if i % 2 else "physician", seconds=s) for i, s in enumerate(seconds)]
    return report.deployment_result(
        turns=turns,
        failures=list(failures),
        conversations=2,
        completed=2 - len(failures),
        turns_per_conversation={"a": len(seconds) // 2, "b": len(seconds) - len(seconds) // 2},
        wall_seconds=2.0,
        peak_rss_mb={"rasa": 1000.0, "actions": actions_mb},
        cpu_seconds={"rasa": rasa_cpu, "actions": 0.5},
        startup_seconds={"actions": 3.0, "rasa": 60.0},
        training_seconds=None,
        model="models/x.tar.gz",
        load_average_before=(1.0, 1.0, 1.0),
    )


def test_report_ratios_targets_and_tables_from_synthetic_runs():
    from benchmark.load import Failure

    ours = _deployment([0.2] * 19 + [0.6], failures=[Failure("a", "patient", 3, "timeout", "")])
    reference = _deployment([0.1] * 19 + [0.2], actions_mb=None, rasa_cpu=0.0)
    reference["peak_rss_mb"] = {"rasa": 900.0}
    assert ours["turns_per_second"] == 10.0 and ours["error_kinds"] == {"timeout": 1}
    assert ours["cpu_ms_per_turn"] == {"rasa": 50.0, "actions": 25.0, "total": 75.0}
    ratios = report.ratios(ours, reference)
    assert ratios == {
        "p50": 2.0,
        "cpu_per_turn": 3.0,
        "p95": pytest.approx(ours["latency_ms"]["p95"] / reference["latency_ms"]["p95"], abs=0.01),
    }
    targets = report.targets(ours, ratios)
    assert targets["errors_at_most"]["met"] is False and targets["all_met"] is False
    results = {"ours": ours, "reference": reference, "ratios": ratios, "targets": targets}
    json.dumps(results)  # the document is plain JSON
    table = report.figures_table(results)
    assert "latency p95 (ms)" in table and "2.00" in table
    assert "MISSED" in report.targets_table(targets)
    assert "timeout" in report.errors_text(results)
    alone = report.figures_table(
        {
            "ours": ours,
            "reference": None,
            "ratios": report.ratios(ours, None),
            "targets": report.targets(ours, report.ratios(ours, None)),
        }
    )
    assert "starter bot" in alone


def test_physicians_are_spread_evenly_and_starter_scripts_cycle():
    assert conversations.kinds_for(4, 0.5) == ["patient", "physician", "patient", "physician"]
    assert conversations.kinds_for(3, 0.0) == ["patient"] * 3
    assert conversations.kinds_for(2, 1.0) == ["physician"] * 2
    starter = conversations.starter("s", turns=3)
    said = [starter.next_message([]) for _ in range(4)]
    assert said[:3] == ["hello", "I am feeling very good", "hi"] and said[3] is None


def test_scaling_compares_two_replicas_with_one_server():
    one = {"turns_per_second": 10.0, "latency_ms": {"p50": 1000.0, "p95": 2000.0}}
    two = {"turns_per_second": 15.0, "latency_ms": {"p50": 800.0, "p95": 1000.0}}
    assert report.scaling(one, two) == {"throughput": 1.5, "p50": 0.8, "p95": 0.5}
    assert report.scaling(one, None) is None
