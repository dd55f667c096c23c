"""Chinese answers made readable for the parsers: Chinese numerals before a
unit or time word become digits (四十五岁 -> 45岁, 两年前 -> 2年前), a few
duration phrases become numbers (半年 -> 6个月), and a space separates Chinese
characters from digits and Latin letters (我45岁 -> 我 45 岁) so the parsers'
word boundaries hold. The vocabulary is in bot/data/zh.yaml.

``normalize`` returns the text unchanged when it has no Chinese; a numeral
cn2an cannot read is left as written (never dropped)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from bot.parsing.nlp import clean, is_cjk

_DATA = Path(__file__).resolve().parent.parent / "data" / "zh.yaml"


@lru_cache(maxsize=1)
def data() -> dict:
    """bot/data/zh.yaml."""
    return yaml.safe_load(_DATA.read_text(encoding="utf-8"))


def alternatives(*path: str) -> str:
    """The words of bot/data/zh.yaml at ``path`` as a regex alternation
    ("乙型肝炎|乙肝"), longest first, escaped; a mapping gives its keys."""
    words = data()
    for part in path:
        words = words[part]
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _patterns() -> tuple:
    words = data()
    rewrites = words["rewrites"]
    rewrite_rx = re.compile("|".join(re.escape(k) for k in sorted(rewrites, key=len, reverse=True)))
    chars = re.escape(words["numeral_chars"])
    followers = "|".join(re.escape(f) for f in sorted(words["numeral_followers"], key=len, reverse=True))
    point = re.escape(words["numeral_point"])
    numeral_rx = re.compile(rf"(?P<n>[{chars}]+(?:{point}[{chars}]+)?)(?=(?:{followers}))")
    return rewrites, rewrite_rx, numeral_rx


def _to_number(numeral: str) -> str | None:
    try:
        import cn2an

        for spelling, read_as in data()["numeral_spellings"].items():
            numeral = numeral.replace(spelling, read_as)
        value = cn2an.cn2an(numeral, "smart")
    except Exception:  # noqa: BLE001 - not a numeral cn2an reads: leave it as written
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


_CJK_CHAR = r"[\u3400-\u9fff\uf900-\ufaff]"
_GAP_BEFORE = re.compile(rf"(?<={_CJK_CHAR})(?=[0-9A-Za-z])")
_GAP_AFTER = re.compile(rf"(?<=[0-9A-Za-z%+])(?={_CJK_CHAR})")


def normalize(text: str) -> str:
    """The Chinese answer with digits for numerals before units; other text unchanged."""
    if not isinstance(text, str) or not is_cjk(text):
        return text
    rewrites, rewrite_rx, numeral_rx = _patterns()
    out = clean(text)
    out = rewrite_rx.sub(lambda m: rewrites[m.group(0)], out)

    def number(m: re.Match) -> str:
        return _to_number(m.group("n")) or m.group(0)

    out = numeral_rx.sub(number, out)
    out = _GAP_BEFORE.sub(" ", out)
    return _GAP_AFTER.sub(" ", out)
