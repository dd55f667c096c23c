"""What comes in (a person's message, with whatever the NLU made of it) and what goes out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    """One message from the person.

    ``intent`` and ``confidence`` come from any intent classifier (Rasa's DIET
    today); the dialogue never trusts them alone for anything destructive.
    ``language`` is the language the chat page asked for, if it asked.
    """

    text: str
    intent: str | None = None
    confidence: float = 0.0
    entities: tuple = ()
    language: str | None = None
    # A destructive request the person already confirmed outside the chat (the chat
    # page's own "Yes, delete my data" button): no second question.
    confirmed: str | None = None

    def entity(self, name: str) -> str | None:
        for entity in self.entities:
            if entity.get("entity") == name and entity.get("value"):
                return str(entity["value"])
        return None


@dataclass(frozen=True)
class Reply:
    """One message to the person: text, optional quick-answer buttons."""

    text: str
    buttons: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": list(self.buttons)}


@dataclass
class Effects:
    """What the turn asks its host to do besides replying."""

    save: bool = False  # the screening changed: save it (one write per turn)
    save_also: Any = None  # an abandoned screening ("start over") to save as it ends
    erase: bool = False  # the person confirmed "delete my data"
    notify: str | None = None  # screening id: tell staff (likely eligible / needs review)
