"""Screening records: validating one for saving, reading them back, and the
staff export formats (DESIGN.md "Staff export").

A record is plain data (the shape ``Screening.record()`` makes and
``LeadStore.get_screening`` returns); here it is split into table rows and
put together again.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from bot.outcome import DECLINED, FAIL, OUTCOMES, PENDING, UNCERTAIN, VERDICTS
from bot.store.errors import InvalidInput
from bot.store.sql import Database, chunks, placeholders

# Column order of the CSV export: the criterion ids of DESIGN.md, in the
# order of the registry record. Ids not listed here are appended, sorted.
CRITERION_ORDER = (
    "age",
    "performance_status",
    "life_expectancy",
    "diagnosis",
    "prior_tki",
    "measurable_disease",
    "toxicity_recovered",
    "blood_counts",
    "renal_function",
    "liver_function",
    "coagulation",
    "urine_protein",
    "thyroid_function",
    "pregnancy_contraception",
    "consent_compliance",
    "recent_anticancer_therapy",
    "planned_local_therapy",
    "immunosuppressants",
    "infection",
    "hypertension",
    "bleeding_thrombosis",
    "cardiac",
    "other_malignancy",
    "drug_allergy",
    "viral_infection",
    "other_serious_condition",
)

CSV_BASE_COLUMNS = (
    "screening_id",
    "conversation_id",
    "trial_id",
    "role",
    "outcome",
    "started_at",
    "completed_at",
    "fail_count",
    "uncertain_count",
    "pending_count",
    "open_review_items",
)

_CONTACT_KEYS = ("consented", "name", "phone", "email", "preferred_time", "callback_requested")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_ts(value: Any, what: str) -> datetime:
    """An aware UTC datetime from an ISO-8601 string (naive means UTC)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{what} is not an ISO-8601 timestamp: {value!r}") from None
    else:
        raise InvalidInput(f"{what} is missing or not a string: {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def sortable(dt: datetime) -> str:
    """Fixed-width UTC form used for sorting and date filters."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bound(value: Any, *, end: bool) -> str | None:
    """A ``since``/``until`` bound as a sortable string, to compare with
    ``>=`` (since) or ``<`` (until).

    A date (or ``YYYY-MM-DD``) means the whole day: ``since`` from its start,
    ``until`` up to its end (inclusive); a timestamp is inclusive too.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(f"not a date (expected YYYY-MM-DD): {value!r}") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        start = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        return sortable(start + timedelta(days=1) if end else start)
    dt = parse_ts(value, "date")
    return sortable(dt + timedelta(microseconds=1) if end else dt)


def dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"value is not JSON-serialisable: {exc}") from None


def loads(text: str | None, default: Any = None) -> Any:
    if text is None:
        return default
    return json.loads(text)


def text_or_none(value: Any) -> str | None:
    """Text as stored: NUL, which PostgreSQL text cannot hold, becomes U+FFFD."""
    return None if value is None else str(value).replace("\x00", "\ufffd")


