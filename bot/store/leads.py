"""The lead store: screenings, answers, the staff review queue, the audit log
and the notification outbox, in SQLite (one machine) or PostgreSQL (several
action-server replicas), by configuration alone (``LEAD_DB``).

Every operation runs in one transaction that commits once or not at all
(retried while the database is busy, then :class:`LeadStoreUnavailable`).
Saving is an idempotent upsert keyed by ``screening_id``, so a retry never
writes a screening twice; writers of the same screening take a per-screening
lock (PostgreSQL; SQLite admits one writer at a time anyway).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from bot.outcome import DECLINED, FAIL, OUTCOMES, PASS, UNCERTAIN, compute_outcome
from bot.store import config, schema, tracker
from bot.store.errors import AlreadyResolved, InvalidInput, LeadStoreError, LeadStoreUnavailable, NotFound
from bot.store.records import (
    CALL_RESULTS,
    DEFAULT_LANGUAGE,
    FOLLOW_UP_STATUSES,
    MAX_NOTE,
    NOTE_KINDS_SQL,
    bound,
    chunks,
    dumps,
    follow_up_of,
    format_export,
    load_records,
    loads,
    parse_ts,
    placeholders,
    reference,
    sortable,
    split_record,
    utc_now,
)
from bot.store.sql import (
    SQLITE,
    Broken,
    Database,
    Unavailable,
    create_private_file,
    dialect_of,
    engine_for,
    is_url,
    redact,
    transaction,
)

T = TypeVar("T")
OPEN, RESOLVED = "open", "resolved"
NOTIFY_CHANNELS = ("email", "webhook")
NOTIFY_STATUSES = ("pending", "sent", "failed")
DECISIONS = (PASS, FAIL)
REVIEW_FILTERS = ("open", "none")
SCREENING_TABLES = ("answers", "review_items", "transcript", "outcome_history", "screening_states", "follow_up_log")
NOBODY = "-"  # owner filter: leads nobody has taken
UNSET: Any = object()  # "leave as it is" for update_follow_up and log_call
MAX_SEARCH = 100
_STATUS_ORDER = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(FOLLOW_UP_STATUSES))
_OUTCOME_ORDER = " ".join(f"WHEN '{o}' THEN {i}" for i, o in enumerate(OUTCOMES))
SORTS = {
    "newest": "s.started_utc DESC, s.created_at DESC",
    "oldest": "s.started_utc ASC, s.created_at ASC",
    # Callbacks soonest (most overdue) first, leads without one after them.
    "callback": "CASE WHEN s.callback_at IS NULL THEN 1 ELSE 0 END, s.callback_at ASC, s.started_utc DESC",
    "status": f"CASE s.follow_status {_STATUS_ORDER} ELSE 99 END, s.started_utc DESC",
    "owner": "CASE WHEN s.follow_owner IS NULL THEN 1 ELSE 0 END, s.follow_owner, s.started_utc DESC",
    "outcome": f"CASE s.outcome {_OUTCOME_ORDER} ELSE 99 END, s.started_utc DESC",
}
STATES_KEPT = 3  # revisions of a screening's state kept: Rasa lags at most one behind
DEFAULT_ACTOR = "bot"
_process_actor: str | None = None


def set_process_actor(name: str | None) -> None:
    """Who this process's writes are by, in the audit log (the action server
    says "action-server" when it starts); stores built afterwards use it."""
    global _process_actor
    _process_actor = name


class LeadStore:
    """The lead database. Cheap to build; one connection per operation
    (pooled for PostgreSQL)."""

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        lock_timeout: float | None = None,
        tracker_db: str | os.PathLike | None = None,
        actor: str | None = None,
    ):
        target = path if path is not None else config.lead_db_path()
        self.actor = actor or _process_actor or DEFAULT_ACTOR
        self.url: str | None = str(target) if is_url(target) else None
        self.path: Path | None = None if self.url else Path(target)
        self.dialect = dialect_of(target)
        self.lock_timeout = config.lock_timeout_from_env() if lock_timeout is None else max(0.0, float(lock_timeout))
        self.tracker_db = tracker_db
        self._ready = False

    @property
    def target(self) -> str:
        return self.url or str(self.path)

    def __repr__(self) -> str:
        return f"LeadStore({redact(self.target)!r})"

    def exists(self) -> bool:
        """False only for an SQLite file not created yet (a server always exists)."""
        return self.path is None or self.path.exists()

    # -- transactions --------------------------------------------------------
    def _prepare(self, db: Database) -> None:
        """Once per store: WAL mode (SQLite) and the current schema."""
        if self._ready:
            return
        if db.dialect == SQLITE and db.scalar("PRAGMA journal_mode").lower() != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        version = schema.schema_version(db)
        if version < schema.SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE" if db.dialect == SQLITE else "BEGIN")
            try:
                version = schema.migrate(db)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if version > schema.SCHEMA_VERSION:
            raise LeadStoreError(
                f"lead database {redact(self.target)} has schema version {version}, newer "
                f"than this code supports ({schema.SCHEMA_VERSION}); upgrade the code"
            )
        self._ready = True

    def run(self, fn: Callable[[Database], T], *, write: bool, commit: bool = True) -> T:
        """``fn(db)`` in one transaction, retried while the database is busy."""
        if self.path is not None:
            try:
                create_private_file(self.path)  # health data: owner-only
            except OSError as exc:
                raise LeadStoreUnavailable(f"cannot open lead database {self.path}: {exc.strerror or exc}") from exc
        try:
            return transaction(
                engine_for(self.target),
                self.dialect,
                fn,
                write=write,
                timeout=self.lock_timeout,
                commit=commit,
                prepare=self._prepare,
            )
        except Unavailable as exc:
            raise LeadStoreUnavailable(
                f"lead database {redact(self.target)} stayed locked or unreachable for "
                f"{self.lock_timeout:g} s ({exc}); nothing was changed, try again later"
            ) from exc
        except Broken as exc:
            raise LeadStoreError(f"lead database {redact(self.target)}: {exc}") from exc

    def migrate(self) -> int:
        """Create or migrate the schema; returns the schema version."""
        return self.run(schema.schema_version, write=False)

    # -- audit -------------------------------------------------------------
    @staticmethod
    def audit(db: Database, actor: str, action: str, target: Any, detail: str = "") -> None:
        db.insert(
            "audit",
            {
                "at": utc_now(),
                "actor": str(actor or "unknown")[:200],
                "action": str(action)[:100],
                "target": None if target is None else str(target)[:500],
                "detail": str(detail or "")[:1000],
            },
        )

    def record_audit(self, actor: str, action: str, target: Any, detail: str = "") -> None:
        """Append to the audit log. Callers: ids and counts only, never health data."""
        self.run(lambda db: self.audit(db, actor, action, target, detail), write=True)

    def audit_log(self, limit: int | None = None, *, actor: str | None = None, action: str | None = None) -> list[dict]:
        """Newest first."""
        where, params = [], []
        if actor:
            where.append("actor = ?")
            params.append(actor)
        if action:
            where.append("action = ?")
            params.append(action)
        sql = (
            "SELECT id, at, actor, action, target, detail FROM audit "
            + ("WHERE " + " AND ".join(where) + " " if where else "")
            + "ORDER BY id DESC"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self.run(lambda db: db.query(sql, params), write=False)

    # -- saving ------------------------------------------------------------
    def save_screening(
        self, record: Mapping[str, Any], *, state: Mapping[str, Any] | None = None, revision: str | None = None
    ) -> str:
        """Insert or update one screening (idempotent, one transaction).

        The answers and transcript are replaced by the record's. Review items
        are matched by criterion: one resolved by staff stays resolved with
        its decision (and that decision still counts if the criterion is
        still ``uncertain``); an open one no longer uncertain is removed.
        With ``state`` and ``revision``, the screening's whole state is kept
        too (:meth:`load_state`), in the same transaction, and so is an audit
        row (the store's actor, the screening id and counts). Returns the
        outcome stored.
        """
        row, answers, items, transcript = split_record(record)
        if (state is None) != (revision is None):
            raise InvalidInput("give both state and revision, or neither")
        state_json = None if state is None else dumps(state)

        def run(db: Database) -> str:
            outcome = _save(db, row, answers, items, transcript)
            kept_state = state_json is not None and row["outcome"] != DECLINED
            if kept_state:
                _save_state(db, row["screening_id"], str(revision), state_json)
            self.audit(
                db,
                self.actor,
                "save-screening",
                row["screening_id"],
                f"answers={len(answers)}, review_items={len(items)}, transcript={len(transcript)}, "
                f"state={'kept' if kept_state else 'none'}",
            )
            return outcome

        return self.run(run, write=True)

    def load_state(self, screening_id: str, revision: str) -> dict | None:
        """A screening's state as saved at ``revision``; the newest one if that
        revision is no longer kept; None if the screening is gone."""

        def run(db: Database) -> str | None:
            found = db.scalar(
                "SELECT state FROM screening_states WHERE screening_id = ? AND revision = ?", [screening_id, revision]
            )
            if found is None:
                found = db.scalar(
                    "SELECT state FROM screening_states WHERE screening_id = ? ORDER BY seq DESC LIMIT 1",
                    [screening_id],
                )
            return found

        text = self.run(run, write=False)
        return None if text is None else loads(text)

    # -- reading -----------------------------------------------------------
    def get_screening(self, screening_id: str) -> dict | None:
        """One screening's full record, with its follow-up log (newest first)."""
        records = self.run(lambda db: load_records(db, "s.screening_id = ?", [screening_id], log=True), write=False)
        return records[0] if records else None

    def find_by_conversation(self, conversation_id: str) -> dict | None:
        """The newest screening of a conversation (a conversation may restart)."""
        records = self.run(
            lambda db: load_records(
                db,
                "s.screening_id = (SELECT screening_id FROM screenings WHERE conversation_id = ? "
                "ORDER BY started_utc DESC, created_at DESC LIMIT 1)",
                [conversation_id],
            ),
            write=False,
        )
        return records[0] if records else None

    def list_screenings(
        self,
        outcome: str | None = None,
        review_status: str | None = None,
        since: Any = None,
        until: Any = None,
        limit: int | None = None,
        offset: int = 0,
        *,
        sort: str = "newest",
        details: bool = False,
        **filters: Any,
    ) -> list[dict]:
        """Screenings (newest first unless ``sort`` says otherwise), one
        summary dict each (no answers). ``filters``: see :func:`_screening_filters`
        (search, follow_status, owner, callback_from/_to, callback_set,
        consented). ``details``: also the failed criteria, the open review
        items, the pending checks and the last call of each row (for the
        dashboard's one-line "why")."""
        where, params = _screening_filters(outcome, review_status, since, until, **filters)
        if sort not in SORTS:
            raise InvalidInput(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})")
        if limit is not None and int(limit) < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        if int(offset) < 0:
            raise InvalidInput(f"offset must be at least 0, got {offset}")
        sql = f"""
            SELECT s.screening_id, s.conversation_id, s.trial_id, s.language, s.role, s.outcome,
                   s.started_at, s.completed_at, s.pending, s.contact,
                   s.follow_status, s.follow_owner, s.callback_at, s.follow_updated_at,
                   (SELECT count(*) FROM answers a WHERE a.screening_id = s.screening_id
                        AND a.verdict = 'fail') AS fail_count,
                   (SELECT count(*) FROM answers a WHERE a.screening_id = s.screening_id
                        AND a.verdict = 'uncertain') AS uncertain_count,
                   (SELECT count(*) FROM answers a WHERE a.screening_id = s.screening_id
                        AND a.verdict <> 'not_asked') AS answered_count,
                   (SELECT count(*) FROM review_items r WHERE r.screening_id = s.screening_id
                        AND r.status = 'open') AS open_review_items,
                   (SELECT count(*) FROM follow_up_log f WHERE f.screening_id = s.screening_id
                        AND {NOTE_KINDS_SQL.replace("kind", "f.kind").replace("text", "f.text")}) AS notes
            FROM screenings s
            {"WHERE " + " AND ".join(where) if where else ""}
            ORDER BY {SORTS[sort]}
            {f"LIMIT {int(limit)}" if limit else ""}
            {f"OFFSET {int(offset)}" if offset and limit else ""}
        """

        def run(db: Database) -> list[dict]:
            rows = db.query(sql, params)
            for r in rows:
                r["pending"] = loads(r.pop("pending"), [])
                r["pending_count"] = len(r["pending"])
                r["contact"] = loads(r["contact"])
                r["reference"] = reference(r["screening_id"])
                r["language"] = r["language"] or DEFAULT_LANGUAGE
                r["follow_up"] = follow_up_of(
                    {k: r.pop(k) for k in ("follow_status", "follow_owner", "callback_at", "follow_updated_at")},
                    r.pop("notes"),
                )
                for key in ("fail_count", "uncertain_count", "answered_count", "open_review_items"):
                    r[key] = int(r[key])
            if details:
                _add_details(db, rows)
            return rows

        return self.run(run, write=False)

    def count_screenings(
        self,
        review_status: str | None = None,
        since: Any = None,
        until: Any = None,
        *,
        by: str = "outcome",
        outcome: str | None = None,
        **filters: Any,
    ) -> dict[str, int]:
        """How many screenings per outcome (``by="outcome"``) or per
        follow-up status (``by="follow_status"``); every value listed, zeros too."""
        column = {"outcome": ("s.outcome", OUTCOMES), "follow_status": ("s.follow_status", FOLLOW_UP_STATUSES)}
        if by not in column:
            raise InvalidInput(f"count by 'outcome' or 'follow_status', not {by!r}")
        name, values = column[by]
        where, params = _screening_filters(outcome, review_status, since, until, **filters)
        sql = f"SELECT {name}, count(*) FROM screenings s {'WHERE ' + ' AND '.join(where) if where else ''} GROUP BY {name}"
        rows = self.run(lambda db: list(db.execute(sql, params)), write=False)
        counts = {v: 0 for v in values}
        counts.update({value: int(n) for value, n in rows})
        return counts

    def count_matching(self, outcome: str | None = None, review_status: str | None = None, **filters: Any) -> int:
        """How many screenings the filters of :meth:`list_screenings` match."""
        where, params = _screening_filters(
            outcome, review_status, filters.pop("since", None), filters.pop("until", None), **filters
        )
        sql = f"SELECT count(*) FROM screenings s {'WHERE ' + ' AND '.join(where) if where else ''}"
        return int(self.run(lambda db: db.scalar(sql, params), write=False))

    def open_review_items(self) -> list[dict]:
        """The review queue, oldest first."""
        sql = """
            SELECT r.id, r.screening_id, s.conversation_id, s.trial_id, s.role, s.outcome, s.started_at,
                   r.criterion, r.question, r.answer, r.reason, r.reason_key, r.reason_params, r.status, r.created_at
            FROM review_items r JOIN screenings s ON s.screening_id = r.screening_id
            WHERE r.status = 'open'
            ORDER BY s.started_utc, r.id
        """
        return self.run(lambda db: db.query(sql), write=False)

    def get_review_item(self, item_id: int) -> dict | None:
        item_id = _item_id(item_id)
        rows = self.run(lambda db: db.query("SELECT * FROM review_items WHERE id = ?", [item_id]), write=False)
        return rows[0] if rows else None

    def review_queue(
        self,
        *,
        criterion: str | None = None,
        limit: int = 10,
        offset: int = 0,
        **filters: Any,
    ) -> dict:
        """The open review items grouped by lead, oldest lead first, a page of
        leads at a time: {"leads": [{...lead, "items": [...], "other_open": n}],
        "total_leads", "total_items", "criteria": {criterion: open items}}.
        ``criterion`` keeps only that criterion's items; ``filters`` as for
        :meth:`list_screenings` (outcome, search, owner ...)."""
        if int(limit) < 1 or int(offset) < 0:
            raise InvalidInput("limit must be at least 1 and offset at least 0")
        item_where = "r.status = 'open'" + (" AND r.criterion = ?" if criterion else "")
        item_params = [criterion] if criterion else []
        where, params = _screening_filters(
            filters.pop("outcome", None),
            None,
            filters.pop("since", None),
            filters.pop("until", None),
            **filters,
        )
        lead_where = [
            f"EXISTS (SELECT 1 FROM review_items r WHERE r.screening_id = s.screening_id AND {item_where})",
            *where,
        ]
        lead_params = [*item_params, *params]
        where_sql = " AND ".join(lead_where)

        def run(db: Database) -> dict:
            total_leads = int(db.scalar(f"SELECT count(*) FROM screenings s WHERE {where_sql}", lead_params))
            total_items = int(
                db.scalar(
                    f"SELECT count(*) FROM review_items r JOIN screenings s ON s.screening_id = r.screening_id "
                    f"WHERE {item_where} AND {' AND '.join(lead_where[1:]) or '1=1'}",
                    [*item_params, *params],
                )
            )
            leads = db.query(
                "SELECT s.screening_id, s.conversation_id, s.trial_id, s.language, s.role, s.outcome, "
                "s.started_at, s.contact, s.follow_status, s.follow_owner, s.callback_at, s.follow_updated_at "
                f"FROM screenings s WHERE {where_sql} ORDER BY s.started_utc, s.created_at "
                f"LIMIT {int(limit)} OFFSET {int(offset)}",
                lead_params,
            )
            by_id = {}
            for lead in leads:
                lead["contact"] = loads(lead["contact"])
                lead["reference"] = reference(lead["screening_id"])
                lead["follow_up"] = follow_up_of(
                    {k: lead.pop(k) for k in ("follow_status", "follow_owner", "callback_at", "follow_updated_at")}
                )
                lead["items"], lead["other_open"] = [], 0
                by_id[lead["screening_id"]] = lead
            for chunk in chunks(list(by_id)):
                for item in db.query(
                    "SELECT r.id, r.screening_id, r.criterion, r.question, r.answer, r.reason, r.reason_key, r.reason_params, "
                    "r.created_at, "
                    "a.confidence FROM review_items r LEFT JOIN answers a ON a.screening_id = r.screening_id "
                    "AND a.criterion = r.criterion "
                    f"WHERE r.status = 'open' AND r.screening_id IN ({placeholders(len(chunk))}) ORDER BY r.id",
                    list(chunk),
                ):
                    lead = by_id[item["screening_id"]]
                    if criterion and item["criterion"] != criterion:
                        lead["other_open"] += 1
                    else:
                        lead["items"].append(item)
            facets = {
                c: int(n)
                for c, n in db.execute(
                    "SELECT criterion, count(*) FROM review_items WHERE status = 'open' GROUP BY criterion "
                    "ORDER BY count(*) DESC, criterion"
                )
            }
            return {"leads": leads, "total_leads": total_leads, "total_items": total_items, "criteria": facets}

        return self.run(run, write=False)

    # -- follow-up (the coordinator's work on a lead) -----------------------
    def update_follow_up(
        self,
        screening_id: str,
        *,
        by: str,
        status: Any = UNSET,
        owner: Any = UNSET,
        callback_at: Any = UNSET,
        now: datetime | None = None,
    ) -> dict:
        """Change a lead's follow-up status, owner (a staff account, or None)
        and/or callback time (aware datetime or ISO 8601, or None to clear);
        each change is logged on the lead and audited. Returns
        {"changes": [{"kind", "old", "new"}], "follow_up": {...}}."""
        by = _who(by)

        def run(db: Database) -> dict:
            changes = _change_follow_up(db, screening_id, by, status, owner, callback_at, now)
            if changes:
                self.audit(db, by, "follow-up", screening_id, _changes_text(changes))
            return {"changes": changes, "follow_up": _follow_up_now(db, screening_id)}

        return self.run(run, write=True)

    def log_call(
        self,
        screening_id: str,
        *,
        by: str,
        result: str,
        note: str | None = None,
        status: Any = UNSET,
        callback_at: Any = UNSET,
        now: datetime | None = None,
    ) -> dict:
        """Record a call (when, who, result, an optional note). The follow-up
        status becomes ``status`` if given, else the result's usual one
        (no answer -> "no_answer", wrong number -> "closed"; "reached" keeps
        it, or "call_back" with a callback time); audited."""
        by = _who(by)
        if result not in CALL_RESULTS:
            raise InvalidInput(f"unknown call result {result!r} (one of: {', '.join(CALL_RESULTS)})")
        note = _note_text(note, required=False)

        def run(db: Database) -> dict:
            _lock_lead(db, screening_id)
            at = utc_now() if now is None else now.astimezone(timezone.utc).isoformat(timespec="seconds")
            db.insert(
                "follow_up_log",
                {
                    "screening_id": screening_id,
                    "at": at,
                    "by": by,
                    "kind": "call",
                    "result": result,
                    "old": None,
                    "new": None,
                    "text": note,
                },
            )
            new_status = status
            if new_status is UNSET or new_status in (None, ""):
                new_status = CALL_RESULTS[result]
                if new_status is None and callback_at not in (UNSET, None, ""):
                    new_status = "call_back"
                if new_status is None:
                    new_status = UNSET
            changes = _change_follow_up(db, screening_id, by, new_status, UNSET, callback_at, now)
            detail = f"result={result}" + (f", note {len(note)} characters" if note else "")
            self.audit(db, by, "call", screening_id, "; ".join([detail, *filter(None, [_changes_text(changes)])]))
            return {"changes": changes, "follow_up": _follow_up_now(db, screening_id)}

        return self.run(run, write=True)

    def add_note(self, screening_id: str, text: str, *, by: str, now: datetime | None = None) -> dict:
        """A free-text note on a lead (kept with it; audited by length only)."""
        by = _who(by)
        text = _note_text(text, required=True)

        def run(db: Database) -> dict:
            _lock_lead(db, screening_id)
            at = utc_now() if now is None else now.astimezone(timezone.utc).isoformat(timespec="seconds")
            db.insert(
                "follow_up_log",
                {
                    "screening_id": screening_id,
                    "at": at,
                    "by": by,
                    "kind": "note",
                    "result": None,
                    "old": None,
                    "new": None,
                    "text": text,
                },
            )
            self.audit(db, by, "note", screening_id, f"{len(text)} characters")
            return {"follow_up": _follow_up_now(db, screening_id)}

        return self.run(run, write=True)

    def follow_up_log(self, screening_id: str) -> list[dict]:
        """A lead's calls, notes and follow-up changes, newest first."""
        return self.run(
            lambda db: db.query(
                'SELECT id, at, "by", kind, result, old, new, text FROM follow_up_log '
                "WHERE screening_id = ? ORDER BY id DESC",
                [screening_id],
            ),
            write=False,
        )

    def staff_names(self) -> list[dict]:
        """Active staff accounts (user name, display name), for assigning leads."""
        return self.run(
            lambda db: db.query(
                "SELECT username, display_name FROM staff_users WHERE disabled_at IS NULL ORDER BY username"
            ),
            write=False,
        )

    # -- staff decisions -----------------------------------------------------
    def resolve_review_item(self, item_id: int, decision: str, note: str, by: str) -> dict:
        """Settle an open review item: the criterion's verdict becomes
        ``decision``, the outcome is recomputed and its change recorded."""
        item_id = _item_id(item_id)
        if decision not in DECISIONS:
            raise InvalidInput(f"decision must be 'pass' or 'fail', not {decision!r}")
        by = (by or "").strip()
        if not by:
            raise InvalidInput("say who resolves the item (by)")
        note = "" if note is None else str(note)

        def run(db: Database) -> dict:
            found = db.one("SELECT screening_id FROM review_items WHERE id = ?", [item_id])
            if found is None:
                raise NotFound(f"no review item {item_id}")
            db.lock(f"screening:{found[0]}")  # then read it again, under the lock
            item = db.query("SELECT * FROM review_items WHERE id = ?", [item_id])[0]
            if item["status"] == RESOLVED:
                raise AlreadyResolved(
                    f"review item {item_id} was already resolved ({item['decision']}) by "
                    f"{item['resolved_by']} at {item['resolved_at']}"
                )
            sid, criterion = item["screening_id"], item["criterion"]
            s = db.query("SELECT outcome, completed_at FROM screenings WHERE screening_id = ?", [sid])[0]
            verdicts = dict(
                db.execute("SELECT criterion, verdict FROM answers WHERE screening_id = ?", [sid]).fetchall()
            )
            now = utc_now()
            if criterion in verdicts:
                db.execute(
                    "UPDATE answers SET verdict = ? WHERE screening_id = ? AND criterion = ?",
                    [decision, sid, criterion],
                )
            else:
                position = db.scalar("SELECT coalesce(max(position) + 1, 0) FROM answers WHERE screening_id = ?", [sid])
                db.insert(
                    "answers",
                    {
                        "screening_id": sid,
                        "criterion": criterion,
                        "position": int(position),
                        "question": item["question"],
                        "answer": item["answer"],
                        "value": dumps(None),
                        "verdict": decision,
                        "reason": item["reason"],
                        "confidence": None,
                    },
                )
            verdicts[criterion] = decision
            old = s["outcome"]
            new = compute_outcome(verdicts, consented=old != DECLINED, finished=s["completed_at"] is not None)
            db.execute("UPDATE screenings SET outcome = ?, updated_at = ? WHERE screening_id = ?", [new, now, sid])
            db.execute(
                "UPDATE review_items SET status = 'resolved', decision = ?, note = ?, "
                "resolved_by = ?, resolved_at = ? WHERE id = ?",
                [decision, note, by, now, item_id],
            )
            db.insert(
                "outcome_history",
                {
                    "screening_id": sid,
                    "old": old,
                    "new": new,
                    "at": now,
                    "by": by,
                    "why": f"review item {item_id} ({criterion}) resolved: {decision}",
                },
            )
            self.audit(db, by, "resolve", sid, f"review item {item_id}")
            open_left = int(
                db.scalar("SELECT count(*) FROM review_items WHERE screening_id = ? AND status = 'open'", [sid])
            )
            return {
                "item_id": item_id,
                "screening_id": sid,
                "trial_id": db.scalar("SELECT trial_id FROM screenings WHERE screening_id = ?", [sid]),
                "criterion": criterion,
                "decision": decision,
                "old_outcome": old,
                "new_outcome": new,
                "open_left": open_left,
            }

        return self.run(run, write=True)

    # -- retention and erasure ---------------------------------------------
    def purge(
        self, older_than_days: int | None = None, tracker_db: Any = None, *, by: str = "system", dry_run: bool = False
    ) -> dict:
        """Delete screenings started more than ``older_than_days`` ago (default
        ``RETENTION_DAYS``) with all their rows, and the tracker-store events of
        their conversations (plus any tracker event older than the cutoff).
        Returns counts per table; ``dry_run`` only counts."""
        days = config.retention_days() if older_than_days is None else older_than_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InvalidInput(f"older_than_days must be a whole number >= 0, got {days!r}")
        cutoff_dt = datetime.now(timezone.utc) - timedelta(days=days)
        cutoff = sortable(cutoff_dt)
        tracker_target = self._tracker_target(tracker_db)

        def run(db: Database) -> dict:
            ids = [r[0] for r in db.execute("SELECT screening_id FROM screenings WHERE started_utc < ?", [cutoff])]
            convs = {
                r[0]
                for c in chunks(ids)
                for r in db.execute(
                    f"SELECT DISTINCT conversation_id FROM screenings WHERE screening_id IN ({placeholders(len(c))})",
                    list(c),
                )
            }
            # A conversation that still has a newer screening keeps its events
            # (only those older than the cutoff go).
            kept = {
                r[0]
                for c in chunks(sorted(convs))
                for r in db.execute(
                    f"SELECT DISTINCT conversation_id FROM screenings WHERE started_utc >= ? "
                    f"AND conversation_id IN ({placeholders(len(c))})",
                    [cutoff, *c],
                )
            }
            counts = _delete_screenings(db, ids)
            counts["chat_sessions"] = end_chat_sessions(db, sorted(convs - kept))
            counts["tracker_events"] = tracker.delete_events(
                tracker_target,
                sorted(convs - kept),
                older_than=cutoff_dt.timestamp(),
                dry_run=dry_run,
                timeout=self.lock_timeout,
            )
            if not dry_run:
                self.audit(db, by, "purge", f"older than {days} days", _counts_text(counts))
            counts["cutoff"] = cutoff_dt.isoformat(timespec="seconds")
            counts["older_than_days"] = days
            return counts

        return self.run(run, write=True, commit=not dry_run)

    def delete_conversation(self, conversation_id: str, by: str, tracker_db: Any = None) -> dict:
        """Right to erasure: every row about the conversation, in both
        databases, and its chat-page sessions (the browser's cookie no longer
        opens it). The audit keeps the conversation id and counts only; its
        actor is ``by``, or this store's actor (the action server, for a
        person's own "delete my data") with ``by`` in the detail."""
        if not conversation_id:
            raise InvalidInput("conversation id is empty")
        by = (by or "").strip()
        if not by:
            raise InvalidInput("say who deletes the conversation (by)")
        tracker_target = self._tracker_target(tracker_db)

        def run(db: Database) -> dict:
            ids = [
                r[0]
                for r in db.execute("SELECT screening_id FROM screenings WHERE conversation_id = ?", [conversation_id])
            ]
            counts = _delete_screenings(db, ids)
            counts["chat_sessions"] = end_chat_sessions(db, [conversation_id])
            counts["tracker_events"] = tracker.delete_events(
                tracker_target, [conversation_id], timeout=self.lock_timeout
            )
            actor = by if self.actor == DEFAULT_ACTOR else self.actor
            detail = _counts_text(counts) if actor == by else f"requested by {by[:100]}; {_counts_text(counts)}"
            self.audit(db, actor, "delete", conversation_id, detail)
            return counts

        return self.run(run, write=True)

    def _tracker_target(self, tracker_db: Any) -> str | Path:
        if tracker_db is not None:
            return tracker_db
        return self.tracker_db if self.tracker_db is not None else config.tracker_db_path()

    # -- notification outbox (bot/notify.py) --------------------------------
    def enqueue_notifications(
        self, screening_id: str, channels: Sequence[str], outcomes: Sequence[str], now: str | None = None
    ) -> list[str]:
        """Queue one pending notification per channel for this screening if its
        stored outcome is one of ``outcomes``. Idempotent: a (screening,
        channel) pair is queued at most once. Returns the channels newly queued."""
        now = now or utc_now()
        for channel in channels:
            if channel not in NOTIFY_CHANNELS:
                raise InvalidInput(f"unknown notification channel {channel!r}")

        def run(db: Database) -> list[str]:
            outcome = db.scalar("SELECT outcome FROM screenings WHERE screening_id = ?", [screening_id])
            if outcome is None or outcome not in outcomes:
                return []
            return [
                channel
                for channel in channels
                if db.insert_ignore(
                    "notifications",
                    {
                        "screening_id": screening_id,
                        "channel": channel,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    },
                )
            ]

        return self.run(run, write=True)

    def list_notifications(self, status: str | None = None, screening_id: str | None = None) -> list[dict]:
        """Outbox rows, oldest first, each with the screening's current outcome."""
        where, params = [], []
        if status is not None:
            if status not in NOTIFY_STATUSES:
                raise InvalidInput(f"unknown notification status {status!r} (one of: {', '.join(NOTIFY_STATUSES)})")
            where.append("n.status = ?")
            params.append(status)
        if screening_id is not None:
            where.append("n.screening_id = ?")
            params.append(screening_id)
        sql = (
            "SELECT n.*, s.outcome FROM notifications n "
            "JOIN screenings s ON s.screening_id = n.screening_id "
            f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY n.id"
        )
        return self.run(lambda db: db.query(sql, params), write=False)

    def due_notifications(self, now: str, screening_id: str | None = None) -> list[dict]:
        """Pending rows whose next attempt is due at ``now``, oldest first."""
        sql = (
            "SELECT n.*, s.outcome FROM notifications n "
            "JOIN screenings s ON s.screening_id = n.screening_id "
            "WHERE n.status = 'pending' AND n.next_attempt_at <= ?"
            + (" AND n.screening_id = ?" if screening_id is not None else "")
            + " ORDER BY n.id"
        )
        params = [now] + ([screening_id] if screening_id is not None else [])
        return self.run(lambda db: db.query(sql, params), write=False)

    def claim_notification(self, notification_id: int, attempts: int, now: str, lease_until: str) -> bool:
        """Take a due row for one attempt: ``attempts`` + 1 and the next attempt
        moved to ``lease_until`` (so a crash mid-send means a later retry, and
        two senders never send the same row). False if someone else took it."""

        def run(db: Database) -> bool:
            return (
                db.execute(
                    "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ? "
                    "WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at <= ?",
                    [lease_until, notification_id, attempts, now],
                ).rowcount
                == 1
            )

        return self.run(run, write=True)

    def finish_notification(
        self,
        notification_id: int,
        *,
        sent: bool,
        now: str,
        error: str | None = None,
        next_attempt_at: str | None = None,
    ) -> None:
        """Record an attempt's result: sent, or failed with a retry at
        ``next_attempt_at`` (None: give up, status ``failed``)."""
        error = None if error is None else str(error)[:200]
        if sent:
            sql, params = (
                "UPDATE notifications SET status = 'sent', sent_at = ?, "
                "next_attempt_at = NULL, last_error = NULL WHERE id = ?",
                [now, notification_id],
            )
        elif next_attempt_at is None:
            sql, params = (
                "UPDATE notifications SET status = 'failed', next_attempt_at = NULL, last_error = ? WHERE id = ?",
                [error, notification_id],
            )
        else:
            sql, params = (
                "UPDATE notifications SET next_attempt_at = ?, last_error = ? WHERE id = ?",
                [next_attempt_at, error, notification_id],
            )
        self.run(lambda db: db.execute(sql, params), write=True)

    def retry_notification(self, notification_id: int, *, by: str, now: str | None = None) -> None:
        """Staff ask for another try of a failed (or waiting) notification now."""
        now = now or utc_now()

        def run(db: Database) -> None:
            row = db.one("SELECT status, screening_id FROM notifications WHERE id = ?", [notification_id])
            if row is None:
                raise NotFound(f"no notification {notification_id}")
            if row[0] == "sent":
                raise InvalidInput(f"notification {notification_id} was sent already")
            db.execute(
                "UPDATE notifications SET status = 'pending', next_attempt_at = ?, attempts = 0 WHERE id = ?",
                [now, notification_id],
            )
            self.audit(db, by, "notification-retry", row[1], f"notification {notification_id}")

        self.run(run, write=True)

    # -- export ------------------------------------------------------------
    def all_records(self, *, include_transcript: bool = False) -> list[dict]:
        """Every screening as a full record, oldest first."""
        return self.run(lambda db: load_records(db, None, [], transcript=include_transcript), write=False)

    def records(self, screening_ids: Sequence[str], *, include_transcript: bool = False) -> list[dict]:
        """These screenings as full records, oldest first (unknown ids are skipped)."""

        def run(db: Database) -> list[dict]:
            found: list[dict] = []
            for chunk in chunks(list(dict.fromkeys(screening_ids))):
                found += load_records(
                    db, f"s.screening_id IN ({placeholders(len(chunk))})", list(chunk), transcript=include_transcript
                )
            return sorted(found, key=lambda r: (sortable(parse_ts(r["started_at"], "started_at")), r["created_at"]))

        return self.run(run, write=False)

    def export(
        self, format: str = "json", *, include_transcript: bool = False, screening_ids: Sequence[str] | None = None
    ) -> str:
        """The staff export (DESIGN.md "Staff export") as a string: every
        screening, or only ``screening_ids``."""
        if format not in ("json", "csv"):
            raise InvalidInput(f"unknown export format {format!r} (json or csv)")
        if screening_ids is None:
            records = self.all_records(include_transcript=include_transcript)
        else:
            records = self.records(screening_ids, include_transcript=include_transcript)
        return format_export(records, format)


