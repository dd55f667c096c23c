"""Cardiac measurements for exclusion 7: LVEF and the Fridericia-corrected QT.

- ``parse_lvef(text)`` -> kind "lvef", value: float percent ("LVEF 55%",
  "EF 45 %", "ejection fraction 60", "EF 0.55", "EF 55-60%" -> 55 with a note).
- ``parse_qtc(text)``  -> kind "qtcf", value: float ms ("QTcF 440 ms";
  "QTc 460" with a note and confidence 0.7 because the correction method is
  not stated; "QT 400 ms, HR 75" or "QT 400, RR 800 ms" computed with
  ``bot.clinical.fridericia``). A Bazett value (QTcB) alone is unclear: it
  overestimates QTcF at high heart rates.
"""

from __future__ import annotations

import re

from bot.clinical import fridericia
from bot.parsing.types import Parsed, unclear

# Shared with the other vital-sign readers: input guard, decimal commas, hedges.
from bot.parsing.vitals import _conf, _float, _guard

CONF_STATED = 0.95


def _num(name: str) -> str:
    """A number (decimal point or comma) captured as group ``name``."""
    return rf"(?<![\d.])(?P<{name}>\d{{1,4}}(?:[.,]\d{{1,3}})?)(?![\d]|[.,]\d)"


# Each "\s*" is followed by a required token, so long runs of spaces cannot be
# matched in many ways (the regexes stay linear on any input).
_SEP = r"(?:\s*(?:[:=]|\b(?:is|was|of|at)\b))*\s*"


# --------------------------------------------------------------------------
# LVEF.

_LVEF_RE = re.compile(
    r"(?<![A-Za-z])(?:LV\s*EF|L\.?V\.?E\.?F\.?|EF|(?:left\s+ventricular\s+)?ejection\s+fraction)"
    r"(?:\s*\((?:echo|TTE|MUGA|Simpson'?s?|biplane)\))?"
    + _SEP
    + r"(?:(?P<cmp><=|>=|≤|≥|<|>)\s*)?"
    + _num("lo")
    + r"(?:(?:\s*%)?\s*(?:-|–|to)\s*"
    + _num("hi")
    + r")?(?P<pct>\s*%|\s*percent)?",
    re.I,
)
_BARE_RE = re.compile(
    r"^(?:\s*(?:about|around|approx(?:imately)?|~))?\s*" + _num("n") + r"(?:\s*(?P<pct>%|percent))?(?:\s*\.)?\s*$", re.I
)
_LVEF_RANGE = (5.0, 90.0)


def parse_lvef(text: str) -> Parsed:
    """Left ventricular ejection fraction in percent."""
    text = _guard(text)
    if text is None:
        return unclear("no ejection fraction given")
    found, comparators = [], []
    for m in _LVEF_RE.finditer(text):
        lo = _float(m["lo"])
        hi = _float(m["hi"]) if m["hi"] else None
        notes, conf = [], CONF_STATED
        if lo <= 1 and (hi is None or hi <= 1) and not m["pct"]:
            # "EF 0.55" is a fraction.
            lo, hi = lo * 100, hi * 100 if hi is not None else None
            notes.append("fraction converted to percent")
        if hi is not None:
            if hi < lo:
                return unclear(f"ejection fraction range reversed: {m.group().strip()}", span=m.group())
            notes.append(f"range {lo:g}-{hi:g}%: lower end used")
            conf = 0.8
        if m["cmp"]:
            notes.append(f"stated as a bound ({m['cmp']}{lo:g}%)")
            conf = min(conf, 0.8)
        found.append((lo, notes, conf, m))
        comparators.append({"≤": "<=", "≥": ">="}.get(m["cmp"], m["cmp"]) if m["cmp"] else None)
    if not found:
        m = _BARE_RE.match(text)
        if not m:
            return unclear("no ejection fraction value found", span=text.strip()[:200])
        found.append((_float(m["n"]), ["no label; read as the ejection fraction in %"], 0.8, m))
    if len({v for v, *_ in found}) > 1:
        shown = ", ".join(f"{v:g}%" for v in sorted({v for v, *_ in found}))
        return unclear(f"more than one ejection fraction: {shown}", span=text.strip()[:200])
    value, notes, conf, m = found[0]
    span = m.group().strip()
    if not _LVEF_RANGE[0] <= value <= _LVEF_RANGE[1]:
        return unclear(f"implausible ejection fraction: {span}", span=span)
    comparator = comparators[0] if comparators else None
    return Parsed(
        kind="lvef",
        value=round(value, 1),
        span=span,
        confidence=_conf(text, conf),
        note="; ".join(notes),
        start=text.find(span),
        end=text.find(span) + len(span),
        extra={"comparator": comparator} if comparator else {},
    )


