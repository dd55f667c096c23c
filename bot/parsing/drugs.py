"""Medicines: which, how much per day, by which route, when, and - for a
prior TKI - whether the disease progressed on it.

Names (generic, brand, Chinese), classes, steroid equivalence factors and
usual routes come from the lexicon. "aspirin 300 mg twice daily" -> 600 mg
a day; "dexamethasone 4 mg" -> 26.7 mg prednisolone equivalent.

Negated drugs ("never took apatinib") are NOT in ``drugs``; they are listed
by name in ``negated_drugs``, so code that walks ``drugs`` only ever sees
medicines the person took.
"""

from __future__ import annotations

import functools
import re

from bot.parsing.nlp import (
    as_date,
    entries,
    guard,
    has_hedge,
    is_cased,
    lexicon,
    lower,
    mentions,
    negated_before,
    phrase_regex,
    value_hedge_regex,
)
from bot.parsing.timing import bounds, find_times
from bot.parsing.types import Parsed, unclear
from bot.parsing.yes_no import parse_yes_no
from bot.parsing.zh import alternatives as zh_alternatives
from bot.parsing.zh import data as zh_data

_DOSE = re.compile(
    r"(?<![\w.])(?P<n>\d+(?:\.\d+)?)\s*(?P<u>mg|milligrams?|mcg|µg|ug|micrograms?|g|grams?|"
    + zh_alternatives("drugs", "dose_units_mg")
    + r")(?![a-z])"
)
_COUNT = re.compile(
    r"(?P<k>\d+|one|two|three|four|half|a half|½)\s*(?:x\s*)?(?:tablets?|tabs?|pills?|capsules?|"
    + zh_alternatives("drugs", "tablet_words")
    + r")\s*(?:of\s*)?$"
)
_TIMES = re.compile(r"^\s*(?:x|×)\s*(?P<k>\d)\b(?!\s*(?:a|per)\b)")
_UNIT_MG = {
    "mg": 1.0,
    "milligram": 1.0,
    "milligrams": 1.0,
    "mcg": 0.001,
    "µg": 0.001,
    "ug": 0.001,
    "microgram": 0.001,
    "micrograms": 0.001,
    "g": 1000.0,
    "gram": 1000.0,
    "grams": 1000.0,
    **{unit: float(mg) for unit, mg in zh_data()["drugs"]["dose_units_mg"].items()},
}
_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "half": 0.5, "a half": 0.5, "½": 0.5}
_STOPPED = re.compile(
    r"\b(?:stopped|quit|finished|completed|came off|come off|no longer|used to|was on|were on|"
    r"previously|discontinued|ended|until|course of|last dose|premed\w*|taper(?:ed)?)\b|"
    + zh_alternatives("drugs", "stopped")
)
_OTHER_TREATMENT_ONLY = re.compile(
    r"\b(?:only|just)\s+(?:had\s+)?(?:chemo\w*|radiation|radiotherapy|surgery|operations?|immunotherapy)"
    r"(?:\s*(?:,|and|&|\+)\s*(?:chemo\w*|radiation|radiotherapy|surgery|operations?|immunotherapy))*\b"
)
_PAST_USE = re.compile(
    r"\b(?:had|took|was given|were given|got|received|given|gave)\b|" + zh_alternatives("drugs", "past_use")
)
# "on warfarin", "taking aspirin": the medicine is current whatever date follows.
_ON_IT_BEFORE = re.compile(
    r"(?<!progressed )(?<!progression )(?<!pd )(?<!failed )(?<!relapsed )(?<!response )(?<!sd )(?<!pr )"
    r"\b(?:on|taking|takes|uses|using|still\s+on)\s+(?:a\s+|daily\s+|low[- ]dose\s+|regular\s+)?$"
)
_CURRENT = re.compile(
    r"\b(?:currently|still|now|at the moment|am on|i'?m on|is on|are on|taking|take|"
    r"takes|using|on it|started|starting|began|begun|commenced|initiated|since|been on|ongoing)\b|"
    + zh_alternatives("drugs", "current")
)
_WINDOW = 45  # characters after a drug name searched for its dose, route, time


# A medicine mentioned without its name: "another tablet, I can't remember the name".
@functools.cache
def _approximate_dose() -> re.Pattern:
    """A hedge before a dose ("about 100 mg"): near a dose limit it matters."""
    unit = r"(?:mg|mcg|µg|ug|g|ml|iu|units?|" + zh_alternatives("drugs", "hedged_dose_units") + r")(?![a-z])"
    return re.compile(rf"(?:{value_hedge_regex().pattern})\d+(?:[.,]\d+)?\s*{unit}", re.I)


