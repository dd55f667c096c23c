"""The conversation's state: where the dialogue is, in which language, and the screening.

Stages, in order: ``start`` (nothing said yet) -> ``role`` (who is answering)
-> ``role_check`` (a role read from free text, to be confirmed) -> ``consent``
-> ``screening`` (the criteria questions) -> ``contact`` (contact details at
the end) -> ``ended``. A pending confirmation (delete, stop, start over) can
interrupt any stage; a call-back request collects contact details in the
middle of the screening and then returns to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from bot.screening.state import ScreeningState, plain_copy
from bot.texts import DEFAULT_LANGUAGE

START, ROLE, ROLE_CHECK, CONSENT, SCREENING, CONTACT, ENDED = (
    "start",
    "role",
    "role_check",
    "consent",
    "screening",
    "contact",
    "ended",
)
STAGES = (START, ROLE, ROLE_CHECK, CONSENT, SCREENING, CONTACT, ENDED)
CONFIRMABLE = ("delete", "stop", "restart")
VERSION = 1
# Earlier messages kept to answer "I told you" (only until consent is refused or data deleted).
MAX_REMEMBERED = 12


@dataclass
class Conversation:
    conversation_id: str
    trial_id: str
    language: str = DEFAULT_LANGUAGE
    language_fixed: bool = False  # chosen by the person or the page, or set by the first message
    stage: str = START
    role: str | None = None
    proposed_role: str | None = None
    confirm: str | None = None  # a destructive action waiting for an explicit yes
    callback_pending: bool = False  # contact details asked mid-screening ("talk to a person")
    remembered: list = field(default_factory=list)  # the person's earlier messages, newest last
    screening: ScreeningState | None = None
    ended: str | None = None  # finished | stopped | declined | deleted | restarted

    @classmethod
    def new(cls, conversation_id: str, trial_id: str, language: str | None = None) -> Conversation:
        conversation = cls(conversation_id=conversation_id, trial_id=trial_id)
        if language:
            conversation.language, conversation.language_fixed = language, True
        return conversation

    def copy(self) -> Conversation:
        values = {f.name: plain_copy(getattr(self, f.name)) for f in fields(self) if f.name != "screening"}
        return Conversation(**values, screening=self.screening.copy() if self.screening else None)

    def remember(self, text: str) -> None:
        if text.strip():
            self.remembered = (self.remembered + [text])[-MAX_REMEMBERED:]

    def to_dict(self) -> dict:
        # asdict would convert the screening too, only to be replaced: copy the rest alone.
        data = {f.name: plain_copy(getattr(self, f.name)) for f in fields(self) if f.name != "screening"}
        data["screening"] = self.screening.to_dict() if self.screening else None
        data["kind"], data["v"] = "conversation", VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Conversation:
        if data.get("kind") != "conversation":
            return cls._from_screening_only(data)
        known = {f.name for f in fields(cls)}
        # The screening is copied by ScreeningState.from_dict: copying it here too doubled the cost.
        values = {k: plain_copy(v) for k, v in data.items() if k in known and k != "screening"}
        if data.get("screening"):
            values["screening"] = ScreeningState.from_dict(data["screening"])
        return cls(**values)

    @classmethod
    def _from_screening_only(cls, data: dict) -> Conversation:
        """A state saved before conversations had their own state (a bare screening)."""
        screening = ScreeningState.from_dict(data)
        stage = {"criteria": SCREENING, "contact": CONTACT}.get(screening.phase, ENDED)
        return cls(
            conversation_id=screening.conversation_id,
            trial_id=screening.trial_id,
            language=screening.language,
            language_fixed=True,
            stage=stage,
            role=screening.role,
            screening=screening,
            ended=None if stage != ENDED else "finished",
        )
