"""Contact details for the study team's call-back: phone, e-mail, name and
preferred time. Validation uses phonenumbers and email-validator (no network:
deliverability is not checked). Markup and code-like input are refused,
never stored half-cleaned.
"""

from __future__ import annotations

import re
import unicodedata

from bot.parsing.nlp import guard, lower
from bot.parsing.types import Parsed, unclear
from bot.parsing.zh import alternatives as zh_alternatives

_MARKUP = re.compile(
    r"<[^>]*>|</|/>|javascript:|&#|&lt;|\{\{|\$\{|;\s*--|\bdrop\s+table\b|\bselect\s+.*\bfrom\b"
    r"|\binsert\s+into\b|\bunion\s+select\b",
    re.I,
)


@guard("phone")
def parse_phone(text: str, region: str = "CN") -> Parsed:
    """A valid phone number. value: E.164 string ("+8613800138000")."""
    import phonenumbers

    region = (region or "CN").upper()
    found = []
    try:
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            found.append((m.start, m.end, m.number))
    except Exception:  # noqa: BLE001 - odd input; fall through to the direct parse
        found = []
    if not found:
        digits = re.sub(r"[^\d+]", "", text)
        if len(re.sub(r"\D", "", digits)) < 5:
            return unclear("no phone number found")
        try:
            num = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException as exc:
            return unclear(f"not a phone number ({exc.error_type})")
        if not phonenumbers.is_valid_number(num):
            return unclear(f"not a valid phone number for region {region}: {text.strip()[:40]}")
        e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        return Parsed(
            kind="phone", value=e164, span=text.strip(), confidence=0.8, note="number read from digits in the text"
        )
    numbers = {phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164) for *_, n in found}
    start, end, num = found[0]
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    note = "" if len(numbers) == 1 else f"{len(numbers)} numbers given; used the first"
    return Parsed(
        kind="phone",
        value=e164,
        span=text[start:end],
        confidence=0.95 if not note else 0.7,
        note=note,
        start=start,
        end=end,
        extra={"type": _number_type(num), "all": sorted(numbers)},
    )


def _number_type(num) -> str:
    import phonenumbers

    t = phonenumbers.number_type(num)
    return {
        phonenumbers.PhoneNumberType.MOBILE: "mobile",
        phonenumbers.PhoneNumberType.FIXED_LINE: "fixed_line",
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    }.get(t, "other")


_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")


@guard("email")
def parse_email(text: str, today=None) -> Parsed:
    """A syntactically valid e-mail address. value: normalised address."""
    from email_validator import EmailNotValidError, validate_email

    if _MARKUP.search(text):
        return unclear("answer contains markup or code")
    m = _EMAIL_CANDIDATE.search(text)
    if not m:
        return unclear("no e-mail address found")
    candidate = m.group(0).rstrip(".!?")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        return unclear(f"not a valid e-mail address: {exc}")
    normalized = getattr(result, "normalized", None) or result.email
    return Parsed(
        kind="email", value=normalized, span=candidate, confidence=0.95, start=m.start(), end=m.start() + len(candidate)
    )


_NAME_PREFIX = re.compile(
    r"^\s*(?:hi|hello|hey)?[\s,!.]*(?:my\s+(?:full\s+)?name\s+is|my\s+name'?s|name\s*[:=]|"
    r"i\s+am\b|i'?m\b|this\s+is\b|it'?s\b|call\s+me\b|you\s+can\s+call\s+me\b|"
    + zh_alternatives("contact", "name_prefixes")
    + "|(?:"
    + zh_alternatives("contact", "name_labels")
    + r")[:：]?)\s*",
    re.I,
)
_NAME_OK = re.compile(r"^[^\W\d_]+(?:[\s'’.\-·][^\W\d_]*)*\.?$")
_REFUSALS = {
    "no",
    "none",
    "nope",
    "idk",
    "n/a",
    "na",
    "prefer not to say",
    "rather not say",
    "anonymous",
    "no thanks",
    "skip",
    "yes",
    "ok",
    "okay",
}


@guard("name")
def parse_name(text: str, today=None) -> Parsed:
    """A person's name. value: the name as typed (prefix and spaces removed)."""
    if _MARKUP.search(text) or re.search(r"[<>{}\[\]@#$%^*=|\\/();]", text):
        return unclear("a name cannot contain markup, code or symbols")
    m = _NAME_PREFIX.match(text)
    start = m.end() if m else 0
    name = text[start:].strip().strip(".!,;")
    if not name:
        return unclear("no name given")
    if lower(name) in _REFUSALS:
        return unclear("no name given")
    if re.search(r"\d", name):
        return unclear("a name cannot contain digits")
    if len(name) > 80 or len(name.split()) > 6:
        return unclear("too long for a name")
    if not _NAME_OK.match(name) or not any(unicodedata.category(c).startswith("L") for c in name):
        return unclear("does not look like a name")
    name = re.sub(r"\s+", " ", name)
    s = text.find(name[:1], start)
    return Parsed(
        kind="name",
        value=name,
        span=text[s : s + len(name)] if s >= 0 else name,
        confidence=0.9 if m or len(name.split()) > 1 else 0.8,
        start=s if s >= 0 else None,
        end=s + len(name) if s >= 0 else None,
    )


# The English words of each call-back slot; the Chinese ones are in bot/data/zh.yaml (contact.time_slots).
_SLOT_WORDS = [
    ("morning", r"\bmornings?\b|\bam\b"),
    ("afternoon", r"\bafternoons?\b"),
    ("evening", r"\bevenings?\b|\bnights?\b|\btonight\b"),
    ("weekdays", r"\bweekdays?\b"),
    ("weekends", r"\bweekends?\b"),
    ("anytime", r"\bany ?time\b|\bwhenever\b|\bany day\b"),
    ("lunchtime", r"\blunch(?:time)?\b"),
]
_SLOTS = [(slot, rx + "|" + zh_alternatives("contact", "time_slots", slot)) for slot, rx in _SLOT_WORDS]
_CLOCK_HOUR = zh_alternatives("contact", "clock_hour")
_CLOCK = re.compile(
    r"\b(?:after|before|from|between|around|at)?\s*\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|h|"
    + _CLOCK_HOUR
    + r")?(?:\s*(?:-|–|to|and)\s*\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.|h|"
    + _CLOCK_HOUR
    + r")?)?",
    re.I,
)
_DAYS = re.compile(r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day)?s?\b", re.I)


@guard("preferred_time")
def parse_preferred_time(text: str, today=None) -> Parsed:
    """When the person prefers a call. value: the cleaned free text.

    extra["slots"] lists recognised parts (morning, weekdays, clock times) to
    help staff; the free text is what is kept.
    """
    if _MARKUP.search(text):
        return unclear("answer contains markup or code")
    cleaned = re.sub(r"\s+", " ", text).strip()
    if not cleaned or not any(c.isalnum() for c in cleaned):
        return unclear("no preferred time given")
    if len(cleaned) > 200:
        return unclear("too long for a preferred time")
    low = lower(cleaned)
    slots = [name for name, rx in _SLOTS if re.search(rx, low)]
    slots += [m.group(0).strip() for m in _CLOCK.finditer(cleaned) if re.search(r"\d", m.group(0))]
    slots += [m.group(0) for m in _DAYS.finditer(cleaned)]
    s = text.find(cleaned[:1])
    return Parsed(
        kind="preferred_time",
        value=cleaned,
        span=cleaned,
        confidence=0.9 if slots else 0.6,
        note="" if slots else "kept as free text; no time words recognised",
        start=s if s >= 0 else None,
        extra={"slots": slots},
    )
