"""A lead summary for study staff, as plain text and as HTML.

Both take a screening record (the shape ``bot.store.get_screening`` returns)
and show: outcome, role, when, contact (only if the person consented to be
contacted), the follow-up (status, owner, callback, notes), the criterion
table (the criterion's readable name from its trial file, verdict, verbatim
answer, the value as a person reads it (``bot.describe``), reason), open
review items, pending site checks and the transcript.

User-provided text is untrusted: in HTML every string is escaped with
``html.escape``; in plain text, control characters (terminal escape
sequences) are shown as ``\\x..`` instead of being emitted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from tabulate import tabulate

from bot.describe import criterion_name, describe_entry, plain_reason
from bot.outcome import (
    DECLINED,
    FAIL,
    INCOMPLETE,
    LIKELY_ELIGIBLE,
    NEEDS_REVIEW,
    NOT_APPLICABLE,
    NOT_ASKED,
    NOT_ELIGIBLE,
    PASS,
    PENDING,
    UNCERTAIN,
)

OUTCOME_LABELS = {
    LIKELY_ELIGIBLE: "Likely eligible - the study team decides; site checks pending",
    NEEDS_REVIEW: "Needs review - answers staff must check",
    NOT_ELIGIBLE: "Not eligible - at least one criterion not met",
    INCOMPLETE: "Incomplete - the person stopped before the end",
    DECLINED: "Declined - no consent, no health answers stored",
}
VERDICT_LABELS = {
    PASS: "pass",
    FAIL: "FAIL",
    UNCERTAIN: "UNCERTAIN",
    PENDING: "pending (site)",
    NOT_APPLICABLE: "n/a",
    NOT_ASKED: "not asked",
}
ROLE_LABELS = {"patient": "patient", "caregiver": "caregiver / guardian", "physician": "referring physician"}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_TEXT_WIDTH = 48  # wrap long cells in the text table


def clean_text(value: Any) -> str:
    """Text safe to print on a terminal (no escape sequences, no bidi tricks)."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\t", "    ")
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def _value(cid: str, entry: Mapping, trial_id: str | None = None) -> str:
    """The stored value as a person reads it (never JSON)."""
    return describe_entry(entry, cid, trial_id=trial_id)


def _name(cid: Any, record: Mapping) -> str:
    return criterion_name(str(cid), record.get("trial_id"))


def _reason(entry: Mapping) -> str:
    return plain_reason(entry.get("reason"), entry.get("answer"), entry.get("confidence"))


