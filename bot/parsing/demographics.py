"""Age and sex.

``parse_age``: "45", "forty-five", "I'm 45", "born in 1950", "DOB
1980-03-02", physician shorthand "62M" / "62 yo F" / "56/M", "he is 12",
"a 68-year-old man", "Pt is a 34 y.o. female". Ages under a year or written
in months or weeks ("18 months old", "17-month-old", "6 wk", "a year and a
half") are whole years (0, 1): never read as 18 or 17 years. Impossible ages
(negative, over 120, birth in the future) are ``unclear`` with the reason.

Value: an int (whole years) when the age is known; when only bounds are
known, a dict ``{"value": best guess, "min": int, "max": int,
"approximate": bool}``: a birth year alone ("born 1955": 70 or 71), a
day/month order that changes the age, a decade ("in my forties": 40-49,
"late sixties": 66-69), an approximate age ("about 45": 43-47) or a coming
birthday ("I'll be 71 next week": 70-71). Rules pass or fail such an age
only when the whole range does. "About" before a number makes it
approximate, not doubtful; a real hedge ("I think he's 12") lowers the
confidence.

``parse_sex``: male/female words, "M"/"F" alone or in shorthand, family words
("my son"); pronouns alone only with low confidence.
"""

from __future__ import annotations

import re
from datetime import date

from bot.parsing.nlp import as_date, guard, has_hedge, lower
from bot.parsing.numbers import WORD_NUMBER, find_numbers, words_to_number
from bot.parsing.timing import find_times
from bot.parsing.types import Parsed, unclear
from bot.parsing.zh import alternatives as zh_alternatives
from bot.parsing.zh import data as zh_data

MAX_AGE = 120
_N = rf"(?P<n>-?\d+(?:\.\d+)?|{WORD_NUMBER})"