# --------------------------------------------------------------------------
# QTc.

_QTC_RE = re.compile(
    r"(?<![A-Za-z/])QT\s*c(?P<method>F|\(F\)|B|\(B\)|\s*Fridericia|\s*Bazett|)(?![A-Za-z])"
    r"(?:\s*\((?P<method2>Fridericia|Bazett)\))?"
    + _SEP
    + _num("v")
    + r"(?P<unit>\s*(?:ms|msec|milliseconds|s|sec)(?![A-Za-z]))?",
    re.I,
)
_QTC_METHOD_AFTER_RE = re.compile(r"\s*\(?\s*(?P<m>Fridericia|Bazett)", re.I)
# "QT/QTc 400/440 ms" as ECG machines print it.
_QT_PAIR_RE = re.compile(
    r"(?<![A-Za-z])QT\s*/\s*QT\s*c\s*(?P<method>F|B|)(?![A-Za-z])"
    + _SEP
    + _num("qt")
    + r"\s*/\s*"
    + _num("qtc")
    + r"(?P<unit>\s*(?:ms|msec))?",
    re.I,
)
_QT_RE = re.compile(
    r"(?<![A-Za-z/])QT(?:\s+interval)?(?!\s*c)(?![A-Za-z/])"
    + _SEP
    + _num("v")
    + r"(?P<unit>\s*(?:ms|msec|milliseconds|s|sec)(?![A-Za-z]))?",
    re.I,
)
_HR_RE = re.compile(
    r"(?:(?<![A-Za-z])(?:HR|heart\s+rate|pulse|ventricular\s+rate|V\s*rate|rate)"
    + _SEP
    + _num("hr")
    + r"(?:\s*(?:bpm|/min|beats))?"
    r"|" + _num("hr2") + r"\s*(?:bpm|beats\s*(?:/|per)\s*min(?:ute)?))",
    re.I,
)
_RR_RE = re.compile(
    r"(?<![A-Za-z])RR(?:\s+interval)?" + _SEP + _num("rr") + r"(?P<unit>\s*(?:ms|msec|s|sec)(?![A-Za-z]))?", re.I
)
_QTC_RANGE = (250.0, 700.0)
_QT_RANGE = (200.0, 700.0)


def _ms(value: float, unit: str | None) -> float:
    """QT-type intervals: seconds ("0.44 s", or a bare value < 2) to ms."""
    unit = (unit or "").strip().lower()
    if unit.startswith("s") or (not unit and value < 2):
        return value * 1000.0
    return value


def parse_qtc(text: str) -> Parsed:
    """QTc by Fridericia in ms, from a stated QTcF, a QTc, or QT with HR/RR."""
    text = _guard(text)
    if text is None:
        return unclear("no QTc given")
    conf_text = text
    stated, pair = [], _QT_PAIR_RE.search(text)
    for m in _QTC_RE.finditer(text):
        method = (m["method"] or m["method2"] or "").strip("() ").lower()[:1]
        after = _QTC_METHOD_AFTER_RE.match(text, m.end())
        if not method and after:
            method = after["m"][0].lower()
        stated.append((method, _ms(_float(m["v"]), m["unit"]), m))
    if pair:
        method = pair["method"].lower()
        stated.append((method, _ms(_float(pair["qtc"]), pair["unit"]), pair))
    fridericia_values = [(v, m) for meth, v, m in stated if meth == "f"]
    if fridericia_values:
        return _qtc_result(fridericia_values, "", CONF_STATED, conf_text)
    computed = _from_qt_and_rate(text, pair)
    if computed is not None:
        return computed
    unspecified = [(v, m) for meth, v, m in stated if meth == ""]
    if unspecified:
        return _qtc_result(unspecified, "QTc method not stated", 0.7, conf_text)
    if stated:  # Bazett only
        m = stated[0][2]
        return unclear("QTc by Bazett given; QTcF (Fridericia) needed, or QT with heart rate", span=m.group().strip())
    if _QT_RE.search(text):
        return unclear("QT given without heart rate or RR interval: QTcF cannot be computed", span=text.strip()[:200])
    bare = _BARE_RE.match(text)
    if bare and not bare["pct"]:
        v = _ms(_float(bare["n"]), None)
        if _QTC_RANGE[0] <= v <= _QTC_RANGE[1]:
            return Parsed(
                kind="qtcf",
                value=round(v, 1),
                span=bare.group().strip(),
                confidence=0.7,
                note="no label; read as QTcF in ms",
            )
    return unclear("no QTc value found", span=text.strip()[:200])