def _h(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _label(mapping: Mapping[str, str], key: Any, default: str = "unknown") -> str:
    if key is None:
        return default
    return mapping.get(key, str(key))


def _open_items(record: Mapping) -> list[Mapping]:
    return [i for i in record.get("review_items") or [] if i.get("status", "open") == "open"]


def _resolved_items(record: Mapping) -> list[Mapping]:
    return [i for i in record.get("review_items") or [] if i.get("status") == "resolved"]


def _pending(record: Mapping) -> list[str]:
    """The checks for the site visit, as the saved record lists them."""
    from bot.store.records import pending_ids

    return pending_ids(record)


_STATUS_WORDS = {
    "to_call": "to call",
    "no_answer": "called, no answer",
    "call_back": "call back",
    "visit_booked": "visit booked",
    "enrolled": "enrolled",
    "not_eligible_at_visit": "not eligible at the visit",
    "not_interested": "not interested",
    "closed": "closed",
}


def _follow_up_rows(record: Mapping) -> list[tuple[str, str]]:
    follow = record.get("follow_up")
    if not isinstance(follow, Mapping):
        return []
    rows = [
        ("Status", _STATUS_WORDS.get(follow.get("status"), str(follow.get("status") or ""))),
        ("Owner", follow.get("owner") or "nobody"),
        ("Callback", follow.get("callback_at") or "none"),
        ("Notes", str(follow.get("notes") or 0)),
    ]
    return rows


def _contact(record: Mapping) -> Mapping | None:
    contact = record.get("contact")
    if isinstance(contact, Mapping) and contact.get("consented"):
        return contact
    return None


def _contact_rows(contact: Mapping) -> list[tuple[str, str]]:
    rows = [
        ("Name", contact.get("name")),
        ("Phone", contact.get("phone")),
        ("Email", contact.get("email")),
        ("Preferred time", contact.get("preferred_time")),
        ("Callback requested", "yes" if contact.get("callback_requested") else "no"),
    ]
    return [(k, v) for k, v in rows if v not in (None, "")]


def _when(record: Mapping) -> str:
    started, completed = record.get("started_at"), record.get("completed_at")
    return f"{started or '?'} to {completed}" if completed else f"{started or '?'} (not finished)"


def _criteria(record: Mapping) -> Iterable[tuple[str, Mapping]]:
    return ((cid, c or {}) for cid, c in (record.get("criteria") or {}).items())


# --------------------------------------------------------------------------
# Plain text
# --------------------------------------------------------------------------
def summary_text(record: Mapping[str, Any], *, transcript: bool = True) -> str:
    """The lead summary as plain text (safe to print on a terminal)."""
    out: list[str] = []
    sid = record.get("screening_id")
    out.append(f"Screening {clean_text(sid)}  (trial {clean_text(record.get('trial_id') or '?')})")
    out.append("=" * min(78, len(out[0])))
    out.append(f"Outcome:      {clean_text(_label(OUTCOME_LABELS, record.get('outcome')))}")
    out.append(f"Role:         {clean_text(_label(ROLE_LABELS, record.get('role')))}")
    out.append(f"When:         {clean_text(_when(record))}")
    out.append(f"Conversation: {clean_text(record.get('conversation_id'))}")

    contact = _contact(record)
    out.append("")
    out.append("Contact")
    if contact:
        out.extend(f"  {k + ':':<20}{clean_text(v)}" for k, v in _contact_rows(contact))
    else:
        out.append("  (no consent to be contacted)")

    follow = _follow_up_rows(record)
    if follow:
        out.append("")
        out.append("Follow-up")
        out.extend(f"  {k + ':':<20}{clean_text(v)}" for k, v in follow)

    rows = [
        [
            clean_text(_name(cid, record)),
            clean_text(_label(VERDICT_LABELS, c.get("verdict"))),
            clean_text(c.get("answer")),
            clean_text(_value(cid, c, record.get("trial_id"))),
            clean_text(_reason(c)),
        ]
        for cid, c in _criteria(record)
    ]
    out.append("")
    out.append("Criteria")
    if rows:
        out.append(
            tabulate(
                rows,
                headers=["criterion", "verdict", "answer (verbatim)", "as understood", "reason"],
                tablefmt="simple",
                disable_numparse=True,
                maxcolwidths=[28, None, 36, 30, 40],
            )
        )
    else:
        out.append("  (no answers stored)")

    items = _open_items(record)
    out.append("")
    out.append(f"Open review items ({len(items)})")
    for i in items:
        ident = f"#{i['id']} " if i.get("id") is not None else ""
        entry = (record.get("criteria") or {}).get(i.get("criterion")) or {}
        out.append(f"  {ident}{clean_text(_name(i.get('criterion'), record))}")
        out.append(f"    question: {clean_text(i.get('question'))}")
        out.append(f"    answer:   {clean_text(i.get('answer'))}")
        why = plain_reason(i.get("reason"), i.get("answer"), entry.get("confidence"))
        out.append(f"    why:      {clean_text(why)}")
    if not items:
        out.append("  (none)")
    resolved = _resolved_items(record)
    if resolved:
        out.append("")
        out.append(f"Resolved review items ({len(resolved)})")
        for i in resolved:
            out.append(
                f"  #{i.get('id')} {clean_text(_name(i.get('criterion'), record))}: {clean_text(i.get('decision'))}"
                f" by {clean_text(i.get('resolved_by'))} at {clean_text(i.get('resolved_at'))}"
                + (f" - {clean_text(i.get('note'))}" if i.get("note") else "")
            )

    pending = _pending(record)
    out.append("")
    out.append(f"Pending site checks ({len(pending)})")
    if pending:
        out.extend(f"  - {clean_text(_name(p, record))}" for p in pending)
    else:
        out.append("  (none)")

    turns = record.get("transcript") or []
    if transcript and turns:
        out.append("")
        out.append("Transcript")
        for t in turns:
            prefix = f"  [{clean_text(t.get('at'))}] {clean_text(t.get('speaker'))}: "
            text = clean_text(t.get("text")).replace("\n", "\n" + " " * len(prefix))
            out.append(prefix + text)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------
_STYLE = """
.lead-summary{font-family:system-ui,sans-serif;max-width:60rem}
.lead-summary table{border-collapse:collapse;margin:.5rem 0}
.lead-summary th,.lead-summary td{border:1px solid #ccc;padding:.25rem .5rem;
 text-align:left;vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere}
.lead-summary .v-fail{color:#a00;font-weight:bold}
.lead-summary .v-uncertain{color:#a60;font-weight:bold}
"""


def _table(headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{_h(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(rows_) + "</tr>" for rows_ in rows)
    return f'<table class="{_h(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _td(value: Any, cls: str = "") -> str:
    attr = f' class="{_h(cls)}"' if cls else ""
    return f"<td{attr}>{_h(value)}</td>"


def summary_html(record: Mapping[str, Any], *, full_document: bool = False, transcript: bool = True) -> str:
    """The lead summary as an HTML fragment (or a whole page); every string escaped."""
    parts: list[str] = []
    sid = record.get("screening_id")
    parts.append(f'<section class="lead-summary" data-screening-id="{_h(sid)}">')
    parts.append(f"<h2>Screening {_h(sid)}</h2>")
    meta = [
        ("Trial", record.get("trial_id") or "?"),
        ("Outcome", _label(OUTCOME_LABELS, record.get("outcome"))),
        ("Role", _label(ROLE_LABELS, record.get("role"))),
        ("When", _when(record)),
        ("Conversation", record.get("conversation_id")),
    ]
    parts.append("<dl>" + "".join(f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in meta) + "</dl>")

    parts.append("<h3>Contact</h3>")
    contact = _contact(record)
    if contact:
        parts.append("<dl>" + "".join(f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in _contact_rows(contact)) + "</dl>")
    else:
        parts.append("<p>No consent to be contacted.</p>")

    follow = _follow_up_rows(record)
    if follow:
        parts.append("<h3>Follow-up</h3>")
        parts.append("<dl>" + "".join(f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in follow) + "</dl>")

    parts.append("<h3>Criteria</h3>")
    rows = [
        [
            _td(_name(cid, record)),
            _td(_label(VERDICT_LABELS, c.get("verdict")), f"v-{c.get('verdict')}"),
            _td(c.get("answer")),
            _td(_value(cid, c, record.get("trial_id"))),
            _td(_reason(c)),
        ]
        for cid, c in _criteria(record)
    ]
    parts.append(
        _table(["Criterion", "Verdict", "Answer (verbatim)", "As understood", "Reason"], rows, "criteria")
        if rows
        else "<p>No answers stored.</p>"
    )

    items = _open_items(record)
    parts.append(f"<h3>Open review items ({len(items)})</h3>")
    if items:
        parts.append(
            _table(
                ["Item", "Criterion", "Question", "Answer", "Why"],
                [
                    [
                        _td(i.get("id")),
                        _td(_name(i.get("criterion"), record)),
                        _td(i.get("question")),
                        _td(i.get("answer")),
                        _td(_reason({**((record.get("criteria") or {}).get(i.get("criterion")) or {}), **i})),
                    ]
                    for i in items
                ],
                "review",
            )
        )
    else:
        parts.append("<p>None.</p>")
    resolved = _resolved_items(record)
    if resolved:
        parts.append(f"<h3>Resolved review items ({len(resolved)})</h3>")
        parts.append(
            _table(
                ["Item", "Criterion", "Decision", "By", "At", "Note"],
                [
                    [
                        _td(i.get("id")),
                        _td(_name(i.get("criterion"), record)),
                        _td(i.get("decision")),
                        _td(i.get("resolved_by")),
                        _td(i.get("resolved_at")),
                        _td(i.get("note")),
                    ]
                    for i in resolved
                ],
                "resolved",
            )
        )

    pending = _pending(record)
    parts.append(f"<h3>Pending site checks ({len(pending)})</h3>")
    parts.append(
        "<ul>" + "".join(f"<li>{_h(_name(p, record))}</li>" for p in pending) + "</ul>" if pending else "<p>None.</p>"
    )

    turns = record.get("transcript") or []
    if transcript and turns:
        parts.append("<h3>Transcript</h3>")
        parts.append(
            _table(
                ["At", "Speaker", "Text"],
                [[_td(t.get("at")), _td(t.get("speaker")), _td(t.get("text"))] for t in turns],
                "transcript",
            )
        )
    parts.append("</section>")
    fragment = "\n".join(parts)
    if not full_document:
        return fragment
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Screening {_h(sid)}</title><style>{_STYLE}</style></head>"
        f"<body>\n{fragment}\n</body></html>\n"
    )