# --------------------------------------------------------------------------
# Implementation details
# --------------------------------------------------------------------------
def _item_id(item_id: Any) -> int:
    try:
        value = int(str(item_id).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"review item id must be a number, not {item_id!r}") from None
    if value < 1:
        raise NotFound(f"no review item {value}")
    return value


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_conditions(query: str) -> tuple[list[str], list]:
    """What a search box finds: a name (any part, case and spaces ignored),
    a phone number (4 or more digits, any spacing), a reference ("A1B2-C3D4")
    or screening id (its start), or a conversation id (exactly)."""
    q = unicodedata.normalize("NFKC", query or "").strip()[:MAX_SEARCH]
    if not q:
        return [], []
    conds, params = [], []
    name = "".join(q.casefold().split())
    conds.append("s.search_name LIKE ? ESCAPE '\\'")
    params.append(f"%{_like(name)}%")
    digits = re.sub(r"[^0-9]", "", q)
    if len(digits) >= 4 and re.fullmatch(r"[0-9\s+\-().]+", q):
        conds.append("s.search_phone LIKE ? ESCAPE '\\'")
        params.append(f"%{digits}%")
    ident = re.sub(r"[\s-]", "", q).lower()
    if re.fullmatch(r"[0-9a-z]{4,64}", ident):
        conds.append("lower(s.screening_id) LIKE ? ESCAPE '\\'")
        params.append(f"{_like(ident)}%")
    conds.append("s.conversation_id = ?")
    params.append(q)
    return ["(" + " OR ".join(conds) + ")"], params


