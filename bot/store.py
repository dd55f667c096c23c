"""Lead store: screenings, answers, the staff review queue and the audit log.

Plain data in, plain data out. Records have the shape described in
``../shared/DESIGN.md`` (see ``save_screening``). Everything lives in one
SQLite file (env ``LEAD_DB``, default ``var/leads.db`` under the project
root), created owner-only (0600), in WAL mode, with a ``busy_timeout`` so
concurrent writers wait for each other instead of failing.

Every write runs in one ``BEGIN IMMEDIATE`` transaction. If the database
stays locked, the whole transaction is retried with back-off until
``lock_timeout`` seconds (env ``LEAD_DB_LOCK_TIMEOUT``, default 30) have
passed, then :class:`LeadStoreUnavailable` is raised. A transaction either
commits once or not at all, and saving is an idempotent upsert keyed by
``screening_id``, so a retry can never write a screening twice.

The schema is created and migrated by code: ``meta.schema_version`` counts the
applied entries of :data:`MIGRATIONS` (an ordered list of functions; never
reorder or edit a released one, append a new one instead).

Module-level functions (``save_screening(record)`` ...) use a
:class:`LeadStore` built from the environment at call time.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import sqlite3
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from sqlite_utils import Database

from bot.outcome import (
    DECLINED, FAIL, OUTCOMES, PASS, PENDING, UNCERTAIN, VERDICTS, compute_outcome)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LEAD_DB = "var/leads.db"
DEFAULT_TRACKER_DB = "var/tracker.db"
DEFAULT_RETENTION_DAYS = 365
DEFAULT_LOCK_TIMEOUT = 30.0

OPEN, RESOLVED = "open", "resolved"
NOTIFY_CHANNELS = ("email", "webhook")
NOTIFY_STATUSES = ("pending", "sent", "failed")
DECISIONS = (PASS, FAIL)
REVIEW_FILTERS = ("open", "none")

# Column order of the CSV export: the criterion ids of DESIGN.md, in the
# order of the registry record. Ids not listed here are appended, sorted.
CRITERION_ORDER = (
    "age", "performance_status", "life_expectancy", "diagnosis", "prior_tki",
    "measurable_disease", "toxicity_recovered", "blood_counts",
    "renal_function", "liver_function", "coagulation", "urine_protein",
    "thyroid_function", "pregnancy_contraception", "consent_compliance",
    "recent_anticancer_therapy", "planned_local_therapy", "immunosuppressants",
    "infection", "hypertension", "bleeding_thrombosis", "cardiac",
    "other_malignancy", "drug_allergy", "viral_infection",
    "other_serious_condition",
)

CSV_BASE_COLUMNS = (
    "screening_id", "conversation_id", "trial_id", "role", "outcome",
    "started_at", "completed_at", "fail_count", "uncertain_count",
    "pending_count", "open_review_items",
)

_CONTACT_KEYS = ("consented", "name", "phone", "email", "preferred_time",
                 "callback_requested")

T = TypeVar("T")


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------
class LeadStoreError(Exception):
    """Base class of every error this module raises on purpose."""


class LeadStoreUnavailable(LeadStoreError):
    """The database stayed locked (or could not be opened) for too long."""


class InvalidInput(LeadStoreError, ValueError):
    """A record or an argument is malformed."""


class NotFound(LeadStoreError, LookupError):
    """No such screening, conversation or review item."""


class AlreadyResolved(LeadStoreError):
    """The review item was resolved before."""


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
def _env_path(name: str, default: str) -> Path:
    """A path from the environment; relative paths are under the project root."""
    raw = os.environ.get(name) or default
    path = Path(raw).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def lead_db_path() -> Path:
    return _env_path("LEAD_DB", DEFAULT_LEAD_DB)


def tracker_db_path() -> Path:
    return _env_path("TRACKER_DB", DEFAULT_TRACKER_DB)


def retention_days() -> int:
    raw = os.environ.get("RETENTION_DAYS", "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    try:
        days = int(raw)
    except ValueError:
        raise InvalidInput(f"RETENTION_DAYS must be a whole number of days, got {raw!r}")
    if days < 1:
        raise InvalidInput(f"RETENTION_DAYS must be at least 1, got {days}")
    return days


def _lock_timeout_from_env() -> float:
    raw = os.environ.get("LEAD_DB_LOCK_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise InvalidInput(f"LEAD_DB_LOCK_TIMEOUT must be a number of seconds, got {raw!r}")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _parse_ts(value: Any, what: str) -> datetime:
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


def _sortable(dt: datetime) -> str:
    """Fixed-width UTC form used for sorting and date filters."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _bound(value: Any, *, end: bool) -> str | None:
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
        return _sortable(start + timedelta(days=1) if end else start)
    dt = _parse_ts(value, "date")
    return _sortable(dt + timedelta(microseconds=1) if end else dt)


def _is_locked(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in msg or "busy" in msg)


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"value is not JSON-serialisable: {exc}") from None


def _loads(text: str | None, default: Any = None) -> Any:
    if text is None:
        return default
    return json.loads(text)


def _count(db: Database, sql: str, params: Sequence = ()) -> int:
    return db.execute(sql, params).fetchone()[0]


def _chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


