"""When something happened: "10 days ago", "last month", "in March",
"since the summer", "2024-05-01", "3个月前"; future ("next week") too.

``find_times(text, today)`` lists every time expression with its offsets
(other parsers attach times to events and drugs); ``parse_when`` answers a
"when?" question with the most recent one.

Every expression resolves to a day. A day named exactly ("10 days ago",
"2024-05-01", "yesterday") is not approximate; a named period ("in March",
"last year", "the summer") resolves to its midpoint, clamped to today, is
approximate, and keeps its bounds in ``extra`` ("earliest"/"latest", ISO
dates) so scoring can tell "certainly within 4 weeks" from "maybe". All
arithmetic is calendar arithmetic from ``today``: deterministic.
dateparser is only a last resort for short answers none of the rules read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from bot.parsing.nlp import as_date, guard, has_hedge, lower
from bot.parsing.numbers import WORD_NUMBER, words_to_number
from bot.parsing.types import Parsed, unclear
from bot.parsing.zh import alternatives as zh_alternatives
from bot.parsing.zh import data as zh_data

MONTHS = {
    m: i
    for i, ms in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in ms
}
# Month words that are also ordinary words or names: need a date-like context.
_AMBIGUOUS_MONTHS = {"may", "mar", "jan", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "march"}
SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 2)}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

_MONTH_RX = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM = (
    rf"(?:\d+(?:\.\d+)?|{WORD_NUMBER}|an?|a\s+couple\s+of|a\s+couple|couple\s+of|"
    r"a\s+few|few|several|half\s+an?|a\s+half)(?:\s+and\s+a\s+half)?"
)
_UNIT = r"(?:days?|d|weeks?|wks?|w|fortnights?|months?|mos?|mths?|m|years?|yrs?|y|hours?|hrs?|h)"
_MOD_WORDS = (
    r"about|around|roughly|approximately|approx\.?|almost|nearly|over|more\s+than|"
    r"less\s+than|under|at\s+least|just\s+over|just\s+under|maybe|some|only|just"
)
_MOD = rf"(?:(?P<mod>{_MOD_WORDS})\s+)?"
_MOD_ANON = rf"(?:(?:{_MOD_WORDS})\s+)?"
_ZH = zh_data()["timing"]  # Chinese numerals, units and time words (bot/data/zh.yaml)
_CJK_NUM = _ZH["numerals"]
_CJK_UNIT = _ZH["units"]
_ZH_RELATIVE_DAYS = _ZH["relative_days"]
_ZH_RELATIVE_PERIODS = {word: tuple(rel_unit) for word, rel_unit in _ZH["relative_periods"].items()}


def _zh(key: str) -> str:
    """The Chinese words of bot/data/zh.yaml's timing.``key`` as a regex alternation."""
    return zh_alternatives("timing", key)


@dataclass
class TimeRef:
    """One resolved time expression."""

    date: date
    start: int
    end: int
    text: str
    approximate: bool = False
    earliest: date | None = None
    latest: date | None = None
    kind: str = "point"  # point | period | window | since
    note: str = ""
    confidence: float = 0.95
    extra: dict = field(default_factory=dict)

    def days_ago(self, today: date) -> int:
        return (today - self.date).days


