"""Interruptions at any point: why, what is X, corrections, a person, stop, start over,
delete my data, out-of-scope questions. After each, the form resumes where it was."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.adapter import load, reports_store_down, save, say, state_events, trial
from actions.opening import ask_role
from bot import store

logger = logging.getLogger(__name__)
END_FORM = [ActiveLoop(None), SlotSet("requested_slot", None)]


def _in_form(tracker: Tracker) -> bool:
    return (tracker.active_loop or {}).get("name") == "screening_form"


def _reprompt_outside_form(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Outside the form, repeat whatever the assistant was waiting for."""
    awaiting = tracker.get_slot("awaiting")
    if awaiting == "role":
        ask_role(dispatcher)
    elif awaiting == "consent":
        from actions.opening import ask_consent

        ask_consent(dispatcher, tracker.get_slot("role") or "patient")


def answered_instead(screening, tracker: Tracker, dispatcher: CollectingDispatcher, any_step: bool = False) -> bool:
    """When the classifier took an answer for an interruption, give it to the
    current question instead. Always for contact details (names and e-mail
    addresses look like nothing else); for other questions only when asked to
    (out-of-scope guesses), and only for a clear answer."""
    if screening is None or not _in_form(tracker):
        return False
    text = tracker.latest_message.get("text") or ""
    if not (screening.answering_contact() or any_step) or not screening.understands(text):
        return False
    reply = screening.answer(text)
    for message in reply.messages:
        dispatcher.utter_message(text=message)
    save(screening, tracker, dispatcher)
    return True


class ActionExplainWhy(Action):
    def name(self) -> str:
        return "action_explain_why"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if answered_instead(screening, tracker, dispatcher):
            return state_events(screening, tracker)
        step = screening.state.get("current") if screening else None
        criterion_id = trial().criterion_of_step.get(step or "")
        if criterion_id:
            say(dispatcher, "why", why=trial().criterion(criterion_id).why)
        else:
            say(dispatcher, "why_general")
        if not _in_form(tracker):
            _reprompt_outside_form(dispatcher, tracker)
        return []


class ActionExplainTerm(Action):
    def name(self) -> str:
        return "action_explain_term"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if answered_instead(screening, tracker, dispatcher):
            return state_events(screening, tracker)
        glossary = trial().glossary
        candidates = [str(t).lower() for t in tracker.get_latest_entity_values("term")]
        text = (tracker.latest_message.get("text") or "").lower()
        # Longest glossary term named in the message ("live vaccine" before "vaccine").
        candidates += sorted(
            (term for term in glossary if re.search(rf"\b{re.escape(term)}\b", text)), key=len, reverse=True
        )
        aliases = {
            "qtcf": "qtc",
            "qt": "qtc",
            "ejection fraction": "lvef",
            "performance status": "ecog",
            "aitan": "apatinib",
            "focus v": "anlotinib",
            "lenvima": "lenvatinib",
            "gcsf": "g-csf",
        }
        for candidate in candidates:
            term = aliases.get(candidate, candidate)
            if term in glossary:
                dispatcher.utter_message(text=glossary[term])
                break
        else:
            say(dispatcher, "explain_unknown")
        if not _in_form(tracker):
            _reprompt_outside_form(dispatcher, tracker)
        return []


class ActionCorrectAnswer(Action):
    def name(self) -> str:
        return "action_correct_answer"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if screening is None:
            say(dispatcher, "correction_none")
            return []
        if answered_instead(screening, tracker, dispatcher):
            return state_events(screening, tracker)
        reply = screening.correct(tracker.latest_message.get("text") or "")
        for message in reply.messages:
            dispatcher.utter_message(text=message)
        if reply.changed:
            save(screening, tracker, dispatcher)
        events: list[EventType] = list(state_events(screening, tracker))
        if reply.changed and not _in_form(tracker) and screening.phase in ("criteria", "contact"):
            events.append(FollowupAction("screening_form"))
        return events


class ActionHumanHandoff(Action):
    def name(self) -> str:
        return "action_human_handoff"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if screening is None:
            # No consent yet: give the contact, store nothing.
            say(dispatcher, "consent_refused")
            _reprompt_outside_form(dispatcher, tracker)
            return []
        screening.request_callback()
        save(screening, tracker, dispatcher)
        say(dispatcher, "handoff", screening.role, resuming=_in_form(tracker))
        return state_events(screening, tracker)


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if answered_instead(screening, tracker, dispatcher, any_step=True):
            return state_events(screening, tracker)
        say(dispatcher, "out_of_scope")
        if not _in_form(tracker):
            _reprompt_outside_form(dispatcher, tracker)
        return []


class ActionStopScreening(Action):
    def name(self) -> str:
        return "action_stop_screening"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if screening is None:
            say(dispatcher, "stopped_nothing_saved")
            return END_FORM + [SlotSet("awaiting", "nothing")]
        screening.stop()
        save(screening, tracker, dispatcher)
        say(dispatcher, "stopped", screening.role)
        return END_FORM + [*state_events(screening, tracker), SlotSet("awaiting", "nothing")]


class ActionRestart(Action):
    """Overrides Rasa's action_restart ("start over"): keep the abandoned attempt, begin again."""

    def name(self) -> str:
        return "action_restart"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        screening = load(tracker)
        if screening is not None:
            screening.stop()  # the abandoned attempt stays on record as incomplete
            save(screening, tracker, dispatcher)
        say(dispatcher, "restarted")
        ask_role(dispatcher)
        # After Restarted no rule knows the conversation: wait for the person
        # rather than let the fallback speak.
        return [Restarted(), SlotSet("awaiting", "role"), FollowupAction("action_listen")]


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    @reports_store_down
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            store.delete_conversation(tracker.sender_id, by="participant")
        except store.LeadStoreUnavailable as error:
            logger.error("could not delete conversation data: %s", type(error).__name__)
            say(dispatcher, "store_unavailable")
            return END_FORM
        say(dispatcher, "deleted")
        return END_FORM + [
            SlotSet("screening_state", None),
            SlotSet("role", None),
            SlotSet("awaiting", None),
            SlotSet("erase_conversation", True),
        ]
