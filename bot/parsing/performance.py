"""Performance status (ECOG) and amputation.

``parse_ecog`` reads clinician scores ("ECOG 1", "PS 2", "WHO 0"), converts
Karnofsky / Lansky ("KPS 80" -> ECOG 1, noted) and maps patients' own
descriptions ("I can do everything I did before" -> 0, "bed-bound" -> 4,
self_report=True). The description patterns live in the lexicon.
``parse_amputation`` matters because the trial allows ECOG 2 after amputation.
"""

from __future__ import annotations

import functools
import re

from bot.parsing.nlp import guard, has_hedge, lexicon, lower, negated_before
from bot.parsing.numbers import WORD_NUMBER, words_to_number
from bot.parsing.types import Parsed, unclear
from bot.parsing.yes_no import parse_yes_no
from bot.parsing.zh import alternatives as zh_alternatives

_SCORE = rf"(?P<n>\d+(?:\.\d+)?|{WORD_NUMBER})"
_RANGE = rf"(?:\s*(?:-|–|to|or|/)\s*(?P<n2>\d|{WORD_NUMBER}))?"
_ECOG = re.compile(
    r"\b(?:ecog|zubrod|who|ps|p\.s\.|performance\s+status|performance\s+score|"
    + zh_alternatives("performance", "ecog_names")
    + r")(?:\s*(?:ps|performance\s+status|score|grade|status|"
    + zh_alternatives("performance", "score_words")
    + r"))?\s*(?:is|was|of|=|:|：)?\s*"
    + _SCORE
    + _RANGE
)
_KPS = re.compile(
    r"\b(?P<scale>kps|karnofsky|lansky|lps)(?:\s*(?:performance\s+)?(?:status|score|index|"
    + zh_alternatives("performance", "score_words")
    + r"))?\s*(?:is|was|of|=|:)?\s*(?P<n>\d{1,3})\s*%?"
)
# Karnofsky/Lansky -> ECOG (Oken 1982 / Buccheri 1996 conversion):
# 100-90 -> 0, 80-70 -> 1, 60-50 -> 2, 40-30 -> 3, 20-10 -> 4.
_KPS_TO_ECOG = [(90, 0), (70, 1), (50, 2), (30, 3), (10, 4)]


def _n(raw):
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return words_to_number(raw)


@functools.lru_cache(maxsize=1)
def _descriptions():
    spec = lexicon().get("ecog_descriptions", {})
    return [(int(grade), re.compile(p)) for grade, pats in spec.items() for p in pats]


def _ecog(value: int, self_report: bool, text: str, s: int, e: int, conf: float, note: str = "", extra=None) -> Parsed:
    if has_hedge(text):
        conf, note = min(conf, 0.6), "; ".join(n for n in (note, "hedged") if n)
    return Parsed(
        kind="ecog",
        value={"ecog": value, "self_report": self_report},
        span=text[s:e],
        confidence=conf,
        note=note,
        start=s,
        end=e,
        extra=extra or {},
    )


@functools.lru_cache(maxsize=1)
def _past_rx() -> re.Pattern:
    words = lexicon().get("ecog_past_markers", [])
    return re.compile("|".join(words)) if words else re.compile(r"(?!x)x")


_CLAUSE = re.compile(r"[.;!?,。；，、]|\bbut\b|" + zh_alternatives("performance", "clause_breaks") + "|now")


def _in_the_past(low: str, start: int) -> bool:
    """A description about before ("以前爱打球", "i used to play football") is not today's day."""
    clause = _CLAUSE.split(low[max(0, start - 40) : start])[-1]
    return bool(_past_rx().search(clause))


