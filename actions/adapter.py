"""Glue between Rasa trackers and bot/: load the screening from its slot, save
it to the lead store, turn questions into messages. No eligibility logic here."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot import store
from bot.engine import Question, Screening
from bot.messages import render
from bot.trial import Trial, get_trial

logger = logging.getLogger(__name__)
STATE_SLOT = "screening_state"


def trial() -> Trial:
    return get_trial()


def load(tracker: Tracker) -> Optional[Screening]:
    state = tracker.get_slot(STATE_SLOT)
    if not isinstance(state, dict) or "screening_id" not in state:
        return None
    return Screening(trial(), state)


def say(dispatcher: CollectingDispatcher, name: str, role: Optional[str] = None,
        buttons: Optional[List[str]] = None, **values: Any) -> None:
    """Send one message from bot/data/messages.yaml, with quick-answer buttons if given."""
    payload = [{"title": label, "payload": label} for label in buttons or []]
    dispatcher.utter_message(text=render(name, trial(), role, **values), buttons=payload or None)


def ask(dispatcher: CollectingDispatcher, question: Question) -> None:
    for text in question.preface:
        dispatcher.utter_message(text=text)
    payload = [{"title": label, "payload": label} for label in question.buttons]
    dispatcher.utter_message(text=question.text, buttons=payload or None)


def transcript(tracker: Tracker) -> List[dict]:
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
    """Save the screening; if the store is down, tell the person to call (no health data logged)."""
    try:
        store.save_screening(screening.record(transcript(tracker)))
        return True
    except store.LeadStoreUnavailable as error:
        logger.error("lead store unavailable for screening %s: %s", screening.state["screening_id"], type(error).__name__)
    except OSError as error:
        logger.error("lead store error for screening %s: %s", screening.state["screening_id"], type(error).__name__)
    say(dispatcher, "store_unavailable")
    return False
