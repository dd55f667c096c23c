"""rasa_extensions: the conversation store reads and writes exactly the rows
Rasa's own SQLTrackerStore does, and events are resolved to Rasa's classes."""

import asyncio
import sqlite3

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses

from rasa_extensions import event_types
from rasa_extensions.erasing_tracker_store import ErasingSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [inform, greet]
slots:
  role:
    type: text
    mappings: [{type: custom}]
  erase_conversation:
    type: bool
    influence_conversation: false
    mappings: [{type: custom}]
"""
)


def run(coroutine):
    return asyncio.new_event_loop().run_until_complete(coroutine)


def turn(text: str, at: float, role: str | None = None) -> list[Event]:
    events = [
        UserUttered(text, {"name": "inform", "confidence": 0.9}, timestamp=at, metadata={"language": "en"}),
        ActionExecuted("action_turn", timestamp=at + 0.1),
        BotUttered("How old are you?", {"buttons": []}, timestamp=at + 0.2),
        ActionExecuted("action_listen", timestamp=at + 0.3),
    ]
    if role:
        events.insert(2, SlotSet("role", role, timestamp=at + 0.15))
    return events


def stores(tmp_path, name="tracker.db"):
    path = str(tmp_path / name)
    return ErasingSQLTrackerStore(DOMAIN, dialect="sqlite", db=path), SQLTrackerStore(DOMAIN, dialect="sqlite", db=path)


def rows(path):
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        ).fetchall()


def conversation(sender="c1"):
    tracker = DialogueStateTracker.from_events(sender, [], DOMAIN.slots)
    for event in [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.1)]:
        tracker.update(event)
    for event in [ActionExecuted("action_listen", timestamp=1.2), *turn("I am the patient", 2.0, "patient")]:
        tracker.update(event)
    return tracker


def test_writes_the_same_rows_as_rasas_store(tmp_path):
    ours, _ = stores(tmp_path, "ours.db")
    _, rasas = stores(tmp_path, "rasa.db")
    for store in (ours, rasas):
        tracker = conversation()
        run(store.save(tracker))
        for event in turn("45", 3.0):
            tracker.update(event)
        run(store.save(tracker))  # only the new events are added
    assert rows(tmp_path / "ours.db") == rows(tmp_path / "rasa.db")
    assert len(rows(tmp_path / "ours.db")) >= 12


def test_reads_back_what_rasa_reads(tmp_path):
    ours, rasas = stores(tmp_path)
    tracker = conversation()
    run(ours.save(tracker))
    mine, theirs = run(ours.retrieve("c1")), run(rasas.retrieve("c1"))
    assert list(mine.events) == list(theirs.events)
    assert len(mine.events) == len(tracker.events) - 1  # from the session start on, as Rasa reads it
    assert mine.get_slot("role") == "patient"
    assert run(ours.retrieve("nobody")) is None


def test_a_new_session_is_read_and_counted_from_its_start(tmp_path):
    for name in ("ours.db", "rasa.db"):
        ours, rasas = stores(tmp_path, name)
        store = ours if name == "ours.db" else rasas
        tracker = conversation()
        run(store.save(tracker))
        for event in [ActionExecuted("action_session_start", timestamp=10.0), SessionStarted(timestamp=10.1)]:
            tracker.update(event)
        run(store.save(tracker))
        later = run(store.retrieve("c1"))
        assert [e.timestamp for e in later.events] == [10.1]
        assert list(later.events) == list(run(ours.retrieve("c1")).events)
        for event in turn("hello again", 11.0):
            later.update(event)
        run(store.save(later))
        full = run(ours.retrieve_full_tracker("c1"))
        assert list(full.events) == list(run(rasas.retrieve_full_tracker("c1")).events)
    assert rows(tmp_path / "ours.db") == rows(tmp_path / "rasa.db")
    assert [r[2] for r in rows(tmp_path / "ours.db")][-5:] == [10.1, 11.0, 11.1, 11.2, 11.3]


def test_an_erasure_still_deletes_the_conversation(tmp_path):
    ours, _ = stores(tmp_path)
    tracker = conversation()
    run(ours.save(tracker))
    tracker.update(SlotSet("erase_conversation", True, timestamp=5.0))
    run(ours.save(tracker))
    assert rows(tmp_path / "tracker.db") == []


def test_event_types_are_rasas_classes():
    assert Event.resolve_by_type is event_types.resolve_by_type
    for cls in all_subclasses(Event):
        assert Event.resolve_by_type(cls.type_name) is event_types._original(cls.type_name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no such event'"):
        Event.resolve_by_type("no such event")