def _screening_filters(
    outcome: str | None = None,
    review_status: str | None = None,
    since: Any = None,
    until: Any = None,
    *,
    search: str | None = None,
    follow_status: str | None = None,
    owner: str | None = None,
    callback_from: Any = None,
    callback_to: Any = None,
    callback_set: bool | None = None,
    consented: bool | None = None,
) -> tuple[list[str], list]:
    """SQL conditions on ``screenings s``. ``owner``: a user name, or
    :data:`NOBODY` for leads nobody has taken; ``callback_from``/``_to``:
    callback time in [from, to) (datetimes or ISO 8601); ``callback_set``:
    with (True) or without (False) a callback time; ``consented``: the
    person agreed (True) or not (False) to be contacted."""
    where, params = [], []
    if outcome is not None:
        if outcome not in OUTCOMES:
            raise InvalidInput(f"unknown outcome {outcome!r} (one of: {', '.join(OUTCOMES)})")
        where.append("s.outcome = ?")
        params.append(outcome)
    if review_status is not None:
        if review_status not in REVIEW_FILTERS:
            raise InvalidInput(f"review status must be 'open' or 'none', not {review_status!r}")
        where.append(
            ("" if review_status == "open" else "NOT ") + "EXISTS (SELECT 1 FROM review_items r WHERE r.screening_id = "
            "s.screening_id AND r.status = 'open')"
        )
    lo, hi = bound(since, end=False), bound(until, end=True)
    if lo:
        where.append("s.started_utc >= ?")
        params.append(lo)
    if hi:
        where.append("s.started_utc < ?")
        params.append(hi)
    if search:
        conds, values = search_conditions(search)
        where += conds
        params += values
    if follow_status is not None:
        if follow_status not in FOLLOW_UP_STATUSES:
            raise InvalidInput(f"unknown follow-up status {follow_status!r} (one of: {', '.join(FOLLOW_UP_STATUSES)})")
        where.append("s.follow_status = ?")
        params.append(follow_status)
    if owner is not None:
        if owner == NOBODY:
            where.append("s.follow_owner IS NULL")
        else:
            where.append("s.follow_owner = ?")
            params.append(str(owner))
    if callback_from is not None:
        where.append("s.callback_at >= ?")
        params.append(sortable(parse_ts(callback_from, "callback_from")))
    if callback_to is not None:
        where.append("s.callback_at < ?")
        params.append(sortable(parse_ts(callback_to, "callback_to")))
    if callback_set is True:
        where.append("s.callback_at IS NOT NULL")
    elif callback_set is False:
        where.append("s.callback_at IS NULL")
    if consented is not None:
        where.append("s.contact_consented = ?")
        params.append(1 if consented else 0)
    return where, params


