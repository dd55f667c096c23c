"""Run the Rasa SDK actions against real trackers and check the events they return
and the screening they store (in the spirit of RasaHQ's financial-demo tests)."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form import ActionAskScreeningAnswer, ActionFinishScreening, ValidateScreeningForm
from actions.interruptions import (
    ActionCorrectAnswer,
    ActionDeleteMyData,
    ActionExplainTerm,
    ActionExplainWhy,
    ActionHumanHandoff,
    ActionOutOfScope,
    ActionStopScreening,
)
from actions.opening import ActionDeclineConsent, ActionGreet, ActionSetRole, ActionStartScreening
from bot import store

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = {
    "forms": {"screening_form": {"required_slots": ["screening_answer"]}},
    "slots": {
        "screening_answer": {"mappings": [{"type": "from_text", "conditions": [{"active_loop": "screening_form"}]}]}
    },
}


@pytest.fixture(autouse=True)
def lead_db(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAD_DB", str(tmp_path / "leads.db"))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    return tmp_path / "leads.db"


class Conversation:
    """A tracker that keeps its slots between actions, like Rasa would."""

    def __init__(self, sender="test-user"):
        self.sender, self.slots, self.events, self.active_loop = sender, {}, [], {}
        self.texts: list = []

    @property
    def state(self) -> dict:
        """The screening state the slot leads to (a reference into the lead store, or the state)."""
        from actions.adapter import load

        screening = load(self.tracker())
        return None if screening is None else screening.state

    def edit_state(self, **changes) -> dict:
        """Change the state as a test set-up; the slot then carries it whole (like after a failed save)."""
        state = self.state
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(state.get(key), dict):
                state[key].update(value)
            else:
                state[key] = value
        self.slots["screening_state"] = state
        return state

    def tracker(self, text="", intent="inform", entities=()):
        latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": list(entities)}
        return Tracker(self.sender, dict(self.slots), latest, list(self.events), False, None, self.active_loop, None)

    def run(self, action, text="", intent="inform", entities=(), latest=None):
        dispatcher = CollectingDispatcher()
        if text:
            self.events.append({"event": "user", "text": text, "timestamp": 1764000000})
        tracker = self.tracker(latest if latest is not None else text, intent, entities)
        events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
            if event["event"] == "active_loop":
                self.active_loop = {"name": event["name"]} if event["name"] else {}
        for message in dispatcher.messages:
            self.events.append({"event": "bot", "text": message.get("text"), "timestamp": 1764000001})
        self.texts = [m.get("text") or "" for m in dispatcher.messages]
        return events, dispatcher.messages

    def answer(self, text, intent="inform"):
        """One turn of the form: validate the answer, then ask the next question."""
        self.slots["screening_answer"] = text
        self.active_loop = {"name": "screening_form"}
        # As Rasa does: the user's message, then the slot its text filled.
        self.events.append({"event": "user", "text": text, "timestamp": 1764000000})
        self.events.append({"event": "slot", "name": "screening_answer", "value": text})
        validated, said = self.run(ValidateScreeningForm(), latest=text, intent=intent)
        asked, questions = self.run(ActionAskScreeningAnswer())
        return validated, said + questions


def start(role="patient", sender="test-user"):
    chat = Conversation(sender)
    chat.run(ActionGreet(), "hi", "greet")
    assert chat.slots["awaiting"] == "role"
    events, _ = chat.run(ActionSetRole(), f"I'm the {role}", "choose_role", [{"entity": "role", "value": role}])
    assert SlotSet("role", role) in events and SlotSet("awaiting", "consent") in events
    chat.run(ActionStartScreening(), "I agree", "give_consent")
    chat.active_loop = {"name": "screening_form"}
    chat.run(ActionAskScreeningAnswer())
    return chat


def stored(chat):
    return store.find_by_conversation(chat.sender)


def test_greeting_introduces_and_asks_the_role_before_anything_about_health():
    chat = Conversation()
    events, messages = chat.run(ActionGreet(), "hello", "greet")
    assert events == [SlotSet("awaiting", "role")]
    assert "can't give medical advice" in messages[0]["text"] and "study team" in messages[0]["text"]
    assert [b["title"] for b in messages[1]["buttons"]][0].lower().startswith("i'm the patient")


def test_consent_is_asked_separately_and_refusal_stores_no_health_data(lead_db):
    chat = Conversation("refuser")
    chat.run(ActionGreet(), "hi", "greet")
    _, messages = chat.run(ActionSetRole(), "I'm a doctor", "choose_role")
    assert "agree" in messages[-1]["text"].lower() and chat.slots["awaiting"] == "consent"
    events, messages = chat.run(ActionDeclineConsent(), "no", "deny")
    assert SlotSet("screening_state", None) in events
    record = stored(chat)
    assert record["outcome"] == "declined" and record["criteria"] == {} and record["transcript"] == []


def test_unclear_role_is_asked_again():
    chat = Conversation()
    chat.run(ActionGreet(), "hi", "greet")
    events, messages = chat.run(ActionSetRole(), "blue", "inform")
    assert events == [SlotSet("awaiting", "role")] and messages[0]["buttons"]


def test_first_question_is_age_and_an_answer_is_validated_and_saved():
    chat = start()
    assert "old" in chat.texts[-1].lower()
    events, messages = chat.answer("I'm 45")
    assert SlotSet("screening_answer", None) in events  # emptied so the form asks the next question
    state = chat.state
    assert state["facts"]["age"]["value"] == 45
    record = stored(chat)
    assert record["outcome"] == "incomplete" and record["criteria"]["age"]["verdict"] == "pass"


def test_gibberish_is_asked_again_once_then_recorded_for_review():
    chat = start()
    _, messages = chat.answer("purple monkey dishwasher")
    assert any("didn't quite understand" in m["text"] for m in messages)
    assert "age" not in chat.state["facts"]
    chat.answer("qwerty zxcv")
    record = stored(chat)
    assert record["criteria"]["age"]["verdict"] == "uncertain"
    assert record["review_items"][0]["answer"] == "qwerty zxcv"


def test_knock_out_ends_the_form_kindly_with_the_contact():
    chat = start()
    chat.answer("75")
    validate = ValidateScreeningForm()
    tracker = chat.tracker()
    required = asyncio.run(validate.required_slots(["screening_answer"], CollectingDispatcher(), tracker, DOMAIN))
    assert required == []
    _, messages = chat.run(ActionFinishScreening())
    text = " ".join(m["text"] for m in messages)
    assert "may not be able to join" in text and "between 10 and 70" in text
    assert "eligible" not in text.replace("not be able", "")
    assert stored(chat)["outcome"] == "not_eligible"


def test_interruptions_explain_and_keep_the_position():
    chat = start()
    chat.answer("45")
    position = chat.state["current"]
    _, why = chat.run(ActionExplainWhy(), "why do you ask?", "why_ask")
    assert "sarcoma" in why[0]["text"].lower()
    _, term = chat.run(ActionExplainTerm(), "what is ECOG?", "explain_term", [{"entity": "term", "value": "ecog"}])
    assert "0-5 scale" in term[0]["text"]
    _, unknown = chat.run(ActionExplainTerm(), "what is a flux capacitor", "explain_term")
    assert "don't have an explanation" in unknown[0]["text"]
    assert chat.state["current"] == position


def test_correction_changes_the_earlier_answer_and_its_verdict():
    chat = start()
    chat.answer("I'm 75")
    assert stored(chat)["criteria"]["age"]["verdict"] == "fail"
    chat.run(ActionFinishScreening())
    chat.active_loop = {}  # the knock-out closed the form
    events, messages = chat.run(ActionCorrectAnswer(), "sorry I made a mistake, I'm 54 not 75", "correct_answer")
    assert "54" in messages[0]["text"] and "was 75" in messages[0]["text"]
    assert FollowupActionName(events) == "screening_form"  # the screening reopens
    chat.run(ActionAskScreeningAnswer())
    record = stored(chat)
    assert record["criteria"]["age"]["verdict"] == "pass" and record["outcome"] == "incomplete"


def FollowupActionName(events):
    return next((e["name"] for e in events if e["event"] == "followup"), None)


def test_handoff_marks_the_lead_for_a_call_back():
    chat = start()
    chat.answer("45")
    chat.active_loop = {"name": "screening_form"}
    _, messages = chat.run(ActionHumanHandoff(), "can I talk to a person", "human_handoff")
    assert "call you back" in messages[0]["text"]
    assert stored(chat)["contact"]["callback_requested"] is True


def test_out_of_scope_is_answered_honestly_but_a_clear_answer_is_kept():
    chat = start()
    chat.active_loop = {"name": "screening_form"}
    _, messages = chat.run(ActionOutOfScope(), "what are the side effects of lenvatinib?", "out_of_scope")
    assert "can't advise" in messages[0]["text"]
    chat.run(ActionOutOfScope(), "I am 45 years old", "out_of_scope")
    assert chat.state["facts"]["age"]["value"] == 45


def test_stop_saves_an_incomplete_screening_and_closes_the_form():
    chat = start()
    chat.answer("45")
    events, messages = chat.run(ActionStopScreening(), "stop", "stop")
    assert ActiveLoop(None) in events
    assert stored(chat)["outcome"] == "incomplete"


def test_delete_my_data_erases_the_lead_and_asks_the_tracker_store_to_erase_too():
    chat = start(sender="erase-me")
    chat.answer("45")
    assert stored(chat) is not None
    events, messages = chat.run(ActionDeleteMyData(), "delete my data", "delete_data")
    assert SlotSet("erase_conversation", True) in events and ActiveLoop(None) in events
    assert stored(chat) is None
    assert "deleted" in messages[0]["text"].lower()


def test_unwritable_store_tells_the_person_to_call(monkeypatch, tmp_path, caplog):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("x")
    monkeypatch.setenv("LEAD_DB", str(blocked / "leads.db"))
    chat = start(sender="nowhere")
    _, messages = chat.answer("I am forty-seven")
    assert any("couldn't save" in m["text"] for m in messages)
    assert "forty" not in caplog.text.lower()  # no health data in the log (ids are hex, so no clash)
    assert "LeadStoreUnavailable" in caplog.text


def test_actions_never_import_bot_logic_into_rasa_and_bot_never_imports_rasa():
    code = "import sys, bot.engine, bot.store, bot.staff; print(any(m.startswith(('rasa', 'rasa_sdk')) for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_contact_details_misread_as_an_interruption_are_kept_as_answers():
    chat = start(sender="contact-rescue")
    chat.edit_state(phase="contact", current="contact_name", contact={"consented": True})
    chat.active_loop = {"name": "screening_form"}
    chat.run(ActionCorrectAnswer(), "Wang Fang", "correct_answer")
    assert chat.state["contact"]["name"] == "Wang Fang"
    chat.edit_state(current="contact_method")
    chat.run(ActionExplainTerm(), "wang.fang@example.com", "explain_term")
    assert chat.state["contact"]["email"] == "wang.fang@example.com"
    # A real question at the name prompt is still answered as a question.
    chat.edit_state(current="contact_name", contact={"name": None})
    _, messages = chat.run(ActionExplainTerm(), "what is ECOG?", "explain_term")
    assert "0-5 scale" in messages[0]["text"] and chat.state["contact"]["name"] is None


# --------------------------------------------------------------------------
# Where the state lives between turns: the lead store, referenced by the slot
# --------------------------------------------------------------------------
def state_slot_events(events):
    return [e for e in events if e.get("event") == "slot" and e.get("name") == "screening_state"]


def test_the_slot_carries_a_reference_set_once_per_turn():
    chat = start(sender="by-reference")
    validated, _ = chat.answer("I'm 45")
    [slot] = state_slot_events(validated)
    assert set(slot["value"]) == {"ref", "rev"}  # not the 14 KB state
    assert slot["value"]["ref"] == chat.state["screening_id"]
    asked, questions = chat.run(ActionAskScreeningAnswer())  # asking again changes nothing
    assert state_slot_events(asked) == [] and questions
    assert store.default_store().load_state(*slot["value"].values())["facts"]["age"]["value"] == 45


def test_another_replica_continues_from_the_store(monkeypatch):
    from actions import adapter

    chat = start(sender="other-replica")
    chat.answer("I'm 45")
    monkeypatch.setattr(adapter, "_revisions", adapter._Revisions(8))  # a fresh process
    chat.answer("yes, osteosarcoma that spread to my lungs")
    record = stored(chat)
    assert record["criteria"]["age"]["value"] == 45 and record["criteria"]["diagnosis"]["verdict"] == "pass"


def test_when_saving_fails_the_slot_keeps_the_whole_state_until_the_store_is_back(monkeypatch):
    chat = start(sender="save-fails")
    chat.answer("I'm 45")
    real_save = store.LeadStore.save_screening

    def unavailable(self, *args, **kwargs):
        raise store.LeadStoreUnavailable("locked")

    monkeypatch.setattr(store.LeadStore, "save_screening", unavailable)
    validated, said = chat.answer("yes, osteosarcoma that spread to my lungs")
    assert any("Please call" in m["text"] for m in said)
    [slot] = state_slot_events(validated)
    assert "facts" in slot["value"] and "diagnosis" in slot["value"]["facts"]  # kept, whole
    monkeypatch.setattr(store.LeadStore, "save_screening", real_save)
    validated, _ = chat.answer("yes I took anlotinib for 8 months")
    assert set(state_slot_events(validated)[0]["value"]) == {"ref", "rev"}
    record = stored(chat)
    assert record["criteria"]["diagnosis"]["verdict"] == "pass"  # the answer given while it was down
    assert "anlotinib" in record["criteria"]["prior_tki"]["answer"]


def test_when_the_store_cannot_be_read_the_person_is_asked_to_call_and_nothing_moves(monkeypatch):
    from actions import adapter

    chat = start(sender="read-fails")
    chat.answer("I'm 45")
    question = chat.texts[-1]
    monkeypatch.setattr(adapter, "_revisions", adapter._Revisions(8))
    readable = store.LeadStore.load_state

    def unreadable(self, *args, **kwargs):
        raise store.LeadStoreUnavailable("unreachable")

    monkeypatch.setattr(store.LeadStore, "load_state", unreadable)
    required = asyncio.run(ValidateScreeningForm().required_slots([], CollectingDispatcher(), chat.tracker(), DOMAIN))
    assert required == ["screening_answer"]  # the form stays open
    validated, said = chat.answer("yes, osteosarcoma that spread to my lungs")
    assert any("Please call" in m["text"] for m in said)
    assert state_slot_events(validated) == []
    _, messages = chat.run(ActionExplainWhy(), "why do you ask?", "why_ask")
    assert any("Please call" in m["text"] for m in messages)
    monkeypatch.setattr(store.LeadStore, "load_state", readable)
    _, messages = chat.run(ActionAskScreeningAnswer())
    assert messages[-1]["text"] == question  # back: the same question again
    assert stored(chat)["criteria"]["age"]["value"] == 45


def test_a_message_nothing_else_fits_gets_a_useful_answer_not_silence():
    from actions.fallback import ActionUnhandled

    _, messages = Conversation("nobody").run(ActionUnhandled(), "asdf", "inform")
    assert "say \"hi\" to start" in messages[0]["text"]
    chat = Conversation("mid-opening")
    chat.run(ActionGreet(), "hi", "greet")
    _, messages = chat.run(ActionUnhandled(), "hmm", "inform")
    assert "patient" in messages[0]["text"] and messages[0]["buttons"]  # the role, asked again
    chat = start(sender="mid-form")
    question = chat.texts[-1]
    _, messages = chat.run(ActionUnhandled(), "hmm", "inform")
    assert messages[-1]["text"] == question  # the open question, repeated; nothing answered
    chat.answer("I'm 80")  # knocked out: the check is over
    chat.run(ActionFinishScreening())
    _, messages = chat.run(ActionUnhandled(), "ANC 3.1, PLT 210", "inform")
    assert "This check is finished" in messages[0]["text"] and "start over" in messages[0]["text"]
