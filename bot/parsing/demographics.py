"""Age and sex.

``parse_age``: "45", "forty-five", "I'm 45", "born in 1950", "DOB
1980-03-02", physician shorthand "62M" / "62 yo F", "he is 12", "18 months".
Impossible ages (negative, over 120, birth in the future) are ``unclear``
with the reason; "in my forties" is ``unclear`` with the range in extra.

``parse_sex``: male/female words, "M"/"F" alone or in shorthand, family words
("my son"); pronouns alone only with low confidence.
"""

from __future__ import annotations

import re
from datetime import date

from bot.parsing.nlp import as_date, guard, has_hedge, lower
from bot.parsing.numbers import WORD_NUMBER, find_numbers, words_to_number
from bot.parsing.timing import find_times
from bot.parsing.types import UNCLEAR, Parsed, unclear

MAX_AGE = 120
_N = rf"(?P<n>-?\d+(?:\.\d+)?|{WORD_NUMBER})"

# Cued ages, most specific first. Each yields the number group "n".
_AGE_CUES = [
    re.compile(rf"(?<![\w.]){_N}\s*(?:-\s*)?(?:years?|yrs?|y)[\s-]*(?:old|o\b|/o\b)"),
    re.compile(rf"(?<![\w.]){_N}\s*(?:y/?o|yo|yrs?|years?|y|岁|周岁)(?![a-z])"),
    re.compile(rf"(?<![\w.]){_N}\s*-?\s*(?P<sex>m|f|male|female|man|woman|boy|girl)\b"),
    re.compile(rf"\b(?:age[sd]?|aged)\s*(?:is|:|=|of)?\s*{_N}"),
    re.compile(
        rf"\b(?:i'?m|i\s+am|he'?s|he\s+is|she'?s|she\s+is|they'?re|they\s+are|"
        rf"(?:son|daughter|child|kid|boy|girl)\s+is|patient\s+is|pt\s+is|who\s+is)\s+(?:now\s+|just\s+|only\s+|about\s+|around\s+)?{_N}\b"
    ),
    re.compile(rf"(?:年龄|今年)\s*{_N}"),
]
_MONTHS_OLD = re.compile(rf"(?<![\w.]){_N}\s*(?:months?|mos?)\s*(?:old)?")
_BORN = re.compile(r"\b(?:born|birth|dob|d\.o\.b\.?|date of birth|birthday|b\.)\b|出生|生于")
_DECADE = re.compile(
    r"\b(?:in\s+)?(?:(?:his|her|my|their)\s+)?(?P<q>early|mid|late)?[\s-]*"
    r"(?P<d>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties|"
    r"teens|[1-9]0'?s)\b"
)
_DECADES = {
    "teens": 13,
    "twenties": 20,
    "thirties": 30,
    "forties": 40,
    "fifties": 50,
    "sixties": 60,
    "seventies": 70,
    "eighties": 80,
    "nineties": 90,
}


def _num(raw: str):
    try:
        return float(raw)
    except ValueError:
        return words_to_number(raw)


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _checked(age: float, text: str, start: int, end: int, conf: float, note: str = "", extra=None) -> Parsed:
    if age < 0:
        return unclear(f"impossible age ({text[start:end]}): negative", span=text[start:end])
    if age > MAX_AGE:
        return unclear(f"impossible age ({text[start:end]}): over {MAX_AGE}", span=text[start:end])
    if has_hedge(text):
        conf = min(conf, 0.6)
        note = "; ".join(n for n in (note, "hedged") if n)
    return Parsed(
        kind="age",
        value=int(age),
        span=text[start:end],
        confidence=conf,
        note=note,
        start=start,
        end=end,
        extra=extra or {},
    )


def _from_birth(text: str, today: date):
    """Age from a birth date or birth year, when the answer talks about birth."""
    low = lower(text)
    if not _BORN.search(low) and not re.fullmatch(r"\s*(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\s*", low):
        return None
    refs = find_times(text, today)
    if not refs:
        return None
    ref = refs[0]
    if ref.date > today or (ref.earliest and ref.earliest > today):
        return unclear(f"birth date in the future ({ref.text})", span=ref.text)
    if ref.kind == "point" and not ref.approximate:
        return _checked(
            _age_on(ref.date, today),
            text,
            ref.start,
            ref.end,
            0.95,
            "from date of birth",
            {"born": ref.date.isoformat()},
        )
    if ref.extra.get("alternatives"):
        ages = {_age_on(date.fromisoformat(a), today) for a in ref.extra["alternatives"]}
        if len(ages) == 1:
            return _checked(ages.pop(), text, ref.start, ref.end, 0.9, "from date of birth")
        return unclear(f"date of birth ambiguous (day/month order): {ref.text}", span=ref.text)
    # Birth year (or month) only: the birthday may still be ahead this year.
    lo_age = _age_on(ref.latest or ref.date, today)
    hi_age = _age_on(ref.earliest or ref.date, today)
    note = "from birth year" + (f"; {lo_age} or {hi_age}" if lo_age != hi_age else "")
    return _checked(
        lo_age,
        text,
        ref.start,
        ref.end,
        0.85 if lo_age == hi_age else 0.8,
        note,
        {"age_min": lo_age, "age_max": hi_age},
    )


