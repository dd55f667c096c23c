"""Rasa's SQL tracker store, configured by one variable, plus the right to erasure.

``db`` (endpoints.yml: ``${TRACKER_DB}``) is a file path (SQLite, created
owner-only) or a PostgreSQL URL ``postgresql://user:password@host:port/name``,
so several Rasa replicas can share the conversations by configuration alone.

Rasa saves a conversation after each message by appending the events the
database does not hold yet, so deleting rows from inside an action would be
undone by that very save. This store checks the new events first: when an
action has set the `erase_conversation` slot, it deletes every stored event of
that conversation instead of saving, and the next message starts afresh.

On SQLite the file is created owner-only, checked before use (a damaged file
stops the Rasa server with one line naming it, instead of a traceback) and
run in WAL mode: readers (a reload's history) never wait for the writer,
and a write that fails (the disk is full) leaves the database as it was.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

import rasa.shared.utils.cli
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event as sqlalchemy_events

from bot.sqlite_files import DamagedDatabase, check_sqlite_file

logger = logging.getLogger(__name__)
ERASE_SLOT = "erase_conversation"


class ErasingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any):
        kwargs = connection_settings(kwargs)
        sqlite = kwargs.get("dialect", "sqlite") == "sqlite" and bool(kwargs.get("db"))
        if sqlite:
            try:
                check_sqlite_file(kwargs["db"], "the conversation store (TRACKER_DB)")
            except DamagedDatabase as error:
                # Sanic turns an exception (SystemExit too) raised while the server
                # starts into a traceback: say it in one line and stop at once
                # (nothing is serving yet, nothing to clean up).
                rasa.shared.utils.cli.print_error(f"Rasa server: {error}")
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(2)
            _create_private_file(kwargs["db"])
        super().__init__(*args, **kwargs)
        if sqlite:
            _use_wal(self.engine)

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


def _use_wal(engine: Any) -> None:
    """WAL mode (kept in the file once set) and a busy timeout on every connection."""

    @sqlalchemy_events.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA busy_timeout = 5000")
        mode = connection.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
    if str(mode).lower() != "wal":
        logger.warning("the conversation store could not switch to WAL mode (it is in %s mode)", mode)


def _create_private_file(path: str) -> None:
    """Create the SQLite file readable by its owner only (conversations are health data)."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if not os.path.exists(path):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
