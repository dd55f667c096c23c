"""Who is answering: the patient, someone answering for them, or a doctor.

The patterns are data (bot/data/roles.yaml); this module only applies them.
A role read from an explicit statement settles it; a hint ("my son has ...")
is a proposal the dialogue asks the person to confirm.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROLES_FILE = Path(__file__).parent / "data" / "roles.yaml"
ROLE_ORDER = ("physician", "caregiver", "patient")


@dataclass(frozen=True)
class RoleReading:
    role: str | None
    explicit: bool = False


@functools.lru_cache(maxsize=1)
def _patterns() -> dict:
    with open(ROLES_FILE, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    compiled: dict = {}
    for section, by_key in data.items():
        compiled[section] = {
            key: [re.compile(p, re.I) for patterns in by_language.values() for p in patterns]
            for key, by_language in by_key.items()
        }
    return compiled


def _matches(section: str, key: str, text: str) -> bool:
    return any(p.search(text) for p in _patterns()[section].get(key, []))


def read_role(text: str | None, entity: str | None = None) -> RoleReading:
    """The role the text states (explicit) or suggests (hint); role None when neither."""
    text = " ".join((text or "").split())
    explicit = [role for role in ROLE_ORDER if _matches("explicit", role, text)]
    if len(explicit) == 1:
        return RoleReading(explicit[0], explicit=True)
    if len(explicit) > 1:
        # "I'm her mother, her doctor said ...": a stated relation beats a mention; ask.
        return RoleReading(explicit[0], explicit=False)
    hinted = [role for role in ROLE_ORDER if _matches("hint", role, text)]
    if hinted:
        return RoleReading(hinted[0], explicit=False)
    if entity in ROLE_ORDER:
        return RoleReading(entity, explicit=False)
    return RoleReading(None)


def parse_role(text: str | None, entity: str | None = None) -> str | None:
    """The role named or suggested in the text; None when it is not clear."""
    return read_role(text, entity).role


def patient_sex(text: str | None) -> str | None:
    """The patient's sex when the text says who the patient is ("my son", "I'm her mother")."""
    text = " ".join((text or "").split())
    found = [sex for sex in ("male", "female") if _matches("patient_sex", sex, text)]
    return found[0] if len(found) == 1 else None


def says_parent(text: str | None) -> bool:
    """The text says the speaker is the patient's parent or guardian ("my son", 我是他妈妈)."""
    return _matches("parent_of_patient", "parent", " ".join((text or "").split()))
