"""Who is answering: the patient, someone answering for them, or a doctor."""

from __future__ import annotations

import re

ROLE_WORDS = {
    "physician": r"doctor|physician|oncologist|surgeon|clinician|\bdr\b|consultant|registrar|resident|"
    r"\bgp\b|referr|nurse|medic\b|\bmd\b|医生|my patient|a patient of mine",
    "caregiver": r"parent|mother|father|\bmum\b|\bmom\b|\bdad\b|\bma\b|son\b|daughter|wife|husband|partner|"
    r"brother|sister|grand|uncle|aunt|relative|carer|caregiver|guardian|family|friend|"
    r"on behalf|for my|for him|for her|child|kid|家属",
    "patient": r"patient|myself|\bme\b|\bmine\b|for me|i am the|i'm the|my own|本人|患者",
}
_COMPILED = {role: re.compile(words, re.I) for role, words in ROLE_WORDS.items()}


def parse_role(text: str | None, entity: str | None = None) -> str | None:
    """The role named in an entity or the text; None when it is not clear."""
    if entity in ROLE_WORDS:
        return entity
    text = text or ""
    # Doctors and relatives often also say "patient" ("my patient", "the patient is my son").
    for role in ("physician", "caregiver", "patient"):
        if _COMPILED[role].search(text):
            return role
    return None