# --------------------------------------------------------------------------
# Schema and migrations
# --------------------------------------------------------------------------
def _m001_initial(db: Database) -> None:
    db.executescript("""
    CREATE TABLE screenings (
        screening_id    TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        trial_id        TEXT,
        role            TEXT,
        outcome         TEXT NOT NULL,
        started_at      TEXT NOT NULL,   -- as given
        completed_at    TEXT,            -- as given
        started_utc     TEXT NOT NULL,   -- normalised, for sorting and filters
        contact         TEXT,            -- JSON or NULL
        pending         TEXT NOT NULL DEFAULT '[]',  -- JSON list of criterion ids
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE INDEX screenings_conversation ON screenings(conversation_id);
    CREATE INDEX screenings_started ON screenings(started_utc);
    CREATE INDEX screenings_outcome ON screenings(outcome);

    CREATE TABLE answers (
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id),
        criterion    TEXT NOT NULL,
        position     INTEGER NOT NULL,
        question     TEXT,
        answer       TEXT,              -- verbatim
        value        TEXT,              -- JSON
        verdict      TEXT NOT NULL,
        reason       TEXT,
        confidence   REAL,
        PRIMARY KEY (screening_id, criterion)
    );

    CREATE TABLE review_items (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id),
        criterion    TEXT NOT NULL,
        question     TEXT,
        answer       TEXT,
        reason       TEXT,
        status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        decision     TEXT CHECK (decision IS NULL OR decision IN ('pass', 'fail')),
        note         TEXT,
        resolved_by  TEXT,
        resolved_at  TEXT,
        created_at   TEXT NOT NULL,
        UNIQUE (screening_id, criterion)
    );
    CREATE INDEX review_items_status ON review_items(status);

    CREATE TABLE transcript (
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id),
        seq          INTEGER NOT NULL,
        at           TEXT,
        speaker      TEXT NOT NULL,
        text         TEXT NOT NULL,
        PRIMARY KEY (screening_id, seq)
    );

    CREATE TABLE outcome_history (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id),
        old          TEXT,
        new          TEXT NOT NULL,
        at           TEXT NOT NULL,
        by           TEXT NOT NULL,
        why          TEXT
    );
    CREATE INDEX outcome_history_screening ON outcome_history(screening_id);

    -- Who did what, when. Never health data: ids and counts only.
    CREATE TABLE audit (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        at     TEXT NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
    );
    """)


def _m002_notifications(db: Database) -> None:
    # Staff-notification outbox (bot/notify.py). Statement by statement, not
    # executescript, so it stays inside the migration's transaction. Rows go
    # with their screening (erasure, purge) through ON DELETE CASCADE.
    db.execute("""
    CREATE TABLE notifications (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        screening_id    TEXT NOT NULL REFERENCES screenings(screening_id) ON DELETE CASCADE,
        channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
        status          TEXT NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sent', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,            -- UTC ISO 8601, seconds (sortable)
        last_error      TEXT,            -- short; never health data
        created_at      TEXT NOT NULL,
        sent_at         TEXT,
        UNIQUE (screening_id, channel)
    )""")
    db.execute("CREATE INDEX notifications_due ON notifications(status, next_attempt_at)")


# Ordered; meta.schema_version == number of applied entries.
MIGRATIONS: list[Callable[[Database], None]] = [
    _m001_initial,
    _m002_notifications,
]
SCHEMA_VERSION = len(MIGRATIONS)


def _schema_version(db: Database) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


