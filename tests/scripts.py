"""Scripted answers for whole conversations, keyed by words of the question they answer."""

from __future__ import annotations

PATIENT_ANSWERS = [
    ("how old", "I'm 45"),
    ("a sarcoma", "yes, osteosarcoma that spread to my lungs"),
    ("apatinib", "yes I took anlotinib for 8 months"),
    ("grow again", "yes it grew again"),
    ("other cancer", "no"),
    ("usual day", "Fully active, no restrictions"),
    ("high blood pressure", "no"),
    ("male or female", "male"),
    ("contraception", "yes"),
    ("consent form", "yes"),
    ("transfusion", "no"),
    # Group questions ("Have you had any of these? ... or say 'none of these'").
    ("none of these", "none of these"),
    ("like the study team to contact", "Li Wei, +86 138 0013 8000, weekday mornings"),
    ("what name", "Li Wei"),
    ("phone number", "+86 138 0013 8000"),
    ("good time", "weekday mornings"),
    # Asked one by one when a group answer leaves them open.
    ("cancer treatment", "no"),
    ("planned", "no"),
    ("heart attack", "never"),
    ("serious bleeding", "no"),
    ("blood clot", "no"),
    ("blood thinners", "no"),
    ("serious infection", "no"),
    ("fever", "no"),
    ("steroid", "no"),
    ("hiv", "no"),
    ("allergic", "no"),
    ("side effects", "no"),
    ("serious health problem", "no"),
]


# A physician after the pasted summary: the exclusion checklist, then everything
# still missing in one message, then no contact.
PHYSICIAN_ANSWERS = [
    ("exclusion check", "none apply"),
    (
        "still needed",
        "RECIST yes, survival > 3 months, tox resolved, willing to attend, contraception yes, no transfusion, "
        "LVEF 60%, QTcF 430 ms, HIV neg, HBsAg neg, HCV Ab neg, PLT 150, Hb 110 g/L, TBIL 10 umol/L, "
        "AST 30 U/L, ALT 25 U/L, INR 1.0, PT 12 s (ULN 13), APTT 30 s (ULN 40), urine protein negative, "
        "TSH 2.1 (ULN 4.2)",
    ),
    ("lvef", "LVEF 60%, QTcF 430 ms"),
    ("hiv status", "HIV neg, HBsAg neg, HCV Ab neg"),
    ("toxicities", "yes"),
    ("contraception", "yes"),
    ("consent and to attend", "yes"),
    ("transfusion", "no"),
    ("expected survival", "yes"),
    ("recist", "yes"),
    ("labs within", "PLT 150, Hb 110 g/L, TBIL 10 umol/L, AST 30 U/L, ALT 25 U/L, INR 1.0"),
    ("like the study team to contact", "no"),
]


# What the assistant says only when a conversation is over (the closing message,
# or any message after it): a script has nothing left to answer.
ENDED = ("your reference number is", "this check is finished", "预筛编号是", "本次预筛已经结束")


def ended(texts: list) -> bool:
    return any(marker in text.lower() for text in texts for marker in ENDED)


def reply_for(texts: list, answers: list) -> str | None:
    """The scripted answer to the last question in the bot's messages; None once it is over."""
    if ended(texts):
        return None
    question = " ".join(texts[-1:]).lower()
    for key, answer in answers:
        if key in question:
            return answer
    return None
