"""Rasa's SQL tracker store, plus the right to erasure.

Rasa saves a conversation after each message by appending the events the
database does not hold yet, so deleting rows from inside an action would be
undone by that very save. This store checks the new events first: when an
action has set the `erase_conversation` slot, it deletes every stored event of
that conversation instead of saving, and the next message starts afresh.
"""
from __future__ import annotations

import logging
import os

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)
ERASE_SLOT = "erase_conversation"


class ErasingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args, **kwargs):
        db = kwargs.get("db")
        if kwargs.get("dialect", "sqlite") == "sqlite" and db:
            _create_private_file(db)
        super().__init__(*args, **kwargs)

    async def save(self, tracker: DialogueStateTracker) -> None:
        if _erase_requested(tracker):
            with self.session_scope() as session:
                deleted = session.query(self.SQLEvent).filter_by(sender_id=tracker.sender_id).delete()
                session.commit()
            logger.info("erased a conversation on request (%d events)", deleted)
            return
        await super().save(tracker)


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
