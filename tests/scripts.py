"""Scripted answers for whole conversations, keyed by words of the question they answer."""

from __future__ import annotations

PATIENT_ANSWERS = [
    ("how old", "I'm 45"),
    ("a sarcoma", "yes, osteosarcoma that spread to my lungs"),
    ("apatinib", "yes I took anlotinib for 8 months"),
    ("grow again", "yes it grew again"),
    ("cancer treatment", "no"),
    ("planned", "no"),
    ("other cancer", "no"),
    ("usual day", "Fully active, no restrictions"),
    ("heart attack", "never"),
    ("serious bleeding", "no"),
    ("blood clot", "no"),
    ("blood thinners", "no"),
    ("high blood pressure", "no"),
    ("serious infection", "no"),
    ("fever", "no"),
    ("steroid", "no"),
    ("hiv", "no"),
    ("allergic", "no"),
    ("side effects", "no"),
    ("serious health problem", "no"),
    ("male or female", "male"),
    ("contraception", "yes"),
    ("consent form", "yes"),
    ("transfusion", "no"),
    ("like the study team to contact", "yes"),
    ("what name", "Li Wei"),
    ("phone number", "+86 138 0013 8000"),
    ("good time", "weekday mornings"),
]


# A physician after the pasted summary: the checklist, the lab panel, no contact.
PHYSICIAN_ANSWERS = [
    ("any of these apply", "none apply"),
    ("lvef", "LVEF 60%, QTcF 430 ms"),
    ("hiv status", "HIV neg, HBsAg neg, HCV Ab neg"),
    ("toxicities", "yes"),
    ("contraception", "yes"),
    ("consent and to attend", "yes"),
    ("transfusion", "no"),
    ("expected survival", "yes"),
    ("recist", "yes"),
    (
        "labs within",
        "PLT 150, Hb 110 g/L, TBIL 10 umol/L, AST 30 U/L, ALT 25 U/L, INR 1.0, "
        "PT 12 s (ULN 13), APTT 30 s (ULN 40), urine protein negative, TSH 2.1 (ULN 4.2)",
    ),
    ("like the study team to contact", "no"),
]


def reply_for(texts: list, answers: list) -> str | None:
    """The scripted answer to the last question in the bot's messages, if any."""
    question = " ".join(texts[-1:]).lower()
    for key, answer in answers:
        if key in question:
            return answer
    return None
