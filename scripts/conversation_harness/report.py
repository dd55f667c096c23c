"""The figures of a run, the list of what went wrong, and the same as JSON."""

from __future__ import annotations

import statistics
import textwrap

from conversation_harness.runner import Verdict

ROLES = ("patient", "caregiver", "caregiver_minor", "physician")
EXCHANGES_SHOWN = 4


def _median(values: list) -> float | None:
    return statistics.median(values) if values else None


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "0/0"


def figures(verdicts: list[Verdict]) -> dict:
    """Every figure the run reports (also what the test suite asserts on)."""
    per_role = {}
    for role in ROLES:
        group = [v for v in verdicts if v.persona.group == role]
        if group:
            ended = [v.messages for v in group if v.conversation.ended]
            per_role[role] = {
                "personas": len(group),
                "agree": sum(v.agree for v in group),
                "median_messages": _median(ended),
            }
    eligible_patients = [
        v.messages
        for v in verdicts
        if v.persona.role == "patient" and v.expected == "likely_eligible" and v.agree and v.conversation.ended
    ]
    # Physicians whose persona sets a limit from the summary: a complete summary (6 or so), or "skip" (14).
    limited = [v for v in verdicts if v.from_summary is not None and v.persona.expect.get("max_from_summary")]
    with_summary = [v.from_summary for v in limited if v.persona.expect["max_from_summary"] <= 7]
    skipping = [v.from_summary for v in limited if v.persona.expect["max_from_summary"] > 7]
    return {
        "personas": len(verdicts),
        "agree": sum(v.agree for v in verdicts),
        "agreement": sum(v.agree for v in verdicts) / len(verdicts) if verdicts else 0.0,
        "per_role": per_role,
        "unsafe_passes": [v.persona.name for v in verdicts if v.unsafe],
        "lost_leads": [v.persona.name for v in verdicts if v.lost_lead],
        "unwanted_deletions": [v.persona.name for v in verdicts if v.unwanted_deletion],
        "couldnt_process": sum(v.couldnt_process for v in verdicts),
        "median_messages_eligible_patient": _median(eligible_patients),
        "physician_from_summary": {"median": _median(with_summary), "max": max(with_summary, default=None)},
        "physician_from_skip": {"median": _median(skipping), "max": max(skipping, default=None)},
        "with_problems": [v.persona.name for v in verdicts if v.problems],
    }


def _criteria_line(record: dict | None) -> str:
    if not record:
        return "no record"
    odd = [
        f"{c}={e['verdict']} ({e.get('reason')})"
        for c, e in record["criteria"].items()
        if e["verdict"] in ("fail", "uncertain")
    ]
    return "; ".join(odd) or "no fail or uncertain"


def _exchanges(verdict: Verdict, count: int = EXCHANGES_SHOWN, width: int = 220) -> list[str]:
    lines = []
    for exchange in verdict.conversation.exchanges[-count:]:
        lines.append(f"      > {exchange.said}")
        for reply in exchange.replies:
            short = " ".join(reply.split())
            lines.append("        < " + textwrap.shorten(short, width, placeholder=" ..."))
    return lines


def transcript(verdict: Verdict) -> str:
    """The whole conversation of one persona, as said (for --show)."""
    lines = [
        f"{verdict.persona.name}: expected {verdict.expected}, got {verdict.got}",
        f"record: {_criteria_line(verdict.record)}",
    ]
    lines += [f"problem: {p}" for p in verdict.problems]
    lines += _exchanges(verdict, len(verdict.conversation.exchanges), width=2000)
    return "\n".join(lines)


def render(verdicts: list[Verdict], transport: str, seconds: float, exchanges: int = EXCHANGES_SHOWN) -> str:
    fig = figures(verdicts)
    out = [f"converse: {fig['personas']} personas over {transport} in {seconds:.0f}s", ""]
    out.append(f"outcome agreement      {_ratio(fig['agree'], fig['personas'])}")
    for role, row in fig["per_role"].items():
        out.append(f"  {role:<20} {_ratio(row['agree'], row['personas'])}")
    out.append(f"unsafe passes          {len(fig['unsafe_passes'])}")
    out.append(f"leads without contact  {len(fig['lost_leads'])}")
    out.append(f"unwanted deletions     {len(fig['unwanted_deletions'])}")
    out.append(f'"couldn\'t process"     {fig["couldnt_process"]}')
    out.append("median messages (the person's, greeting to the end)")
    for role, row in fig["per_role"].items():
        out.append(f"  {role:<20} {row['median_messages']}")
    out.append(f"  eligible patients    {fig['median_messages_eligible_patient']} (target: at most 20)")
    summary = fig["physician_from_summary"]
    out.append(
        f"  physicians, complete summary to the end: median {summary['median']}, max {summary['max']} (target: 6)"
    )
    skip = fig["physician_from_skip"]
    out.append(f"  physicians, 'skip' to the end: median {skip['median']}, max {skip['max']} (target: 14)")
    out.append(f"personas with other problems: {len(fig['with_problems'])}")

    def block(title: str, chosen: list[Verdict], detail) -> None:
        if not chosen:
            return
        out.extend(["", f"{title} ({len(chosen)}):"])
        for verdict in chosen:
            persona = verdict.persona
            out.append(f"  - {persona.name} [{persona.group}, {persona.source}] {persona.about}")
            for line in detail(verdict):
                out.append(f"      {line}")
            out.extend(_exchanges(verdict, exchanges))

    block("UNSAFE PASSES", [v for v in verdicts if v.unsafe], lambda v: _outcome_lines(v))
    block("LEADS WITHOUT CONTACT", [v for v in verdicts if v.lost_lead], lambda v: [v.lost_lead])
    block("UNWANTED DELETIONS", [v for v in verdicts if v.unwanted_deletion], lambda v: [v.unwanted_deletion])
    block("disagreements", [v for v in verdicts if not v.agree and not v.unsafe], lambda v: _outcome_lines(v))
    block("other problems (outcome as expected)", [v for v in verdicts if v.agree and v.problems], lambda v: v.problems)
    return "\n".join(out)


def _outcome_lines(verdict: Verdict) -> list[str]:
    return [
        f"expected {verdict.expected} ({verdict.persona.expect['because']}), got {verdict.got}",
        f"record: {_criteria_line(verdict.record)}",
    ] + verdict.problems


def as_json(verdicts: list[Verdict], transport: str) -> dict:
    return {
        "transport": transport,
        "figures": figures(verdicts),
        "personas": [
            {
                "name": v.persona.name,
                "group": v.persona.group,
                "expected": v.expected,
                "got": v.got,
                "agree": v.agree,
                "unsafe": v.unsafe,
                "lost_lead": v.lost_lead,
                "unwanted_deletion": v.unwanted_deletion,
                "couldnt_process": v.couldnt_process,
                "messages": v.messages,
                "from_summary": v.from_summary,
                "problems": v.problems,
                "criteria": {c: e["verdict"] for c, e in ((v.record or {}).get("criteria") or {}).items()},
                "contact": (v.record or {}).get("contact"),
                "exchanges": [
                    {"said": e.said, "replies": e.replies, "buttons": e.buttons} for e in v.conversation.exchanges
                ],
            }
            for v in verdicts
        ],
    }