def _add_details(db: Database, rows: list[dict]) -> None:
    """Per row: failed criteria, open review items and the last call."""
    by_id = {r["screening_id"]: r for r in rows}
    for r in rows:
        r["failed"], r["open_items"], r["last_call"], r["first_not_asked"] = [], [], None, None
    for chunk in chunks(list(by_id)):
        ph, ids = placeholders(len(chunk)), list(chunk)
        for a in db.query(
            "SELECT screening_id, criterion, verdict, reason, reason_key, reason_params, answer, confidence FROM answers "
            f"WHERE verdict IN ('fail', 'not_asked') AND screening_id IN ({ph}) ORDER BY screening_id, position",
            ids,
        ):
            row = by_id[a.pop("screening_id")]
            if a["verdict"] == "fail":
                row["failed"].append(a)
            elif row["first_not_asked"] is None:
                row["first_not_asked"] = a["criterion"]
        for i in db.query(
            "SELECT r.id, r.screening_id, r.criterion, r.reason, r.reason_key, r.reason_params, r.answer, a.confidence "
            "FROM review_items r "
            "LEFT JOIN answers a ON a.screening_id = r.screening_id AND a.criterion = r.criterion "
            f"WHERE r.status = 'open' AND r.screening_id IN ({ph}) ORDER BY r.id",
            ids,
        ):
            by_id[i.pop("screening_id")]["open_items"].append(i)
        for c in db.query(
            'SELECT screening_id, at, "by", result FROM follow_up_log '
            f"WHERE kind = 'call' AND screening_id IN ({ph}) ORDER BY id",
            ids,
        ):
            by_id[c.pop("screening_id")]["last_call"] = c