def split_record(record: Mapping[str, Any]):
    """Validate a screening record and split it into table rows."""
    if not isinstance(record, Mapping):
        raise InvalidInput("a screening record must be a dict")
    sid = record.get("screening_id")
    if not isinstance(sid, str) or not sid.strip():
        raise InvalidInput("screening record has no screening_id")
    conv = record.get("conversation_id")
    if not isinstance(conv, str) or not conv:
        raise InvalidInput(f"screening {sid} has no conversation_id")
    outcome = record.get("outcome")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"screening {sid}: unknown outcome {outcome!r}")
    started = parse_ts(record.get("started_at"), f"screening {sid}: started_at")
    completed = record.get("completed_at")
    if completed is not None:
        parse_ts(completed, f"screening {sid}: completed_at")
    declined = outcome == DECLINED

    contact = record.get("contact")
    if contact is not None:
        if not isinstance(contact, Mapping):
            raise InvalidInput(f"screening {sid}: contact must be a dict or null")
        contact = {k: contact.get(k) for k in _CONTACT_KEYS} | {
            k: v for k, v in contact.items() if k not in _CONTACT_KEYS
        }
        contact["consented"] = bool(contact.get("consented"))
        contact["callback_requested"] = bool(contact.get("callback_requested"))
        if not contact["consented"]:  # no consent: keep no contact details, only the wish to talk
            contact = {"consented": False, "callback_requested": contact["callback_requested"]}

    criteria = record.get("criteria") or {}
    if not isinstance(criteria, Mapping):
        raise InvalidInput(f"screening {sid}: criteria must be a dict")
    answers = []
    for position, (cid, c) in enumerate(criteria.items()):
        c = c or {}
        if not isinstance(c, Mapping):
            raise InvalidInput(f"screening {sid}: criterion {cid!r} must be a dict")
        verdict = c.get("verdict")
        if verdict not in VERDICTS:
            raise InvalidInput(f"screening {sid}: criterion {cid!r} has unknown verdict {verdict!r}")
        confidence = c.get("confidence")
        try:
            confidence = None if confidence is None else float(confidence)
        except (TypeError, ValueError):
            raise InvalidInput(
                f"screening {sid}: criterion {cid!r} has a non-numeric confidence {confidence!r}"
            ) from None
        try:
            value = dumps(c.get("value"))
        except InvalidInput as exc:
            raise InvalidInput(f"screening {sid}: criterion {cid!r}: {exc}") from None
        answers.append(
            {
                "screening_id": sid,
                "criterion": str(cid),
                "position": position,
                "question": text_or_none(c.get("question")),
                "answer": text_or_none(c.get("answer")),
                "value": value,
                "verdict": verdict,
                "reason": text_or_none(c.get("reason")),
                "confidence": confidence,
            }
        )

    for key in ("review_items", "transcript"):
        entries = record.get(key) or []
        if not isinstance(entries, (list, tuple)) or not all(isinstance(e, Mapping) for e in entries):
            raise InvalidInput(f"screening {sid}: {key} must be a list of dicts")
    items: dict[str, dict] = {}
    for item in record.get("review_items") or []:
        cid = str(item.get("criterion"))
        items[cid] = {
            "criterion": cid,
            "question": text_or_none(item.get("question")),
            "answer": text_or_none(item.get("answer")),
            "reason": text_or_none(item.get("reason")),
        }
    for a in answers:  # every uncertain criterion is a review item
        if a["verdict"] == UNCERTAIN and a["criterion"] not in items:
            items[a["criterion"]] = {k: a[k] for k in ("criterion", "question", "answer", "reason")}

    transcript = []
    for seq, turn in enumerate(record.get("transcript") or []):
        transcript.append(
            {
                "screening_id": sid,
                "seq": seq,
                "at": text_or_none(turn.get("at")),
                "speaker": str(turn.get("speaker") or ""),
                "text": text_or_none(turn.get("text")) or "",
            }
        )

    pending = [str(p) for p in record.get("pending") or []]
    if declined:  # DESIGN.md: no consent, no health answer stored
        answers, items, transcript, pending = [], {}, [], []

    row = {
        "screening_id": sid,
        "conversation_id": conv,
        "trial_id": text_or_none(record.get("trial_id")),
        "role": text_or_none(record.get("role")),
        "outcome": outcome,
        "started_at": str(record.get("started_at")),
        "completed_at": text_or_none(completed),
        "started_utc": sortable(started),
        "contact": None if contact is None else dumps(contact),
        "pending": dumps(pending),
    }
    return row, answers, items, transcript


