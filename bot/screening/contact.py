"""Contact details for the study team's call-back, asked at the end or whenever a person asks for one.

One question asks for everything ("Zhang Min, 138 0013 8000, mornings"); only
what is still missing is asked again, once each, so the person is never
stuck in a loop. A phone number or e-mail given with any answer counts as
consent to be contacted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing.contact import parse_email, parse_name, parse_phone, parse_preferred_time
from bot.parsing.yes_no import parse_yes_no
from bot.parsing.zh import alternatives as zh_alternatives
from bot.screening.answers import Applied
from bot.screening.say import say
from bot.screening.state import Contact, ScreeningState

CONSENT, DETAILS, NAME, METHOD, TIME = (
    "contact_consent",
    "contact_details",
    "contact_name",
    "contact_method",
    "contact_time",
)
CONTACT_STEPS = (CONSENT, DETAILS, NAME, METHOD, TIME)
_SPLIT = re.compile(r"[,;，；、\n]+|\s+/\s+")
_NAME_FILLER = re.compile(
    r"^\s*(?:my name is|name is|name:|i'?m|i am|this is|it'?s|call me|ask for|"
    + zh_alternatives("contact", "name_prefixes")
    + "|"
    + zh_alternatives("contact", "name_fillers")
    + "|(?:"
    + zh_alternatives("contact", "name_labels")
    + r")[:：]?)\s*",
    re.I,
)
_SHORT_DAYS = {"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
# "yes please: Sun Lei", "ok - Li Wei", "好的，王芳": the reply before the name is not part of it.
_LEADING_REPLY = re.compile(
    r"^\s*(?:(?:yes|yeah|yep|ok|okay|sure|fine|please|of course|go ahead|no problem|"
    + zh_alternatives("contact", "name_replies")
    + r")(?:\s+please)?\s*[:：,，.\-–—!！]*\s*)+",
    re.I,
)


@dataclass(frozen=True)
class Details:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    preferred_time: str | None = None

    @property
    def any(self) -> bool:
        return any((self.name, self.phone, self.email, self.preferred_time))


def read_details(text: str, region: str = "") -> Details:
    """Name, phone or e-mail and a preferred time from one free-text message; a phone
    number without a country code is read in ``region`` (the trial's ``phone_region``)."""
    phone, email = (parse_phone(text, region) if region else parse_phone(text)), parse_email(text)
    rest = text
    for parsed in (phone, email):
        if not parsed.unclear and parsed.span:
            rest = rest.replace(parsed.span, " , ")
    name, when = None, None
    for chunk in (c.strip(" .!。！") for c in _SPLIT.split(rest)):
        if not chunk:
            continue
        timing = parse_preferred_time(chunk)
        # "Sun Lei" is a name, not Sunday: a day's short form alone does not make a time.
        slots = [slot for slot in timing.extra.get("slots") or [] if str(slot).lower() not in _SHORT_DAYS]
        if not timing.unclear and slots:
            when = when or timing.value
            continue
        candidate = _NAME_FILLER.sub("", _LEADING_REPLY.sub("", chunk))
        if name is None and candidate and not _is_reply_word(candidate):
            parsed = parse_name(candidate)
            if not parsed.unclear:
                name = parsed.value
    return Details(
        name=name,
        phone=None if phone.unclear else phone.value,
        email=None if email.unclear else email.value,
        preferred_time=when,
    )


def _is_reply_word(text: str) -> bool:
    """'yes', 'ok', 'go ahead and ring me', 'my number is', '不用了' are replies, not names."""
    from bot.dialogue.understanding import matched

    if len(text) < 2 or matched(text, "not_a_name") or matched(text, "contact_yes") or matched(text, "contact_no"):
        return True
    return not parse_yes_no(text).unclear


def consent_answer(text: str, region: str = "") -> bool | None:
    """Yes / no to being contacted; free forms count ("go ahead and ring me", "please do")."""
    from bot.dialogue.understanding import leaning

    details = read_details(text, region)
    if details.phone or details.email:
        return True  # giving a number is agreeing to be called on it
    leans = leaning(text, "contact_yes", "contact_no")  # whole words, the longest phrase wins
    if leans is not None:
        return leans
    answer = parse_yes_no(text)
    if answer.unclear or answer.value == "unknown":
        return None
    return answer.value == "yes" and answer.confidence >= 0.5


def next_contact_step(contact: Contact, attempts: dict) -> str | None:
    """The next contact question, or None when there is nothing (more) to ask."""
    if contact.consented is None:
        return CONSENT
    if not contact.consented:
        return None
    if not (contact.name or contact.reachable) and not attempts.get(DETAILS):
        return DETAILS
    if not contact.name and not attempts.get(NAME):
        return NAME
    if not contact.reachable and attempts.get(METHOD, 0) < 2:
        return METHOD
    if not contact.preferred_time and not attempts.get(TIME):
        return TIME
    return None


def apply_contact(state: ScreeningState, step_id: str, text: str, region: str = "") -> Applied:
    """Take the answer to a contact question; returns a new state. ``region``: the
    trial's phone region, for a number typed without a country code."""
    state = state.copy()
    contact = state.contact
    attempts = state.attempts
    attempts[step_id] = attempts.get(step_id, 0) + 1
    if step_id == CONSENT:
        agreed = consent_answer(text, region)
        if agreed is None:
            if attempts[step_id] < 2:
                return Applied(state, [say("contact_consent_reask")], reasked=True)
            agreed = False  # never loop; staff still have the transcript
        contact.consented = agreed
    _take_details(contact, read_details(text, region), step_id, text)
    if step_id == METHOD and not contact.reachable and attempts[step_id] < 2:
        return Applied(state, [say("contact_method_hint")], reasked=True)
    return Applied(state)


def _take_details(contact: Contact, details: Details, step_id: str, text: str = "") -> None:
    if not contact.consented:
        return
    contact.name = contact.name or details.name
    contact.phone = contact.phone or details.phone
    contact.email = contact.email or details.email
    contact.preferred_time = contact.preferred_time or details.preferred_time
    if step_id == TIME and not contact.preferred_time:
        # A time nobody could read ("mornigns") is kept as typed: staff read it.
        typed = " ".join(text.split())[:200]
        contact.preferred_time = typed if typed and not _is_reply_word(typed) else "any time"
