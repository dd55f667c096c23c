"""The screening form: one slot asked again and again, with the question chosen by bot/.

required_slots is dynamic: while bot/ has something to ask it is the single
slot `screening_answer`; when the screening has ended it is empty and the form
closes. Each answer is parsed and scored by bot/ and saved at once, so nothing
is lost if a server stops mid-screening.
"""

from __future__ import annotations

import copy
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.adapter import (
    STATE_SLOT,
    StateUnavailable,
    ask,
    load,
    reports_store_down,
    save,
    state_events,
    store_down,
    trial,
)
from bot import notify
from bot.engine import Screening

ANSWER_SLOT = "screening_answer"


class ValidateScreeningForm(FormValidationAction):
    def name(self) -> str:
        return "validate_screening_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        try:
            screening = load(tracker)
        except StateUnavailable:
            return [ANSWER_SLOT]  # keep the form: the store is only down for now
        if screening is None:
            return []
        # Work on a copy: finding the next question moves the position, and this
        # method is called several times per turn.
        probe = Screening(trial(), copy.deepcopy(screening.state))
        return [ANSWER_SLOT] if probe.next_question() is not None else []

    async def validate_screening_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            screening = load(tracker)
        except StateUnavailable:
            store_down(dispatcher)
            return {ANSWER_SLOT: None}
        if screening is None or value is None:
            return {ANSWER_SLOT: None}  # nothing was said: nothing to check
        reply = screening.answer(str(value))
        for message in reply.messages:
            dispatcher.utter_message(text=message)
        # Settle the next question now, so that the asking action after this
        # one changes nothing and the turn saves (and sets the slot) once.
        screening.next_question()
        save(screening, tracker, dispatcher)
        # Always empty the answer slot: the form then asks the next question bot/ picks.
        slots: dict[str, Any] = {ANSWER_SLOT: None}
        for event in state_events(screening, tracker):
            slots[STATE_SLOT] = event["value"]
        return slots


class ActionAskScreeningAnswer(Action):
    def name(self) -> str:
        return "action_ask_screening_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            screening = load(tracker)
        except StateUnavailable:
            return []  # the validation said so already
        if screening is None:
            return []
        question = screening.next_question()
        if question is not None:
            ask(dispatcher, question)
        return state_events(screening, tracker)


class ActionFinishScreening(Action):
    def name(self) -> str:
        return "action_finish_screening"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening: Screening | None = load(tracker)
        if screening is None:
            return []
        screening.next_question()  # settles the phase (done) before the record is made
        if save(screening, tracker, dispatcher):
            # Tell staff (likely_eligible / needs_review only); bounded wait,
            # never raises, failures stay queued for `bot.staff notify-retry`.
            notify.notify_finished(screening.state["screening_id"])
            for message in screening.closing_messages():
                dispatcher.utter_message(text=message)
        return state_events(screening, tracker)
