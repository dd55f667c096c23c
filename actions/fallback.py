"""What to say to a message that fits no question: after the check has ended
(rules.yml), or whenever a rule hands over to it. Never reverts the message
(an answer stays given): it repeats what the assistant is waiting for, or says
the check is finished and how to start again."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.adapter import ask, load, reports_store_down, say, state_events
from actions.opening import ask_consent, ask_role


class ActionUnhandled(Action):
    def name(self) -> str:
        return "action_unhandled"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        awaiting = tracker.get_slot("awaiting")
        if awaiting == "role":
            ask_role(dispatcher, "role_unclear")
            return []
        if awaiting == "consent":
            ask_consent(dispatcher, tracker.get_slot("role") or "patient")
            return []
        screening = load(tracker)
        if screening is not None and screening.phase in ("criteria", "contact"):
            question = screening.next_question()
            if question is not None:
                ask(dispatcher, question)
                return state_events(screening, tracker)
        if screening is not None:
            say(dispatcher, "after_end", screening.role)
            return []
        say(dispatcher, "not_understood")
        return []
