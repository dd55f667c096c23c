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
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from bot.outcome import DECLINED, FAIL, OUTCOMES, UNCERTAIN, VERDICTS
from bot.reference import reference_number
from bot.store.errors import InvalidInput
from bot.store.sql import Database, chunks, placeholders

LANGUAGES = ("en", "zh")  # DESIGN.md: every conversation is in one of these
DEFAULT_LANGUAGE = "en"

# The coordinator's follow-up of a lead (DESIGN.md "follow_up").
TO_CALL = "to_call"
FOLLOW_UP_STATUSES = (
    TO_CALL,
    "no_answer",
    "call_back",
    "visit_booked",
    "enrolled",
    "not_eligible_at_visit",
    "not_interested",
    "closed",
)
# What a call gave; each one's follow-up status when staff do not choose another.
CALL_RESULTS = {
    "no_answer": "no_answer",
    "left_message": "no_answer",
    "reached": None,  # keep the status (staff usually choose one: call back, visit booked ...)
    "wrong_number": "closed",
}
MAX_NOTE = 4000

CSV_BASE_COLUMNS = (
    "screening_id",
    "reference",
    "conversation_id",
    "trial_id",
    "language",
    "role",
    "outcome",
    "started_at",
    "completed_at",
    "fail_count",
    "uncertain_count",
    "pending_count",
    "open_review_items",
    "follow_up_status",
    "follow_up_owner",
    "follow_up_notes",
    "callback_at",
    "contact_consented",
    "name",
    "phone",
    "email",
    "preferred_time",
    "callback_requested",
)
# Each criterion then has two columns: "<id>" (the verdict) and "<id>_answer"
# (the person's answer, verbatim), in the order of the screening's trial file.

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


def reason_key_columns(entry: Mapping) -> dict:
    """The stored form of a reason's template key and parameters (M008), so
    staff can read the reason in their own language. A reason given without a
    key, or with parameters that are not JSON, keeps only its English text."""
    key = entry.get("reason_key")
    if not isinstance(key, str) or not key:
        return {"reason_key": None, "reason_params": None}
    try:
        params = dumps(entry.get("reason_params") or {})
    except InvalidInput:
        return {"reason_key": None, "reason_params": None}
    return {"reason_key": text_or_none(key), "reason_params": params}


def reason_key_fields(row: Mapping) -> dict:
    """A stored row's reason key and parameters as a record carries them
    (nothing for a row saved without a key, as the record had none)."""
    if not row.get("reason_key"):
        return {}
    return {"reason_key": row["reason_key"], "reason_params": loads(row.get("reason_params"), {})}


def reference(screening_id: Any) -> str:
    """The short reference staff and people say on the phone (bot/reference.py, one definition)."""
    return reference_number(screening_id)


def search_keys(contact: Any) -> tuple[str | None, str | None]:
    """(name key, phone digits) for search: the name lower-cased without
    spaces, the phone's ASCII digits. Only for a consented contact."""
    if not isinstance(contact, Mapping) or not contact.get("consented"):
        return None, None
    name = contact.get("name")
    phone = contact.get("phone")
    name_key = "".join(str(name).casefold().split()) if name else None
    digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", str(phone))) if phone else None
    return name_key or None, digits or None