# Cued ages, most specific first. Each yields the number group "n".
_AGE_CUES = [
    re.compile(rf"(?<![\w.]){_N}\s*(?:-\s*)?(?:years?|yrs?|y)[\s-]*(?:old|o\b|/o\b)"),
    re.compile(rf"(?<![\w.]){_N}\s*(?:y/?o|yo|yrs?|years?|y|" + zh_alternatives("age_words") + r")(?![a-z])"),
    re.compile(rf"(?<![\w.]){_N}\s*-?\s*(?P<sex>m|f|male|female|man|woman|boy|girl)\b"),
    re.compile(rf"\b(?:age[sd]?|aged)\s*(?:is|:|=|of)?\s*{_N}"),
    re.compile(rf"(?<![\w.]){_N}\s*y\.\s?o\.?"),
    re.compile(rf"\b(?P<sex>m|f)\s*/\s*{_N}(?![\d/])"),
    re.compile(rf"(?<![\w./]){_N}\s*/\s*(?P<sex>m|f)\b"),
    re.compile(
        rf"\b(?:i'?m|i\s+am|he'?s|he\s+is|she'?s|she\s+is|they'?re|they\s+are|"
        rf"(?:son|daughter|child|kid|boy|girl|mother|mum|mom|father|dad|wife|husband|brother|sister)\s+is|"
        rf"patient\s+is|pt\s+is|who\s+is)\s+(?:now\s+|just\s+|only\s+|about\s+|around\s+|a\s+)?{_N}\b"
    ),
    re.compile("(?:" + zh_alternatives("demographics", "age_before") + rf")\s*{_N}"),
]
# Under a year, or in months/weeks/days: "18 months old", "17-month-old", "14 mo infant", "6 wk".
# Only with "old" (or an infant word, or as the whole answer): "on chemo for 5 months",
# "14 weeks pregnant" are durations, not ages.
_SUB_UNIT = r"(?P<unit>months?|mos?|mths?|m/o|weeks?|wks?|w/o|days?|d/o)"
_SUB_YEAR = [
    re.compile(rf"(?<![\w.]){_N}\s*-?\s*{_SUB_UNIT}(?:\b[\s-]*old\b|\s+(?:infant|baby|boy|girl)\b|(?<=/o))"),
    re.compile(rf"\b(?:infant|baby|newborn)\W+(?:aged\s+)?{_N}\s*-?\s*{_SUB_UNIT}\b"),
    re.compile(rf"^\W*{_N}\s*-?\s*{_SUB_UNIT}\W*$"),
]
_SUB_UNIT_AFTER = re.compile(rf"\s*-?\s*{_SUB_UNIT}\b")
_YEAR_AND_HALF = re.compile(r"\b(?:a|one|1)\s+(?:and\s+a\s+half\s+years?|years?\s+and\s+a\s+half)\b")
# A coming birthday: "I'll be 71 next week", "turning 10 in March", "turns 71 soon".
_COMING = re.compile(
    rf"\b(?:(?:i'?ll|i\s+will|he'?ll|she'?ll|he\s+will|she\s+will|will)\s+be|turning|turns|turn)\s+{_N}\b"
)
_APPROXIMATE = re.compile(rf"\b(?:about|around|roughly|approximately|approx\.?|nearly|almost|~|circa)\s*{_N}\b")
_UNIT_YEARS = {"m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25}
_OTHER_UNIT = re.compile(
    r"\s*(?:kg|kgs|kilos?|lbs?|pounds|cm|mm|m\b|mg|g\b|ml|%|°|c\b|f\b|mmhg|bpm|iu|u/l|umol|µmol|mmol|x\s*10)",
    re.I,
)
_FRACTION_BEFORE = re.compile(r"\band\s+(?:an?\s+)?$")
_BORN = re.compile(
    r"\b(?:born|birth|dob|d\.o\.b\.?|date of birth|birthday)\b|\bb\.\s*(?=\d)|"
    + "|".join(re.escape(w) for w in zh_data()["born_words"])
)
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


def _checked(
    age: float, text: str, start: int, end: int, conf: float, note: str = "", extra=None, low=None, high=None
) -> Parsed:
    """An age (whole years) after the plausibility checks; with ``low``/``high``
    the value is the bounded dict (see the module docstring)."""
    for bound in (age, low, high):
        if bound is not None and bound < 0:
            return unclear(f"impossible age ({text[start:end]}): negative", span=text[start:end])
        if bound is not None and bound > MAX_AGE:
            return unclear(f"impossible age ({text[start:end]}): over {MAX_AGE}", span=text[start:end])
    if has_hedge(text, quantities=False):
        conf = min(conf, 0.6)
        note = "; ".join(n for n in (note, "hedged") if n)
    value: int | dict = int(age)
    if low is not None and high is not None and (int(low), int(high)) != (int(age), int(age)):
        value = {"value": int(age), "min": int(low), "max": int(high), "approximate": True}
    return Parsed(
        kind="age",
        value=value,
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
        ages = sorted({_age_on(date.fromisoformat(a), today) for a in ref.extra["alternatives"]})
        note = "from date of birth" + (
            "" if len(ages) == 1 else f"; day/month order ambiguous: {ages[0]} or {ages[-1]}"
        )
        return _checked(ages[0], text, ref.start, ref.end, 0.9, note, low=ages[0], high=ages[-1])
    # Birth year (or month) only: the birthday may still be ahead this year.
    lo_age = _age_on(ref.latest or ref.date, today)
    hi_age = _age_on(ref.earliest or ref.date, today)
    note = "from birth year" + (f"; {lo_age} or {hi_age}" if lo_age != hi_age else "")
    return _checked(
        lo_age,
        text,
        ref.start,
        ref.end,
        0.9,
        note,
        {"age_min": lo_age, "age_max": hi_age},
        low=lo_age,
        high=hi_age,
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

    def is_time(m) -> bool:
        return any(s < m.end() and m.start() < e for s, e in times)

    m = _YEAR_AND_HALF.search(low)
    if m and not is_time(m):
        return _checked(1, text, m.start(), m.end(), 0.9, "a year and a half")
    for m in (found for rx in _SUB_YEAR for found in rx.finditer(low)):
        count = _num(m.group("n"))
        if count is None or is_time(m) or re.search(r"\byears?\s*(?:and\s*)?,?\s*$", low[: m.start()]):
            continue  # "1 year and 6 months": the years are the age
        years = count * _UNIT_YEARS[m.group("unit")[0]]
        return _checked(years, text, m.start(), m.end(), 0.9, f"{m.group(0).strip()}: {int(years)} years")
    m = _COMING.search(low)
    if m and _num(m.group("n")) is not None and not is_time(m):
        coming = _num(m.group("n"))
        return _checked(coming - 1, text, m.start(), m.end(), 0.9, "a birthday coming", low=coming - 1, high=coming)
    m = _APPROXIMATE.search(low)
    if m and _num(m.group("n")) is not None and not is_time(m):
        guess = _num(m.group("n"))
        slack = max(1, round(guess * 0.05))
        return _checked(guess, text, m.start(), m.end(), 0.9, "approximate age", low=guess - slack, high=guess + slack)
    for rx in _AGE_CUES:
        for m in rx.finditer(low):
            if is_time(m):
                continue
            age = _num(m.group("n"))
            if age is not None:
                unit = _SUB_UNIT_AFTER.match(low, m.end())
                if unit:
                    # "I am 18 months": the cue was right, the unit is not years.
                    years = age * _UNIT_YEARS[unit.group("unit")[0]]
                    return _checked(years, text, m.start(), unit.end(), 0.9, f"{age:g} {unit.group('unit')}")
                return _checked(age, text, m.start(), m.end(), 0.95)
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
        return _checked(lo, text, m.start(), m.end(), 0.9, f"age given as a range ({lo}-{hi})", low=lo, high=hi)
    nums = [n for n in find_numbers(text) if not any(s <= n[1] < e for s, e in times)]
    # "45 kg", "38.5 C": a number with a unit of something else is not an age.
    nums = [n for n in nums if not _OTHER_UNIT.match(low, n[2])]
    # "nine and three quarters": the fraction is not a second number.
    nums = [n for n in nums if not _FRACTION_BEFORE.search(low[: n[1]])]
    if len({v for v, _, _ in nums}) == 1:
        value, s, e = nums[0]
        rest = re.sub(r"[\W_]+", "", low[:s] + low[e:])
        # A bare number is clearly an age; a number inside other words less so.
        return _checked(value, text, s, e, 0.95 if not rest else 0.7, "" if not rest else "number read as age")
    if len(nums) > 1:
        return unclear("several numbers; which one is the age?")
    return unclear("no age found")


# ------------------------------------------------------------------ sex
# A Chinese sex word is not read where a family word begins (女儿 is a daughter, not 女).
_ZH_NOT_FAMILY = (
    "(?!"
    + zh_alternatives("demographics", "male_family")
    + "|"
    + zh_alternatives("demographics", "female_family")
    + ")"
)
_SEX_WORDS = [  # (pattern, value, confidence): a tier per confidence
    (
        r"\b(?:male|man|boy|gentleman|guy|masculine)\b|"
        + _ZH_NOT_FAMILY
        + "(?:"
        + zh_alternatives("demographics", "male")
        + ")",
        "male",
        0.95,
    ),
    (
        r"\b(?:female|woman|girl|lady|feminine)\b|"
        + _ZH_NOT_FAMILY
        + "(?:"
        + zh_alternatives("demographics", "female")
        + ")",
        "female",
        0.95,
    ),
    (
        r"\b(?:son|husband|father|dad|brother|grandfather|grandpa|nephew|uncle|boyfriend|mr)\b|"
        + zh_alternatives("demographics", "male_family"),
        "male",
        0.8,
    ),
    (
        r"\b(?:daughter|wife|mother|mum|mom|sister|grandmother|grandma|niece|aunt|girlfriend|mrs|miss)\b|"
        + zh_alternatives("demographics", "female_family"),
        "female",
        0.8,
    ),
]
_SHORT = re.compile(r"(?<![\w.])\d{1,3}\s*(?:y/?o|yo|yrs?|years?(?:\s+old)?|y)?\s*-?\s*(?P<s>[mf])\b")
_ALONE = re.compile(r"^\s*(?P<s>[mf])\s*[.!]?\s*$")
_PRONOUNS = [
    (r"\b(?:he|him|his)\b|" + zh_alternatives("demographics", "male_pronouns"), "male"),
    (r"\b(?:she|her|hers)\b|" + zh_alternatives("demographics", "female_pronouns"), "female"),
]
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
    low = re.sub(zh_alternatives("demographics", "not_pronouns"), lambda m: " " * len(m.group(0)), low)
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