def _qtc_result(values: list, note: str, conf: float, text: str) -> Parsed:
    distinct = {round(v, 1) for v, _ in values}
    if len(distinct) > 1:
        shown = ", ".join(f"{v:g} ms" for v in sorted(distinct))
        return unclear(f"more than one QTc: {shown}", span=text.strip()[:200])
    value, m = values[0]
    span = m.group().strip()
    if not _QTC_RANGE[0] <= value <= _QTC_RANGE[1]:
        return unclear(f"implausible QTc: {span}", span=span)
    return Parsed(
        kind="qtcf",
        value=round(value, 1),
        span=span,
        confidence=_conf(text, conf),
        note=note,
        start=m.start(),
        end=m.start() + len(span),
    )


def _from_qt_and_rate(text: str, pair) -> Parsed | None:
    """QTcF from "QT 400 ms, HR 75" / "QT 400, RR 800 ms"; None if not given."""
    qts = [(m, _ms(_float(m["v"]), m["unit"])) for m in _QT_RE.finditer(text)]
    if pair:
        qts.append((pair, _ms(_float(pair["qt"]), pair["unit"])))
    if not qts:
        return None
    rate_matches = list(_HR_RE.finditer(text))
    rates = [_float(m["hr"] or m["hr2"]) for m in rate_matches]
    rrs = []
    for m in _RR_RE.finditer(text):
        rr = _float(m["rr"])
        unit = (m["unit"] or "").strip().lower()
        rr_ms = rr * 1000 if unit.startswith("s") or (not unit and rr < 3) else rr
        if unit or 200 <= rr_ms <= 3000:  # "RR 16" is a respiratory rate
            rrs.append(rr_ms)
            rate_matches.append(m)
    qt_values = {round(v, 1) for _, v in qts}
    span_m = qts[0][0]
    if len(qt_values) > 1:
        return unclear(
            "more than one QT value: " + ", ".join(f"{v:g} ms" for v in sorted(qt_values)), span=text.strip()[:200]
        )
    qt = qts[0][1]
    if not _QT_RANGE[0] <= qt <= _QT_RANGE[1]:
        return unclear(f"implausible QT: {span_m.group().strip()}", span=span_m.group().strip())
    if len(set(rates)) > 1 or len(set(rrs)) > 1:
        return unclear("more than one heart rate or RR interval", span=text.strip()[:200])
    if rates:
        hr = rates[0]
        if not 20 <= hr <= 250:
            return unclear(f"implausible heart rate: {hr:g}", span=text.strip()[:200])
        value = fridericia(qt, heart_rate_bpm=hr)
        note = f"QTcF computed by Fridericia from QT {qt:g} ms and HR {hr:g}/min"
    elif rrs:
        rr = rrs[0]
        if not 240 <= rr <= 3000:
            return unclear(f"implausible RR interval: {rr:g} ms", span=text.strip()[:200])
        value = fridericia(qt, rr_ms=rr)
        note = f"QTcF computed by Fridericia from QT {qt:g} ms and RR {rr:g} ms"
    else:
        return None
    if not _QTC_RANGE[0] <= value <= _QTC_RANGE[1]:
        return unclear(f"implausible QTcF computed: {value:.0f} ms", span=text.strip()[:200])
    # The evidence runs from the QT to the heart rate (either order).
    start = min(m.start() for m in [span_m] + rate_matches)
    end = max(m.end() for m in [span_m] + rate_matches)
    span = text[start:end].strip()
    start = text.find(span, start)
    return Parsed(
        kind="qtcf",
        value=round(value, 1),
        span=span,
        confidence=_conf(text, 0.9),
        note=note,
        start=start,
        end=start + len(span),
    )
