#!/usr/bin/env python3
"""Benchmark whole screenings over the REST channel against Rasa's starter bot.

    .venv/bin/python scripts/bench.py [--skip-train] [--no-reference] ...   (make bench)

Trains if needed (scripts/train.sh), times a clean training of our bot (fresh
output folder and cache), starts the action server and the Rasa server on free
ports and drives CONVERSATIONS complete screenings (patients and physicians,
scripted answers) CONCURRENCY at a time over POST /webhooks/rest/webhook. Then
the same for the reference, the `rasa init` starter bot trained in a temporary
folder, with the same concurrency and the same turns per conversation. Prints a
table and writes var/bench/results.json: per-turn latency p50/p95/p99, turns
per second, errors, peak resident memory and start-up seconds of each server,
training seconds, our p50/p95 as ratios to the starter bot's, and the targets.

The two bots run one after the other, each warmed up first. Server logs:
var/bench/logs/. It prints figures; it is not a test (exit code 0 unless it
could not run, or --fail-on-missed-targets and a target was missed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from benchmark import conversations, deployment, load, profiling, progress, report, suite_helpers, training
from benchmark.resources import PeakMemory, cpu_seconds, machine_busy_seconds, own_cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "var" / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bot import env  # noqa: E402 - needs the project root on the path, added just above


def env_int(name: str, default: int) -> int:
    try:
        return env.env_int(name, default)
    except env.SettingsError as error:
        raise SystemExit(f"bench: {error}") from None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--concurrency",
        type=int,
        default=env_int("CONCURRENCY", 20),
        help="conversations in flight at once (default 20, env CONCURRENCY)",
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=env_int("CONVERSATIONS", 40),
        help="conversations measured per bot (default 40, env CONVERSATIONS)",
    )
    parser.add_argument(
        "--physician-share",
        type=float,
        default=0.5,
        help="share of our conversations that are physicians' (default 0.5)",
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="conversations run before measuring each bot, not counted (default 2)"
    )
    parser.add_argument(
        "--max-turns",
        type=int,
        default=80,
        help="a conversation that has not ended after this many turns is an error (default 80)",
    )
    parser.add_argument(
        "--turn-timeout",
        type=float,
        default=120,
        help="seconds one turn may take before it counts as an error (default 120)",
    )
    parser.add_argument(
        "--skip-train",
        action="store_true",
        help="no clean training: use the current model (training not measured) and the "
        "starter bot saved by an earlier run, if any",
    )
    parser.add_argument("--no-reference", action="store_true", help="do not measure the starter bot")
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="record a py-spy profile of each server while the "
        "measured conversations run, into var/bench/profiles/ (py-spy is not in the venv: "
        "see scripts/benchmark/profiling.py; a profiled run is a little slower)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        choices=(1, 2),
        default=env_int("REPLICAS", 1),
        help="2: also drive two Rasa and two action-server replicas sharing PostgreSQL "
        "and Redis on loopback (docs/deployment.md) and report their throughput "
        "beside the single server's (default 1, env REPLICAS)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH_DIR / "results.json",
        help="where to write the results (default var/bench/results.json)",
    )
    parser.add_argument(
        "--fail-on-missed-targets", action="store_true", help="exit with code 3 when a measured target is missed"
    )
    args = parser.parse_args(argv)
    if args.py_spy and not os.access(args.py_spy, os.X_OK):
        parser.error(f"--py-spy {args.py_spy}: not an executable")
    if args.concurrency < 1 or args.conversations < 1 or args.warmup < 0 or args.max_turns < 1:
        parser.error("--concurrency, --conversations and --max-turns must be at least 1, --warmup at least 0")
    return args


def measure(
    target: deployment.Deployment,
    warmups: list[conversations.Conversation],
    measured: list[conversations.Conversation],
    args: argparse.Namespace,
    training_seconds: float | None,
    model: Path,
) -> dict:
    """Start the deployment, warm it up, drive the measured conversations, stop it."""
    label = {"ours": "our bot", "replicas": "our bot on two replicas"}.get(target.name, "the starter bot")
    with target, PeakMemory(target.pids) as memory:
        with progress.phase(f"starting {label}"):
            target.start(on_server=lambda server: progress.say(f"  starting {server.name} server"))
        if warmups:
            with progress.phase(f"warming up {label} ({len(warmups)} conversations)"):
                warm = load.drive(
                    warmups,
                    target.urls,
                    min(args.concurrency, len(warmups)),
                    args.max_turns,
                    args.turn_timeout,
                    headers=target.headers,
                )
            for failure in warm.failures:
                progress.say(f"  warm-up error: {failure.error} {failure.detail}")
        load_average = os.getloadavg()
        progress.say(
            f"measuring {label}: {len(measured)} conversations, {args.concurrency} at once "
            f"(load average {load_average[0]:.1f})"
        )
        bar = progress.conversation_bar(len(measured), target.name)

        def on_done(result: load.LoadResult) -> None:
            bar.set_postfix(turns=len(result.turns), errors=len(result.failures), refresh=False)
            bar.update(1)

        last_refresh = [time.monotonic()]

        def on_turn(result: load.LoadResult) -> None:
            # conversations end in bursts; show the turns in between
            if time.monotonic() - last_refresh[0] >= 2:
                last_refresh[0] = time.monotonic()
                bar.set_postfix(turns=len(result.turns), errors=len(result.failures))

        cpu_before, machine_before, driver_before = (
            cpu_seconds(target.pids()),
            machine_busy_seconds(),
            own_cpu_seconds(),
        )
        try:
            with profiling.py_spy(args.py_spy, target.pids(), BENCH_DIR / "profiles", target.name) as profiles:
                result = load.drive(
                    measured,
                    target.urls,
                    args.concurrency,
                    args.max_turns,
                    args.turn_timeout,
                    on_done,
                    on_turn,
                    headers=target.headers,
                )
        finally:
            bar.close()
        for profile in profiles:
            progress.say(f"profile: {_shown(profile)}")
        cpu_used = {
            name: round(seconds - cpu_before.get(name, 0.0), 1) for name, seconds in cpu_seconds(target.pids()).items()
        }
        # Whatever else kept the CPUs busy meanwhile (other programs on a shared machine)
        others = (
            (machine_busy_seconds() - machine_before) - sum(cpu_used.values()) - (own_cpu_seconds() - driver_before)
        )
        target.check_alive()
    return report.deployment_result(
        turns=result.turns,
        failures=result.failures,
        conversations=len(measured),
        completed=result.completed,
        turns_per_conversation=result.turns_per_conversation,
        wall_seconds=result.wall_seconds,
        peak_rss_mb=memory.peaks_mb(),
        cpu_seconds=cpu_used,
        startup_seconds=target.startup_seconds(),
        training_seconds=training_seconds,
        model=_shown(model),
        load_average_before=load_average,
        other_cpu_seconds=max(0.0, others),
    )


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def starter_turns(ours: list[conversations.Conversation]) -> list[int]:
    """Turns for each starter-bot conversation, after ours have run: as many as the
    longest of ours of the same kind took (so a failed one does not shorten the
    reference's), giving both bots the same load shape."""
    longest: dict[str, int] = {}
    for conversation in ours:
        longest[conversation.kind] = max(longest.get(conversation.kind, 1), conversation.turns_sent)
    return [longest[conversation.kind] for conversation in ours]


def run(args: argparse.Namespace) -> dict:
    run_id = uuid.uuid4().hex[:8]
    logs = BENCH_DIR / "logs"
    shutil.rmtree(logs, ignore_errors=True)  # this run's logs only
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        with progress.phase("checking the model (scripts/train.sh trains it if the data changed)"):
            model = training.current_model(logs / "train-if-needed.log")
        ours_training = None
        if not args.skip_train:
            with progress.phase("training our bot from a clean cache (timed; log var/bench/logs/train-clean.log)"):
                ours_training, _ = training.train_ours_clean(tmp / "clean", logs / "train-clean.log")

        starter_model, starter_training = None, None
        if not args.no_reference:
            starter_model = training.saved_starter(BENCH_DIR / "starter") if args.skip_train else None
            if starter_model is None:
                with progress.phase("creating and training the starter bot (rasa init; timed)"):
                    starter_training, starter_model = training.init_starter(
                        tmp / "init", BENCH_DIR / "starter", logs / "rasa-init.log"
                    )

        ours_conversations = conversations.our_conversations(run_id, args.conversations, args.physician_share)
        warm_ours = conversations.our_conversations(f"warmup-{run_id}", args.warmup, args.physician_share)
        ours = measure(
            deployment.single_node(model, _workdir(tmp / "ours"), logs / "ours"),
            warm_ours,
            ours_conversations,
            args,
            ours_training,
            model,
        )

        reference = None
        if starter_model is not None:
            turns_each = starter_turns(ours_conversations)
            warm_starter = conversations.starter_conversations(f"warmup-{run_id}", [10] * args.warmup)
            reference = measure(
                deployment.starter_bot(
                    starter_model.parent.parent, starter_model, _workdir(tmp / "reference"), logs / "reference"
                ),
                warm_starter,
                conversations.starter_conversations(run_id, turns_each),
                args,
                starter_training,
                starter_model,
            )

        replicas = measure_replicas(model, logs, run_id, args) if args.replicas == 2 else None

    ratio_values = report.ratios(ours, reference)
    return {
        "ours": ours,
        "reference": reference,
        "replicas": replicas,
        "scaling": report.scaling(ours, replicas),
        "ratios": ratio_values,
        "targets": report.targets(ours, ratio_values),
        "machine": report.machine(version("rasa"), version("rasa-sdk")),
        "settings": {
            "concurrency": args.concurrency,
            "conversations": args.conversations,
            "physician_share": args.physician_share,
            "warmup_conversations": args.warmup,
            "max_turns": args.max_turns,
            "turn_timeout_seconds": args.turn_timeout,
            "skip_train": args.skip_train,
            "reference": not args.no_reference,
            "replicas": args.replicas,
            "memory_sample_seconds": 0.2,
            "profiled": bool(args.py_spy),
            "run_id": run_id,
        },
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "total_seconds": round(time.time() - started, 1),
    }


def measure_replicas(model: Path, logs: Path, run_id: str, args: argparse.Namespace) -> dict:
    """The two-replica set-up under the same load, with its own PostgreSQL and Redis."""
    services = suite_helpers.load("local_services")
    try:
        postgres, redis = services.Postgres(), services.Redis()
    except services.ServiceUnavailable as error:
        raise deployment.StartError(
            f"{error}; --replicas 2 needs Debian's postgresql and redis-server (scripts/system_deps.sh)"
        ) from None
    with progress.phase("starting PostgreSQL and Redis on loopback"):
        postgres.start()
        redis.start()
    try:
        target = deployment.two_replicas(
            model, logs / "replicas", postgres.create_database("tracker"), postgres.create_database("leads"), redis.url
        )
        measured = conversations.our_conversations(f"replicas-{run_id}", args.conversations, args.physician_share)
        warm = conversations.our_conversations(f"warmup-replicas-{run_id}", args.warmup, args.physician_share)
        return measure(target, warm, measured, args, None, model)
    finally:
        redis.stop()
        postgres.stop()


def _workdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def on_signal(_signum, _frame):
        raise KeyboardInterrupt

    # SIGINT too: a background job starts with it ignored, and the servers must still stop
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    try:
        results = run(args)
    except KeyboardInterrupt:
        progress.say("interrupted; servers stopped")
        return 130
    except deployment.StartError as error:
        progress.say(f"error: {error}")
        return 1

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(report.figures_table(results))
    print()
    print(report.targets_table(results["targets"]))
    if results.get("replicas"):
        print()
        print(report.scaling_table(results))
    errors = report.errors_text(results)
    if errors:
        print("\nerrors (first of each run):\n" + errors)
    print(
        f"\nconcurrency {args.concurrency}, {args.conversations} conversations per bot, "
        f"{results['machine']['cpus']} CPUs; results: {_shown(args.out)}; logs: var/bench/logs/"
    )
    if args.fail_on_missed_targets and results["targets"]["all_met"] is False:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
