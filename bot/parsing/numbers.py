"""Numbers in free text: digits, thousands separators, powers of ten and
English number words ("forty-five", "a hundred and ten").

``find_numbers`` lists every number with its offsets; ``parse_number`` turns
an answer that is one number into a ``Parsed``. Other parsers (age, dose,
timing) build on ``find_numbers`` and ``words_to_number``.
"""

from __future__ import annotations

import re

from bot.parsing.nlp import clean, guard, has_hedge, lower
from bot.parsing.types import Parsed, unclear

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fourty fifty sixty seventy eighty ninety".split()
_SCALES = "hundred thousand million billion".split()
NUMBER_WORDS = _UNITS + _TENS + _SCALES
_WORD = "(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
# A run of number words: "forty-five", "one hundred and ten", "a hundred".
WORD_NUMBER = (
    rf"(?:\ban?\s+(?=hundred|thousand|million))?\b{_WORD}"
    rf"(?:(?:\s+and\s+|[\s-]+){_WORD})*\b"
)
_WORD_RX = re.compile(WORD_NUMBER)

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# 1.5×10^9, 1.5 x 10⁹, 1.5*10**9, 1.5e9
_SCI_RX = re.compile(
    r"(?<![\w.])(?P<m>\d+(?:\.\d+)?)\s*(?:[x×*]|times)\s*10\s*(?:\^|\*\*)?\s*(?P<e>[⁻-]?[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
    r"|(?<![\w.])(?P<m2>\d+(?:\.\d+)?)e(?P<e2>[+-]?\d{1,3})\b"
)
# Digits; "1,500" is one number, "9-11" two positive ones, "-5" negative.
_DIGIT_RX = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])")


def words_to_number(phrase: str) -> float | None:
    """English number words to a number ("forty-five" -> 45); None if not one."""
    from word2number import w2n

    p = lower(phrase).replace("-", " ").strip()
    p = re.sub(r"^an?\s+(?=hundred|thousand|million|billion)", "one ", p)
    p = p.replace("fourty", "forty")
    tokens = p.split()
    if not tokens or any(t not in NUMBER_WORDS and t != "and" for t in tokens):
        return None
    # word2number accepts "one two" as 12-ish nonsense: refuse two small units in a row.
    plain = [t for t in tokens if t != "and"]
    for a, b in zip(plain, plain[1:], strict=False):
        if a in _UNITS and b in _UNITS + _TENS:
            return None
        if a in _TENS and b in _TENS:
            return None
    try:
        return float(w2n.word_to_num(" ".join(tokens)))
    except Exception:  # noqa: BLE001 - not a number after all
        return None


def find_numbers(text: str) -> list:
    """Every number in ``text`` as ``(value, start, end)``, in text order."""
    text = clean(text)
    low = lower(text)
    found: list = []
    taken = [False] * (len(text) + 1)

    def add(value, start, end):
        if any(taken[start:end]):
            return
        for i in range(start, end):
            taken[i] = True
        found.append((float(value), start, end))

    for m in _SCI_RX.finditer(low):
        try:
            if m.group("m") is not None:
                mant, exp = float(m.group("m")), int(m.group("e").translate(_SUPERSCRIPT))
            else:
                mant, exp = float(m.group("m2")), int(m.group("e2"))
            if abs(exp) <= 30:
                add(mant * 10**exp, m.start(), m.end())
        except ValueError:
            continue
    for m in _WORD_RX.finditer(low):
        value = words_to_number(m.group(0))
        if value is not None:
            add(value, m.start(), m.end())
            continue
        # "nine and three quarters": two numbers joined by "and", not one.
        offset = m.start()
        for part in re.split(r"(\s+and\s+)", m.group(0)):
            value = words_to_number(part) if part.strip() and part.strip() != "and" else None
            if value is not None:
                add(value, offset, offset + len(part))
            offset += len(part)
    for m in _DIGIT_RX.finditer(low):
        try:
            add(float(m.group(0).replace(",", "")), m.start(), m.end())
        except ValueError:
            continue
    found.sort(key=lambda t: t[1])
    return found


@guard("number")
def parse_number(text: str, today=None) -> Parsed:
    """An answer that is one number ("45", "forty-five", "1.5×10^9")."""
    nums = find_numbers(text)
    if not nums:
        return unclear("no number found")
    values = {v for v, _, _ in nums}
    if len(values) > 1:
        listed = ", ".join(text[s:e] for _, s, e in nums[:5])
        return unclear(f"several numbers given ({listed})")
    value, start, end = nums[0]
    hedged = has_hedge(text)
    return Parsed(
        kind="number",
        value=value,
        span=text[start:end],
        confidence=0.6 if hedged else 0.95,
        note="hedged" if hedged else "",
        start=start,
        end=end,
    )