@functools.cache
def _zh_approximate_duration() -> re.Pattern:
    """A Chinese hedge on a duration (大概 6 个月, 1 年左右), not followed by 前 (ago)."""
    before, after = (
        zh_alternatives("drugs", "duration_hedges_before"),
        zh_alternatives("drugs", "duration_hedges_after"),
    )
    units = zh_alternatives("drugs", "duration_units")
    ago = zh_alternatives("timing", "ago")
    more = zh_alternatives("drugs", "duration_more")  # 2周多前, 1年余前: still a time ago
    amount = rf"\d+(?:\.\d+)?\s*(?:{units})"
    not_ago = rf"(?!\s*(?:{more}|{after})?\s*(?:{ago}))"
    return re.compile(rf"(?:{before})\s*(?={amount}{not_ago})|(?<=\d)(\s*(?:{units}))\s*(?:{after}){not_ago}")


def _hedged(text: str) -> bool:
    """Doubt about the answer ("I think it was apatinib"), or an approximate
    dose. An approximate duration or time ("anlotinib for about half a year",
    "安罗替尼吃了大概半年") is not doubt about which medicine was taken."""
    if re.search(zh_alternatives("drugs", "doubt"), text):
        return True  # 不太确定, 记不清: doubt, whatever else is approximate
    text = _zh_approximate_duration().sub(lambda m: m.group(1) or "", text)
    return has_hedge(text, quantities=False) or bool(_approximate_dose().search(lower(text)))


_UNNAMED = re.compile(
    r"\b(?:(?:another|some|a|other|daily|targeted|new)\s+(?:\w+\s+)?(?:tablets?|pills?|medicines?|medications?|drugs?|capsules?)"
    r"\b[^.;]{0,60}?(?:can'?t|cannot|don'?t|do\s+not|not\s+sure|forget|forgot)\s*(?:remember|recall|know|what|the\s+name)?"
    r"|(?:can'?t|cannot|don'?t|do\s+not)\s+(?:remember|recall|know)\s+(?:the\s+)?(?:names?|what\s+(?:it|they)\s+(?:was|were)\s+called)"
    r"|(?:names?|what\s+it\s+was\s+called)\s+(?:i\s+)?(?:can'?t|cannot|don'?t)\s+(?:remember|recall))"
)


def _drugs() -> dict:
    return lexicon().get("drugs", {})


def classes_of(name: str) -> list:
    """The lexicon's classes of a medicine (by its canonical name)."""
    return list(_drugs().get(name, {}).get("classes", []))


@functools.lru_cache(maxsize=1)
def _freq():
    table = {}
    for per_day, phrases in (lexicon().get("frequencies") or {}).items():
        for p in phrases:
            table[lower(str(p))] = float(per_day)
    return table, phrase_regex(table)


@functools.lru_cache(maxsize=1)
def _routes():
    table = {lower(str(p)): route for route, ps in (lexicon().get("routes") or {}).items() for p in ps}
    return table, phrase_regex(table)


@functools.lru_cache(maxsize=1)
def _progression():
    spec = lexicon().get("progression", {})
    cased, plain = {}, {}
    for cat in ("progressed", "stable"):
        for p in spec.get(cat, []):
            (cased if is_cased(str(p)) else plain)[str(p) if is_cased(str(p)) else lower(str(p))] = cat
    cased_rx = (
        re.compile("|".join(rf"(?<![\w-]){re.escape(p)}(?![\w]|-?L?1)" for p in sorted(cased, key=len, reverse=True)))
        if cased
        else None
    )
    return cased, cased_rx, plain, phrase_regex(plain)


_NO_RESULT_AFTER = re.compile(
    r"\s*(?:[:=-]\s*)?(?:is\s+|was\s+)?(?:unknown|unclear|not\s+(?:known|assessed|evaluated|available|done)|pending|n/?a|\?)"
)


