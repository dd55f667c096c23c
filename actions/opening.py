"""Introduction, role and consent: nothing about health is asked or stored before consent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.adapter import ask, load, reports_store_down, save, say, state_events, trial
from bot.engine import Screening
from bot.messages import choices
from bot.roles import parse_role


def ask_role(dispatcher: CollectingDispatcher, message: str = "ask_role") -> None:
    say(dispatcher, message, buttons=choices("role_buttons"))


def ask_consent(dispatcher: CollectingDispatcher, role: str) -> None:
    say(dispatcher, "ask_consent", role, buttons=choices("consent_buttons"))


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if screening is not None and screening.phase in ("criteria", "contact"):
            say(dispatcher, "greet_again", screening.role)
            question = screening.next_question()
            if question is not None:
                ask(dispatcher, question)
            return state_events(screening, tracker)
        say(dispatcher, "intro")
        ask_role(dispatcher)
        return [SlotSet("awaiting", "role")]


class ActionSetRole(Action):
    def name(self) -> str:
        return "action_set_role"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if screening is not None and screening.phase in ("criteria", "contact"):
            # A role mentioned mid-screening ("I'm his mother") changes nothing already answered.
            return []
        entity = next(tracker.get_latest_entity_values("role"), None)
        role = parse_role(tracker.latest_message.get("text"), entity)
        if tracker.get_slot("awaiting") is None:
            say(dispatcher, "intro")
        if role is None:
            ask_role(dispatcher, "role_unclear")
            return [SlotSet("awaiting", "role")]
        ask_consent(dispatcher, role)
        return [SlotSet("role", role), SlotSet("awaiting", "consent")]


class ActionStartScreening(Action):
    def name(self) -> str:
        return "action_start_screening"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        role = tracker.get_slot("role") or "patient"
        state = Screening.new_state(trial(), tracker.sender_id, role, consented=True)
        return [SlotSet("screening_state", state), SlotSet("awaiting", "nothing")]


class ActionDeclineConsent(Action):
    def name(self) -> str:
        return "action_decline_consent"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        role = tracker.get_slot("role") or "patient"
        screening = Screening(trial(), Screening.new_state(trial(), tracker.sender_id, role, consented=False))
        save(screening, tracker, dispatcher)
        say(dispatcher, "consent_refused", role)
        return [SlotSet("screening_state", None), SlotSet("awaiting", "nothing")]