# --------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------
class LeadStore:
    """The lead database. Cheap to build; opens one connection per operation."""

    def __init__(self, path: str | os.PathLike | None = None, *,
                 lock_timeout: float | None = None,
                 tracker_db: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else lead_db_path()
        self.lock_timeout = (_lock_timeout_from_env() if lock_timeout is None
                             else max(0.0, float(lock_timeout)))
        self.tracker_db = Path(tracker_db) if tracker_db is not None else None
        self._ready = False

    def __repr__(self) -> str:
        return f"LeadStore({str(self.path)!r})"

    def exists(self) -> bool:
        return self.path.exists()

    # -- connections -------------------------------------------------------
    def _create_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass
        else:
            os.close(fd)

    def _tighten(self) -> None:
        """Owner-only, also for a file someone created with wider permissions."""
        try:
            if self.path.stat().st_mode & 0o077:
                os.chmod(self.path, 0o600)
        except OSError:
            pass

    def _connect(self, busy_ms: int) -> Database:
        try:
            if not self.path.exists():
                self._create_file()
            if not self._ready:
                self._tighten()
            conn = sqlite3.connect(str(self.path), timeout=busy_ms / 1000)
        except (OSError, sqlite3.Error) as exc:
            raise LeadStoreUnavailable(f"cannot open lead database {self.path}: {exc}") from exc
        db = Database(conn, execute_plugins=False)
        db.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    def _ensure_schema(self, db: Database) -> None:
        if self._ready:
            return
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            with db.ensure_autocommit_on():
                db.execute("PRAGMA journal_mode = WAL")
        # Fast path: already current (no write lock needed).
        has_meta = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not has_meta or _schema_version(db) < SCHEMA_VERSION:
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                version = _schema_version(db)  # re-read under the write lock
                for migration in MIGRATIONS[version:]:
                    migration(db)
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                           [str(len(MIGRATIONS))])
                db.conn.execute("COMMIT")
            except BaseException:
                db.rollback()
                raise
        version = _schema_version(db)
        if version > SCHEMA_VERSION:
            raise LeadStoreError(
                f"lead database {self.path} has schema version {version}, newer than "
                f"this code supports ({SCHEMA_VERSION}); upgrade the code")
        self._ready = True

    def _run(self, fn: Callable[[Database], T], *, write: bool, commit: bool = True) -> T:
        """Run ``fn(db)`` in one transaction (``BEGIN IMMEDIATE`` for writes,
        a consistent snapshot for reads), retrying the whole transaction while
        the database is locked. ``commit=False`` rolls back (dry runs)."""
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while True:
            remaining = deadline - time.monotonic()
            busy_ms = int(max(50, min(remaining, 5.0) * 1000))
            db = None
            try:
                db = self._connect(busy_ms)
                self._ensure_schema(db)
                db.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                result = fn(db)
                db.conn.execute("COMMIT" if commit else "ROLLBACK")
                return result
            except sqlite3.OperationalError as exc:
                _rollback(db)
                if not _is_locked(exc):
                    raise LeadStoreError(f"lead database {self.path}: {exc}") from exc
                if time.monotonic() + delay > deadline:
                    raise LeadStoreUnavailable(
                        f"lead database {self.path} stayed locked for "
                        f"{self.lock_timeout:g} s; nothing was changed, try again later") from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)
            except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
                _rollback(db)
                raise LeadStoreError(f"lead database {self.path}: {exc}") from exc
            except BaseException:
                _rollback(db)
                raise
            finally:
                if db is not None:
                    db.close()

    def migrate(self) -> int:
        """Create or migrate the schema; returns the schema version."""
        return self._run(_schema_version, write=False)

    # -- audit -------------------------------------------------------------
    @staticmethod
    def _audit(db: Database, actor: str, action: str, target: Any, detail: str = "") -> None:
        db["audit"].insert({
            "at": utc_now(), "actor": str(actor or "unknown")[:200],
            "action": str(action)[:100],
            "target": None if target is None else str(target)[:500],
            "detail": str(detail or "")[:1000]})

    def record_audit(self, actor: str, action: str, target: Any, detail: str = "") -> None:
        """Append to the audit log. Callers: ids and counts only, never health data."""
        self._run(lambda db: self._audit(db, actor, action, target, detail), write=True)

    def audit_log(self, limit: int | None = None) -> list[dict]:
        sql = "SELECT id, at, actor, action, target, detail FROM audit ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self._run(lambda db: list(db.query(sql)), write=False)

    # -- saving ------------------------------------------------------------
    def save_screening(self, record: Mapping[str, Any]) -> str:
        """Insert or update one screening (idempotent, one transaction).

        The answers and transcript are replaced by the record's. Review items
        are matched by criterion: one resolved by staff stays resolved with
        its decision (and that decision still counts if the criterion is
        still ``uncertain``); an open one no longer uncertain is removed.
        Returns the outcome stored.
        """
        row, answers, items, transcript = _normalise(record)
        return self._run(lambda db: _save(db, row, answers, items, transcript), write=True)

    # -- reading -----------------------------------------------------------
    def get_screening(self, screening_id: str) -> dict | None:
        records = self._run(lambda db: _load_records(db, "s.screening_id = ?", [screening_id]),
                            write=False)
        return records[0] if records else None

    def find_by_conversation(self, conversation_id: str) -> dict | None:
        """The newest screening of a conversation (a conversation may restart)."""
        records = self._run(lambda db: _load_records(
            db, "s.screening_id = (SELECT screening_id FROM screenings WHERE conversation_id = ? "
                "ORDER BY started_utc DESC, created_at DESC LIMIT 1)", [conversation_id]),
            write=False)
        return records[0] if records else None

    def list_screenings(self, outcome: str | None = None, review_status: str | None = None,
                        since: Any = None, until: Any = None,
                        limit: int | None = None) -> list[dict]:
        """Screenings newest first, one summary dict each (no answers)."""
        where, params = [], []
        if outcome is not None:
            if outcome not in OUTCOMES:
                raise InvalidInput(f"unknown outcome {outcome!r} (one of: {', '.join(OUTCOMES)})")
            where.append("s.outcome = ?")
            params.append(outcome)
        if review_status is not None:
            if review_status not in REVIEW_FILTERS:
                raise InvalidInput(f"review status must be 'open' or 'none', not {review_status!r}")
            where.append(("" if review_status == "open" else "NOT ") +
                         "EXISTS (SELECT 1 FROM review_items r WHERE r.screening_id = "
                         "s.screening_id AND r.status = 'open')")
        lo, hi = _bound(since, end=False), _bound(until, end=True)
        if lo:
            where.append("s.started_utc >= ?")
            params.append(lo)
        if hi:
            where.append("s.started_utc < ?")
            params.append(hi)
        if limit is not None:
            if int(limit) < 1:
                raise InvalidInput(f"limit must be at least 1, got {limit}")
        sql = f"""
            SELECT s.screening_id, s.conversation_id, s.trial_id, s.role, s.outcome,
                   s.started_at, s.completed_at, s.pending,
                   (SELECT count(*) FROM answers a WHERE a.screening_id = s.screening_id
                        AND a.verdict = 'fail') AS fail_count,
                   (SELECT count(*) FROM answers a WHERE a.screening_id = s.screening_id
                        AND a.verdict = 'uncertain') AS uncertain_count,
                   (SELECT json_group_array(criterion) FROM answers a
                        WHERE a.screening_id = s.screening_id AND a.verdict = 'pending')
                        AS pending_verdicts,
                   (SELECT count(*) FROM review_items r WHERE r.screening_id = s.screening_id
                        AND r.status = 'open') AS open_review_items
            FROM screenings s
            {"WHERE " + " AND ".join(where) if where else ""}
            ORDER BY s.started_utc DESC, s.created_at DESC
            {f"LIMIT {int(limit)}" if limit else ""}
        """

        def run(db: Database) -> list[dict]:
            out = []
            for r in db.query(sql, params):
                pending = set(_loads(r.pop("pending"), [])) | set(_loads(r.pop("pending_verdicts"), []))
                r["pending_count"] = len(pending)
                out.append(r)
            return out
        return self._run(run, write=False)

    def open_review_items(self) -> list[dict]:
        """The review queue, oldest first."""
        sql = """
            SELECT r.id, r.screening_id, s.conversation_id, s.role, s.outcome, s.started_at,
                   r.criterion, r.question, r.answer, r.reason, r.status, r.created_at
            FROM review_items r JOIN screenings s ON s.screening_id = r.screening_id
            WHERE r.status = 'open'
            ORDER BY s.started_utc, r.id
        """
        return self._run(lambda db: list(db.query(sql)), write=False)

    def get_review_item(self, item_id: int) -> dict | None:
        item_id = _item_id(item_id)
        rows = self._run(lambda db: list(db.query(
            "SELECT * FROM review_items WHERE id = ?", [item_id])), write=False)
        return rows[0] if rows else None

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
            rows = list(db.query("SELECT * FROM review_items WHERE id = ?", [item_id]))
            if not rows:
                raise NotFound(f"no review item {item_id}")
            item = rows[0]
            if item["status"] == RESOLVED:
                raise AlreadyResolved(
                    f"review item {item_id} was already resolved ({item['decision']}) by "
                    f"{item['resolved_by']} at {item['resolved_at']}")
            sid, criterion = item["screening_id"], item["criterion"]
            s = next(db.query("SELECT outcome, completed_at FROM screenings WHERE screening_id = ?",
                              [sid]))
            verdicts = {r["criterion"]: r["verdict"] for r in db.query(
                "SELECT criterion, verdict FROM answers WHERE screening_id = ?", [sid])}
            now = utc_now()
            if criterion in verdicts:
                db.execute("UPDATE answers SET verdict = ? WHERE screening_id = ? AND criterion = ?",
                           [decision, sid, criterion])
            else:
                position = _count(db, "SELECT coalesce(max(position) + 1, 0) FROM answers "
                                      "WHERE screening_id = ?", [sid])
                db["answers"].insert({
                    "screening_id": sid, "criterion": criterion, "position": position,
                    "question": item["question"], "answer": item["answer"],
                    "value": _dumps(None), "verdict": decision, "reason": item["reason"],
                    "confidence": None})
            verdicts[criterion] = decision
            old = s["outcome"]
            new = compute_outcome(verdicts, consented=old != DECLINED,
                                  finished=s["completed_at"] is not None)
            db.execute("UPDATE screenings SET outcome = ?, updated_at = ? WHERE screening_id = ?",
                       [new, now, sid])
            db.execute("UPDATE review_items SET status = 'resolved', decision = ?, note = ?, "
                       "resolved_by = ?, resolved_at = ? WHERE id = ?",
                       [decision, note, by, now, item_id])
            db["outcome_history"].insert({
                "screening_id": sid, "old": old, "new": new, "at": now, "by": by,
                "why": f"review item {item_id} ({criterion}) resolved: {decision}"})
            self._audit(db, by, "resolve", sid, f"review item {item_id}")
            return {"item_id": item_id, "screening_id": sid, "criterion": criterion,
                    "decision": decision, "old_outcome": old, "new_outcome": new}
        return self._run(run, write=True)

    # -- retention and erasure ---------------------------------------------
    def purge(self, older_than_days: int | None = None, tracker_db: Any = None, *,
              by: str = "system", dry_run: bool = False) -> dict:
        """Delete screenings started more than ``older_than_days`` ago (default
        ``RETENTION_DAYS``) with all their rows, and the tracker-store events of
        their conversations (plus any tracker event older than the cutoff).
        Returns counts per table; ``dry_run`` only counts."""
        days = retention_days() if older_than_days is None else older_than_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InvalidInput(f"older_than_days must be a whole number >= 0, got {days!r}")
        cutoff_dt = datetime.now(timezone.utc) - timedelta(days=days)
        cutoff = _sortable(cutoff_dt)
        tracker = self._tracker_path(tracker_db)

        def run(db: Database) -> dict:
            ids = [r[0] for r in db.execute(
                "SELECT screening_id FROM screenings WHERE started_utc < ?", [cutoff])]
            convs = {r[0] for c in _chunks(ids) for r in db.execute(
                f"SELECT DISTINCT conversation_id FROM screenings WHERE screening_id IN "
                f"({_placeholders(len(c))})", list(c))}
            # A conversation that still has a newer screening keeps its events
            # (only those older than the cutoff go).
            kept = {r[0] for c in _chunks(sorted(convs)) for r in db.execute(
                f"SELECT DISTINCT conversation_id FROM screenings WHERE started_utc >= ? "
                f"AND conversation_id IN ({_placeholders(len(c))})", [cutoff, *c])}
            counts = _delete_screenings(db, ids)
            counts["tracker_events"] = _delete_tracker_events(
                tracker, sorted(convs - kept), older_than=cutoff_dt.timestamp(),
                dry_run=dry_run, timeout=self.lock_timeout)
            if not dry_run:
                self._audit(db, by, "purge", f"older than {days} days", _counts_text(counts))
            counts["cutoff"] = cutoff_dt.isoformat(timespec="seconds")
            counts["older_than_days"] = days
            return counts
        return self._run(run, write=True, commit=not dry_run)

    def delete_conversation(self, conversation_id: str, by: str, tracker_db: Any = None) -> dict:
        """Right to erasure: every row about the conversation, in both
        databases. The audit keeps the conversation id and counts only."""
        if not conversation_id:
            raise InvalidInput("conversation id is empty")
        by = (by or "").strip()
        if not by:
            raise InvalidInput("say who deletes the conversation (by)")
        tracker = self._tracker_path(tracker_db)

        def run(db: Database) -> dict:
            ids = [r[0] for r in db.execute(
                "SELECT screening_id FROM screenings WHERE conversation_id = ?", [conversation_id])]
            counts = _delete_screenings(db, ids)
            counts["tracker_events"] = _delete_tracker_events(
                tracker, [conversation_id], timeout=self.lock_timeout)
            self._audit(db, by, "delete", conversation_id, _counts_text(counts))
            return counts
        return self._run(run, write=True)

    def _tracker_path(self, tracker_db: Any) -> Path:
        if tracker_db is not None:
            return Path(tracker_db)
        return self.tracker_db if self.tracker_db is not None else tracker_db_path()

    # -- notification outbox (bot/notify.py) --------------------------------
    def enqueue_notifications(self, screening_id: str, channels: Sequence[str],
                              outcomes: Sequence[str], now: str | None = None) -> list[str]:
        """Queue one pending notification per channel for this screening if its
        stored outcome is one of ``outcomes``. Idempotent: a (screening,
        channel) pair is queued at most once. Returns the channels newly queued."""
        now = now or utc_now()
        for channel in channels:
            if channel not in NOTIFY_CHANNELS:
                raise InvalidInput(f"unknown notification channel {channel!r}")

        def run(db: Database) -> list[str]:
            row = db.execute("SELECT outcome FROM screenings WHERE screening_id = ?",
                             [screening_id]).fetchone()
            if row is None or row[0] not in outcomes:
                return []
            queued = []
            for channel in channels:
                cur = db.execute(
                    "INSERT OR IGNORE INTO notifications (screening_id, channel, status, "
                    "attempts, next_attempt_at, created_at) VALUES (?, ?, 'pending', 0, ?, ?)",
                    [screening_id, channel, now, now])
                if cur.rowcount:
                    queued.append(channel)
            return queued
        return self._run(run, write=True)

    def list_notifications(self, status: str | None = None,
                           screening_id: str | None = None) -> list[dict]:
        """Outbox rows, oldest first, each with the screening's current outcome."""
        where, params = [], []
        if status is not None:
            if status not in NOTIFY_STATUSES:
                raise InvalidInput(f"unknown notification status {status!r} "
                                   f"(one of: {', '.join(NOTIFY_STATUSES)})")
            where.append("n.status = ?")
            params.append(status)
        if screening_id is not None:
            where.append("n.screening_id = ?")
            params.append(screening_id)
        sql = ("SELECT n.*, s.outcome FROM notifications n "
               "JOIN screenings s ON s.screening_id = n.screening_id "
               f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY n.id")
        return self._run(lambda db: list(db.query(sql, params)), write=False)

    def due_notifications(self, now: str, screening_id: str | None = None) -> list[dict]:
        """Pending rows whose next attempt is due at ``now``, oldest first."""
        sql = ("SELECT n.*, s.outcome FROM notifications n "
               "JOIN screenings s ON s.screening_id = n.screening_id "
               "WHERE n.status = 'pending' AND n.next_attempt_at <= ?"
               + (" AND n.screening_id = ?" if screening_id is not None else "")
               + " ORDER BY n.id")
        params = [now] + ([screening_id] if screening_id is not None else [])
        return self._run(lambda db: list(db.query(sql, params)), write=False)

    def claim_notification(self, notification_id: int, attempts: int, now: str,
                           lease_until: str) -> bool:
        """Take a due row for one attempt: ``attempts`` + 1 and the next attempt
        moved to ``lease_until`` (so a crash mid-send means a later retry, and
        two senders never send the same row). False if someone else took it."""
        def run(db: Database) -> bool:
            return db.execute(
                "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ? "
                "WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at <= ?",
                [lease_until, notification_id, attempts, now]).rowcount == 1
        return self._run(run, write=True)

    def finish_notification(self, notification_id: int, *, sent: bool, now: str,
                            error: str | None = None, next_attempt_at: str | None = None) -> None:
        """Record an attempt's result: sent, or failed with a retry at
        ``next_attempt_at`` (None: give up, status ``failed``)."""
        error = None if error is None else str(error)[:200]
        if sent:
            sql, params = ("UPDATE notifications SET status = 'sent', sent_at = ?, "
                           "next_attempt_at = NULL, last_error = NULL WHERE id = ?",
                           [now, notification_id])
        elif next_attempt_at is None:
            sql, params = ("UPDATE notifications SET status = 'failed', next_attempt_at = NULL, "
                           "last_error = ? WHERE id = ?", [error, notification_id])
        else:
            sql, params = ("UPDATE notifications SET next_attempt_at = ?, last_error = ? "
                           "WHERE id = ?", [next_attempt_at, error, notification_id])
        self._run(lambda db: db.execute(sql, params), write=True)

    # -- export ------------------------------------------------------------
    def all_records(self, *, include_transcript: bool = False) -> list[dict]:
        """Every screening as a full record, oldest first."""
        records = self._run(lambda db: _load_records(db, None, [], transcript=include_transcript),
                            write=False)
        return records

    def export(self, format: str = "json", *, include_transcript: bool = False) -> str:
        """The staff export (DESIGN.md "Staff export") as a string."""
        if format not in ("json", "csv"):
            raise InvalidInput(f"unknown export format {format!r} (json or csv)")
        return format_export(self.all_records(include_transcript=include_transcript), format)


# --------------------------------------------------------------------------
# Implementation details
# --------------------------------------------------------------------------
def _rollback(db: Database | None) -> None:
    if db is not None:
        try:
            db.rollback()
        except sqlite3.Error:
            pass


def _item_id(item_id: Any) -> int:
    try:
        value = int(str(item_id).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"review item id must be a number, not {item_id!r}") from None
    if value < 1:
        raise NotFound(f"no review item {value}")
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _normalise(record: Mapping[str, Any]):
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
    started = _parse_ts(record.get("started_at"), f"screening {sid}: started_at")
    completed = record.get("completed_at")
    if completed is not None:
        _parse_ts(completed, f"screening {sid}: completed_at")
    declined = outcome == DECLINED

    contact = record.get("contact")
    if contact is not None:
        if not isinstance(contact, Mapping):
            raise InvalidInput(f"screening {sid}: contact must be a dict or null")
        contact = {k: contact.get(k) for k in _CONTACT_KEYS} | {
            k: v for k, v in contact.items() if k not in _CONTACT_KEYS}
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
            raise InvalidInput(f"screening {sid}: criterion {cid!r} has a non-numeric "
                               f"confidence {confidence!r}") from None
        try:
            value = _dumps(c.get("value"))
        except InvalidInput as exc:
            raise InvalidInput(f"screening {sid}: criterion {cid!r}: {exc}") from None
        answers.append({
            "screening_id": sid, "criterion": str(cid), "position": position,
            "question": _text(c.get("question")), "answer": _text(c.get("answer")),
            "value": value, "verdict": verdict, "reason": _text(c.get("reason")),
            "confidence": confidence})

    for key in ("review_items", "transcript"):
        entries = record.get(key) or []
        if not isinstance(entries, (list, tuple)) or not all(
                isinstance(e, Mapping) for e in entries):
            raise InvalidInput(f"screening {sid}: {key} must be a list of dicts")
    items: dict[str, dict] = {}
    for item in record.get("review_items") or []:
        cid = str(item.get("criterion"))
        items[cid] = {"criterion": cid, "question": _text(item.get("question")),
                      "answer": _text(item.get("answer")), "reason": _text(item.get("reason"))}
    for a in answers:  # every uncertain criterion is a review item
        if a["verdict"] == UNCERTAIN and a["criterion"] not in items:
            items[a["criterion"]] = {k: a[k] for k in ("criterion", "question", "answer", "reason")}

    transcript = []
    for seq, turn in enumerate(record.get("transcript") or []):
        transcript.append({"screening_id": sid, "seq": seq, "at": _text(turn.get("at")),
                           "speaker": str(turn.get("speaker") or ""),
                           "text": "" if turn.get("text") is None else str(turn.get("text"))})

    pending = [str(p) for p in record.get("pending") or []]
    if declined:  # DESIGN.md: no consent, no health answer stored
        answers, items, transcript, pending = [], {}, [], []

    row = {"screening_id": sid, "conversation_id": conv,
           "trial_id": _text(record.get("trial_id")), "role": _text(record.get("role")),
           "outcome": outcome, "started_at": str(record.get("started_at")),
           "completed_at": _text(completed), "started_utc": _sortable(started),
           "contact": None if contact is None else _dumps(contact),
           "pending": _dumps(pending)}
    return row, answers, items, transcript


def _save(db: Database, row: dict, answers: list[dict], items: dict[str, dict],
          transcript: list[dict]) -> str:
    sid = row["screening_id"]
    now = utc_now()
    previous = db.execute("SELECT outcome, created_at FROM screenings WHERE screening_id = ?",
                          [sid]).fetchone()
    existing = {r["criterion"]: r for r in db.query(
        "SELECT * FROM review_items WHERE screening_id = ?", [sid])}
    resolved = {c: r for c, r in existing.items() if r["status"] == RESOLVED}

    # Staff decisions still count while the bot still finds the criterion uncertain.
    overridden = False
    for a in answers:
        if a["verdict"] == UNCERTAIN and a["criterion"] in resolved:
            a["verdict"] = resolved[a["criterion"]]["decision"]
            overridden = True
    outcome = row["outcome"]
    if overridden:
        outcome = compute_outcome({a["criterion"]: a["verdict"] for a in answers},
                                  consented=outcome != DECLINED,
                                  finished=row["completed_at"] is not None)

    db["screenings"].upsert(
        {**row, "outcome": outcome, "created_at": previous[1] if previous else now,
         "updated_at": now}, pk="screening_id")

    db.execute("DELETE FROM answers WHERE screening_id = ?", [sid])
    if answers:
        db["answers"].insert_all(answers)

    for cid, r in existing.items():
        if r["status"] == OPEN and cid not in items:
            db.execute("DELETE FROM review_items WHERE id = ?", [r["id"]])
    for cid, item in items.items():
        if cid in resolved:
            continue
        if cid in existing:
            db.execute("UPDATE review_items SET question = ?, answer = ?, reason = ? WHERE id = ?",
                       [item["question"], item["answer"], item["reason"], existing[cid]["id"]])
        else:
            db["review_items"].insert({**item, "screening_id": sid, "status": OPEN,
                                       "created_at": now})

    db.execute("DELETE FROM transcript WHERE screening_id = ?", [sid])
    if transcript:
        db["transcript"].insert_all(transcript)

    old = previous[0] if previous else None
    if old != outcome:
        db["outcome_history"].insert({
            "screening_id": sid, "old": old, "new": outcome, "at": now, "by": "bot",
            "why": "screening saved" + (" (staff decisions applied)" if overridden else "")})
    return outcome


def _load_records(db: Database, where: str | None, params: list,
                  *, transcript: bool = True) -> list[dict]:
    """Full records for the screenings matching ``where`` (oldest first)."""
    rows = list(db.query(
        f"SELECT * FROM screenings s {'WHERE ' + where if where else ''} "
        f"ORDER BY s.started_utc, s.created_at", params))
    if not rows:
        return []
    by_id: dict[str, dict] = {}
    for r in rows:
        by_id[r["screening_id"]] = {
            "screening_id": r["screening_id"], "conversation_id": r["conversation_id"],
            "trial_id": r["trial_id"], "role": r["role"], "outcome": r["outcome"],
            "started_at": r["started_at"], "completed_at": r["completed_at"],
            "contact": _loads(r["contact"]), "criteria": {}, "review_items": [],
            "pending": _loads(r["pending"], []), "transcript": [] if transcript else None,
            "outcome_history": [], "created_at": r["created_at"], "updated_at": r["updated_at"]}
    ids = list(by_id)
    for chunk in _chunks(ids):
        ph = _placeholders(len(chunk))
        for a in db.query(f"SELECT * FROM answers WHERE screening_id IN ({ph}) "
                          f"ORDER BY screening_id, position", list(chunk)):
            by_id[a["screening_id"]]["criteria"][a["criterion"]] = {
                "verdict": a["verdict"], "question": a["question"], "answer": a["answer"],
                "value": _loads(a["value"]), "reason": a["reason"],
                "confidence": a["confidence"]}
        for i in db.query(f"SELECT * FROM review_items WHERE screening_id IN ({ph}) "
                          f"ORDER BY id", list(chunk)):
            sid = i.pop("screening_id")
            i.pop("created_at", None)
            by_id[sid]["review_items"].append(i)
        for h in db.query(f"SELECT screening_id, old, new, at, by, why FROM outcome_history "
                          f"WHERE screening_id IN ({ph}) ORDER BY id", list(chunk)):
            by_id[h.pop("screening_id")]["outcome_history"].append(h)
        if transcript:
            for t in db.query(f"SELECT screening_id, at, speaker, text FROM transcript "
                              f"WHERE screening_id IN ({ph}) ORDER BY screening_id, seq",
                              list(chunk)):
                by_id[t.pop("screening_id")]["transcript"].append(t)
    records = list(by_id.values())
    if not transcript:
        for r in records:
            del r["transcript"]
    return records


_SCREENING_TABLES = ("answers", "review_items", "transcript", "outcome_history")


def _delete_screenings(db: Database, ids: list[str]) -> dict:
    counts = {t: 0 for t in ("screenings", *_SCREENING_TABLES)}
    for chunk in _chunks(ids):
        ph, params = _placeholders(len(chunk)), list(chunk)
        for table in (*_SCREENING_TABLES, "screenings"):
            counts[table] += db.execute(f"DELETE FROM {table} WHERE screening_id IN ({ph})",
                                        params).rowcount
    return counts


def _delete_tracker_events(path: Path, sender_ids: list[str], *,
                           older_than: float | None = None, dry_run: bool = False,
                           timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
    """Delete Rasa SQLTrackerStore events (table ``events``, column
    ``sender_id``) of these conversations and, with ``older_than`` (epoch
    seconds), every event older than that. Missing file or table: 0.
    ``dry_run`` deletes inside a transaction and rolls it back."""
    if not path.is_file():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=max(timeout, 0.05))
    except sqlite3.Error:
        return 0
    try:
        conn.isolation_level = None
        cols = {r[1] for r in conn.execute("PRAGMA table_info(events)")}
        if "sender_id" not in cols:
            return 0
        count = 0
        conn.execute("BEGIN IMMEDIATE")
        try:
            for chunk in _chunks(sender_ids):
                count += conn.execute(
                    f"DELETE FROM events WHERE sender_id IN ({_placeholders(len(chunk))})",
                    list(chunk)).rowcount
            if older_than is not None and "timestamp" in cols:
                count += conn.execute("DELETE FROM events WHERE timestamp < ?",
                                      [older_than]).rowcount
            conn.execute("ROLLBACK" if dry_run else "COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return count
    except sqlite3.OperationalError as exc:
        if _is_locked(exc):
            raise LeadStoreUnavailable(f"tracker database {path} is locked; try again later") from exc
        raise LeadStoreError(f"tracker database {path}: {exc}") from exc
    finally:
        conn.close()


def _counts_text(counts: Mapping[str, Any]) -> str:
    keys = ("screenings", *_SCREENING_TABLES, "tracker_events")
    return ", ".join(f"{k}={counts.get(k, 0)}" for k in keys)


def format_export(records: list[dict], format: str = "json") -> str:
    """Records (as ``get_screening`` returns them) in the export format."""
    if format == "json":
        return json.dumps([_export_record(r) for r in records], ensure_ascii=False, indent=2)
    if format == "csv":
        return _csv(records)
    raise InvalidInput(f"unknown export format {format!r} (json or csv)")


def _export_record(r: dict) -> dict:
    out = {
        "screening_id": r["screening_id"], "conversation_id": r["conversation_id"],
        "trial_id": r["trial_id"], "role": r["role"], "outcome": r["outcome"],
        "started_at": r["started_at"], "completed_at": r["completed_at"],
        "contact": r["contact"],
        "criteria": {cid: {"verdict": c["verdict"], "question": c["question"],
                           "answer": c["answer"], "value": c["value"], "reason": c["reason"],
                           "confidence": c["confidence"]}
                     for cid, c in r["criteria"].items()},
        "review_items": [{"id": i["id"], "criterion": i["criterion"], "question": i["question"],
                          "answer": i["answer"], "reason": i["reason"], "status": i["status"],
                          "decision": i["decision"], "note": i["note"],
                          "resolved_by": i["resolved_by"], "resolved_at": i["resolved_at"]}
                         for i in r["review_items"]],
        "pending": r["pending"],
    }
    if "transcript" in r:
        out["transcript"] = r["transcript"]
    return out


def _pending_ids(r: dict) -> list[str]:
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
        row = [r["screening_id"], r["conversation_id"], r["trial_id"], r["role"], r["outcome"],
               r["started_at"], r["completed_at"],
               sum(v == FAIL for v in verdicts.values()),
               sum(v == UNCERTAIN for v in verdicts.values()),
               len(_pending_ids(r)),
               sum(i["status"] == OPEN for i in r["review_items"])]
        row += [verdicts.get(c, "") for c in criteria]
        writer.writerow([_csv_cell("" if v is None else v) for v in row])
    return buf.getvalue()


# --------------------------------------------------------------------------
# Module-level API (a store built from the environment at each call)
# --------------------------------------------------------------------------
def default_store() -> LeadStore:
    return LeadStore()


def save_screening(record: Mapping[str, Any]) -> str:
    return default_store().save_screening(record)


def get_screening(screening_id: str) -> dict | None:
    return default_store().get_screening(screening_id)


def find_by_conversation(conversation_id: str) -> dict | None:
    return default_store().find_by_conversation(conversation_id)


def list_screenings(outcome: str | None = None, review_status: str | None = None,
                    since: Any = None, until: Any = None, limit: int | None = None) -> list[dict]:
    return default_store().list_screenings(outcome=outcome, review_status=review_status,
                                           since=since, until=until, limit=limit)


def open_review_items() -> list[dict]:
    return default_store().open_review_items()


def resolve_review_item(item_id: int, decision: str, note: str, by: str) -> dict:
    return default_store().resolve_review_item(item_id, decision, note, by)


def purge(older_than_days: int | None = None, tracker_db: Any = None, *,
          by: str = "system", dry_run: bool = False) -> dict:
    return default_store().purge(older_than_days, tracker_db, by=by, dry_run=dry_run)


def delete_conversation(conversation_id: str, by: str, tracker_db: Any = None) -> dict:
    return default_store().delete_conversation(conversation_id, by, tracker_db)


def record_audit(actor: str, action: str, target: Any, detail: str = "") -> None:
    default_store().record_audit(actor, action, target, detail)


def export(format: str = "json", *, include_transcript: bool = False) -> str:
    return default_store().export(format, include_transcript=include_transcript)


def enqueue_notifications(screening_id: str, channels: Sequence[str],
                          outcomes: Sequence[str], now: str | None = None) -> list[str]:
    return default_store().enqueue_notifications(screening_id, channels, outcomes, now)


def list_notifications(status: str | None = None, screening_id: str | None = None) -> list[dict]:
    return default_store().list_notifications(status, screening_id)
