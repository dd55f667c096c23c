"""Deleting conversations from Rasa's SQL tracker store (table ``events``,
columns ``sender_id`` and ``timestamp``), SQLite file or PostgreSQL: for the
right to erasure and for the retention period."""

from __future__ import annotations

import os
from pathlib import Path

from bot.store.errors import LeadStoreError, LeadStoreUnavailable
from bot.store.sql import (
    Broken,
    Database,
    Unavailable,
    chunks,
    dialect_of,
    engine_for,
    is_url,
    placeholders,
    redact,
    transaction,
)


def delete_events(
    target: str | os.PathLike,
    sender_ids: list[str],
    *,
    older_than: float | None = None,
    dry_run: bool = False,
    timeout: float = 30.0,
) -> int:
    """Delete the events of these conversations and, with ``older_than``
    (epoch seconds), every event older than that; the number deleted. A
    missing SQLite file or a database without Rasa's table: 0 (nothing is
    created). ``dry_run`` deletes inside a transaction and rolls it back."""
    if not is_url(target) and not Path(target).is_file():
        return 0

    def run(db: Database) -> int:
        columns = db.columns("events")
        if "sender_id" not in columns:
            return 0
        count = 0
        for chunk in chunks(sender_ids):
            count += db.execute(
                f"DELETE FROM events WHERE sender_id IN ({placeholders(len(chunk))})", list(chunk)
            ).rowcount
        if older_than is not None and "timestamp" in columns:
            count += db.execute("DELETE FROM events WHERE timestamp < ?", [older_than]).rowcount
        return count

    try:
        return transaction(
            engine_for(target, read_only_file=True),
            dialect_of(target),
            run,
            write=True,
            timeout=max(timeout, 0.05),
            commit=not dry_run,
        )
    except Unavailable as exc:
        raise LeadStoreUnavailable(
            f"tracker database {redact(target)} is unavailable ({exc}); try again later"
        ) from exc
    except Broken as exc:
        raise LeadStoreError(f"tracker database {redact(target)}: {exc}") from exc