def load_records(db: Database, where: str | None, params: list, *, transcript: bool = True) -> list[dict]:
    """Full records for the screenings matching ``where`` (oldest first)."""
    rows = list(
        db.query(
            f"SELECT * FROM screenings s {'WHERE ' + where if where else ''} ORDER BY s.started_utc, s.created_at",
            params,
        )
    )
    if not rows:
        return []
    by_id: dict[str, dict] = {}
    for r in rows:
        by_id[r["screening_id"]] = {
            "screening_id": r["screening_id"],
            "conversation_id": r["conversation_id"],
            "trial_id": r["trial_id"],
            "role": r["role"],
            "outcome": r["outcome"],
            "started_at": r["started_at"],
            "completed_at": r["completed_at"],
            "contact": loads(r["contact"]),
            "criteria": {},
            "review_items": [],
            "pending": loads(r["pending"], []),
            "transcript": [] if transcript else None,
            "outcome_history": [],
            "created_at": r["created_at"],
            "updated_at": r["updated_at"],
        }
    ids = list(by_id)
    for chunk in chunks(ids):
        ph = placeholders(len(chunk))
        for a in db.query(
            f"SELECT * FROM answers WHERE screening_id IN ({ph}) ORDER BY screening_id, position", list(chunk)
        ):
            by_id[a["screening_id"]]["criteria"][a["criterion"]] = {
                "verdict": a["verdict"],
                "question": a["question"],
                "answer": a["answer"],
                "value": loads(a["value"]),
                "reason": a["reason"],
                "confidence": a["confidence"],
            }
        for i in db.query(f"SELECT * FROM review_items WHERE screening_id IN ({ph}) ORDER BY id", list(chunk)):
            sid = i.pop("screening_id")
            i.pop("created_at", None)
            by_id[sid]["review_items"].append(i)
        for h in db.query(
            'SELECT screening_id, old, new, at, "by", why FROM outcome_history '
            f"WHERE screening_id IN ({ph}) ORDER BY id",
            list(chunk),
        ):
            by_id[h.pop("screening_id")]["outcome_history"].append(h)
        if transcript:
            for t in db.query(
                f"SELECT screening_id, at, speaker, text FROM transcript "
                f"WHERE screening_id IN ({ph}) ORDER BY screening_id, seq",
                list(chunk),
            ):
                by_id[t.pop("screening_id")]["transcript"].append(t)
    records = list(by_id.values())
    if not transcript:
        for r in records:
            del r["transcript"]
    return records


def format_export(records: list[dict], format: str = "json") -> str:
    """Records (as ``get_screening`` returns them) in the export format."""
    if format == "json":
        return json.dumps([export_record(r) for r in records], ensure_ascii=False, indent=2)
    if format == "csv":
        return _csv(records)
    raise InvalidInput(f"unknown export format {format!r} (json or csv)")


def export_record(r: dict) -> dict:
    out = {
        "screening_id": r["screening_id"],
        "conversation_id": r["conversation_id"],
        "trial_id": r["trial_id"],
        "role": r["role"],
        "outcome": r["outcome"],
        "started_at": r["started_at"],
        "completed_at": r["completed_at"],
        "contact": r["contact"],
        "criteria": {
            cid: {
                "verdict": c["verdict"],
                "question": c["question"],
                "answer": c["answer"],
                "value": c["value"],
                "reason": c["reason"],
                "confidence": c["confidence"],
            }
            for cid, c in r["criteria"].items()
        },
        "review_items": [
            {
                "id": i["id"],
                "criterion": i["criterion"],
                "question": i["question"],
                "answer": i["answer"],
                "reason": i["reason"],
                "status": i["status"],
                "decision": i["decision"],
                "note": i["note"],
                "resolved_by": i["resolved_by"],
                "resolved_at": i["resolved_at"],
            }
            for i in r["review_items"]
        ],
        "pending": r["pending"],
    }
    if "transcript" in r:
        out["transcript"] = r["transcript"]
    return out


def pending_ids(r: dict) -> list[str]:
    ids = list(r.get("pending") or [])
    ids += [c for c, v in r["criteria"].items() if v["verdict"] == PENDING and c not in ids]
    return ids


def _csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(records: list[dict]) -> str:
    seen = {c for r in records for c in r["criteria"]}
    criteria = [c for c in CRITERION_ORDER] + sorted(seen - set(CRITERION_ORDER))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CSV_BASE_COLUMNS, *criteria])
    for r in records:
        verdicts = {c: v["verdict"] for c, v in r["criteria"].items()}
        row = [
            r["screening_id"],
            r["conversation_id"],
            r["trial_id"],
            r["role"],
            r["outcome"],
            r["started_at"],
            r["completed_at"],
            sum(v == FAIL for v in verdicts.values()),
            sum(v == UNCERTAIN for v in verdicts.values()),
            len(pending_ids(r)),
            sum(i["status"] == "open" for i in r["review_items"]),
        ]
        row += [verdicts.get(c, "") for c in criteria]
        writer.writerow([_csv_cell("" if v is None else v) for v in row])
    return buf.getvalue()