def _parse_progression(text: str):
    """True (progressed), False (stable / responding) or None; with notes."""
    low = lower(text)
    cased, cased_rx, plain, plain_rx = _progression()
    hits = []
    if plain_rx:
        for m in plain_rx.finditer(low):
            cat = plain.get(re.sub(r"[\s-]+", " ", m.group(0)), plain.get(m.group(0)))
            if cat is None:
                continue
            if negated_before(low, m.start()):
                cat = "stable" if cat == "progressed" else "progressed"
            hits.append((m.start(), m.end(), cat))
    if cased_rx:
        for m in cased_rx.finditer(text):
            if not any(s <= m.start() < e for s, e, _ in hits):
                hits.append((m.start(), m.end(), cased[m.group(0)]))
    # "response unknown", "PD not assessed": a response word with no result is no result.
    hits = [h for h in hits if not _NO_RESULT_AFTER.match(low, h[1])]
    cats = {c for *_, c in hits}
    if not cats:
        return None, None, ""
    hits.sort()
    if "progressed" in cats:
        first = next(h for h in hits if h[2] == "progressed")
        return True, first, "mixed response words" if "stable" in cats else ""
    return False, hits[0], ""


def _without_echoes(drugs: list, ms: list) -> list:
    """ "budesonide inhaler": the kind word right after a named medicine of its class is
    that medicine, not a second one."""
    spans = {entries(m, "DRUG")[0].key: (m.start, m.end) for m in ms if not m.negated}
    kept = []
    for drug in drugs:
        if drug.get("unspecified"):
            start, _ = spans.get(drug["name"], (None, None))
            named_before = any(
                not other.get("unspecified")
                and set(other["classes"]) & set(drug["classes"])
                and start is not None
                and 0 <= start - spans.get(other["name"], (0, -99))[1] <= 3
                for other in drugs
            )
            if named_before:
                continue
        kept.append(drug)
    return kept


def _dose_without_name(low: str) -> float | None:
    """The daily dose in an answer naming no medicine ("5 mg a day", "75mg once daily")."""
    doses = _doses(low, 0, len(low))
    if len(doses) != 1:
        return None
    mg, k, m = doses[0]
    table, rx = _freq()
    f = rx.search(low, m.end()) if rx else None
    per_day = table.get(re.sub(r"[\s-]+", " ", f.group(0))) if f else 1.0
    return round(mg * k * (per_day or 1.0), 3)


def _clause_end(text: str, start: int, stop: int) -> int:
    m = re.search(r"\.(?!\d)|[;\n]|\band\s+(?:i|he|she)\b|。|；", text[start:stop])
    return start + m.start() if m else stop


def _doses(low: str, start: int, end: int) -> list:
    """Doses in [start, end) as (mg_per_unit, multiplier, match)."""
    out = []
    for m in _DOSE.finditer(low, start, end):
        mg = float(m.group("n")) * _UNIT_MG.get(m.group("u"), 1.0)
        k = 1.0
        c = _COUNT.search(low[max(start, m.start() - 20) : m.start()])
        if c:
            raw = c.group("k")
            k = float(raw) if raw[0].isdigit() else _COUNT_WORDS.get(raw, 1)
        t = _TIMES.match(low[m.end() : end])
        if t:
            k *= float(t.group("k"))
        out.append((mg, k, m))
    return out


