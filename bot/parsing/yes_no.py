"""Yes / no / don't-know answers, with hedges ("I think so", "not that I
know of") kept visible as lower confidence.

Value: "yes" | "no" | "unknown". Plain answers get 0.9-0.95, typo-corrected
single words 0.7, weak affirmations ("I did") 0.8, hedged answers 0.4-0.6
with note "hedged". Contradictory answers ("yes and no") and answers
without any yes/no word are ``unclear``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from bot.parsing.nlp import guard, lexicon, lower, phrase_regex
from bot.parsing.types import Parsed, unclear

# category -> (value, confidence, note)
_CATEGORIES = {
    "yes": ("yes", 0.95, ""),
    "no": ("no", 0.95, ""),
    "unknown": ("unknown", 0.9, "does not know"),
    "hedged_yes": ("yes", 0.5, "hedged"),
    "hedged_no": ("no", 0.6, "hedged"),
    "weak_yes": ("yes", 0.8, "implicit yes"),
}
# Words whose confidence differs from their category's (ok is agreement, not
# a firm fact; "maybe" alone is closer to a shrug than "maybe once").
_OVERRIDES = {"ok": 0.8, "okay": 0.8, "not really": 0.75, "maybe": 0.4, "right": 0.85, "true": 0.85, "false": 0.85}


@functools.lru_cache(maxsize=1)
def _tables():
    spec = lexicon()["yes_no"]
    cjk = spec.get("cjk", {})
    phrase_cat: dict = {}
    # Later categories win on duplicates: hedges and "don't know" beat plain words.
    for cat in ("weak_yes", "yes", "no", "hedged_yes", "hedged_no", "unknown"):
        for p in list(spec.get(cat, [])) + list(cjk.get(cat, [])):
            phrase_cat[lower(str(p)).strip()] = cat
    strong = [p for p, c in phrase_cat.items() if c != "weak_yes"]
    weak = [p for p, c in phrase_cat.items() if c == "weak_yes"]
    fuzzy = {lower(str(w)): v for v, ws in spec.get("fuzzy", {}).items() for w in ws}
    return phrase_cat, phrase_regex(strong), phrase_regex(weak), fuzzy


def _normalise(text: str):
    """Lower-case, punctuation to spaces, repeated letters squeezed.

    Returns the normalised text and, per character, its offset in ``text``
    so spans point at the original answer.
    """
    out, index = [], []
    for i, ch in enumerate(lower(text)):
        if ch.isalnum() or ch == "'" or ord(ch) > 0x2E7F:
            if ch.isalpha() and out and out[-1] == ch and len(out) > 1 and out[-2] == ch:
                continue  # "yesss" -> "yess" (-> "yes" by the squeeze below)
            out.append(ch)
        else:
            if out and out[-1] == " ":
                continue
            out.append(" ")
        index.append(i)
    return "".join(out), index


def _squeeze(norm: str, index: list):
    """Second chance for "yess", "noo", "yeahh": all doubled letters single."""
    out, idx = [], []
    for ch, i in zip(norm, index, strict=True):
        if out and ch.isalpha() and out[-1] == ch:
            continue
        out.append(ch)
        idx.append(i)
    return "".join(out), idx


def _edit1(a: str, b: str) -> bool:
    """Exactly one insertion, deletion, substitution or swap apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _hits(norm: str, rx):
    return [(m.start(), m.end(), m.group(0)) for m in rx.finditer(norm)] if rx else []


@functools.lru_cache(maxsize=1)
def _doubt_regex():
    phrase_cat, *_ = _tables()
    return phrase_regex([p for p, c in phrase_cat.items() if c in ("unknown", "hedged_yes", "hedged_no")])


