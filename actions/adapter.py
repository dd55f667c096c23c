"""Glue between Rasa trackers and bot/: where a conversation's state lives between turns,
and what a tracker says about the message. No dialogue or eligibility logic here.

Where the state lives: once a screening exists, the lead store keeps the whole
conversation state (each save a new revision, in the same transaction as the
lead) and the ``conversation`` slot holds only ``{"ref": screening_id, "rev":
revision}``. Before consent (nothing about health yet), or while the store
cannot be written, the slot carries the state itself, so nothing is lost and
any action-server replica can continue any conversation.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from bot import store
from bot.dialogue.conversation import Conversation
from bot.dialogue.message import Message
from bot.screening.record import build_record
from bot.screening.state import DECLINED, ScreeningState
from bot.trial import Trial, get_trial

logger = logging.getLogger(__name__)
STATE_SLOT = "conversation"
ERASE_SLOT = "erase_conversation"


class StateUnavailable(Exception):
    """The slot names a saved state, but the lead store cannot be read now."""


def trial() -> Trial:
    return get_trial()


def message_of(tracker: Tracker) -> Message:
    """The latest message as bot/ sees it: words (a "/intent" payload has none), the
    classifier's intent and confidence, entities, and the language the page asked for."""
    latest = tracker.latest_message or {}
    text = str(latest.get("text") or "")
    intent = latest.get("intent") or {}
    metadata = latest.get("metadata") or _user_event_metadata(tracker)
    language = metadata.get("language") if metadata.get("language") in trial().languages else None
    return Message(
        text="" if text.startswith("/") else text,
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=tuple(latest.get("entities") or ()),
        language=language,
        confirmed="delete" if metadata.get("confirmed") == "delete" else None,
    )


def _user_event_metadata(tracker: Tracker) -> dict:
    """The channel's metadata of the latest message: Rasa keeps it on the user event,
    not in the parse data the action sees as latest_message."""
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return event.get("metadata") or {}
    return {}


def load(tracker: Tracker) -> Conversation | None:
    """The conversation's state (None for a new one). One store read at most.
    Raises StateUnavailable when its saved state cannot be read."""
    value = tracker.get_slot(STATE_SLOT)
    if not isinstance(value, dict):
        return None
    if "ref" in value:
        try:
            state = store.default_store().load_state(str(value["ref"]), str(value.get("rev") or ""))
        except store.LeadStoreError as error:
            logger.error("lead store unavailable while loading a conversation: %s", type(error).__name__)
            raise StateUnavailable() from error
        return Conversation.from_dict(state) if state is not None else None
    return Conversation.from_dict(value)


def save(conversation: Conversation, tracker: Tracker, replies: list[str]) -> dict | None:
    """Save the conversation's screening (the lead and the state, one transaction).
    Returns the slot value that finds it next turn, or None when the store failed."""
    screening = conversation.screening
    if screening is None:
        return conversation.to_dict()
    return save_screening(screening, tracker, replies, state=conversation)


def save_screening(
    screening: ScreeningState, tracker: Tracker, replies: list[str], state: Conversation | None = None
) -> dict | None:
    screening.rev = uuid.uuid4().hex[:16]
    record = build_record(trial(), screening, transcript(tracker, replies))
    stored = state.to_dict() if state is not None else None
    try:
        store.default_store().save_screening(
            record, state=stored, revision=screening.rev if stored is not None else None
        )
    except (store.LeadStoreError, OSError) as error:
        logger.error("lead store error for screening %s: %s", screening.screening_id, type(error).__name__)
        return None
    if state is None or screening.phase == DECLINED or not screening.consented:
        return state.to_dict() if state is not None else None
    return {"ref": screening.screening_id, "rev": screening.rev}


def slot_events(tracker: Tracker, value: Any) -> list[SlotSet]:
    """The slot event that lets the next turn find the conversation (none when unchanged)."""
    if tracker.get_slot(STATE_SLOT) == value:
        return []
    return [SlotSet(STATE_SLOT, value)]


def transcript(tracker: Tracker, replies: list[str] | None = None) -> list[dict]:
    """User and bot messages of this conversation, with this turn's replies, for staff."""
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
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    lines.extend({"at": now, "speaker": "bot", "text": text} for text in replies or [])
    return lines
