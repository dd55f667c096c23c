"""Glue between Rasa trackers and bot/: load the screening, save it to the lead
store, turn questions into messages. No eligibility logic here.

Where the screening lives between turns: the lead store keeps its whole state
(each save a new revision, in the same transaction as the lead), and the
`screening_state` slot holds only ``{"ref": screening_id, "rev": revision}``.
Rasa loads and stores every event of a conversation on every message, so a
slot that carried the whole state (up to 14 KB, set twice a turn) made each
turn slower than the one before (`make bench`, py-spy). When a save fails the
slot carries the whole state instead, so nothing is lost while the store is
down; the next successful save turns it back into a reference. Any
action-server replica can continue any conversation either way.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections import OrderedDict
from datetime import datetime, timezone
from threading import Lock
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import store
from bot.engine import Question, Screening
from bot.messages import render
from bot.trial import Trial, get_trial

logger = logging.getLogger(__name__)
STATE_SLOT = "screening_state"
_CACHE_SIZE = 512  # recent revisions, by id: a revision never changes once saved


class StateUnavailable(Exception):
    """The slot names a saved state, but the lead store cannot be read now."""


class _Revisions:
    """Saved states by revision (JSON text), so the several calls of one turn
    read the store once. Safe across replicas: a revision id is written once."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def get(self, revision: str) -> str | None:
        with self.lock:
            text = self.items.get(revision)
            if text is not None:
                self.items.move_to_end(revision)
            return text

    def put(self, revision: str, text: str) -> None:
        with self.lock:
            self.items[revision] = text
            self.items.move_to_end(revision)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_revisions = _Revisions(_CACHE_SIZE)


def _canonical(state: dict) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def trial() -> Trial:
    return get_trial()


def load(tracker: Tracker) -> Screening | None:
    """The conversation's screening, or None before consent (or after erasure).
    Raises StateUnavailable when its saved state cannot be read."""
    value = tracker.get_slot(STATE_SLOT)
    if not isinstance(value, dict):
        return None
    if "ref" in value:
        revision = str(value.get("rev") or "")
        text = _revisions.get(revision)
        if text is None:
            try:
                state = store.default_store().load_state(str(value["ref"]), revision)
            except store.LeadStoreError as error:
                logger.error("lead store unavailable while loading a screening: %s", type(error).__name__)
                raise StateUnavailable() from error
            if state is None:
                return None  # deleted or purged meanwhile
            text = _canonical(state)
            _revisions.put(str(state.get("rev") or revision), text)
        return Screening(trial(), json.loads(text))
    if "screening_id" in value:  # the whole state: not saved yet, or the store was down
        return Screening(trial(), value)
    return None


def state_events(screening: Screening, tracker: Tracker) -> list[SlotSet]:
    """The slot event that lets the next turn find this screening: a reference
    when this exact state is saved, else the whole state; nothing when the
    slot already says so."""
    state = screening.state
    revision = state.get("rev")
    saved = revision is not None and _revisions.get(revision) == _canonical(state)
    value: Any = {"ref": state["screening_id"], "rev": revision} if saved else state
    if tracker.get_slot(STATE_SLOT) == value:
        return []
    return [SlotSet(STATE_SLOT, value)]


def say(
    dispatcher: CollectingDispatcher,
    name: str,
    role: str | None = None,
    buttons: list[str] | None = None,
    **values: Any,
) -> None:
    """Send one message from bot/data/messages.yaml, with quick-answer buttons if given."""
    payload = [{"title": label, "payload": label} for label in buttons or []]
    dispatcher.utter_message(text=render(name, trial(), role, **values), buttons=payload or None)


def ask(dispatcher: CollectingDispatcher, question: Question) -> None:
    for text in question.preface:
        dispatcher.utter_message(text=text)
    payload = [{"title": label, "payload": label} for label in question.buttons]
    dispatcher.utter_message(text=question.text, buttons=payload or None)


def transcript(tracker: Tracker) -> list[dict]:
    """User and bot messages of this conversation, for the staff summary."""
    lines = []
    for event in tracker.events:
        kind = event.get("event")
        if kind not in ("user", "bot") or not event.get("text"):
            continue
        if kind == "user" and str(event.get("text", "")).startswith("/"):
            continue  # button payloads that name an intent carry no words
        stamp = event.get("timestamp")
        at = datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds") if stamp else None
        lines.append({"at": at, "speaker": kind, "text": event["text"]})
    return lines


def save(screening: Screening, tracker: Tracker, dispatcher: CollectingDispatcher) -> bool:
    """Save the lead and the state (a new revision); if the store is down, tell
    the person to call (no health data logged) and keep the state in the slot."""
    screening.state["rev"] = uuid.uuid4().hex[:16]
    try:
        store.default_store().save_screening(
            screening.record(transcript(tracker)), state=screening.state, revision=screening.state["rev"]
        )
        _revisions.put(screening.state["rev"], _canonical(screening.state))
        return True
    except store.LeadStoreUnavailable as error:
        logger.error(
            "lead store unavailable for screening %s: %s", screening.state["screening_id"], type(error).__name__
        )
    except (store.LeadStoreError, OSError) as error:
        logger.error("lead store error for screening %s: %s", screening.state["screening_id"], type(error).__name__)
    say(dispatcher, "store_unavailable")
    return False


def store_down(dispatcher: CollectingDispatcher) -> None:
    """The saved screening cannot be read: ask the person to call."""
    say(dispatcher, "store_unavailable")


def reports_store_down(run):
    """For an action's run(): when the saved screening cannot be read, ask the
    person to call and change nothing (their earlier answers stay saved)."""

    @functools.wraps(run)
    async def wrapper(self, dispatcher, tracker, domain):
        try:
            return await run(self, dispatcher, tracker, domain)
        except StateUnavailable:
            store_down(dispatcher)
            return []

    return wrapper
