"""Personas as data: who each person is, how they answer, and what the registry text says
should come of it.

A persona file (tests/personas/*.yaml) holds ``personas:`` (a list) and optionally
``defaults:`` (answers its personas share, used after their own). ``common.yaml``
holds answers every persona falls back to, per role (the confirmation prompts,
"are you the patient yourself?", the contact questions). One persona::

    - name: pat-osteo-45m-plain          # unique, also the REST sender id's stem
      role: patient                      # who is typing: patient | caregiver | physician
      about: 45-year-old man, ...        # one line for the report
      facts: {age: 45, sex: male, diagnosis: ..., prior_tki: ..., contact: {...}, ...}
      opening: ["hi"]                    # said first, whatever the assistant says
      answers:                           # words of the question -> reply ("a|b": either)
        how old: "I'm 45"
        a sarcoma: ["not sure", "yes, osteosarcoma"]   # a list: the next one each time it is asked
      interject:                         # said once, instead of an answer, when the trigger fires
        - {before: how old, say: why do you ask?}
        - {after: how old, say: "sorry, I meant 54"}
        - {at: 6, say: how much does it cost?}
        - {after_end: true, say: delete my data}
      expect:
        outcome: likely_eligible         # from the registry text
        because: Inclusion 1-6 met, no exclusion named
        contact: phone                   # the phone (or email) must reach staff
        max_messages: 22

A reply is a string, or ``{say: TEXT, intent: NAME, confidence: 0.9}`` to hand the
in-process transport an NLU guess. Replies may use ``{name}``, ``{phone}``,
``{email}``, ``{time}`` (facts.contact) and ``{days_ago:N}`` / ``{months_ago:N}``
(a date N days / a month-and-year N months before today).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

ROLES = ("patient", "caregiver", "physician")
OUTCOMES = ("likely_eligible", "needs_review", "not_eligible", "declined", "incomplete", "deleted")
REQUIRED_FACTS = ("respondent", "age", "sex", "diagnosis", "prior_tki", "contact")
PERSONA_KEYS = {"name", "role", "about", "facts", "opening", "answers", "interject", "expect", "fallback", "tags"}
EXPECT_KEYS = {
    "outcome",
    "because",
    "knocked_out",
    "contact",
    "callback",
    "values",
    "verdicts",
    "role",
    "deleted",
    "max_messages",
    "max_from_summary",
    "never_said",
    "said",
}
INTERJECT_TRIGGERS = ("before", "after", "at", "after_end")
DEFAULT_FALLBACK = "sorry, I'm not sure what you mean"
NOT_PERSONAS = ("common.yaml", "known_failures.yaml")  # the folder's other files


class PersonaError(ValueError):
    """A persona file that does not follow the format (names the file and the persona)."""


@dataclass(frozen=True)
class Say:
    text: str
    intent: str | None = None
    confidence: float = 0.0


@dataclass
class Interjection:
    trigger: str  # before | after | at | after_end
    value: object  # words of the question, a message number, or True
    say: Say


@dataclass
class Persona:
    name: str
    role: str
    about: str
    facts: dict
    opening: list
    answers: list  # [(alternatives, [Say, ...])], the persona's own first, then its file's, then common
    interject: list
    expect: dict
    fallback: Say
    tags: list = field(default_factory=list)
    source: str = ""
    own: int = 0  # how many of ``answers`` are the persona's own (the rest: its file's and the common ones)

    @property
    def contact(self) -> dict:
        return self.facts.get("contact") or {}

    @property
    def wants_contact(self) -> bool:
        return bool(self.contact.get("consents"))

    @property
    def outcome(self) -> str:
        return self.expect["outcome"]

    @property
    def group(self) -> str:
        """The role for the figures, caregivers of minors apart."""
        if self.role == "caregiver" and isinstance(self.facts.get("age"), int) and self.facts["age"] < 18:
            return "caregiver_minor"
        return self.role


def fill(text: str, persona_facts: dict, today: date) -> str:
    """Replace {name}, {phone}, {email}, {time}, {days_ago:N}, {months_ago:N} in a reply."""
    contact = persona_facts.get("contact") or {}

    def one(match: re.Match) -> str:
        key, _, arg = match.group(1).partition(":")
        if key == "days_ago":
            return (today - timedelta(days=int(arg))).isoformat()
        if key == "months_ago":
            month_index = today.year * 12 + today.month - 1 - int(arg)
            return date(month_index // 12, month_index % 12 + 1, 1).strftime("%B %Y")
        if key in contact and contact[key] is not None:
            return str(contact[key])
        raise PersonaError(f"unknown placeholder {{{match.group(1)}}} in {text!r}")

    return re.sub(r"\{([a-z_]+(?::-?\d+)?)\}", one, text)


def _say(value, where: str) -> Say:
    if isinstance(value, bool):  # YAML reads an unquoted yes / no as a boolean
        return Say("yes" if value else "no")
    if isinstance(value, (str, int, float)):
        return Say(str(value))
    if isinstance(value, dict) and "say" in value and set(value) <= {"say", "intent", "confidence"}:
        return Say(
            str(value["say"]), value.get("intent"), float(value.get("confidence", 0.9 if value.get("intent") else 0))
        )
    raise PersonaError(f"{where}: a reply is a string or {{say, intent, confidence}}, not {value!r}")


def _answers(mapping, where: str) -> list:
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        raise PersonaError(f"{where}: answers must be a mapping from words of the question to replies")
    parsed = []
    for key, value in mapping.items():
        alternatives = tuple(part.strip().lower() for part in str(key).split("|") if part.strip())
        if not alternatives:
            raise PersonaError(f"{where}: an empty answers key")
        values = value if isinstance(value, list) else [value]
        if not values:
            raise PersonaError(f"{where}: no reply for {key!r}")
        parsed.append((alternatives, [_say(v, f"{where} [{key}]") for v in values]))
    return parsed


def _interjections(items, where: str) -> list:
    result = []
    for item in items or []:
        if not isinstance(item, dict) or "say" not in item:
            raise PersonaError(f"{where}: each interjection has 'say' and one trigger {INTERJECT_TRIGGERS}")
        triggers = [t for t in INTERJECT_TRIGGERS if t in item]
        extra = set(item) - set(INTERJECT_TRIGGERS) - {"say", "intent", "confidence"}
        if len(triggers) != 1 or extra:
            raise PersonaError(f"{where}: interjection {item!r} needs exactly one trigger of {INTERJECT_TRIGGERS}")
        trigger = triggers[0]
        value = item[trigger]
        if trigger in ("before", "after"):
            value = tuple(part.strip().lower() for part in str(value).split("|"))
        elif trigger == "at" and not (isinstance(value, int) and value >= 1):
            raise PersonaError(f"{where}: 'at' is the persona's message number (1 = the first)")
        say = _say({k: item[k] for k in ("say", "intent", "confidence") if k in item}, where)
        result.append(Interjection(trigger, value, say))
    return result


def _check(raw: dict, where: str) -> None:
    unknown = set(raw) - PERSONA_KEYS
    if unknown:
        raise PersonaError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "role", "facts", "expect", "answers"):
        if key not in raw:
            raise PersonaError(f"{where}: missing {key!r}")
    if raw["role"] not in ROLES:
        raise PersonaError(f"{where}: role must be one of {ROLES}")
    missing = [k for k in REQUIRED_FACTS if k not in raw["facts"]]
    if missing:
        raise PersonaError(f"{where}: facts lack {missing}")
    if raw["role"] == "physician" and "labs" not in raw["facts"]:
        raise PersonaError(f"{where}: a physician's facts include labs (an empty mapping if none are known)")
    expect = raw["expect"]
    if set(expect) - EXPECT_KEYS:
        raise PersonaError(f"{where}: unknown expect keys {sorted(set(expect) - EXPECT_KEYS)}")
    if expect.get("outcome") not in OUTCOMES:
        raise PersonaError(f"{where}: expect.outcome must be one of {OUTCOMES}")
    if not expect.get("because"):
        raise PersonaError(f"{where}: expect.because says which registry text decides the outcome")
    if expect["outcome"] == "not_eligible" and not expect.get("knocked_out"):
        raise PersonaError(f"{where}: a not_eligible persona names the criterion (expect.knocked_out)")
    if expect.get("contact") not in (None, "phone", "email", "none"):
        raise PersonaError(f"{where}: expect.contact is phone, email or none")


def load_personas(folder: Path) -> list[Persona]:
    """Every persona under ``folder``, with its file's and the common answers after its own."""
    folder = Path(folder)
    common_path = folder / "common.yaml"
    common = yaml.safe_load(common_path.read_text(encoding="utf-8")) if common_path.exists() else {}
    sections = common.get("answers") or {}
    by_role = {role: _answers(sections.get(role), f"common.yaml [{role}]") for role in ROLES}
    by_contact = {
        wants: _answers(sections.get(f"contact_{wants}"), f"common.yaml [contact_{wants}]") for wants in ("yes", "no")
    }
    shared = _answers(sections.get("all"), "common.yaml [all]")
    fallback = _say(common.get("fallback", DEFAULT_FALLBACK), "common.yaml fallback")
    personas, names = [], set()
    for path in sorted(folder.glob("*.yaml")):
        if path.name in NOT_PERSONAS:
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise PersonaError(f"{path.name}: not valid YAML: {error}") from None
        defaults = _answers((data.get("defaults") or {}).get("answers"), f"{path.name} defaults")
        for index, raw in enumerate(data.get("personas") or []):
            where = f"{path.name} persona {index + 1} ({raw.get('name', '?')})"
            _check(raw, where)
            if raw["name"] in names:
                raise PersonaError(f"{where}: the name is used twice")
            names.add(raw["name"])
            own = _answers(raw["answers"], where)
            personas.append(
                Persona(
                    name=raw["name"],
                    role=raw["role"],
                    about=raw.get("about", ""),
                    facts=raw["facts"],
                    opening=[_say(v, where + " opening") for v in raw.get("opening") or ["hi"]],
                    answers=own
                    + defaults
                    + by_contact["yes" if (raw["facts"]["contact"] or {}).get("consents") else "no"]
                    + by_role[raw["role"]]
                    + shared,
                    interject=_interjections(raw.get("interject"), where),
                    expect=raw["expect"],
                    fallback=_say(raw["fallback"], where) if "fallback" in raw else fallback,
                    tags=list(raw.get("tags") or []),
                    source=path.name,
                    own=len(own),
                )
            )
    return personas
