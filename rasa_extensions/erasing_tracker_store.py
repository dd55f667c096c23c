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

Reading and writing are Rasa's, with the same queries, done in fewer steps:
loading a conversation selects only the stored JSON (Rasa builds an ORM object
per row it then throws away), counting the stored events counts rows without
Rasa's subquery, and new events are inserted in one statement. Under
`make bench` the load and the save were about half of the Rasa server's CPU
per turn; tests/test_tracker_store.py checks that this store and Rasa's read
and write the same rows.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import rasa.shared.utils.cli
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
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
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [self._row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            events = [json.loads(data) for (data,) in query.with_entities(self.SQLEvent.data)]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        query = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False)
        stored = query.order_by(None).with_entities(sa.func.count(self.SQLEvent.id)).scalar() or 0
        return itertools.islice(tracker.events, stored, len(tracker.events))

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """The columns Rasa's own save writes for one event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


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
