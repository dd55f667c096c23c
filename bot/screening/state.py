"""The screening's state: a typed object that converts to and from the stored dict.

Everything the screening knows lives here: the facts gathered (each a plain
JSON record with the verbatim answer, the parsed value and its evidence),
which steps were answered, the verdicts of the last scoring and the contact
details. It is saved whole in the lead store after every turn, so any
action-server replica can continue any conversation.

Fact records are plain dicts because rules and parsers read them as such::

    {"value": ..., "answer": "verbatim text", "span": "evidence", "confidence": 0.9,
     "note": "", "unclear": False, "step": "age", "source": "answer", "at": "ISO 8601"}
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any

from bot.parsing.types import Parsed

STATE_VERSION = 2
# Phases of a screening: asking criteria, asking contact details, then an end.
CRITERIA, CONTACT, DONE, STOPPED, DECLINED = "criteria", "contact", "done", "stopped", "declined"
PHASES = (CRITERIA, CONTACT, DONE, STOPPED, DECLINED)
LANGUAGES = ("en", "zh")


_ATOMS = (str, int, float, bool, type(None))


def plain_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, strings, numbers), several
    times cheaper than copy.deepcopy, which the state paid on every turn;
    anything else is deep-copied."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict:
        return {k: plain_copy(v) for k, v in value.items()}
    if kind is list:
        return [plain_copy(v) for v in value]
    if kind is tuple:
        return tuple(plain_copy(v) for v in value)
    return copy.deepcopy(value)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Contact:
    """How the study team may reach the person; kept only with their consent."""

    consented: bool | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    preferred_time: str | None = None
    callback_requested: bool = False

    @property
    def reachable(self) -> bool:
        return bool(self.phone or self.email)

    @classmethod
    def from_dict(cls, data: dict | None) -> Contact:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass
class ScreeningState:
    """One person's screening for one trial. ``to_dict``/``from_dict`` give the stored form."""

    screening_id: str
    conversation_id: str
    trial_id: str
    role: str = "patient"
    language: str = "en"
    consented: bool = True
    started_at: str = field(default_factory=now_iso)
    completed_at: str | None = None
    phase: str = CRITERIA
    facts: dict = field(default_factory=dict)
    answered: list = field(default_factory=list)
    attempts: dict = field(default_factory=dict)
    asked_text: dict = field(default_factory=dict)
    current: str | None = None
    verdicts: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)
    knocked_out: str | None = None
    contact: Contact = field(default_factory=Contact)
    # The members a group question listed when it was asked, by group step id.
    group_members: dict = field(default_factory=dict)
    # "Question N of about M": M only ever shrinks (a progress bar that grows discourages).
    question_number: int = 0
    progress_total: int | None = None
    rev: str | None = None

    @classmethod
    def new(
        cls, trial_id: str, conversation_id: str, role: str, *, language: str = "en", consented: bool = True
    ) -> ScreeningState:
        return cls(
            screening_id=uuid.uuid4().hex,
            conversation_id=conversation_id,
            trial_id=trial_id,
            role=role,
            language=language,
            consented=consented,
            phase=CRITERIA if consented else DECLINED,
        )

    def copy(self) -> ScreeningState:
        values = {f.name: plain_copy(getattr(self, f.name)) for f in fields(self) if f.name != "contact"}
        return ScreeningState(**values, contact=replace(self.contact))

    # ------------------------------------------------------------ stored form
    def to_dict(self) -> dict:
        data = {f.name: plain_copy(getattr(self, f.name)) for f in fields(self) if f.name != "contact"}
        data["contact"] = asdict(self.contact)
        data["v"] = STATE_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ScreeningState:
        """Read a stored state (this version or the first one, which had no language)."""
        version = data.get("v", 1)
        if version > STATE_VERSION:
            raise ValueError(f"screening state version {version} is newer than this code ({STATE_VERSION})")
        known = {f.name for f in fields(cls)}
        values = {k: plain_copy(v) for k, v in data.items() if k in known and k != "contact"}
        values["contact"] = Contact.from_dict(data.get("contact"))
        values.setdefault("language", "en")
        return cls(**values)

    # ------------------------------------------------------------ facts
    def fact(self, name: str) -> dict | None:
        return self.facts.get(name)

    def put_fact(self, name: str, parsed: Parsed, answer: str, step_id: str, source: str = "answer") -> None:
        self.facts[name] = fact_record(parsed, answer, step_id, source)

    def mark_answered(self, step_id: str) -> None:
        if step_id not in self.answered:
            self.answered.append(step_id)

    @property
    def finished(self) -> bool:
        """All criteria scored (or a knock-out), whatever happens with the contact details."""
        return self.completed_at is not None


def fact_record(parsed: Parsed, answer: str, step_id: str, source: str) -> dict[str, Any]:
    return {
        "value": parsed.value,
        "answer": answer,
        "span": parsed.span,
        "confidence": parsed.confidence,
        "note": parsed.note,
        "unclear": parsed.unclear,
        "step": step_id,
        "source": source,
        "at": now_iso(),
    }