def _who(by: str) -> str:
    by = (by or "").strip()
    if not by:
        raise InvalidInput("say who does this (by)")
    return by[:200]


def _note_text(text: str | None, *, required: bool) -> str | None:
    text = "" if text is None else str(text).replace("\x00", "\ufffd").strip()
    if not text:
        if required:
            raise InvalidInput("a note needs some text")
        return None
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"a note is at most {MAX_NOTE} characters (this one has {len(text)})")
    return text


def _lock_lead(db: Database, screening_id: str) -> None:
    db.lock(f"screening:{screening_id}")
    if db.scalar("SELECT 1 FROM screenings WHERE screening_id = ?", [screening_id]) is None:
        raise NotFound(f"no screening {screening_id}")


def _callback_value(value: Any, now: datetime) -> str | None:
    if value is None or value == "":
        return None
    when = parse_ts(value, "callback time")
    if not (now - timedelta(days=3660) < when < now + timedelta(days=730)):
        raise InvalidInput("the callback time must be within the next two years")
    return sortable(when)


def _change_follow_up(
    db: Database, sid: str, by: str, status: Any, owner: Any, callback_at: Any, now: datetime | None
) -> list[dict]:
    """Apply the given changes to a lead's follow-up, log each; the changes made."""
    _lock_lead(db, sid)
    now = now or datetime.now(timezone.utc)
    at = now.astimezone(timezone.utc).isoformat(timespec="seconds")
    current = db.query("SELECT follow_status, follow_owner, callback_at FROM screenings WHERE screening_id = ?", [sid])[
        0
    ]
    updates: dict[str, Any] = {}
    changes: list[dict] = []
    if status is not UNSET and status != current["follow_status"]:
        if status not in FOLLOW_UP_STATUSES:
            raise InvalidInput(f"unknown follow-up status {status!r} (one of: {', '.join(FOLLOW_UP_STATUSES)})")
        updates["follow_status"] = status
        changes.append({"kind": "status", "old": current["follow_status"], "new": status})
    if owner is not UNSET:
        owner = (owner or "").strip() or None
        if owner is not None and not db.scalar(
            "SELECT 1 FROM staff_users WHERE username = ? AND disabled_at IS NULL", [owner]
        ):
            raise InvalidInput(f"no active staff account {owner!r} to assign the lead to")
        if owner != current["follow_owner"]:
            updates["follow_owner"] = owner
            changes.append({"kind": "owner", "old": current["follow_owner"], "new": owner})
    if callback_at is not UNSET:
        value = _callback_value(callback_at, now)
        if value != current["callback_at"]:
            updates["callback_at"] = value
            changes.append({"kind": "callback", "old": current["callback_at"], "new": value})
    if not updates:
        return []
    updates["follow_updated_at"] = at
    sets = ", ".join(f"{k} = ?" for k in updates)
    db.execute(f"UPDATE screenings SET {sets} WHERE screening_id = ?", [*updates.values(), sid])
    for change in changes:
        db.insert(
            "follow_up_log",
            {"screening_id": sid, "at": at, "by": by, "result": None, "text": None, **change},
        )
    return changes


