"""Lead store: screenings, answers, the staff review queue, the audit log, the
notification outbox and the staff accounts.

Plain data in, plain data out; records have the shape described in
``../shared/DESIGN.md``. The database is ``LEAD_DB``: a file path (SQLite,
default ``var/leads.db``, created owner-only, WAL mode) or a PostgreSQL URL
for several action-server replicas (docs/deployment.md).

Modules: ``leads`` (the :class:`LeadStore`), ``records`` (record validation
and the export formats), ``accounts`` (staff logins), ``schema``
(migrations), ``sql`` (the SQLite/PostgreSQL layer), ``tracker`` (erasing
Rasa conversations), ``config`` (environment).

The functions here (``save_screening(record)`` ...) use a :class:`LeadStore`
built from the environment at call time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.store.config import (
    DEFAULT_LEAD_DB,
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_RETENTION_DAYS,
    DEFAULT_TRACKER_DB,
    PROJECT_ROOT,
    lead_db_path,
    retention_days,
    tracker_db_path,
)
from bot.store.errors import AlreadyResolved, InvalidInput, LeadStoreError, LeadStoreUnavailable, NotFound
from bot.store.leads import (
    DECISIONS,
    NOBODY,
    NOTIFY_CHANNELS,
    NOTIFY_STATUSES,
    OPEN,
    RESOLVED,
    REVIEW_FILTERS,
    SORTS,
    UNSET,
    LeadStore,
)
from bot.store.records import (
    CALL_RESULTS,
    CSV_BASE_COLUMNS,
    FOLLOW_UP_STATUSES,
    LANGUAGES,
    criterion_order,
    csv_cell,
    format_export,
    reference,
    utc_now,
)
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "AlreadyResolved",
    "CALL_RESULTS",
    "CSV_BASE_COLUMNS",
    "FOLLOW_UP_STATUSES",
    "LANGUAGES",
    "NOBODY",
    "SORTS",
    "UNSET",
    "criterion_order",
    "csv_cell",
    "reference",
    "DECISIONS",
    "DEFAULT_LEAD_DB",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_RETENTION_DAYS",
    "DEFAULT_TRACKER_DB",
    "InvalidInput",
    "LeadStore",
    "LeadStoreError",
    "LeadStoreUnavailable",
    "MIGRATIONS",
    "NOTIFY_CHANNELS",
    "NOTIFY_STATUSES",
    "NotFound",
    "OPEN",
    "PROJECT_ROOT",
    "RESOLVED",
    "REVIEW_FILTERS",
    "SCHEMA_VERSION",
    "default_store",
    "delete_conversation",
    "enqueue_notifications",
    "export",
    "find_by_conversation",
    "format_export",
    "get_screening",
    "lead_db_path",
    "list_notifications",
    "list_screenings",
    "open_review_items",
    "purge",
    "record_audit",
    "resolve_review_item",
    "retention_days",
    "save_screening",
    "tracker_db_path",
    "utc_now",
]


def default_store() -> LeadStore:
    return LeadStore()


def save_screening(record: Mapping[str, Any]) -> str:
    return default_store().save_screening(record)


def get_screening(screening_id: str) -> dict | None:
    return default_store().get_screening(screening_id)


def find_by_conversation(conversation_id: str) -> dict | None:
    return default_store().find_by_conversation(conversation_id)


def list_screenings(
    outcome: str | None = None,
    review_status: str | None = None,
    since: Any = None,
    until: Any = None,
    limit: int | None = None,
) -> list[dict]:
    return default_store().list_screenings(
        outcome=outcome, review_status=review_status, since=since, until=until, limit=limit
    )


def open_review_items() -> list[dict]:
    return default_store().open_review_items()


def resolve_review_item(item_id: int, decision: str, note: str, by: str) -> dict:
    return default_store().resolve_review_item(item_id, decision, note, by)


def purge(
    older_than_days: int | None = None, tracker_db: Any = None, *, by: str = "system", dry_run: bool = False
) -> dict:
    return default_store().purge(older_than_days, tracker_db, by=by, dry_run=dry_run)


def delete_conversation(conversation_id: str, by: str, tracker_db: Any = None) -> dict:
    return default_store().delete_conversation(conversation_id, by, tracker_db)


def record_audit(actor: str, action: str, target: Any, detail: str = "") -> None:
    default_store().record_audit(actor, action, target, detail)


def export(format: str = "json", *, include_transcript: bool = False) -> str:
    return default_store().export(format, include_transcript=include_transcript)


def enqueue_notifications(
    screening_id: str, channels: Sequence[str], outcomes: Sequence[str], now: str | None = None
) -> list[str]:
    return default_store().enqueue_notifications(screening_id, channels, outcomes, now)


def list_notifications(status: str | None = None, screening_id: str | None = None) -> list[dict]:
    return default_store().list_notifications(status, screening_id)