def _doubt_overrides(norm: str, hits: list, phrase_cat: dict) -> list:
    """ "I don't remember": the plain "I don't" found first must not hide the
    "don't remember" that overlaps it. A doubt phrase overlapping a plain yes
    or no and reaching past it replaces it."""
    rx = _doubt_regex()
    if rx is None:
        return hits
    out = list(hits)
    plain = [h for h in hits if phrase_cat.get(h[2]) in ("yes", "no", "weak_yes")]
    # Only a doubt phrase starting inside a plain hit can overlap it: look there, word by word.
    starts = sorted({i for s, e, _ in plain for i in range(s, e) if i == 0 or not norm[i - 1].isalnum()})
    for start in starts:
        m = rx.match(norm, start)
        if not m:
            continue
        s, e = m.start(), m.end()
        overlapped = [h for h in out if h[0] < e and s < h[1] and phrase_cat.get(h[2]) in ("yes", "no", "weak_yes")]
        if overlapped and all(e > h[1] for h in overlapped):
            out = [h for h in out if h not in overlapped] + [(s, e, m.group(0))]
    return sorted(out)


def _result(text, index, start, end, cat, phrase, extra_note=""):
    value, conf, note = _CATEGORIES[cat]
    conf = _OVERRIDES.get(phrase, conf)
    s, e = index[start], index[end - 1] + 1
    note = "; ".join(n for n in (note, extra_note) if n)
    return Parsed(kind="yes_no", value=value, span=text[s:e], confidence=conf, note=note, start=s, end=e)


@guard("yes_no")
def parse_yes_no(text: str, today=None) -> Parsed:
    """A yes/no/don't-know answer. ``today`` is unused (uniform signature).

    Remembered per text: several parsers read the yes/no of the same answer."""
    return _parse_yes_no(text)


@functools.lru_cache(maxsize=2048)
def _parse_yes_no(text: str) -> Parsed:
    phrase_cat, strong_rx, weak_rx, fuzzy = _tables()
    norm, index = _normalise(text)
    if not norm.strip():
        return unclear("empty answer")
    for attempt in (0, 1):
        hits = _hits(norm, strong_rx)
        if hits:
            break
        if attempt == 0:
            norm, index = _squeeze(norm, index)
    if not hits:
        weak = _hits(norm, weak_rx)
        if weak:
            s, e, p = weak[0]
            return _result(text, index, s, e, "weak_yes", p)
        tokens = norm.split()
        if len(tokens) == 1 and len(tokens[0]) >= 3:
            for target, value in fuzzy.items():
                if _edit1(tokens[0], target):
                    s = norm.index(tokens[0])
                    span = text[index[s] : index[s + len(tokens[0]) - 1] + 1]
                    return Parsed(
                        kind="yes_no",
                        value=value,
                        span=span,
                        confidence=0.7,
                        note=f"read '{tokens[0]}' as '{target}'",
                        start=index[s],
                        end=index[s + len(tokens[0]) - 1] + 1,
                    )
        return unclear("no yes/no answer found")

    hits = _doubt_overrides(norm, hits, phrase_cat)
    cats = [(s, e, p, phrase_cat.get(p.replace("-", " "), phrase_cat.get(p, "yes"))) for s, e, p in hits]
    values = {_CATEGORIES[c][0] for *_, c in cats}
    if len(values) == 1:
        # Several words, one meaning ("no, never"): the weakest confidence wins.
        s, e, p, c = min(cats, key=lambda h: _OVERRIDES.get(h[2], _CATEGORIES[h[3]][1]))
        return _result(text, index, s, e, c, p)
    if values == {"yes", "unknown"} or values == {"no", "unknown"}:
        # "not sure, maybe once" / "no idea, probably not": a hedged answer.
        s, e, p, c = next(h for h in cats if _CATEGORIES[h[3]][0] != "unknown")
        r = _result(text, index, s, e, c, p, "with doubt")
        return replace(r, confidence=min(r.confidence, 0.5), note="hedged; with doubt")
    listed = ", ".join(f"'{p}'" for *_, p, _ in cats[:4])
    return unclear(f"contradictory answer ({listed})", span=text[index[cats[0][0]] : index[cats[-1][1] - 1] + 1])


def is_plain(text: str) -> bool:
    """True when the answer is nothing but a yes/no phrase ("No.", "yes please").

    Other parsers use this to decide whether to fall back to yes/no.
    """
    phrase_cat, *_ = _tables()
    norm, _ = _normalise(text)
    norm = re.sub(r"\s+", " ", norm).strip()
    if norm in phrase_cat:
        return True
    # "no never", "yes definitely": every word belongs to some phrase.
    words = norm.split()
    return bool(words) and all(w in phrase_cat for w in words)