def _changes_text(changes: list[dict]) -> str:
    """For the audit log: what changed (statuses, owners, times; never notes)."""
    return "; ".join(f"{c['kind']} {c['old'] or '-'} -> {c['new'] or '-'}" for c in changes)


def _follow_up_now(db: Database, sid: str) -> dict:
    row = db.query(
        "SELECT follow_status, follow_owner, callback_at, follow_updated_at FROM screenings WHERE screening_id = ?",
        [sid],
    )[0]
    notes = db.scalar(f"SELECT count(*) FROM follow_up_log WHERE screening_id = ? AND {NOTE_KINDS_SQL}", [sid])
    return follow_up_of(row, notes)


def _save(db: Database, row: dict, answers: list[dict], items: dict[str, dict], transcript: list[dict]) -> str:
    sid = row["screening_id"]
    db.lock(f"screening:{sid}")
    now = utc_now()
    previous = db.one("SELECT outcome, created_at FROM screenings WHERE screening_id = ?", [sid])
    existing = {r["criterion"]: r for r in db.query("SELECT * FROM review_items WHERE screening_id = ?", [sid])}
    resolved = {c: r for c, r in existing.items() if r["status"] == RESOLVED}

    # Staff decisions still count while the bot still finds the criterion uncertain.
    overridden = False
    for a in answers:
        if a["verdict"] == UNCERTAIN and a["criterion"] in resolved:
            a["verdict"] = resolved[a["criterion"]]["decision"]
            overridden = True
    outcome = row["outcome"]
    if overridden:
        outcome = compute_outcome(
            {a["criterion"]: a["verdict"] for a in answers},
            consented=outcome != DECLINED,
            finished=row["completed_at"] is not None,
        )

    db.upsert(
        "screenings",
        {**row, "outcome": outcome, "created_at": previous[1] if previous else now, "updated_at": now},
        key="screening_id",
    )

    _save_answers(db, sid, answers)

    for cid, r in existing.items():
        if r["status"] == OPEN and cid not in items:
            db.execute("DELETE FROM review_items WHERE id = ?", [r["id"]])
    for cid, item in items.items():
        if cid in resolved:
            continue
        if cid in existing:
            if all(
                existing[cid][k] == item[k] for k in ("question", "answer", "reason", "reason_key", "reason_params")
            ):
                continue  # unchanged since the last turn
            db.execute(
                "UPDATE review_items SET question = ?, answer = ?, reason = ?, reason_key = ?, reason_params = ? "
                "WHERE id = ?",
                [
                    item["question"],
                    item["answer"],
                    item["reason"],
                    item["reason_key"],
                    item["reason_params"],
                    existing[cid]["id"],
                ],
            )
        else:
            db.insert("review_items", {**item, "screening_id": sid, "status": OPEN, "created_at": now})

    _save_transcript(db, sid, transcript)

    old = previous[0] if previous else None
    if old != outcome:
        db.insert(
            "outcome_history",
            {
                "screening_id": sid,
                "old": old,
                "new": outcome,
                "at": now,
                "by": "bot",
                "why": "screening saved" + (" (staff decisions applied)" if overridden else ""),
            },
        )
    return outcome