def check_language(value: Any, what: str) -> str:
    """DESIGN.md's "en" | "zh" ("zh-CN", "EN" are read as their language)."""
    if value is None or value == "":
        return DEFAULT_LANGUAGE
    if isinstance(value, str) and value.split("-")[0].split("_")[0].lower() in LANGUAGES:
        return value.split("-")[0].split("_")[0].lower()
    if value not in LANGUAGES:
        raise InvalidInput(f"{what}: unknown language {value!r} (one of: {', '.join(LANGUAGES)})")
    return value


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
                **reason_key_columns(c),
                "confidence": confidence,
            }
        )

    for key in ("review_items", "transcript"):
        entries = record.get(key) or []
        if not isinstance(entries, (list, tuple)) or not all(isinstance(e, Mapping) for e in entries):
            raise InvalidInput(f"screening {sid}: {key} must be a list of dicts")
    # The record says which criteria are review items and which are pending
    # (Screening.record() decides both, in one place); the store keeps them
    # as given and never re-derives them from the verdicts.
    items: dict[str, dict] = {}
    for item in record.get("review_items") or []:
        cid = str(item.get("criterion"))
        items[cid] = {
            "criterion": cid,
            "question": text_or_none(item.get("question")),
            "answer": text_or_none(item.get("answer")),
            "reason": text_or_none(item.get("reason")),
            **reason_key_columns(item),
        }

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

    pending = list(dict.fromkeys(str(p) for p in record.get("pending") or []))
    language = check_language(record.get("language"), f"screening {sid}")
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
        "language": language,
    }
    row["search_name"], row["search_phone"] = search_keys(contact)
    row["contact_consented"] = 1 if contact and contact.get("consented") else 0
    return row, answers, items, transcript


def follow_up_of(row: Mapping[str, Any], notes: int = 0) -> dict:
    """The follow-up part of a record from a screenings row."""
    return {
        "status": row.get("follow_status") or TO_CALL,
        "owner": row.get("follow_owner"),
        "notes": int(notes or 0),
        "callback_at": iso_from_sortable(row.get("callback_at")),
        "updated_at": row.get("follow_updated_at"),
    }


def iso_from_sortable(value: str | None) -> str | None:
    """A stored sortable UTC time as ISO 8601 (``...+00:00``), None stays None."""
    if not value:
        return None
    return parse_ts(value, "time").isoformat(timespec="seconds")


NOTE_KINDS_SQL = "(kind = 'note' OR (kind = 'call' AND text IS NOT NULL AND text <> ''))"


def load_records(
    db: Database, where: str | None, params: list, *, transcript: bool = True, log: bool = False
) -> list[dict]:
    """Full records for the screenings matching ``where`` (oldest first);
    ``log``: with the follow-up log (calls, notes, changes), newest first."""
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
            "language": r.get("language") or DEFAULT_LANGUAGE,
            "role": r["role"],
            "outcome": r["outcome"],
            "started_at": r["started_at"],
            "completed_at": r["completed_at"],
            "contact": loads(r["contact"]),
            "follow_up": follow_up_of(r),
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
                **reason_key_fields(a),
                "confidence": a["confidence"],
            }
        for i in db.query(f"SELECT * FROM review_items WHERE screening_id IN ({ph}) ORDER BY id", list(chunk)):
            sid = i.pop("screening_id")
            i.pop("created_at", None)
            i.update(
                reason_key_fields(
                    {"reason_key": i.pop("reason_key", None), "reason_params": i.pop("reason_params", None)}
                )
            )
            by_id[sid]["review_items"].append(i)
        for h in db.query(
            'SELECT screening_id, old, new, at, "by", why FROM outcome_history '
            f"WHERE screening_id IN ({ph}) ORDER BY id",
            list(chunk),
        ):
            by_id[h.pop("screening_id")]["outcome_history"].append(h)
        for sid, notes in db.execute(
            f"SELECT screening_id, count(*) FROM follow_up_log WHERE screening_id IN ({ph}) "
            f"AND {NOTE_KINDS_SQL} GROUP BY screening_id",
            list(chunk),
        ):
            by_id[sid]["follow_up"]["notes"] = int(notes)
        if log:
            for e in db.query(
                f'SELECT id, screening_id, at, "by", kind, result, old, new, text FROM follow_up_log '
                f"WHERE screening_id IN ({ph}) ORDER BY id DESC",
                list(chunk),
            ):
                by_id[e.pop("screening_id")].setdefault("follow_up_log", []).append(e)
        if transcript:
            for t in db.query(
                f"SELECT screening_id, at, speaker, text FROM transcript "
                f"WHERE screening_id IN ({ph}) ORDER BY screening_id, seq",
                list(chunk),
            ):
                by_id[t.pop("screening_id")]["transcript"].append(t)
    records = list(by_id.values())
    if log:
        for r in records:
            r.setdefault("follow_up_log", [])
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
    follow = r.get("follow_up") or follow_up_of({})
    out = {
        "screening_id": r["screening_id"],
        "reference": reference(r["screening_id"]),
        "conversation_id": r["conversation_id"],
        "trial_id": r["trial_id"],
        "language": r.get("language") or DEFAULT_LANGUAGE,
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
        "pending": pending_ids(r),
        "follow_up": {
            "status": follow["status"],
            "owner": follow["owner"],
            "notes": follow["notes"],
            "callback_at": follow["callback_at"],
        },
    }
    if "transcript" in r:
        out["transcript"] = r["transcript"]
    return out


