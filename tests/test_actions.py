"""Run action_turn against trackers the way Rasa would, and check the events it
returns, what it says and what it stores (in the spirit of RasaHQ's
financial-demo action tests). The dialogue itself is tested in test_dialogue.py."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import adapter
from actions.turn import ActionTurn
from bot import store
from scripts import PATIENT_ANSWERS, reply_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def lead_db(tmp_path, monkeypatch):
    monkeypatch.setenv("LEAD_DB", str(tmp_path / "leads.db"))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    return tmp_path / "leads.db"


class RasaConversation:
    """A tracker that keeps its slots and events between turns, like Rasa would."""

    def __init__(self, sender="test-user"):
        self.sender, self.slots, self.events = sender, {}, []
        self.texts: list = []
        self.buttons: list = []

    def tracker(self, text: str, intent: str, confidence: float, metadata=None) -> Tracker:
        latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
        return Tracker(self.sender, dict(self.slots), latest, list(self.events), False, None, {}, None)

    def send(self, text: str, intent: str = "inform", confidence: float = 0.9, metadata=None):
        # As Rasa does: the channel's metadata is on the user event, not in latest_message.
        self.events.append({"event": "user", "text": text, "timestamp": 1764000000, "metadata": metadata or {}})
        dispatcher = CollectingDispatcher()
        events = asyncio.run(ActionTurn().run(dispatcher, self.tracker(text, intent, confidence, metadata), {}))
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
        for message in dispatcher.messages:
            self.events.append({"event": "bot", "text": message.get("text"), "timestamp": 1764000001})
        self.texts = [m.get("text") or "" for m in dispatcher.messages]
        self.buttons = (
            [b["title"] for b in (dispatcher.messages[-1].get("buttons") or [])] if dispatcher.messages else []
        )
        return events

    @property
    def conversation(self):
        return adapter.load(self.tracker("", "inform", 0.0))


def open_chat(sender="test-user", role_text="I'm the patient"):
    chat = RasaConversation(sender)
    chat.send("/greet", "greet", 1.0)
    chat.send(role_text, "choose_role")
    chat.send("I agree", "give_consent")
    return chat


def test_opening_asks_the_role_and_stores_nothing_before_consent(lead_db):
    chat = RasaConversation()
    events = chat.send("/greet", "greet", 1.0)
    assert "can't give medical advice" in chat.texts[0]
    assert chat.buttons[0].lower().startswith("i'm the patient")
    assert [e["name"] for e in events] == ["conversation"] and "ref" not in events[0]["value"]
    chat.send("I'm the patient", "choose_role")
    assert "Do you agree?" in chat.texts[-1]
    assert store.find_by_conversation(chat.sender) is None


def test_refused_consent_stores_a_declined_lead_without_health_data():
    chat = RasaConversation("refuser")
    chat.send("hi", "greet")
    chat.send("I'm a doctor", "choose_role")
    chat.send("I don't agree", "refuse_consent")
    record = store.find_by_conversation("refuser")
    assert record["outcome"] == "declined" and record["criteria"] == {} and record["transcript"] == []


def test_each_turn_loads_once_scores_once_and_saves_once(monkeypatch):
    """One pass per turn: one store read, one scoring of every criterion, one write."""
    chat = open_chat()
    chat.send("I'm 45")
    counts = {"load": 0, "score": 0, "save": 0}
    lead_store = store.default_store()
    real_load, real_save = lead_store.load_state, lead_store.save_screening

    def counting(name, function):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return function(*args, **kwargs)

        return wrapper

    import bot.screening.scoring as scoring

    monkeypatch.setattr(store, "default_store", lambda: lead_store)
    monkeypatch.setattr(lead_store, "load_state", counting("load", real_load))
    monkeypatch.setattr(lead_store, "save_screening", counting("save", real_save))
    monkeypatch.setattr(scoring, "score", counting("score", scoring.score))
    chat.send("yes, osteosarcoma that spread to my lungs")
    assert counts == {"load": 1, "score": 1, "save": 1}
    chat.send("I had a heart attack two months ago")
    assert counts == {"load": 2, "score": 2, "save": 2}


def test_the_slot_carries_a_reference_and_another_replica_continues_from_the_store(monkeypatch):
    chat = open_chat()
    chat.send("I'm 45")
    value = chat.slots["conversation"]
    assert set(value) == {"ref", "rev"}
    fresh = RasaConversation(chat.sender)
    fresh.slots, fresh.events = dict(chat.slots), list(chat.events)
    fresh.send("yes, osteosarcoma that spread to my lungs")
    assert fresh.conversation.screening.facts["diagnosis"]["value"]["sarcoma"] is True


def test_a_whole_screening_through_the_action_reaches_staff_with_a_phone_number():
    chat = open_chat()
    for _ in range(40):
        answer = reply_for(chat.texts, PATIENT_ANSWERS)
        if answer is None:
            break
        chat.send(answer)
    record = store.find_by_conversation(chat.sender)
    assert record["outcome"] == "likely_eligible" and record["contact"]["phone"] == "+8613800138000"
    assert any(line["speaker"] == "bot" and "reference number" in line["text"] for line in record["transcript"])


def test_delete_asks_first_and_then_erases_both_stores():
    chat = open_chat("eraser")
    chat.send("I'm 45")
    chat.send("delete my data", "delete_data")
    assert store.find_by_conversation("eraser") is not None and chat.buttons[0].startswith("Yes")
    events = chat.send(chat.buttons[0], "affirm")
    assert SlotSet("erase_conversation", True) in events
    assert store.find_by_conversation("eraser") is None


def test_a_classifier_saying_delete_for_an_answer_deletes_nothing():
    chat = open_chat("misread")
    events = chat.send("15, I told you", "delete_data", 0.97)
    assert SlotSet("erase_conversation", True) not in events
    assert store.find_by_conversation("misread")["criteria"]["age"]["value"] == 15


def test_unwritable_store_keeps_the_whole_state_in_the_slot_and_asks_the_person_to_call(monkeypatch, caplog):
    chat = open_chat()

    def fail(*args, **kwargs):
        raise store.LeadStoreUnavailable("locked")

    monkeypatch.setattr(store.LeadStore, "save_screening", fail)
    chat.send("I'm 45")
    assert "couldn't save your answers" in chat.texts[-1]
    assert chat.slots["conversation"]["kind"] == "conversation"  # the whole state, not a reference
    assert chat.slots["conversation"]["screening"]["facts"]["age"]["value"] == 45
    assert "I'm 45" not in caplog.text  # (a hex id may contain 45)
    monkeypatch.undo()
    monkeypatch.setenv("LEAD_DB", str(Path(store.default_store().target)))
    chat.send("yes, osteosarcoma that spread to my lungs")
    assert set(chat.slots["conversation"]) == {"ref", "rev"}  # saved again: back to a reference
    assert store.find_by_conversation(chat.sender)["criteria"]["age"]["value"] == 45


def test_unreadable_store_keeps_the_message_and_applies_it_when_the_store_is_back(monkeypatch):
    chat = open_chat()
    chat.send("I'm 45")
    reference = dict(chat.slots["conversation"])

    def fail(*args, **kwargs):
        raise store.LeadStoreUnavailable("down")

    monkeypatch.setattr(store.LeadStore, "load_state", fail)
    chat.send("yes, osteosarcoma that spread to my lungs")
    assert "couldn't save your answers" in chat.texts[-1]
    assert chat.slots["conversation"] == {**reference, "unapplied": ["yes, osteosarcoma that spread to my lungs"]}
    monkeypatch.undo()
    monkeypatch.setenv("LEAD_DB", str(Path(store.default_store().target)))
    chat.send("hello?")
    diagnosis = store.find_by_conversation(chat.sender)["criteria"]["diagnosis"]
    assert diagnosis["verdict"] == "pass" and diagnosis["answer"] == "yes, osteosarcoma that spread to my lungs"
    assert "unapplied" not in chat.slots["conversation"]


def test_a_bug_in_a_turn_costs_one_reply_and_is_logged_without_the_text(monkeypatch, caplog):
    chat = open_chat()

    def broken(*args, **kwargs):
        raise ValueError("secret health text")

    monkeypatch.setattr("actions.turn.handle", broken)
    events = chat.send("I have HIV")
    assert events == [] and "couldn't process that" in chat.texts[-1]
    assert "ValueError" in caplog.text and "secret health text" not in caplog.text and "HIV" not in caplog.text


def test_a_deletion_confirmed_on_the_page_is_not_asked_again():
    chat = open_chat("page-delete")
    chat.send("I'm 45")
    events = chat.send("delete my data", "delete_data", metadata={"confirmed": "delete"})
    assert SlotSet("erase_conversation", True) in events and store.find_by_conversation("page-delete") is None


def test_the_page_language_is_taken_from_the_message_metadata():
    chat = RasaConversation("zh-page")
    chat.send("/greet", "greet", 1.0, metadata={"language": "zh"})
    assert chat.conversation.language == "zh"


def test_actions_never_import_bot_logic_into_rasa_and_bot_never_imports_rasa():
    code = (
        "import sys, bot.dialogue.flow, bot.screening, bot.staff, bot.summary, bot.check; "
        "print(any(m.split('.')[0] in ('rasa', 'rasa_sdk') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