def _save_answers(db: Database, sid: str, answers: list[dict]) -> None:
    """Write only what changed since the last save: a turn changes one or two
    of the trial's criteria, and rewriting them all was most of a turn's SQL."""
    stored = {r["criterion"]: r for r in db.query("SELECT * FROM answers WHERE screening_id = ?", [sid])}
    new, changed = [], []
    for a in answers:
        old = stored.pop(a["criterion"], None)
        if old is None:
            new.append(a)
        elif any(old[k] != a[k] for k in a):
            changed.append(a)
    for criterion in stored:  # no longer in the record
        db.execute("DELETE FROM answers WHERE screening_id = ? AND criterion = ?", [sid, criterion])
    for a in changed:
        columns = [k for k in a if k not in ("screening_id", "criterion")]
        db.execute(
            f"UPDATE answers SET {', '.join(f'{k} = ?' for k in columns)} WHERE screening_id = ? AND criterion = ?",
            [*(a[k] for k in columns), sid, a["criterion"]],
        )
    db.insert_all("answers", new)


def _save_transcript(db: Database, sid: str, transcript: list[dict]) -> None:
    """Append the turns not stored yet. A transcript is append-only, so when the
    stored one is a prefix (same length or shorter, its last turn unchanged)
    only the new turns are inserted; anything else is rewritten whole."""
    count = int(db.scalar("SELECT count(*) FROM transcript WHERE screening_id = ?", [sid]) or 0)
    if count and count <= len(transcript):
        last = db.query(
            "SELECT seq, at, speaker, text FROM transcript WHERE screening_id = ? AND seq = ?", [sid, count - 1]
        )
        expected = transcript[count - 1]
        # not "at": this turn's replies are stamped again from Rasa's events next turn
        if last and all(last[0][k] == expected[k] for k in ("seq", "speaker", "text")):
            db.insert_all("transcript", transcript[count:])
            return
    if count:
        db.execute("DELETE FROM transcript WHERE screening_id = ?", [sid])
    db.insert_all("transcript", transcript)