@guard("ecog")
def parse_ecog(text: str, today=None) -> Parsed:
    """ECOG performance status. value: {"ecog": 0-4, "self_report": bool}; a range
    ("ECOG 0-1") gives the worse grade as "ecog" and the better as "ecog_min"."""
    low = lower(text)
    m = _KPS.search(low)
    if m:
        kps = int(m.group("n"))
        scale = "Lansky" if m.group("scale") in ("lansky", "lps") else "Karnofsky"
        if kps > 100 or kps < 10:
            return unclear(f"{scale} score out of range ({kps})", span=text[m.start() : m.end()])
        grade = next(g for threshold, g in _KPS_TO_ECOG if kps >= threshold)
        exact = kps % 10 == 0
        return _ecog(
            grade,
            False,
            text,
            m.start(),
            m.end(),
            0.85 if exact else 0.6,
            f"converted from {scale} {kps} (100-90->0, 80-70->1, 60-50->2, 40-30->3, 20-10->4)",
            {"scale": scale.lower(), "score": kps},
        )
    m = _ECOG.search(low)
    if m:
        a, b = _n(m.group("n")), _n(m.group("n2"))
        span = text[m.start() : m.end()]
        if a is None or not 0 <= a <= 5 or a != int(a) or (b is not None and not 0 <= b <= 5):
            return unclear(f"ECOG score out of range ({span})", span=span)
        if a == 5:
            return unclear("ECOG 5 means dead; check the answer", span=span)
        if b is not None and b != a:
            # "ECOG 0-1": both grades; the rule passes it if the worse one passes.
            lo, hi = sorted((int(a), int(b)))
            parsed = _ecog(hi, False, text, m.start(), m.end(), 0.95, f"ECOG given as a range ({lo}-{hi})")
            return Parsed(
                parsed.kind,
                {**parsed.value, "ecog_min": lo},
                parsed.span,
                parsed.confidence,
                parsed.note,
                parsed.start,
                parsed.end,
                {"ecog_min": lo, "ecog_max": hi},
            )
        return _ecog(int(a), False, text, m.start(), m.end(), 0.95)
    hits = []
    for grade, rx in _descriptions():
        for d in rx.finditer(low):
            if not negated_before(low, d.start()) and not _in_the_past(low, d.start()):
                hits.append((grade, d.start(), d.end()))
    if hits:
        grades = {g for g, _, _ in hits}
        worst = max(grades)
        g, s, e = min((h for h in hits if h[0] == worst), key=lambda h: h[1])
        conf, note = 0.8, "patient description"
        if len(grades) > 1 and max(grades) - min(grades) > 1:
            conf, note = 0.5, f"descriptions fit grades {sorted(grades)}; used the worst"
        elif len(grades) > 1:
            conf, note = 0.7, f"descriptions fit grades {sorted(grades)}; used the worst"
        return _ecog(worst, True, text, s, e, conf, note)
    return unclear("no performance status or activity description found")


@functools.lru_cache(maxsize=1)
def _amputation_rx():
    spec = lexicon().get("amputation", {})
    return ([re.compile(p) for p in spec.get("yes", [])], [re.compile(p) for p in spec.get("no", [])])


@guard("amputation")
def parse_amputation_mention(text: str, today=None) -> Parsed:
    """An amputation (or limb-sparing surgery) named in a longer answer ("ECOG 2,
    s/p AKA"); unclear when none is named, never a yes/no guess."""
    parsed = parse_amputation(text)
    if parsed.unclear or parsed.note in ("limb-sparing surgery", "negated amputation") or parsed.extra:
        return parsed
    return unclear("no amputation named")


@guard("amputation")
def parse_amputation(text: str, today=None) -> Parsed:
    """Has the patient had an amputation? value: "yes" | "no" | "unknown"."""
    low = lower(text)
    yes_rx, no_rx = _amputation_rx()
    for rx in no_rx:
        m = rx.search(low)
        if m:
            return Parsed(
                kind="yes_no",
                value="no",
                span=text[m.start() : m.end()],
                confidence=0.85,
                note="limb-sparing surgery",
                start=m.start(),
                end=m.end(),
            )
    for rx in yes_rx:
        m = rx.search(low)
        if m:
            conf = 0.6 if has_hedge(text) else 0.9
            if negated_before(low, m.start()):
                return Parsed(
                    kind="yes_no",
                    value="no",
                    span=text[m.start() : m.end()],
                    confidence=conf,
                    note="negated amputation",
                    start=m.start(),
                    end=m.end(),
                )
            return Parsed(
                kind="yes_no",
                value="yes",
                span=text[m.start() : m.end()],
                confidence=conf,
                note="hedged" if conf < 0.9 else "",
                start=m.start(),
                end=m.end(),
                extra={"detail": m.group(0)},
            )
    return parse_yes_no(text)