def _drug_entry(text: str, low: str, m, nxt: int, prv: int, today, refs, notes: list) -> dict:
    name = entries(m, "DRUG")[0].key
    spec = _drugs().get(name, {})
    end = _clause_end(low, m.end, min(nxt, m.end + _WINDOW))
    before_start = max(prv, m.start - 25)
    doses = _doses(low, m.end, end)
    if not doses:
        # "81 mg baby aspirin": the dose right before the name.
        d = list(_DOSE.finditer(low, before_start, m.start))
        if d and not low[d[-1].end() : m.start].strip(" of"):
            doses = [(float(d[-1].group("n")) * _UNIT_MG.get(d[-1].group("u"), 1.0), 1.0, d[-1])]
    daily = None
    ev_end = m.end
    if doses:
        c = _COUNT.search(low[before_start : m.start])
        if c and len(doses) == 1 and doses[0][1] == 1.0:
            # "2 tablets of prednisolone 5 mg"
            raw = c.group("k")
            doses = [(doses[0][0], float(raw) if raw[0].isdigit() else _COUNT_WORDS.get(raw, 1), doses[0][2])]
        table, rx = _freq()
        daily = 0.0
        for j, (mg, k, dm) in enumerate(doses):
            # Each dose's frequency sits between it and the next dose
            # ("20 mg in the morning and 10 mg at night" = 30 mg a day).
            stop = doses[j + 1][2].start() if j + 1 < len(doses) else max(end, dm.end() + 30)
            f = rx.search(low, dm.end(), stop) if rx else None
            if f is None and rx and j == 0:
                f = rx.search(low, before_start, m.start)
            per_day = table.get(re.sub(r"[\s-]+", " ", f.group(0))) if f else None
            ev_end = max(ev_end, dm.end(), f.end() if f else 0)
            if per_day is None:
                per_day = 1.0
                notes.append(f"{name}: frequency not stated; assumed once daily")
            elif per_day < 1:
                notes.append(f"{name}: dose averaged per day ({f.group(0)})")
            daily += mg * k * per_day
        daily = round(daily, 3)
    else:
        for phrase, mg in (spec.get("default_dose_for") or {}).items():
            if lower(phrase) in lower(m.text):
                daily = float(mg)
                notes.append(f"{name}: '{m.text}' taken as {mg:g} mg daily")
    route = None
    rtable, rrx = _routes()
    if rrx:
        cands = [r for r in rrx.finditer(low, before_start, max(end, m.end)) if not (m.start <= r.start() < m.end)]
        if cands:
            r = min(cands, key=lambda r: abs(r.start() - m.end))
            route = rtable.get(re.sub(r"[\s-]+", " ", r.group(0)), rtable.get(r.group(0)))
            ev_end = max(ev_end, r.end())
    if route is None and "inject" in lower(m.text):
        route = "injection"
    if route is None and spec.get("default_route"):
        route = spec["default_route"]
    near = [r for r in refs if before_start <= r.start < max(end, m.end) + 25]
    days = near[0].days_ago(today) if near else None
    if near:
        ev_end = max(ev_end, near[0].end)
    sentence = low[m.sent_start : m.sent_end] if m.sent_end > m.sent_start else low
    status = None
    st, cu = _STOPPED.search(sentence), _CURRENT.search(sentence)
    if st and cu:
        status = (
            "stopped"
            if abs(st.start() - (m.start - m.sent_start)) <= abs(cu.start() - (m.start - m.sent_start))
            else "current"
        )
    elif st:
        status = "stopped"
    elif cu:
        status = "current"
    if _ON_IT_BEFORE.search(low[max(0, m.start - 20) : m.start]) and not st:
        status = "current"
    if status is None and days is not None and days > 0 and _PAST_USE.search(sentence):
        status = "stopped"  # "I had dexamethasone with my chemo three weeks ago": a past dose
    factor = spec.get("prednisolone_factor")
    timing = {"approximate": bool(near[0].approximate), **bounds(near[0], today)} if near else {}
    return {
        **timing,
        "prednisolone_factor": float(factor) if factor else None,
        "name": name,
        "matched": m.text,
        "daily_dose_mg": daily,
        "route": route,
        "days_ago": days,
        "prednisolone_equivalent_mg": round(daily * float(factor), 1) if factor and daily is not None else None,
        "classes": list(spec.get("classes", [])),
        "unspecified": bool(spec.get("unspecified", False)),
        "tki": bool(spec.get("tki", False)),
        "status": status,
        "span": text[m.start : ev_end],
        "_end": ev_end,
    }