def _save_state(db: Database, screening_id: str, revision: str, state_json: str) -> None:
    seq = int(
        db.scalar("SELECT coalesce(max(seq), 0) + 1 FROM screening_states WHERE screening_id = ?", [screening_id])
    )
    db.upsert(
        "screening_states",
        {"screening_id": screening_id, "revision": revision, "state": state_json, "saved_at": utc_now(), "seq": seq},
        key=("screening_id", "revision"),
    )
    db.execute("DELETE FROM screening_states WHERE screening_id = ? AND seq <= ?", [screening_id, seq - STATES_KEPT])


def _delete_screenings(db: Database, ids: list[str]) -> dict:
    counts = {t: 0 for t in ("screenings", *SCREENING_TABLES)}
    for chunk in chunks(ids):
        ph, params = placeholders(len(chunk)), list(chunk)
        for table in (*SCREENING_TABLES, "screenings"):
            counts[table] += db.execute(f"DELETE FROM {table} WHERE screening_id IN ({ph})", params).rowcount
    return counts


def end_chat_sessions(db: Database, conversation_ids: Sequence[str]) -> int:
    """End the chat-page sessions of these conversations (bot/store/chat_sessions.py),
    inside the caller's transaction; how many ended."""
    ended = 0
    for chunk in chunks([c for c in conversation_ids if str(c).startswith("web-")]):
        ended += db.execute(
            f"DELETE FROM chat_sessions WHERE conversation_id IN ({placeholders(len(chunk))})", list(chunk)
        ).rowcount
    return ended


def _counts_text(counts: Mapping[str, Any]) -> str:
    keys = ("screenings", *SCREENING_TABLES, "chat_sessions", "tracker_events")
    return ", ".join(f"{k}={counts.get(k, 0)}" for k in keys)