def pending_ids(r: Mapping) -> list[str]:
    """The checks for the site visit: what the saved record says (never re-derived)."""
    return [str(p) for p in r.get("pending") or []]


# A cell a spreadsheet would run as a formula: one of these first, possibly
# after spaces, line breaks or invisible characters (full-width and small
# forms fold to ASCII with NFKC: ＝＋－＠ ﹦﹢﹣﹫).
_FORMULA_CHARS = frozenset("=+-@\u2212")
_SKIPPED_BEFORE = re.compile(r"^[\s\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\x00-\x1f\x7f]*")


def csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas (CSV injection): a text cell whose
    first visible character starts a formula, or that starts with a control
    character (tab, CR, LF ...), gets a leading apostrophe."""
    if not isinstance(value, str) or not value:
        return value
    if unicodedata.category(value[0]) == "Cc":
        return "'" + value
    rest = value[_SKIPPED_BEFORE.match(value).end() :]
    if rest and unicodedata.normalize("NFKC", rest[0])[:1] in _FORMULA_CHARS:
        return "'" + value
    return value


def criterion_order(trial_ids: Iterable[str | None], seen: Iterable[str] = ()) -> list[str]:
    """Criterion ids in the order of the trial files: the configured trial
    first, then each other trial of the records (its own file), then ids no
    trial file names (sorted)."""
    from bot.describe import trial_for

    order: list[str] = []
    for trial_id in [None, *dict.fromkeys(trial_ids)]:
        trial = trial_for(trial_id)
        if trial is not None:
            order += [c.id for c in trial.criteria if c.id not in order]
    return order + sorted(set(seen) - set(order))


def _contact_cells(contact: Any) -> list:
    c = contact if isinstance(contact, Mapping) else {}
    consented = bool(c.get("consented"))

    def field(key: str) -> Any:
        return c.get(key) if consented else None

    return [
        "yes" if consented else "no",
        field("name"),
        field("phone"),
        field("email"),
        field("preferred_time"),
        "yes" if c.get("callback_requested") else "no",
    ]


def _csv(records: list[dict]) -> str:
    seen = {c for r in records for c in r["criteria"]}
    criteria = criterion_order([r.get("trial_id") for r in records], seen)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CSV_BASE_COLUMNS, *(col for c in criteria for col in (c, f"{c}_answer"))])
    for r in records:
        verdicts = {c: v["verdict"] for c, v in r["criteria"].items()}
        follow = r.get("follow_up") or follow_up_of({})
        row = [
            r["screening_id"],
            reference(r["screening_id"]),
            r["conversation_id"],
            r["trial_id"],
            r.get("language") or DEFAULT_LANGUAGE,
            r["role"],
            r["outcome"],
            r["started_at"],
            r["completed_at"],
            sum(v == FAIL for v in verdicts.values()),
            sum(v == UNCERTAIN for v in verdicts.values()),
            len(pending_ids(r)),
            sum(i["status"] == "open" for i in r["review_items"]),
            follow["status"],
            follow["owner"],
            follow["notes"],
            follow["callback_at"],
            *_contact_cells(r["contact"]),
        ]
        for c in criteria:
            entry = r["criteria"].get(c) or {}
            row += [entry.get("verdict", ""), entry.get("answer")]
        writer.writerow([csv_cell("" if v is None else v) for v in row])
    return buf.getvalue()