@guard("drugs")
def parse_drugs(text: str, today=None) -> Parsed:
    """Medicines in an answer.

    value: {"answer": "yes"|"no"|"unknown",
            "drugs": [{"name", "matched", "daily_dose_mg", "route", "days_ago",
                       "prednisolone_equivalent_mg", "prednisolone_factor", "classes",
                       "unspecified" (a kind named, not a medicine: "a TKI", "steroids"),
                       "tki", "status", "span"} and, for an approximate time,
                       "approximate", "days_ago_min", "days_ago_max"],
            "negated_drugs": [name, ...],
            "progression": True|False|None,
            "stated": "yes"|"no"|"unknown"|None}  (a plain yes/no beside named drugs)
    plus, only when true or given: "unnamed": True (a medicine mentioned without
    its name: "another tablet, I can't remember the name"), "dose_only_mg" (a
    daily dose with no name: "5 mg a day", the follow-up to "which one, how much?").
    route: "oral"|"inhaled"|"nasal"|"injection"|None (usual route from the
    lexicon when unstated); status: "current"|"stopped"|None.
    """
    today = as_date(today)
    low = lower(text)
    ms = [m for m in mentions(text) if entries(m, "DRUG")]
    refs = find_times(text, today)
    notes: list = []
    drugs, negated, seen = [], [], {}
    for i, m in enumerate(ms):
        name = entries(m, "DRUG")[0].key
        if m.negated:
            if name not in negated:
                negated.append(name)
            continue
        # The next medicine bounds this one's dose and route; a kind word ("inhaler") does not.
        later = [n for n in ms[i + 1 :] if not _drugs().get(entries(n, "DRUG")[0].key, {}).get("unspecified")]
        nxt = later[0].start if later else len(text)
        prv = ms[i - 1].end if i > 0 else 0
        entry = _drug_entry(text, low, m, nxt, prv, today, refs, notes)
        if name in seen:  # "apatinib (Aitan)": one drug, keep what each mention adds
            old = seen[name]
            for k, v in entry.items():
                if old.get(k) is None and v is not None:
                    old[k] = v
            continue
        seen[name] = entry
        drugs.append(entry)
    drugs = _without_echoes(drugs, ms)
    ev_end = max([d.pop("_end") for d in drugs] or [0])
    negated = [n for n in negated if n not in seen]
    progression, prog_hit, prog_note = _parse_progression(text)
    if prog_note:
        notes.append(prog_note)
    hedged = _hedged(text)
    conf = 0.9
    if any("frequency not stated" in n or "taken as" in n for n in notes):
        conf = 0.7
    if prog_note:
        conf = min(conf, 0.7)
    if hedged:
        conf = min(conf, 0.6)
        notes.append("hedged")
    stated = None  # the plain yes/no said beside the names ("no, only doxorubicin")
    unnamed = bool(_UNNAMED.search(low))
    dose_only = None
    if drugs:
        answer = "yes"
        span_s, span_e = ms[0].start, max(ms[-1].end, ev_end)
        said = parse_yes_no(text, today)
        # "I had sorafenib" is not a "yes" beside the names: only a real yes/no word is.
        stated = None if said.unclear or said.note == "implicit yes" else said.value
    elif negated:
        answer = "no"
        span_s, span_e = ms[0].start, ms[-1].end
    else:
        yn = parse_yes_no(text, today)
        dose_only = _dose_without_name(low)
        if dose_only is not None:
            # "5 mg a day" answering "which one, and how much?": the dose of the medicine named before.
            return Parsed(
                kind="drugs",
                value={
                    "answer": "yes",
                    "drugs": [],
                    "negated_drugs": [],
                    "progression": None,
                    "stated": None,
                    "dose_only_mg": dose_only,
                },
                span=text.strip(),
                confidence=0.8 if not hedged else 0.6,
                note="a daily dose without a medicine name",
                start=0,
                end=len(text),
            )
        if unnamed and (yn.unclear or yn.value != "no"):
            answer, conf = "yes", min(conf, 0.9)
            notes.append("a medicine mentioned without its name")
            return Parsed(
                kind="drugs",
                value={
                    "answer": "unknown",
                    "drugs": [],
                    "negated_drugs": [],
                    "progression": progression,
                    "stated": None,
                    "unnamed": True,
                },
                span=text.strip(),
                confidence=conf,
                note="; ".join(notes),
                start=0,
                end=len(text),
            )
        other_only = _OTHER_TREATMENT_ONLY.search(low)
        if yn.unclear and progression is None and other_only:
            # "only chemo and radiation so far": treatments named, none of them a medicine asked about.
            return Parsed(
                kind="drugs",
                value={"answer": "no", "drugs": [], "negated_drugs": [], "progression": None, "stated": None},
                span=other_only.group(0),
                confidence=0.8 if not hedged else 0.6,
                note="only other kinds of treatment named",
                start=other_only.start(),
                end=other_only.end(),
            )
        if yn.unclear and progression is None:
            return unclear("no medicine, yes/no or response word found")
        if yn.unclear:
            answer, conf = "unknown", min(conf, 0.6)
            notes.append("response described without a drug name")
            span_s, span_e = prog_hit[0], prog_hit[1]
        else:
            answer, conf = yn.value, min(conf, yn.confidence)
            if yn.note:
                notes.append(yn.note)
            span_s, span_e = yn.start or 0, yn.end or len(text)
    if prog_hit is not None:
        span_s, span_e = min(span_s, prog_hit[0]), max(span_e, prog_hit[1])
    value = {"answer": answer, "drugs": drugs, "negated_drugs": negated, "progression": progression, "stated": stated}
    if unnamed:
        value["unnamed"] = True
    return Parsed(
        kind="drugs",
        value=value,
        span=text[span_s:span_e],
        confidence=conf,
        note="; ".join(notes),
        start=span_s,
        end=span_e,
    )
