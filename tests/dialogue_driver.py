"""Hold whole conversations with bot.dialogue alone (no Rasa): what people type in,
what the assistant says back, and the record the lead store would save."""

from __future__ import annotations

from datetime import date

from bot.dialogue.flow import handle
from bot.dialogue.message import Message
from bot.screening.record import build_record
from bot.trial import get_trial
from scripts import reply_for

TODAY = date(2026, 11, 25)
OPENINGS = {
    "patient": ["hi", "I'm the patient", "I agree"],
    "caregiver": ["hello", "I'm a parent, relative or carer", "I agree"],
    "physician": ["hi", "I'm a doctor", "I agree"],
}


class Chat:
    """One conversation: ``send`` a message, read ``replies`` (the last turn's texts)."""

    def __init__(self, conversation_id: str = "chat-1", trial=None, today: date = TODAY):
        self.trial, self.today, self.conversation_id = trial or get_trial(), today, conversation_id
        self.conversation = None
        self.turns: list = []
        self.sent = 0

    def send(self, text: str, intent: str | None = None, confidence: float = 0.0, language: str | None = None):
        turn = handle(
            self.conversation,
            Message(text, intent, confidence, (), language),
            trial=self.trial,
            today=self.today,
            conversation_id=self.conversation_id,
        )
        self.conversation = turn.conversation
        self.turns.append(turn)
        self.sent += 1
        return turn

    @property
    def replies(self) -> list[str]:
        return [reply.text for reply in self.turns[-1].replies] if self.turns else []

    @property
    def buttons(self) -> list[str]:
        return list(self.turns[-1].replies[-1].buttons) if self.turns and self.turns[-1].replies else []

    @property
    def said(self) -> str:
        return "\n".join(self.replies)

    @property
    def screening(self):
        return self.conversation.screening if self.conversation else None

    def record(self) -> dict:
        return build_record(self.trial, self.screening)

    def open(self, role: str = "patient") -> Chat:
        for text in OPENINGS[role]:
            self.send(text)
        return self

    def answer_all(self, answers: list, max_turns: int = 60) -> Chat:
        """Answer each question from a script (keys: words of the question) until the end."""
        for _ in range(max_turns):
            if self.conversation.stage == "ended":
                return self
            answer = reply_for(self.replies, answers)
            assert answer is not None, f"no scripted answer for: {self.replies[-1:]}"
            self.send(answer)
        raise AssertionError("the conversation did not end")

    def answer_until(self, words: str, answers: list, max_turns: int = 60) -> Chat:
        """Answer from a script until the assistant's last turn mentions ``words``."""
        for _ in range(max_turns):
            if words.lower() in self.said.lower():
                return self
            assert self.conversation.stage != "ended", f"ended before {words!r}"
            answer = reply_for(self.replies, answers)
            assert answer is not None, f"no scripted answer for: {self.replies[-1:]}"
            self.send(answer)
        raise AssertionError(f"never asked about {words!r}")
