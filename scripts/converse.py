#!/usr/bin/env python3
"""Hold every persona's conversation (tests/personas/*.yaml) and compare the results with the registry.

    .venv/bin/python scripts/converse.py [--transport rest|local] [--only NAME ...]   (make converse)

rest (default): starts the real Rasa and action servers on free ports
(tests/servers.py), each persona a sender id over POST /webhooks/rest/webhook
(with Authorization: Bearer $REST_TOKEN when set), and reads the outcomes from
`python -m bot.staff export --format json`. local: bot.dialogue.flow.handle
in-process, results from bot.screening.record.build_record.

Prints outcome agreement (overall and per role), unsafe passes (expected
not_eligible, got likely_eligible or needs_review), leads without contact,
unwanted deletions, "couldn't process" replies, the median messages per role,
and every disagreement with its last exchanges. Exits 1 on any unsafe pass,
lead without contact or unwanted deletion (2 when it could not run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bot/ (this folder is on the path already, for conversation_harness)

from conversation_harness import personas as persona_files  # noqa: E402 - after the path is set
from conversation_harness import report, runner, transports  # noqa: E402 - after the path is set

PERSONAS = ROOT / "tests" / "personas"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transport", choices=("rest", "local"), default="rest", help="default: rest")
    parser.add_argument("--personas", type=Path, default=PERSONAS, help="folder of persona files (tests/personas)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these personas (a name or a name prefix)")
    parser.add_argument("--tag", help="only personas with this tag (for example 'rest')")
    parser.add_argument("--concurrency", type=int, default=None, help="conversations at once (rest: 4, local: 1)")
    parser.add_argument(
        "--exchanges", type=int, default=report.EXCHANGES_SHOWN, help="last exchanges shown per failure"
    )
    parser.add_argument("--show", action="store_true", help="print every selected conversation in full")
    parser.add_argument("--json", type=Path, help="also write every conversation and verdict here as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--min-agreement", type=float, help="also exit 1 when outcome agreement is below this (0-1)")
    return parser.parse_args(argv)


def select(all_personas: list, only, tag) -> list:
    chosen = all_personas
    if only:
        chosen = [p for p in chosen if any(p.name == n or p.name.startswith(n) for n in only)]
    if tag:
        chosen = [p for p in chosen if tag in p.tags]
    return chosen


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        chosen = select(persona_files.load_personas(args.personas), args.only, args.tag)
    except persona_files.PersonaError as error:
        print(f"converse: {error}", file=sys.stderr)
        return 2
    if not chosen:
        print("converse: no persona selected", file=sys.stderr)
        return 2
    if args.transport == "local":
        transport = transports.LocalTransport()
        described = "the in-process dialogue (bot.dialogue.flow.handle)"
    else:
        transport = transports.RestTransport()
        described = "REST (real Rasa + action servers)"
    concurrency = args.concurrency or (4 if args.transport == "rest" else 1)
    started = time.monotonic()
    try:
        if args.transport == "rest":
            print("converse: starting the Rasa and action servers ...", file=sys.stderr)
        transport.start()
        verdicts = runner.run_all(chosen, transport, date.today(), concurrency, progress=not args.no_progress)
    except (RuntimeError, OSError) as error:
        print(f"converse: could not run: {error}", file=sys.stderr)
        return 2
    finally:
        transport.stop()
    if args.show:
        for verdict in verdicts:
            print(report.transcript(verdict) + "\n")
    print(report.render(verdicts, described, time.monotonic() - started, args.exchanges))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_json(verdicts, args.transport), indent=1, ensure_ascii=False))
    fig = report.figures(verdicts)
    failed = fig["unsafe_passes"] or fig["lost_leads"] or fig["unwanted_deletions"]
    if args.min_agreement is not None and fig["agreement"] < args.min_agreement:
        print(f"converse: agreement {fig['agreement']:.3f} is below {args.min_agreement}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
