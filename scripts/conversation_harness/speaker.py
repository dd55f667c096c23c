"""The persona's side of a conversation: what it says next, given what the assistant just said.

Order: its opening lines; then an interjection whose trigger fires (once each);
then the answer whose words appear in the assistant's last message (its own
answers first, then its file's, then the common ones); then its fallback, noted
as unscripted. After the end it only says its ``after_end`` interjections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from conversation_harness.personas import Interjection, Persona, Say, fill

# What a question looks like once the assistant's framing is taken off.
_FRAME = re.compile(r"^(question \d+ of about \d+:|to carry on:)\s*", re.IGNORECASE)


def asked(text: str) -> str:
    """The words a persona's answer keys are matched against: the question without the
    listed items of a group question ("- in the last 6 months: a heart attack ...")."""
    return "\n".join(line for line in text.lower().splitlines() if not line.lstrip().startswith("- "))


def question_key(text: str) -> str:
    """The question without "Question 3 of about 14:" / "To carry on:", to spot a repeat."""
    return _FRAME.sub("", text.strip().lower())[:160]


@dataclass
class Speaker:
    persona: Persona
    today: date
    sent: int = 0
    used: dict = field(default_factory=dict)  # answers index -> times used
    fired: set = field(default_factory=set)  # interjection indexes
    answered: str | None = None  # the question the last message answered (None: it was not an answer)
    unscripted: list = field(default_factory=list)  # questions the persona had no answer for
    opening_left: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.opening_left = list(self.persona.opening)

    def _out(self, say: Say, answered: str | None = None) -> Say:
        self.sent += 1
        self.answered = answered
        return Say(fill(say.text, self.persona.facts, self.today), say.intent, say.confidence)

    def next_message(self, replies: list[str], ended: bool) -> Say | None:
        """The next message, or None when the persona has nothing more to say."""
        if self.opening_left:
            return self._out(self.opening_left.pop(0))
        last = asked(replies[-1] if replies else "")
        for index, item in enumerate(self.persona.interject):
            if index in self.fired or ended != (item.trigger == "after_end"):
                continue
            if self._fires(item, last):
                self.fired.add(index)
                return self._out(item.say)
        if ended:
            return None
        for index, (alternatives, values) in enumerate(self.persona.answers):
            if any(words in last for words in alternatives):
                times = self.used.get(index, 0)
                self.used[index] = times + 1
                return self._out(values[min(times, len(values) - 1)], answered=last)
        self.unscripted.append(replies[-1] if replies else "")
        return self._out(self.persona.fallback)

    def _fires(self, item: Interjection, last: str) -> bool:
        if item.trigger == "at":
            return self.sent + 1 == item.value
        if item.trigger == "before":
            return any(words in last for words in item.value)
        if item.trigger == "after":
            return self.answered is not None and any(words in self.answered for words in item.value)
        return True  # after_end: the caller only asks once the conversation has ended
