"""Rasa's SQL tracker store, configured by one variable, plus the right to erasure.

``db`` (endpoints.yml: ``${TRACKER_DB}``) is a file path (SQLite, created
owner-only) or a PostgreSQL URL ``postgresql://user:password@host:port/name``,
so several Rasa replicas can share the conversations by configuration alone.

Rasa saves a conversation after each message by appending the events the
database does not hold yet, so deleting rows from inside an action would be
undone by that very save. This store checks the new events first: when an
action has set the `erase_conversation` slot, it deletes every stored event of
that conversation instead of saving, and the next message starts afresh.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
ERASE_SLOT = "erase_conversation"


class ErasingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs = connection_settings(kwargs)
        if kwargs.get("dialect", "sqlite") == "sqlite" and kwargs.get("db"):
            _create_private_file(kwargs["db"])
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if _erase_requested(tracker):
            with self.session_scope() as session:
                deleted = session.query(self.SQLEvent).filter_by(sender_id=tracker.sender_id).delete()
                session.commit()
            logger.info("erased a conversation on request (%d events)", deleted)
            return
        await super().save(tracker)


def connection_settings(kwargs: dict[str, Any]) -> dict[str, Any]:
    """SQLTrackerStore keyword arguments, with a URL in ``db`` split into them."""
    db = str(kwargs.get("db") or "")
    if "://" not in db:
        return kwargs
    parts = urlsplit(db)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise ValueError(
            f"TRACKER_DB: unsupported URL scheme {parts.scheme!r} (a file path for SQLite, or postgresql://...)"
        )
    settings = {k: v for k, v in kwargs.items() if k not in ("db", "dialect", "host", "port", "username", "password")}
    settings.update(
        dialect="postgresql",
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        db=unquote(parts.path.lstrip("/")) or "rasa",
        username=unquote(parts.username or "") or None,
        password=unquote(parts.password or "") or None,
    )
    return settings


def _erase_requested(tracker: DialogueStateTracker) -> bool:
    """True when an action of the latest turn asked for erasure."""
    for event in reversed(tracker.events):
        if isinstance(event, SlotSet) and event.key == ERASE_SLOT and event.value:
            return True
        if getattr(event, "type_name", "") == "user":
            return False
    return False


def _create_private_file(path: str) -> None:
    """Create the SQLite file readable by its owner only (conversations are health data)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