@guard("age")
def parse_age(text: str, today=None) -> Parsed:
    """Age in whole years. value: int."""
    today = as_date(today)
    low = lower(text)
    born = _from_birth(text, today)
    if born is not None:
        return born
    # "diagnosed 3 years ago" is a time, not an age.
    times = [(r.start, r.end) for r in find_times(text, today)]
    for rx in _AGE_CUES:
        for m in rx.finditer(low):
            if any(s < m.end() and m.start() < e for s, e in times):
                continue
            age = _num(m.group("n"))
            if age is not None:
                return _checked(age, text, m.start(), m.end(), 0.95)
    m = _MONTHS_OLD.search(low)
    if m and _num(m.group("n")) is not None:
        months = _num(m.group("n"))
        return _checked(months // 12, text, m.start(), m.end(), 0.9, f"{months:g} months")
    m = _DECADE.search(low)
    if m:
        d = m.group("d")
        base = _DECADES.get(d) or int(re.sub(r"\D", "", d))
        lo, hi = (base, base + 9) if d != "teens" else (13, 19)
        q = m.group("q")
        if q == "early":
            hi = lo + 3
        elif q == "mid":
            lo, hi = lo + 3, lo + 6
        elif q == "late":
            lo = lo + 6
        return Parsed(
            kind=UNCLEAR,
            span=text[m.start() : m.end()],
            note=f"age given as a range ({lo}-{hi})",
            extra={"age_min": lo, "age_max": hi},
        )
    nums = [n for n in find_numbers(text) if not any(s <= n[1] < e for s, e in times)]
    if len({v for v, _, _ in nums}) == 1:
        value, s, e = nums[0]
        rest = re.sub(r"[\W_]+", "", low[:s] + low[e:])
        # A bare number is clearly an age; a number inside other words less so.
        return _checked(value, text, s, e, 0.95 if not rest else 0.7, "" if not rest else "number read as age")
    if len(nums) > 1:
        return unclear("several numbers; which one is the age?")
    return unclear("no age found")


# ------------------------------------------------------------------ sex
_SEX_WORDS = [  # (pattern, value, confidence): a tier per confidence
    (r"\b(?:male|man|boy|gentleman|guy|masculine)\b|男性|男孩|男", "male", 0.95),
    (r"\b(?:female|woman|girl|lady|feminine)\b|女性|女孩|女(?!儿)", "female", 0.95),
    (
        r"\b(?:son|husband|father|dad|brother|grandfather|grandpa|nephew|uncle|boyfriend|mr)\b|儿子|丈夫|父亲|爸爸",
        "male",
        0.8,
    ),
    (
        r"\b(?:daughter|wife|mother|mum|mom|sister|grandmother|grandma|niece|aunt|girlfriend|mrs|miss)\b"
        r"|女儿|妻子|母亲|妈妈",
        "female",
        0.8,
    ),
]
_SHORT = re.compile(r"(?<![\w.])\d{1,3}\s*(?:y/?o|yo|yrs?|years?(?:\s+old)?|y)?\s*-?\s*(?P<s>[mf])\b")
_ALONE = re.compile(r"^\s*(?P<s>[mf])\s*[.!]?\s*$")
_PRONOUNS = [(r"\b(?:he|him|his)\b|他", "male"), (r"\b(?:she|her|hers)\b|她", "female")]
_OTHER = re.compile(r"\b(?:non[- ]?binary|intersex|other|trans\w*|genderqueer|agender)\b")


@guard("sex")
def parse_sex(text: str, today=None) -> Parsed:
    """Sex. value: "male" | "female"."""
    low = lower(text)
    m = _ALONE.match(low) or _SHORT.search(low)
    if m:
        value = "male" if m.group("s") == "m" else "female"
        return Parsed(
            kind="sex",
            value=value,
            span=text[m.start("s") : m.end("s")],
            confidence=0.9,
            start=m.start("s"),
            end=m.end("s"),
        )
    if _OTHER.search(low):
        m = _OTHER.search(low)
        return unclear("neither male nor female stated; staff to review", span=text[m.start() : m.end()])
    for tier in (0.95, 0.8):
        hits = sorted((h.start(), h.end(), v) for rx, v, c in _SEX_WORDS if c == tier for h in re.finditer(rx, low))
        if not hits:
            continue
        if len({v for *_, v in hits}) > 1:
            return unclear("both male and female words", span=text[hits[0][0] : hits[-1][1]])
        s, e, value = hits[0]
        return Parsed(
            kind="sex",
            value=value,
            span=text[s:e],
            confidence=tier,
            note="" if tier > 0.9 else "from a family word or title",
            start=s,
            end=e,
        )
    found = {v for rx, v in _PRONOUNS if re.search(rx, low)}
    if len(found) == 1:
        value = found.pop()
        rx = dict((v, r) for r, v in _PRONOUNS)[value]
        h = re.search(rx, low)
        return Parsed(
            kind="sex",
            value=value,
            span=text[h.start() : h.end()],
            confidence=0.5,
            note="from a pronoun only",
            start=h.start(),
            end=h.end(),
        )
    return unclear("sex not stated")