# ------------------------------------------------------------ arithmetic
def _shift(today: date, n: float, unit: str) -> tuple:
    """today minus n units -> (date, approximate)."""
    u = unit.rstrip("s").lower()
    u = {
        "d": "day",
        "w": "week",
        "wk": "week",
        "mo": "month",
        "mth": "month",
        "m": "month",
        "yr": "year",
        "y": "year",
        "h": "hour",
        "hr": "hour",
    }.get(u, u)
    whole = int(n)
    frac = n - whole
    if u == "hour":
        return today - timedelta(days=int(n // 24)), False
    if u == "day":
        return today - timedelta(days=round(n)), frac != 0
    if u == "week":
        return today - timedelta(days=round(n * 7)), frac != 0
    if u == "fortnight":
        return today - timedelta(days=round(n * 14)), frac != 0
    if u == "month":
        d = today - relativedelta(months=whole)
        return d - timedelta(days=round(frac * 30)), True
    if u == "year":
        d = today - relativedelta(years=whole)
        return d - timedelta(days=round(frac * 365)), True
    raise ValueError(unit)


def _count(raw: str) -> tuple:
    """Number phrase -> (value, fuzzy)."""
    r = re.sub(r"\s+", " ", raw.strip())
    half = 0.0
    if r.endswith("and a half"):
        half, r = 0.5, r[: -len("and a half")].strip()
    if r in ("a", "an"):
        return 1 + half, False
    if r in ("a couple of", "a couple", "couple of"):
        return 2 + half, True
    if r in ("a few", "few"):
        return 3 + half, True
    if r == "several":
        return 4 + half, True
    if r in ("half a", "half an", "a half"):
        return 0.5, False
    try:
        return float(r) + half, False
    except ValueError:
        v = words_to_number(r)
        if v is None:
            raise ValueError(raw) from None
        return v + half, False


def _period(
    a: date, b: date, today: date, text: str, start: int, end: int, kind: str = "period", note: str = ""
) -> TimeRef:
    """A named period: its midpoint, clamped to today when it is under way."""
    if a <= today < b:
        b = today
    mid = a + (b - a) / 2
    return TimeRef(mid, start, end, text, True, a, b, kind, note, 0.9)


def _month_range(year: int, month: int) -> tuple:
    a = date(year, month, 1)
    return a, a + relativedelta(months=1) - timedelta(days=1)


def _latest_month(month: int, today: date) -> int:
    """Year of the most recent such month not after today."""
    return today.year if month <= today.month else today.year - 1


def _season_range(season: str, year: int) -> tuple:
    m1, m2 = SEASONS[season]
    if m1 > m2:  # winter spans the new year: winter 2025 = Dec 2025 - Feb 2026
        return date(year, m1, 1), _month_range(year + 1, m2)[1]
    return date(year, m1, 1), _month_range(year, m2)[1]


def _latest_season(season: str, today: date, completed: bool = False) -> tuple:
    """The most recent such season that has started (or ended, if completed)."""
    for year in (today.year, today.year - 1, today.year - 2):
        a, b = _season_range(season, year)
        if a <= today and (not completed or b < today):
            return a, b
    return _season_range(season, today.year - 2)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


# ---------------------------------------------------------------- rules
# Each rule: (regex, handler). Handlers get (match, today, low) and return a
# TimeRef or None. Earlier rules win on overlapping text.
_RULES: list = []


def _rule(pattern):
    def deco(fn):
        _RULES.append((re.compile(pattern), fn))
        return fn

    return deco


@_rule(
    r"\b(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})\b"
    r"|(?P<cy>(?:19|20)\d{2})\s*(?:"
    + _zh("date_year")
    + r")\s*(?P<cm>\d{1,2})\s*(?:"
    + _zh("date_month")
    + r")\s*(?:(?P<cd>\d{1,2})\s*(?:"
    + _zh("date_day")
    + r"))?"
)
def _iso(m, today, low):
    if m.group("y"):
        d = _valid(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        return TimeRef(d, m.start(), m.end(), m.group(0)) if d else None
    y, mo = int(m.group("cy")), int(m.group("cm"))
    if m.group("cd"):
        d = _valid(y, mo, int(m.group("cd")))
        return TimeRef(d, m.start(), m.end(), m.group(0)) if d else None
    if not 1 <= mo <= 12:
        return None
    return _period(*_month_range(y, mo), today, m.group(0), m.start(), m.end())


@_rule(r"(?<![\d/.])(?P<n>\d{1,2})\s*/\s*(?P<u>52|12|7)\s*(?P<ago>ago|prior|previously|before|back)\b")
def _slash_notation(m, today, low):
    """ "2/52 ago", "3/12 ago", "5/7 ago": weeks, months, days in clinical notes."""
    unit = {"52": "week", "12": "month", "7": "day"}[m.group("u")]
    n = float(m.group("n"))
    d, approx = _shift(today, n, unit)
    ref = TimeRef(d, m.start(), m.end(), m.group(0), approx)
    if approx:
        _unit_resolution(ref, n, unit, today)
    return ref


@_rule(r"(?<![\d/.-])(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>(?:19|20)\d{2}|\d{2})(?![\d/.-])")
def _numeric_date(m, today, low):
    a, b, y = int(m.group("a")), int(m.group("b")), int(m.group("y"))
    if y < 100:
        y += 2000 if 2000 + y <= today.year + 1 else 1900
    dmy, mdy = _valid(y, b, a), _valid(y, a, b)
    if dmy and mdy and dmy != mdy:
        # 03/04/2025: 3 April or March 4? Never guess silently.
        ref = TimeRef(
            min(dmy, mdy),
            m.start(),
            m.end(),
            m.group(0),
            True,
            min(dmy, mdy),
            max(dmy, mdy),
            "point",
            "day/month order ambiguous",
            0.5,
        )
        ref.extra["alternatives"] = [dmy.isoformat(), mdy.isoformat()]
        return ref
    d = dmy or mdy
    return TimeRef(d, m.start(), m.end(), m.group(0)) if d else None


@_rule(
    r"(?<![\d/.:-])(?:on\s+)?(?P<a>\d{1,2})/(?P<b>\d{1,2})"
    r"(?![\d/.:%-]|\s*(?:mmhg|mm\s*hg|u/l|iu|tabs?\b|tablets?|pills?|doses?|of\b|mg|ml))"
)
def _day_month_no_year(m, today, low):
    """ "on 10/28", "28/10": a date this year (or last, if that is still to come);
    day/month order decided when only one reading is a date, else approximate."""
    a, b = int(m.group("a")), int(m.group("b"))
    readings = []
    for month, day in ((a, b), (b, a)):
        for year in (today.year, today.year - 1):
            d = _valid(year, month, day)
            if d is not None and d <= today:
                readings.append(d)
                break
    readings = sorted(set(readings))
    if not readings:
        return None
    if len(readings) == 1:
        return TimeRef(readings[0], m.start(), m.end(), m.group(0), confidence=0.85, note="date without a year")
    ref = TimeRef(
        readings[-1],
        m.start(),
        m.end(),
        m.group(0),
        True,
        readings[0],
        readings[-1],
        "point",
        "day/month order ambiguous",
        0.6,
    )
    ref.extra["alternatives"] = [d.isoformat() for d in readings]
    return ref


@_rule(
    r"(?<![\d/.-])(?P<m>\d{1,2})[/.-](?P<y>(?:19|20)\d{2})(?![\d/.-])"
    r"|(?<![\d/.-])(?P<y2>(?:19|20)\d{2})[/-](?P<m2>\d{1,2})(?![\d/.-])"
)
def _month_year_numeric(m, today, low):
    mo, y = (int(m.group("m")), int(m.group("y"))) if m.group("m") else (int(m.group("m2")), int(m.group("y2")))
    if not 1 <= mo <= 12:
        return None
    return _period(*_month_range(y, mo), today, m.group(0), m.start(), m.end())


@_rule(
    r"\b(?:(?P<pre>in|on|since|last|early|late|mid|end\s+of|beginning\s+of|start\s+of|"
    r"the\s+end\s+of|the\s+beginning\s+of|the\s+start\s+of|around|during|from|of|back\s+in)[\s-]+)?"
    r"(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?)?(?P<mon>" + _MONTH_RX + r")\b\.?"
    r"(?:\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?\b)?(?:,?\s+(?:of\s+)?(?P<y>(?:19|20)\d{2})\b)?"
)
def _month_name(m, today, low):
    mon = m.group("mon")
    day = m.group("d1") or m.group("d2")
    year = m.group("y")
    pre_words = (m.group("pre") or "").split()
    pre = next(
        (w for w in ("since", "early", "late", "end", "beginning", "start", "mid") if w in pre_words),
        pre_words[0] if pre_words else "",
    )
    if mon in _AMBIGUOUS_MONTHS and not (day or year or pre) and low.strip(" .!?") != mon:
        return None  # "I may have", "jan" the name
    month = MONTHS[mon]
    y = int(year) if year else _latest_month(month, today)
    if day:
        d = _valid(y, month, int(day))
        if d is None:
            return None
        if not year and d > today:
            d = _valid(y - 1, month, int(day)) or d
        ref = TimeRef(d, m.start(), m.end(), m.group(0))
    else:
        a, b = _month_range(y, month)
        ref = _period(a, b, today, m.group(0), m.start(), m.end())
        if pre in ("early", "beginning", "start"):
            ref = _period(a, a + timedelta(days=9), today, m.group(0), m.start(), m.end())
        elif pre in ("late", "end"):
            ref = _period(b - timedelta(days=9), b, today, m.group(0), m.start(), m.end())
    if pre == "since":
        ref.kind = "since"
    return ref


@_rule(
    r"\b(?:(?P<pre>since|during|in|over|last|this|past|the|early|late)\s+)?(?:(?P<pre2>the|last|this|past)\s+)?"
    r"(?P<s>spring|summer|autumn|fall|winter)\b(?:\s+(?:of\s+)?(?P<y>(?:19|20)\d{2})\b)?"
)
def _season(m, today, low):
    s, pre = m.group("s"), {m.group("pre"), m.group("pre2")} - {None}
    if s == "fall" and not (pre or m.group("y")):
        return None  # "I had a fall"
    if m.group("y"):
        a, b = _season_range(s, int(m.group("y")))
    else:
        a, b = _latest_season(s, today, completed="last" in pre or "past" in pre)
    ref = _period(a, b, today, m.group(0), m.start(), m.end())
    if "since" in pre:
        ref.kind = "since"
    return ref


@_rule(
    r"\b(?:(?P<pre>in|since|during|back\s+in|around|from|early|late|mid|year|of)[\s-]+)?(?P<y>(?:19|20)\d{2})(?![\d]|[/.:,-]\d|\s*(?:mg|ml|kg|g)\b)\b"
    r"|(?P<cy>(?:19|20)\d{2})\s*(?:" + _zh("date_year") + ")"
)
def _year(m, today, low):
    y = int(m.group("y") or m.group("cy"))
    if y > today.year + 20:
        return None
    ref = _period(date(y, 1, 1), date(y, 12, 31), today, m.group(0).strip(), m.start(), m.end())
    if (m.group("pre") or "") == "since":
        ref.kind = "since"
    return ref


@_rule(
    r"\b(?:the\s+)?day\s+before\s+yesterday\b|\byesterday\b|\btoday\b|\btonight\b|\bthis\s+(?:morning|afternoon|evening)\b"
    r"|\blast\s+night\b|\btomorrow\b|\bday\s+after\s+tomorrow\b|" + _zh("relative_days")
)
def _named_day(m, today, low):
    t = re.sub(r"\s+", " ", m.group(0))
    offset = {
        "yesterday": 1,
        "last night": 1,
        "tomorrow": -1,
        "day after tomorrow": -2,
        **_ZH_RELATIVE_DAYS,
    }.get(t, 2 if "before yesterday" in t else 0)
    return TimeRef(today - timedelta(days=offset), m.start(), m.end(), m.group(0))


@_rule(
    r"\b(?:(?P<rel>last|this|past|previous|next|coming)\s+)(?P<wd>" + "|".join(WEEKDAYS) + r")\b"
    r"|\bon\s+(?P<wd2>" + "|".join(WEEKDAYS) + r")\b"
)
def _weekday(m, today, low):
    wd = WEEKDAYS.index(m.group("wd") or m.group("wd2"))
    rel = m.group("rel") or "last"
    if rel in ("next", "coming"):
        delta = (wd - today.weekday()) % 7 or 7
        return TimeRef(today + timedelta(days=delta), m.start(), m.end(), m.group(0))
    delta = (today.weekday() - wd) % 7 or 7
    return TimeRef(today - timedelta(days=delta), m.start(), m.end(), m.group(0))


@_rule(
    r"\b(?:(?:in|within|during|over)\s+)?(?:the\s+)?(?P<rel>last|past|previous)\s+(?P<n>"
    + _NUM
    + r")\s*(?P<u>"
    + _UNIT
    + r")\b"
    r"|\b(?:in|within|during|over)\s+the\s+(?:last|past|previous)\s+(?P<u1>week|month|year|fortnight)\b"
)
def _window(m, today, low):
    """ "in the last 4 weeks": the whole window up to today."""
    n, fuzzy = _count(m.group("n")) if m.group("n") else (1, False)
    d, _ = _shift(today, n, m.group("u") or m.group("u1"))
    ref = TimeRef(d, m.start(), m.end(), m.group(0), True, d, today, "window", "within the stated period", 0.9)
    return ref


@_rule(
    r"\b(?:(?P<rel>last|next|this|past|previous|coming)\s+)(?P<u>week|weekend|month|year|fortnight)\b"
    r"|\b(?P<early>earlier|later)\s+this\s+(?P<u2>week|month|year)\b"
    r"|" + _zh("relative_periods") + "|" + _zh("year_before_last")
)
def _relative_period(m, today, low):
    t = m.group(0)
    if t in _ZH["year_before_last"]:
        return _period(date(today.year - 2, 1, 1), date(today.year - 2, 12, 31), today, t, m.start(), m.end())
    if t in _ZH_RELATIVE_PERIODS:
        rel, unit = _ZH_RELATIVE_PERIODS[t]
    elif m.group("early"):
        rel, unit = "this", m.group("u2")
    else:
        rel, unit = m.group("rel"), m.group("u")
    if rel in ("next", "coming"):
        d = today + (
            relativedelta(weeks=1)
            if unit in ("week", "weekend")
            else relativedelta(weeks=2)
            if unit == "fortnight"
            else relativedelta(months=1)
            if unit == "month"
            else relativedelta(years=1)
        )
        return TimeRef(d, m.start(), m.end(), t, True, kind="point", confidence=0.9)
    if rel == "this":
        a = {
            "week": today - timedelta(days=today.weekday()),
            "weekend": today - timedelta(days=2),
            "month": today.replace(day=1),
            "year": today.replace(month=1, day=1),
            "fortnight": today - timedelta(days=13),
        }[unit]
        return _period(a, today, today, t, m.start(), m.end())
    # "last month" reads as "a month ago" (what people mean, and what
    # dateparser says); the calendar month stays in the bounds.
    if unit in ("week", "weekend", "fortnight"):
        days = 14 if unit == "fortnight" else 7
        d = today - timedelta(days=days)
        return TimeRef(d, m.start(), m.end(), t, True, d - timedelta(days=6), d + timedelta(days=6), "period", "", 0.9)
    if unit == "month":
        a, b = _month_range((today - relativedelta(months=1)).year, (today - relativedelta(months=1)).month)
        return TimeRef(today - relativedelta(months=1), m.start(), m.end(), t, True, a, b, "period", "", 0.9)
    a, b = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return TimeRef(today - relativedelta(years=1), m.start(), m.end(), t, True, a, b, "period", "", 0.9)


@_rule(
    r"\b"
    + _MOD
    + r"(?P<n>"
    + _NUM
    + r")\s*(?P<u>"
    + _UNIT
    + r")\b\.?\s*(?P<ago>ago|back|before\s+now|earlier|previously|prior|before)\b"
)
def _ago(m, today, low):
    n, fuzzy = _count(m.group("n"))
    d, approx = _shift(today, n, m.group("u"))
    ref = TimeRef(
        d,
        m.start(),
        m.end(),
        m.group(0),
        approx or fuzzy,
        confidence=0.8 if fuzzy else 0.95,
        note="vague count" if fuzzy else "",
    )
    if approx and not m.group("mod"):
        _unit_resolution(ref, n, m.group("u"), today)
    _apply_mod(ref, m.group("mod"), today)
    return ref


def _unit_resolution(ref: TimeRef, n: float, unit: str, today: date) -> None:
    """ "7 months ago", "2 years ago": said to the nearest month or year, so half
    of one either side (not a share of the whole time)."""
    u = unit.lower()
    if u.startswith(("mo", "mth")) or u == "m":
        half = timedelta(days=15)
    elif u.startswith("y"):
        half = timedelta(days=182)
    else:
        return
    ref.earliest, ref.latest = ref.date - half, min(today, ref.date + half)


@_rule(
    r"\b(?:in)\s+" + _MOD + r"(?P<n>" + _NUM + r")\s*(?P<u>" + _UNIT + r")\b(?!\s+(?:ago|back))"
    r"|\b" + _MOD_ANON + r"(?P<n2>" + _NUM + r")\s*(?P<u2>" + _UNIT + r")\s+(?:from\s+now|later|time)\b"
)
def _future(m, today, low):
    n, fuzzy = _count(m.group("n") or m.group("n2"))
    d, approx = _shift_future(today, n, m.group("u") or m.group("u2"))
    return TimeRef(d, m.start(), m.end(), m.group(0), approx or fuzzy)


@_rule(
    r"(?P<n>\d+(?:\.\d+)?|["
    + re.escape("".join(_CJK_NUM))
    + r"]+)\s*(?P<u>"
    + _zh("units")
    + r")\s*(?:"
    + _zh("ago")
    + ")"
)
def _cjk_ago(m, today, low):
    raw = m.group("n")
    if raw[0].isdigit():
        n = float(raw)
    elif raw.startswith(_ZH["ten"]) and len(raw) == 2:
        n = 10 + _CJK_NUM.get(raw[1], 0)
    elif len(raw) == 2 and raw[1] == _ZH["ten"]:
        n = _CJK_NUM.get(raw[0], 0) * 10
    else:
        n = _CJK_NUM.get(raw, None)
        if n is None:
            return None
    d, approx = _shift(today, n, _CJK_UNIT[m.group("u")])
    ref = TimeRef(d, m.start(), m.end(), m.group(0), approx or raw in _ZH["vague_numerals"])
    # 大约15天前, 15天前左右: as "about 15 days ago", a bounded guess (judged near a limit)
    before, after = low[max(0, m.start() - 4) : m.start()].rstrip(), low[m.end() : m.end() + 3].lstrip()
    if before.endswith(tuple(_ZH["approximately_before"])) or after.startswith(tuple(_ZH["approximately_after"])):
        _apply_mod(ref, "about", today)
    return ref


@_rule(r"\b(?P<mod>a\s+few|a\s+couple\s+of|several|many|some)?\s*(?P<u>days|weeks|months|years)\s+ago\b")
def _vague_ago(m, today, low):
    """ "months ago": at least two of them; approximate, lower bound noted."""
    n = {"a few": 3, "a couple of": 2, "several": 4}.get(re.sub(r"\s+", " ", m.group("mod") or ""), 2)
    d, _ = _shift(today, n, m.group("u"))
    ref = TimeRef(
        d,
        m.start(),
        m.end(),
        m.group(0),
        True,
        None,
        d,
        "point",
        "vague: 'a few'" if m.group("mod") else "vague: at least two",
        0.6,
    )
    return ref


def _shift_future(today: date, n: float, unit: str) -> tuple:
    past, approx = _shift(today, n, unit)
    return today + (today - past), approx


def _apply_mod(ref: TimeRef, mod: str | None, today: date) -> None:
    """ "about", "over", "less than" widen a point into a bounded guess."""
    if not mod:
        return
    mod = re.sub(r"\s+", " ", mod)
    ref.approximate = True
    if mod in ("about", "around", "roughly", "approximately", "approx", "approx.", "some"):
        # "about 6 weeks ago": within a quarter of the stated time either way.
        slack = timedelta(days=max(1, round((today - ref.date).days * 0.25)))
        ref.earliest, ref.latest = ref.date - slack, min(today, ref.date + slack)
        ref.note = f"{mod}: approximate"
    elif mod in ("over", "more than", "just over"):
        ref.latest, ref.note = ref.date - timedelta(days=1), f"{mod}: more than this long ago"
    elif mod == "at least":
        ref.latest, ref.note = ref.date, f"{mod}: at least this long ago"
    elif mod in ("less than", "under", "just under", "almost", "nearly"):
        ref.earliest, ref.latest, ref.note = ref.date, today, f"{mod}: at most this long ago"
    elif mod == "maybe":
        ref.confidence = 0.6


# --------------------------------------------------------------- public
def find_times(text: str, today=None) -> list:
    """Every time expression in ``text`` as a TimeRef, in text order.

    Remembered per (text, today): several parsers read the times of one
    answer. The TimeRefs are shared: callers read them, never change them."""
    return list(_find_times(text, as_date(today)))


@functools.lru_cache(maxsize=1024)
def _find_times(text: str, today: date) -> tuple:
    low = lower(text)
    refs: list = []
    taken = [False] * (len(text) + 1)
    for rx, handler in _RULES:
        for m in rx.finditer(low):
            if not m.group(0).strip() or any(taken[m.start() : m.end()]):
                continue
            try:
                ref = handler(m, today, low)
            except (ValueError, OverflowError, KeyError):
                ref = None
            if ref is None or ref.date is None:
                continue
            ref.text = text[m.start() : m.end()]
            for i in range(m.start(), m.end()):
                taken[i] = True
            refs.append(ref)
    refs.sort(key=lambda r: r.start)
    return tuple(refs)


_DATEPARSER_HINT = re.compile(r"\d|ago|last|next|week|month|year|day|" + _MONTH_RX)


def _dateparser_ref(text: str, today: date) -> TimeRef | None:
    """Last resort for short answers: dateparser, anchored on ``today``."""
    stripped = text.strip()
    if not stripped or len(stripped) > 40 or not _DATEPARSER_HINT.search(lower(stripped)):
        return None
    import dateparser

    settings = {
        "PREFER_DATES_FROM": "past",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "RETURN_AS_TIMEZONE_AWARE": False,
        "STRICT_PARSING": False,
    }
    try:
        dt = dateparser.parse(stripped, languages=["en"], settings=settings)
    except Exception:  # noqa: BLE001 - dateparser has odd corners
        return None
    if dt is None:
        return None
    start = text.index(stripped)
    return TimeRef(dt.date(), start, start + len(stripped), stripped, True, note="read by dateparser", confidence=0.7)


_BARE = re.compile(r"\s*" + _MOD + r"(?P<n>" + _NUM + r")\s*(?P<u>" + _UNIT + r")\s*[.!]?\s*$")


def _bare_duration(text: str, today: date) -> TimeRef | None:
    """An answer that is only "2 weeks" to "when?": read as "2 weeks ago"."""
    m = _BARE.match(lower(text))
    if not m:
        return None
    n, fuzzy = _count(m.group("n"))
    d, approx = _shift(today, n, m.group("u"))
    ref = TimeRef(
        d,
        m.start("n") if not m.group("mod") else m.start("mod"),
        m.end("u"),
        text[m.start("n") : m.end("u")],
        approx or fuzzy,
        note="assumed 'ago'",
        confidence=0.7,
    )
    _apply_mod(ref, m.group("mod"), today)
    ref.text = text[ref.start : ref.end]
    return ref


def to_value(ref: TimeRef, today: date) -> dict:
    """A time as stored in fact values: days ago, the date, whether approximate and,
    for an approximate time or a named period, the bounds in days ago
    (``days_ago_min``/``days_ago_max``; None on an open side)."""
    value = {"days_ago": ref.days_ago(today), "date": ref.date.isoformat(), "approximate": bool(ref.approximate)}
    value.update(bounds(ref, today))
    return value


def bounds(ref: TimeRef | None, today: date) -> dict:
    """``days_ago_min``/``days_ago_max`` of an approximate time ({} for an exact day)."""
    if ref is None or not (ref.approximate or ref.earliest or ref.latest):
        return {}
    if ref.earliest is None and ref.latest is None:
        return {}  # approximate, bounds unknown: the rules widen it
    return {
        "days_ago_min": (today - ref.latest).days if ref.latest else None,
        "days_ago_max": (today - ref.earliest).days if ref.earliest else None,
    }


def ref_extra(ref: TimeRef, today: date) -> dict:
    """Bounds and kind of a time, for scoring near a threshold."""
    extra = {"kind": ref.kind}
    if ref.earliest:
        extra["earliest"] = ref.earliest.isoformat()
        extra["days_ago_max"] = (today - ref.earliest).days
    if ref.latest:
        extra["latest"] = ref.latest.isoformat()
        extra["days_ago_min"] = (today - ref.latest).days
    extra.update(ref.extra)
    return extra


@guard("when")
def parse_when(text: str, today=None) -> Parsed:
    """When something happened.

    value: {"days_ago": int, "date": "YYYY-MM-DD", "approximate": bool} and,
    for an approximate time or a named period, "days_ago_min"/"days_ago_max"
    (None on an open side: "over a year ago"); future dates have negative
    days_ago and note "future". With several
    times, the most recent past one is used (it decides "within N weeks").
    """
    today = as_date(today)
    refs = find_times(text, today)
    if not refs:
        ref = _bare_duration(text, today) or _dateparser_ref(text, today)
        if ref is None:
            return unclear("no date or time found")
        refs = [ref]
    past = [r for r in refs if r.days_ago(today) >= 0]
    ref = min(past, key=lambda r: r.days_ago(today)) if past else refs[0]
    notes = [ref.note] if ref.note else []
    conf = ref.confidence
    hedged = has_hedge(text, quantities=False)
    if hedged or ref.extra.get("alternatives"):
        conf = min(conf, 0.6)
        if hedged:
            notes.append("hedged")
    if len(refs) > 1:
        conf = min(conf, 0.8)
        notes.append(f"{len(refs)} times mentioned; used the most recent")
    if ref.days_ago(today) < 0:
        notes.append("future")
    if ref.kind == "since":
        notes.append("since")
    extra = ref_extra(ref, today)
    return Parsed(
        kind="when",
        value=to_value(ref, today),
        span=ref.text,
        confidence=conf,
        note="; ".join(notes),
        start=ref.start,
        end=ref.end,
        extra=extra,
    )
