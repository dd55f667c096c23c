"""The one action: every message the person sends is a turn of bot.dialogue.

Per turn the action server loads the conversation once, lets bot/ apply the
message once (which scores the screening once), saves once and sends the
replies. Rasa contributes the channels, the intent classifier and the
conversation store; the dialogue itself is framework-free.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.adapter import (
    ERASE_SLOT,
    STATE_SLOT,
    StateUnavailable,
    load,
    message_of,
    save,
    save_screening,
    slot_events,
    trial,
)
from bot import notify, store
from bot.dialogue.flow import handle
from bot.dialogue.message import Message, Reply
from bot.messages import render

logger = logging.getLogger(__name__)
UNAPPLIED = "unapplied"  # messages received while the lead store could not be read
MAX_UNAPPLIED = 10


class ActionTurn(Action):
    def name(self) -> str:
        return "action_turn"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        message = message_of(tracker)
        slot = tracker.get_slot(STATE_SLOT)
        try:
            conversation = load(tracker)
        except StateUnavailable:
            # The saved answers stay where they are; this message waits in the slot and is
            # applied, before the next one, as soon as the store can be read again.
            dispatcher.utter_message(text=render("store_unavailable", trial(), None, "en"))
            waiting = list(slot.get(UNAPPLIED, [])) + [message.text] if message.text else slot.get(UNAPPLIED, [])
            return slot_events(tracker, {**slot, UNAPPLIED: waiting[-MAX_UNAPPLIED:]})
        try:
            for text in (slot or {}).get(UNAPPLIED, []) if isinstance(slot, dict) else []:
                earlier = handle(
                    conversation, Message(text), trial=trial(), today=date.today(), conversation_id=tracker.sender_id
                )
                conversation = earlier.conversation
            turn = handle(conversation, message, trial=trial(), today=date.today(), conversation_id=tracker.sender_id)
        except Exception as error:  # noqa: BLE001 - a bug must cost one reply, never the conversation
            frame = error.__traceback__
            while frame is not None and frame.tb_next is not None:
                frame = frame.tb_next
            where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
            logger.error("turn failed: %s at %s", type(error).__name__, where)  # never the message text
            language = conversation.language if conversation else "en"
            dispatcher.utter_message(text=render("action_unavailable", trial(), None, language))
            return []
        if turn.effects.erase:
            return self._erase(dispatcher, tracker, turn)
        if turn.effects.save_also is not None:
            save_screening(turn.effects.save_also, tracker, [])  # the attempt abandoned by "start over"
        # One write per turn: the lead and the whole conversation state, in one transaction.
        value = save(turn.conversation, tracker, [reply.text for reply in turn.replies])
        if value is None:
            value = turn.conversation.to_dict()  # keep every answer in the slot until the store is back
            turn.replies.append(
                Reply(render("store_unavailable", trial(), turn.conversation.role, turn.conversation.language))
            )
        elif turn.effects.notify:
            # likely_eligible / needs_review only; bounded wait, never raises,
            # failures stay queued for `bot.staff notify-retry`.
            notify.notify_finished(turn.effects.notify)
        for reply in turn.replies:
            buttons = [{"title": label, "payload": label} for label in reply.buttons]
            dispatcher.utter_message(text=reply.text, buttons=buttons or None)
        return list(slot_events(tracker, value))

    @staticmethod
    def _erase(dispatcher: CollectingDispatcher, tracker: Tracker, turn) -> list[EventType]:
        """The person confirmed "delete my data": both stores, then a fresh start."""
        try:
            store.delete_conversation(tracker.sender_id, by="participant")
        except store.LeadStoreError as error:
            logger.error("could not delete conversation data: %s", type(error).__name__)
            dispatcher.utter_message(text=render("store_unavailable", trial(), None, turn.conversation.language))
            return []
        for reply in turn.replies:
            dispatcher.utter_message(text=reply.text)
        return [SlotSet("conversation", None), SlotSet(ERASE_SLOT, True)]
