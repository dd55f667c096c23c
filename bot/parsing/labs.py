"""Lab values in free text: "ANC 3.1, PLT 210, Hb 128 g/L, ALT 2 x ULN, ...".

Every value is converted to one canonical unit per analyte (bot/data/units.yaml)
and checked against a plausible range. A number written without its unit is
read in a unit only when its size leaves no doubt (Hb 12.8 is g/dL, Hb 128 is
g/L); otherwise the result is ``unclear`` with the reason: the bot must never
guess a lab value silently.

Public: ``parse_labs``, ``parse_lab``, ``default_uln``, ``read_lab_at`` (used
by the virology parser for "viral load 2x10^3"), ``ANALYTES``, ``SPECS``.

Value of a ``Parsed(kind="lab")``::

    {"analyte": "hb", "value": 128.0 | None, "unit": "g/L", "original": "128 g/L",
     "uln": float | None, "x_uln": float | None,
     "status": "normal" | "abnormal" | "undetectable" | None,
     "comparator": "<" | "<=" | ">" | ">=" | None}

``value`` is None when only a multiple of the ULN or a status was given;
``value`` and ``unit`` are both None when a unit-less number could only be
compared with the ULN written beside it ("FT3 5.1 (ULN 6.8)" -> x_uln 0.75).
``comparator`` is set for "<20" or "ALT < 2.5 x ULN": the number is a bound.
``approximate`` (only when True) marks "about 3.1": the rules allow a margin.
``method`` (only on a creatinine clearance read from an eGFR) is "egfr": a
check that takes only a Cockcroft-Gault clearance refuses it (``accept_egfr``).
The reference range a report prints before the value ("Hb (12.0-16.0) 8.7
g/dL") gives ``uln``; a range with no value ("ANC 1.5-2.0") is unclear.
Unclear results that name a test carry ``extra["mentioned"]``: the engine
keeps them for staff.

Analytes read only to work out another: ``wbc`` and ``neut_pct`` (ANC =
WBC x neutrophil % when no ANC is given; the derived ANC says so in its note).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from bot.parsing.nlp import is_quantity_hedge, value_hedge_regex
from bot.parsing.types import Parsed, unclear

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
UNITS_FILE = DATA_DIR / "units.yaml"
REFERENCE_RANGES_FILE = DATA_DIR / "reference_ranges.yaml"
REFERENCE_RANGES_ENV = "REFERENCE_RANGES"

with open(UNITS_FILE, encoding="utf-8") as _fh:
    _UNITS_DATA = yaml.safe_load(_fh)
SPECS: dict = _UNITS_DATA["analytes"]
ANALYTES: tuple = tuple(SPECS)

# Confidence levels. A value whose unit was inferred, or that the person
# hedged, stays below 0.85 so scoring can route it to review.
CONF_STATED = 0.95
CONF_INFERRED = 0.8
CONF_HEDGE_PENALTY = 0.35
CONF_PANEL = 0.75

_SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")


# --------------------------------------------------------------------------
# Units: one regex built from the spellings in units.yaml.


def _spelling_pattern(spelling: str) -> str:
    """Regex for one unit spelling, tolerant of the variants people type."""
    out = []
    i = 0
    if spelling.startswith("x"):
        out.append(r"(?:[x×*]\s*)?")
        i = 1
    while i < len(spelling):
        c = spelling[i]
        if c == "^":
            j = i + 1
            while j < len(spelling) and spelling[j].isdigit():
                j += 1
            digits = spelling[i + 1 : j]
            # Each "\s*" is followed by a required token, so runs of spaces
            # cannot be split in many ways (no catastrophic backtracking).
            out.append(rf"(?:\s*(?:\^|\*\*))?\s*(?:{digits}|{digits.translate(_SUPERSCRIPT)})")
            i = j
            continue
        if c == "/" and not out:
            out.append(r"/\s*")  # no leading "\s*": the unit regex has one already
        elif c == "µ":
            out.append(r"(?:[uµμ]|mc|micro)")
        elif c == "/":
            out.append(r"\s*/\s*")
        elif c == " ":
            out.append(r"\s*")
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def _build_unit_regex():
    entries = []  # (spelling, unit id, case sensitive)
    for unit_id, spec in _UNITS_DATA["units"].items():
        for s in spec.get("spellings") or ():
            entries.append((s, unit_id, False))
        for s in spec.get("case_sensitive") or ():
            entries.append((s, unit_id, True))
    # Longest first: the regex alternation takes the first that matches, and
    # "g/L" must win over "g", "mL/min" over "mL".
    entries.sort(key=lambda e: len(e[0]), reverse=True)
    names, parts = {}, []
    for n, (spelling, unit_id, sensitive) in enumerate(entries):
        pat = _spelling_pattern(spelling)
        if sensitive:
            pat = f"(?-i:{pat})"
        names[f"u{n}"] = unit_id
        parts.append(f"(?P<u{n}>{pat})")
    # A unit ends where a word ends: "s" must not match the start of "since".
    regex = re.compile(r"\s*(?:" + "|".join(parts) + r")(?![A-Za-z0-9µμ])", re.I)
    return regex, names


_UNIT_RE, _UNIT_NAMES = _build_unit_regex()
# Something unit-like we do not know ("210 xyz/L"): reject rather than ignore.
_UNKNOWN_UNIT_RE = re.compile(r"\s*[A-Za-zµμ]{1,8}\s*/\s*[A-Za-z0-9.]{1,8}")


def _match_unit(text: str, pos: int, lim: int):
    """(unit id, matched text, end) at ``pos``, or None."""
    m = _UNIT_RE.match(text, pos, lim)
    if not m:
        return None
    return _UNIT_NAMES[m.lastgroup], m.group(m.lastgroup), m.end()


# --------------------------------------------------------------------------
# Analyte names.

_NAMES = {
    "neut_pct": [
        r"neutrophils?\s*(?:%|percent(?:age)?|\(%\))",
        r"NEUT\s*%",
        r"%\s*neut(?:rophil)?s?",
        r"neut(?:rophil)?s?\s*\(%\)",
        r"neut\s*%",
    ],
    "wbc": [r"WBC", r"white\s+(?:blood\s+)?(?:cells?|cell\s+count|count)", r"leu[ck]ocytes?", r"TLC"],
    "anc": [
        r"ANC",
        r"absolute\s+neutrophils?(?:\s+count)?",
        r"neutrophils?(?:\s+count)?",
        r"neut(?:rophil)?s?\s*#",
        r"neuts?",
        r"NEUT",
        r"granulocytes?",
    ],
    "plt": [r"PLTs?", r"platelets?(?:\s+count)?", r"thrombocytes?"],
    "hb": [r"Hb", r"Hgb", r"ha?emoglobin"],
    "crcl": [r"CrCl", r"CCr", r"creatinine\s+clearance", r"Cr\s+clearance"],
    # Filed as crcl, with a note: eGFR (MDRD/CKD-EPI) is not Cockcroft-Gault.
    "egfr": [r"e?GFR", r"estimated\s+GFR"],
    "creatinine": [r"S?Cr", r"CREA", r"creat", r"(?:serum\s+)?creatinine"],
    "bilirubin": [r"T\.?\s?BIL[I]?", r"total\s+bili(?:rubin)?", r"bilirubin", r"bili"],
    "ast": [r"AST", r"SGOT", r"aspartate\s+(?:amino)?transaminase", r"aspartate\s+aminotransferase"],
    "alt": [r"ALT", r"SGPT", r"alanine\s+(?:amino)?transaminase", r"alanine\s+aminotransferase"],
    "inr": [r"INR"],
    # Case-sensitive: lower-case "pt" usually means "patient".
    "pt": [r"(?-i:PT)", r"prothrombin\s+time"],
    "aptt": [r"a?PTT", r"activated\s+partial\s+thromboplastin\s+time", r"partial\s+thromboplastin\s+time"],
    "urine_protein_24h": [
        r"24[\s-]*(?:h|hr|hrs|hours?)\s+(?:urine\s+|urinary\s+)?protein(?:\s+quantification)?",
        r"24[\s-]*(?:h|hr|hrs|hours?)\s+urine\s+protein\s+quantification",
        # "proteinuria 2+, 24h 1.1 g": a 24-hour figure written straight after the dipstick
        r"24[\s-]*(?:h|hr|hrs|hours?)(?=\s*[:=]?\s*\d+(?:\.\d+)?\s*(?:g|mg|grams?)\b)",
        r"24[\s-]*(?:h|hr|hrs|hours?)\s+(?:urine|urinary)\s+protein(?:\s+quantification)?",
        r"(?:urine|urinary)\s+protein\s+(?:\(\s*)?24[\s-]*(?:h|hr|hrs|hours?)(?:\s*\))?",
        r"24[\s-]*(?:h|hr|hrs|hours?)\s+proteinuria",
        r"24[\s-]*(?:h|hr|hrs|hours?)\s+UP",
    ],
    "urine_protein": [
        r"(?:urine|urinary)\s+protein",
        r"proteinuria",
        r"U[\s-]?PRO",
        r"protein\s+in\s+(?:the\s+)?urine",
        r"(?:urine\s+)?dipstick\s+protein",
    ],
    "tsh": [r"TSH", r"thyroid[\s-]+stimulating\s+hormone", r"thyrotropin"],
    "ft3": [r"FT3(?!\d)", r"free\s+T3(?!\d)", r"free\s+triiodothyronine"],
    "ft4": [r"FT4(?!\d)", r"free\s+T4(?!\d)", r"free\s+thyroxine"],
    "hbv_dna": [r"HBV[\s-]*DNA", r"HBV\s+(?:viral\s+load|VL)", r"hepatitis\s+B\s+(?:viral\s+load|DNA)"],
    "testosterone": [
        r"(?:serum\s+|total\s+)?testosterone(?:\s+level)?",
        # A capital T alone only before a number in a testosterone unit ("T 20 ng/dL"):
        # "T 37.5" is a temperature, "T2" a tumour stage.
        r"(?-i:T)(?!\d)(?=\s*[:=]?\s*(?:<=|>=|[<>≤≥])?\s*\d+(?:\.\d+)?\s*(?:ng\s*/\s*dL|nmol\s*/\s*L|(?-i:nM)|ng\s*/\s*mL))",
    ],
}
# Read and thrown away, so that "direct bilirubin 5" is not read as total
# bilirubin and "urine creatinine" not as serum creatinine.
_SKIP_NAMES = [
    r"direct\s+bili(?:rubin)?",
    r"indirect\s+bili(?:rubin)?",
    r"conjugated\s+bili(?:rubin)?",
    r"D\.?BIL",
    r"I\.?BIL",
    r"urine\s+creatinine",
    r"protein\s*/\s*creatinine(?:\s+ratio)?",
    r"albumin\s*/\s*creatinine(?:\s+ratio)?",
    r"UPCR",
    r"UACR",
    r"Hb\s*A1c",
    r"HCT",
    r"ha?ematocrit",
    r"lymph(?:ocyte)?s?\s*%",
    r"mono(?:cyte)?s?\s*%",
    r"T3(?!\d)",
    r"T4(?!\d)",
    r"free\s+testosterone",
    r"bioavailable\s+testosterone",
]
# Panels: only a status ("LFTs normal") or a multiple of ULN may follow.
_PANELS = {
    "lft": ([r"LFTs?", r"liver\s+function(?:\s+tests?)?", r"liver\s+panel"], ["bilirubin", "ast", "alt"]),
    "transaminases": ([r"transaminases", r"liver\s+enzymes"], ["ast", "alt"]),
    "tft": ([r"TFTs?", r"thyroid\s+function(?:\s+tests?)?"], ["tsh", "ft3", "ft4"]),
    "coag": (
        [r"coag(?:ulation|s)?(?:\s+(?:tests?|screen|profile))?", r"clotting(?:\s+tests?)?"],
        ["inr", "pt", "aptt"],
    ),
    "rft": ([r"renal\s+function(?:\s+tests?)?", r"kidney\s+function(?:\s+tests?)?", r"RFTs?"], ["creatinine"]),
    "cbc": (
        [r"CBC", r"FBC", r"full\s+blood\s+count", r"complete\s+blood\s+count", r"blood\s+counts?", r"blood\s+routine"],
        ["anc", "plt", "hb"],
    ),
}


def _zh_lab_words() -> dict:
    from bot.parsing.zh import data

    return data()


for _analyte, _zh_names in _zh_lab_words()["lab_names"].items():
    _NAMES[_analyte] += [re.escape(n).replace(r"\ ", r"\s*") for n in _zh_names]
_SKIP_NAMES += [re.escape(n) for n in _zh_lab_words()["lab_skip_names"]]
_ZH_NEGATIVE = "|".join(re.escape(w) for w in _zh_lab_words()["lab_negative"])


def _build_name_regexes():
    entries = []  # (pattern, target): target is an analyte, "skip" or "panel:<key>"
    for analyte, pats in _NAMES.items():
        entries += [(p, analyte) for p in pats]
    entries += [(p, "skip") for p in _SKIP_NAMES]
    for key, (pats, _) in _PANELS.items():
        entries += [(p, "panel:" + key) for p in pats]
    edge = r"(?<![A-Za-z0-9])(?:{})(?![A-Za-z])"
    finder = re.compile(edge.format("|".join(p for p, _ in entries)), re.I)
    each = [(re.compile(edge.format(p), re.I), target) for p, target in entries]
    return finder, each


# One regex finds where a name starts; the longest single name there wins, so
# "creatinine clearance" beats "creatinine" and "direct bilirubin" beats
# "bilirubin" whatever order the alternation has.
_NAME_FINDER, _NAME_PATTERNS = _build_name_regexes()


def _name_at(text: str, pos: int):
    """(end, target) of the longest name starting exactly at ``pos``, or None."""
    best = None
    for regex, target in _NAME_PATTERNS:
        m = regex.match(text, pos)
        if m and (best is None or m.end() > best[0]):
            best = (m.end(), target)
    return best


def _find_name(text: str, pos: int):
    """(start, end, target) of the next name at or after ``pos``, or None."""
    m = _NAME_FINDER.search(text, pos)
    if not m:
        return None
    end, target = _name_at(text, m.start())
    return m.start(), end, target


# Several names sharing one value: "FT3/FT4 normal", "AST/ALT 35/40 U/L".
_GROUP_SEP_RE = re.compile(r"\s*(?:/|&|\+|,|\band\b)\s*", re.I)


# --------------------------------------------------------------------------
# The value after a name.

_CONNECT_RE = re.compile(
    r"(?:\s*(?:[:=]|\b(?:is|was|were|are|of|at|level|levels|count|value|result|now|currently|today)\b))*\s*", re.I
)
_HEDGE_RE = value_hedge_regex()
_COMPARATOR_RE = re.compile(
    r"(?P<c><=|>=|=<|=>|≤|≥|<|>|less\s+than|lower\s+than|below|under|greater\s+than|more\s+than|"
    r"higher\s+than|above|over|at\s+least|at\s+most|up\s+to|within|not\s+more\s+than|"
    r"not\s+less\s+than)\s*",
    re.I,
)
_COMPARATORS = {
    "<=": "<=",
    "=<": "<=",
    "≤": "<=",
    "at most": "<=",
    "up to": "<=",
    "within": "<=",
    "not more than": "<=",
    ">=": ">=",
    "=>": ">=",
    "≥": ">=",
    "at least": ">=",
    "not less than": ">=",
    "<": "<",
    "less than": "<",
    "lower than": "<",
    "below": "<",
    "under": "<",
    ">": ">",
    "greater than": ">",
    "more than": ">",
    "higher than": ">",
    "above": ">",
    "over": ">",
}
# Numbers: thousands separators ("150,000"), decimal comma ("12,8"), and
# bounded digit counts so that a 100,000-digit string cannot reach float().
_NUMBER = (
    r"(?P<int>\d{1,3}(?:,\d{3})+(?:\.\d{1,6})?|\d{1,9}(?:\.\d{1,6})?|\.\d{1,6})"
    r"(?P<dcomma>,\d{1,2}(?![\d]))?(?![\d])"
)
_SCI = (
    r"(?:\s*[x×*]\s*10\s*(?:\^|\*\*)\s*(?P<exp>[+-]?\d{1,2})|\s*[x×*]\s*10(?P<supexp>[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})"
    r"|[eE](?P<eexp>[+-]?\d{1,2}))"
    # "3.1 x10^9/L" is a number and a unit, not scientific notation.
    r"(?!\s*(?:cells\s*)?(?:/|per\b))"
)
_NUMBER_RE = re.compile(_NUMBER + "(?:" + _SCI + ")?", re.I)
# A bare power of ten ("10^3", "10**4", "10³") and log-scale values ("3.2 log IU/ml", "log10 3.2").
_POWER_OF_TEN_RE = re.compile(
    r"10\s*(?:\^|\*\*)\s*(?P<e>\d{1,2}(?:\.\d{1,2})?)(?![\d.])|10(?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})",
)
_LOG_BEFORE_RE = re.compile(r"log\s*(?:10)?\s*[:=]?\s*(?P<e>\d{1,2}(?:\.\d{1,2})?)(?![\d.])", re.I)
_LOG_AFTER_RE = re.compile(r"\s*log(?:10|₁₀)?(?![A-Za-z])", re.I)
_PAIR_SEP_RE = re.compile(r"\s*/\s*")
_XULN_RE = re.compile(
    r"\s*(?:(?:[x×*]|(?:-\s*)?fold|times)\s*(?:the\s+)?(?:ULN|ULRR|upper\s+limits?(?:\s+of\s+normal)?|"
    r"upper\s+normal(?:\s+limit)?|normal|N)|ULN|ULRR)(?![A-Za-z])",
    re.I,
)
_ULN_LABEL = (
    r"(?:ULN|upper\s+limit(?:\s+of\s+normal)?|upper\s+normal(?:\s+limit)?|ref(?:erence)?\.?"
    r"(?:\s+(?:range|interval|value))?|normal(?:\s+range)?|N|RR|range|NR)"
)
# Every optional piece carries its own leading "\s*" so a run of spaces can
# be matched only one way (linear time on any input).
_ULN_RE = re.compile(
    r"(?:\s*[,;])?(?:\s*(?P<open>[(\[]))?(?:\s*(?P<label>" + _ULN_LABEL + r"))?(?:\s*[:=])?"
    r"(?:\s*(?:(?P<lo>\d{1,6}(?:\.\d{1,4})?)\s*(?:-|–|—|to)|(?P<lt><=|≤|<|up\s+to|under|below)))?\s*"
    r"(?P<hi>\d{1,6}(?:\.\d{1,4})?)(?![\d])",
    re.I,
)
_CLOSE_RE = re.compile(r"\s*[)\]]")
_STATUS_THEN_RE = re.compile(r"\s*,?\s*")
# "ALT 120 U/L (3x ULN)": the value and its multiple of ULN side by side.
_PAREN_XULN_RE = re.compile(r"\s*[(\[]\s*(?P<x>\d{1,3}(?:\.\d{1,3})?)\s*(?:[x×*]|times)?\s*ULN\s*[)\]]", re.I)
_STATUS_NORMAL = (
    r"within\s+normal\s+(?:limits|range)|within\s+(?:the\s+)?reference\s+range|"
    r"in\s+(?:the\s+)?normal\s+range|normal|WNL|unremarkable|ok|okay|fine|good|nl"
)
_STATUS_ABNORMAL = (
    r"(?:above|below|over|under|outside)\s+(?:the\s+)?normal(?:\s+(?:limits?|range))?|"
    r"abnormal|elevated|raised|high|increased|low|decreased|reduced|"
    r"out\s+of\s+range|deranged"
)
_STATUS_UNDETECTABLE = (
    r"undetectable|undetected|not\s+detect(?:ed|able)|target\s+not\s+detected|TND|"
    r"below\s+(?:the\s+)?(?:lower\s+)?(?:limit\s+of\s+)?(?:detection|quantification)"
    r"(?:\s+limit)?|negative|neg"
)
_STATUS_RE = re.compile(
    r"(?:(?P<normal>"
    + _STATUS_NORMAL
    + r")|(?P<abnormal>"
    + _STATUS_ABNORMAL
    + r")|(?P<undet>"
    + _STATUS_UNDETECTABLE
    + r"))(?![A-Za-z])",
    re.I,
)
# A reference range written where the value is expected: lab reports and
# summaries often print it first ("Creatinine 0.7-1.4 mg/dl 2.3 mg/dl",
# "Hb (12.0-16.0) 8.7 g/dL", "ALT (ULN 40) 120"). Its numbers are never the value.
_LEADING_RANGE_RE = re.compile(
    r"(?P<open>[(\[]\s*)?(?:(?P<label>" + _ULN_LABEL + r")\s*[:=]?\s*)?"
    r"(?:(?P<lo>\d{1,6}(?:\.\d{1,4})?)\s*(?:-|–|—|to)\s*|(?P<lt><=|≤|<))?"
    r"(?P<hi>\d{1,6}(?:\.\d{1,4})?)(?![\d.])",
    re.I,
)
# A high/low flag printed between a value and its range ("8.7 L 12.0-16.0").
_BARE_FLAG_RE = re.compile(r"\s*(?:(?-i:(?P<h>HH|H))|(?-i:(?P<l>LL|L))|(?P<star>\*))(?![A-Za-z0-9/])")
# A range right after a value (and its flag): "2.3 H 0.7-1.4 mg/dL".
_TRAILING_RANGE_RE = re.compile(
    r"\s*(?P<lo>\d{1,6}(?:\.\d{1,4})?)\s*(?:-|–|—)\s*(?P<hi>\d{1,6}(?:\.\d{1,4})?)(?![\d.])"
)
_FLAG_RE = re.compile(r"\s*(?:\(\s*(?:(?P<h>H|HH|L|LL|high|low|abnormal)|(?P<n>N|normal))\s*\)|(?P<arrow>[↑↓]))", re.I)
_UNKNOWN_VALUE_RE = re.compile(
    r"(?:unknown|not\s+(?:known|done|available|tested|checked)|pending|n/?a|awaiting|"
    r"(?:i\s+)?(?:do\s*n[o']?t|dunno)\s+know|not\s+sure|no\s+idea)(?![A-Za-z])",
    re.I,
)
# Dipstick grades, most specific first ("1+" before "+", "+/-" before "+").
_GRADE_RE = re.compile(
    r"(?:\(\s*)?(?:(?P<num>[1-4])\s*(?:\+|plus\b)|(?P<pm>\+\s*/\s*-|\+-|±|trace|tr\b)|(?P<plus>\+{1,4})"
    r"|(?P<neg>negative|neg\b|nil\b|none\b|-(?![\d-])|" + _ZH_NEGATIVE + r"))(?:\s*\))?",
    re.I,
)
_NO_PROTEINURIA_RE = re.compile(
    r"(?<![A-Za-z])(?:no|without|nil|negative\s+for)\s+(?:significant\s+)?"
    r"(?:proteinuria|protein\s+in\s+(?:the\s+)?urine)(?![A-Za-z])",
    re.I,
)


_WINDOW = 300  # characters after a name in which its value must lie


@dataclass
class _Slot:
    """What followed a name: numbers, unit, ULN, status, before interpretation."""

    start: int
    end: int = 0
    numbers: list = field(default_factory=list)  # raw floats, one per name in a group
    unit_id: str | None = None
    unit_text: str = ""
    unknown_unit: str = ""
    comparator: str | None = None
    hedged: bool = False  # doubt before the value ("maybe 3.1"): lower confidence
    approximate: bool = False  # an approximate amount ("about 3.1"): judged with a margin
    is_x_uln: bool = False
    stated_x_uln: float | None = None
    uln: float | None = None
    uln_unit_id: str | None = None
    status: str | None = None
    grade: float | None = None
    unknown: bool = False
    notes: list = field(default_factory=list)
    value_start: int = 0
    value_end: int = 0
    reference: str = ""  # a reference range written before the value ("(12.0-16.0) 8.7")
    range_only: bool = False  # "ANC 1.5-2.0": two numbers, no one value


def _to_float(m: re.Match) -> tuple:
    """(float, note) from a _NUMBER_RE match."""
    raw = m.group("int").replace(",", "")
    note = ""
    if m.group("dcomma"):
        raw += "." + m.group("dcomma")[1:]
        note = "decimal comma read as a decimal point"
    value = float(raw)
    exp = m.group("exp") or m.group("eexp")
    if m.group("supexp"):
        exp = m.group("supexp").translate(_FROM_SUPERSCRIPT)
    if exp is not None:
        value *= 10.0 ** int(exp)
    return value, note


_INTENSIFIER_RE = re.compile(r"(?:very|quite|slightly|mildly|a\s+bit|really|extremely)\s+", re.I)


def _read_status(text: str, pos: int, slot: _Slot, lim: int) -> bool:
    intensifier = _INTENSIFIER_RE.match(text, pos, lim)
    if intensifier:
        pos = intensifier.end()
    m = _STATUS_RE.match(text, pos, lim)
    if not m:
        return False
    slot.status = "normal" if m.group("normal") else "abnormal" if m.group("abnormal") else "undetectable"
    slot.end = slot.value_end = m.end()
    return True


def read_value_at(text: str, pos: int, count: int = 1, grades: bool = False) -> _Slot | None:
    """Read the value written at ``pos`` (just after a name), or None.

    ``count`` > 1 reads "35/40" for a group of names. ``grades`` reads
    dipstick grades ("1+", "trace", "negative").
    """
    slot = _Slot(start=pos)
    # Every match below stops at ``lim``: a value is short, and a bound keeps
    # the regexes fast on any input (100,000 spaces after a number).
    lim = min(len(text), pos + _WINDOW)
    pos = _CONNECT_RE.match(text, pos, lim).end()
    pos = _skip_leading_range(text, pos, slot, lim)
    if slot.range_only:
        return slot
    slot.value_start = pos
    # A status first: "below detection limit" must not be read as "<" + words.
    if not grades and _read_status(text, pos, slot, lim):
        # "Hb low at 85 g/L", "viral load very low, under 100": a number may follow the status.
        after = read_value_at(text, _STATUS_THEN_RE.match(text, slot.end, lim).end(), count, grades)
        if after is not None and after.numbers:
            after.status, after.start, after.value_start = slot.status, slot.start, slot.value_start
            return after
        return slot
    for _ in range(2):  # "about <3", "< about 3"
        m = _HEDGE_RE.match(text, pos, lim)
        if m:
            if is_quantity_hedge(m.group()):
                slot.approximate = True
            else:
                slot.hedged = True
            pos = m.end()
        m = _COMPARATOR_RE.match(text, pos, lim)
        if m and slot.comparator is None:
            slot.comparator = _COMPARATORS[re.sub(r"\s+", " ", m.group("c").lower())]
            pos = m.end()
    if grades:
        m = _GRADE_RE.match(text, pos, lim)
        if m:
            if m.group("num"):
                slot.grade = float(m.group("num"))
            elif m.group("plus"):
                slot.grade = float(len(m.group("plus")))
            elif m.group("pm"):
                slot.grade = 0.5
            else:
                slot.grade = 0.0
            slot.end = slot.value_end = m.end()
            return slot
    power = _POWER_OF_TEN_RE.match(text, pos, lim) or _LOG_BEFORE_RE.match(text, pos, lim)
    if power:
        # "10^3 IU/ml" is a thousand, "3.2 log IU/ml" (or "log 3.2") is 10^3.2: never 10 or 3.2.
        raw_exponent = power.groupdict().get("e") or power.group("sup").translate(_FROM_SUPERSCRIPT)
        exponent = float(raw_exponent)
        if exponent > 15:
            return None
        slot.numbers.append(_sig(10.0**exponent))
        slot.notes.append(f"read {power.group(0).strip()} as 10^{exponent:g}")
        pos = power.end()
        m = None
    else:
        m = _NUMBER_RE.match(text, pos, lim)
    if not m and not power:
        m = _UNKNOWN_VALUE_RE.match(text, pos, lim)
        if m:
            slot.unknown = True
            slot.end = slot.value_end = m.end()
            return slot
        return None
    if m:
        value, note = _to_float(m)
        log_after = _LOG_AFTER_RE.match(text, m.end(), lim)
        if log_after and value <= 15:
            slot.notes.append(f"read {m.group(0)} log as 10^{value:g}")
            value = _sig(10.0**value)
            pos = log_after.end()
        else:
            pos = m.end()
        slot.numbers.append(value)
        if note:
            slot.notes.append(note)
    for _ in range(count - 1):
        sep = _PAIR_SEP_RE.match(text, pos, lim)
        nxt = _NUMBER_RE.match(text, sep.end(), lim) if sep else None
        if not nxt:
            break
        value, note = _to_float(nxt)
        slot.numbers.append(value)
        pos = nxt.end()
    m = _XULN_RE.match(text, pos, lim)
    if m:
        slot.is_x_uln, pos = True, m.end()
    else:
        unit = _match_unit(text, pos, lim)
        if unit:
            slot.unit_id, slot.unit_text, pos = unit
        else:
            m = _UNKNOWN_UNIT_RE.match(text, pos, lim)
            if m:
                slot.unknown_unit, pos = m.group().strip(), m.end()
    slot.value_end = pos
    flag = _BARE_FLAG_RE.match(text, pos, lim)
    if flag and slot.unit_id is None and not slot.is_x_uln:
        slot.status, pos = ("abnormal", flag.end())
    if slot.uln is None:
        _read_uln(text, pos, slot, lim)
        pos = max(pos, slot.end)
        if slot.uln is None and not slot.is_x_uln:
            _read_trailing_range(text, pos, slot, lim)
            pos = max(pos, slot.end)
    if slot.uln is None and not slot.is_x_uln:
        m = _PAREN_XULN_RE.match(text, pos, lim)
        if m:
            slot.stated_x_uln, pos = float(m["x"]), m.end()
    flag = _FLAG_RE.match(text, pos, lim)
    if flag:
        slot.status = "normal" if flag.group("n") else "abnormal"
        pos = flag.end()
    slot.end = pos
    return slot


def _skip_leading_range(text: str, pos: int, slot: _Slot, lim: int) -> int:
    """A reference range where the value should be: record its upper limit as
    the ULN and return where the value itself starts. A range with no value
    after it ("ANC 1.5-2.0") marks the slot ``range_only``."""
    m = _LEADING_RANGE_RE.match(text, pos, lim)
    if not m or not (m.group("lo") or m.group("lt") or (m.group("open") and m.group("label"))):
        return pos
    end = m.end()
    unit = _match_unit(text, end, lim)
    unit_id = None
    if unit:
        unit_id, _, end = unit
    if m.group("open"):
        close = _CLOSE_RE.match(text, end, lim)
        if not close:
            return pos
        end = close.end()
    after = _CONNECT_RE.match(text, end, lim).end()
    if not _NUMBER_RE.match(text, after, lim):
        if m.group("lo") and not m.group("open") and not m.group("label"):
            slot.range_only, slot.end = True, end
            slot.notes.append(f"a range ({text[pos:end].strip()}), not one value")
        return pos
    slot.uln, slot.uln_unit_id = float(m.group("hi")), unit_id
    slot.reference = text[pos:end].strip()
    slot.notes.append(f"reference range {slot.reference} written before the value")
    return after


def _read_trailing_range(text: str, pos: int, slot: _Slot, lim: int) -> None:
    """ "2.3 H 0.7-1.4 mg/dL": a bare range after the value is its reference range."""
    m = _TRAILING_RANGE_RE.match(text, pos, lim)
    if not m or float(m.group("hi")) <= float(m.group("lo")):
        return
    slot.uln = float(m.group("hi"))
    end = m.end()
    unit = _match_unit(text, end, lim)
    if unit:
        slot.uln_unit_id, _, end = unit
    slot.end = end


def _read_uln(text: str, pos: int, slot: _Slot, lim: int) -> None:
    """A laboratory ULN after the value: "(ULN 40)", "(ref 0-40 U/L)", "[<40]"."""
    m = _ULN_RE.match(text, pos, lim)
    if not m:
        return
    # Without a label only a bracketed range counts: a second bare number is
    # more likely the next value than a limit.
    if not m.group("label") and not (m.group("open") and (m.group("lo") or m.group("lt"))):
        return
    slot.uln = float(m.group("hi"))
    end = m.end()
    unit = _match_unit(text, end, lim)
    if unit:
        slot.uln_unit_id, _, end = unit
    if m.group("open"):
        close = _CLOSE_RE.match(text, end, lim)
        if close:
            end = close.end()
            if slot.uln_unit_id is None:
                after = _match_unit(text, end, lim)
                if after:
                    slot.uln_unit_id, _, end = after
    slot.end = end


# --------------------------------------------------------------------------
# Interpretation: raw number + unit -> canonical value.


def _sig(x: float) -> float:
    """Round away float noise (0.9 * 88.4 = 79.56000000000002)."""
    return float(f"{x:.6g}")


_CANONICAL = object()  # default for _lab(unit=...): the analyte's canonical unit


def _lab(
    analyte: str,
    slot: _Slot,
    text: str,
    start: int,
    *,
    value=None,
    unit=_CANONICAL,
    uln=None,
    x_uln=None,
    status=None,
    confidence=CONF_STATED,
    notes=(),
) -> Parsed:
    spec = SPECS[analyte]
    notes = [n for n in list(slot.notes) + list(notes) if n]
    if slot.hedged:
        confidence -= CONF_HEDGE_PENALTY
        notes.append("value hedged")
    original = text[slot.value_start : slot.value_end].strip()
    value_dict = {
        "analyte": analyte,
        "value": value,
        "unit": spec["canonical"] if unit is _CANONICAL else unit,
        "original": original,
        "uln": uln,
        "x_uln": x_uln,
        "status": status if status is not None else slot.status,
        "comparator": slot.comparator,
    }
    if slot.approximate:
        value_dict["approximate"] = True
        notes.append("approximate value")
    return Parsed(
        kind="lab",
        value=value_dict,
        span=text[start : slot.end],
        confidence=round(confidence, 2),
        note="; ".join(notes),
        start=start,
        end=slot.end,
    )


def _unclear(note: str, text: str, start: int, slot: _Slot) -> Parsed:
    return Parsed(
        kind="unclear", value=None, span=text[start : slot.end], confidence=0.0, note=note, start=start, end=slot.end
    )


def _in(x: float, bounds) -> bool:
    return bounds[0] <= x <= bounds[1]


def _interpret(analyte: str, raw: float | None, slot: _Slot, text: str, start: int) -> Parsed:
    spec = SPECS[analyte]
    label = spec["label"]
    if slot.unknown:
        return _unclear(f"{label}: value not available", text, start, slot)
    if slot.range_only:
        return _unclear(f"{label}: a range was given, not one value", text, start, slot)
    if analyte == "urine_protein":
        return _interpret_urine_protein(raw, slot, text, start)
    if raw is None:  # a status only: "FT4 normal", "HBV DNA undetectable"
        if slot.status == "undetectable":
            if analyte != "hbv_dna":
                return _unclear(f"{label}: 'negative/undetectable' does not describe this test", text, start, slot)
            return _lab(analyte, slot, text, start, value=0.0, status="undetectable")
        return _lab(analyte, slot, text, start, confidence=0.9)
    if slot.is_x_uln:
        if not 0 <= raw <= 1000:
            return _unclear(f"implausible {label}: {raw:g} x ULN", text, start, slot)
        value = uln = None
        notes = []
        if slot.uln is not None:
            uln_c = _convert(analyte, slot.uln, slot.uln_unit_id or _uln_unit(analyte, slot.uln))
            if uln_c is not None:
                uln, value = _sig(uln_c), _sig(raw * uln_c)
                notes.append("value computed from the multiple of ULN and the ULN")
        return _lab(analyte, slot, text, start, value=value, uln=uln, x_uln=_sig(raw), notes=notes)
    if slot.unknown_unit:
        return _unclear(f"unit not recognised for {label}: {slot.unknown_unit!r}", text, start, slot)

    notes, confidence = [], CONF_STATED
    unit_id = slot.unit_id
    if unit_id is None and slot.uln_unit_id in spec["units"]:
        unit_id = slot.uln_unit_id  # "ALT 35 (ref 7-40 U/L)": the range's unit is the value's
    if unit_id is None and spec["canonical"] == "ratio":
        unit_id = "ratio"  # INR has no unit to state
    if unit_id is not None:
        if unit_id not in spec["units"]:
            return _unclear(f"unit does not fit {label}: {slot.unit_text.strip()!r}", text, start, slot)
    else:
        candidates = [u for lo, hi, u in spec["bare"] if lo <= raw <= hi]
        if slot.uln is not None and slot.uln_unit_id is None and "uln_range" in spec:
            # A ULN written next to the value shares its unit; keep only the
            # units in which that ULN is a believable laboratory limit.
            by_uln = [
                u
                for u in (candidates or spec["units"])
                if _in(raw * spec["units"][u], spec["plausible"])
                and _in(slot.uln * spec["units"][u], spec["uln_range"])
            ]
            if len(by_uln) == 1:
                candidates = by_uln
                notes.append(f"unit not stated; read as {by_uln[0]} from the value and its ULN")
        if len(candidates) != 1 and slot.status in ("normal", "abnormal") and slot.uln is None:
            # "FT3 4.5 (normal)": the unit is not clear, the lab's own flag is.
            return _lab(
                analyte,
                slot,
                text,
                start,
                unit=None,
                confidence=0.85,
                notes=[f"unit not stated; reported {slot.status} by its flag"],
            )
        if len(candidates) != 1:
            if slot.uln is not None and slot.uln > 0 and (slot.uln_unit_id is None):
                # The ratio to a ULN in the same (unknown) unit is still exact.
                return _lab(
                    analyte,
                    slot,
                    text,
                    start,
                    unit=None,
                    x_uln=_sig(raw / slot.uln),
                    confidence=0.7,
                    notes=["unit not stated; only the ratio to the ULN is known"],
                )
            return _unclear(_why_ambiguous(analyte, raw), text, start, slot)
        unit_id = candidates[0]
        if not notes:
            notes.append(f"unit not stated; read as {unit_id} from the size of the number")
        confidence = CONF_INFERRED
    factor = spec["units"][unit_id]
    if unit_id == "copies/mL":
        notes.append("copies/mL converted at 5.82 copies per IU (assay-dependent)")
        confidence = min(confidence, 0.7)
    elif factor != 1 and confidence == CONF_STATED:
        notes.append(f"converted from {unit_id}")
    value = raw * factor
    if not _in(value, spec["plausible"]):
        return _unclear(f"implausible {label}: {text[slot.value_start : slot.value_end].strip()}", text, start, slot)
    uln = x_uln = None
    if slot.uln is not None:
        uln_c = _convert(analyte, slot.uln, slot.uln_unit_id or unit_id)
        if uln_c is None or uln_c <= 0:
            notes.append("ULN ignored: its unit does not fit")
        else:
            uln, x_uln = _sig(uln_c), _sig(value / uln_c)
    elif slot.stated_x_uln:
        x_uln = slot.stated_x_uln
        uln = _sig(value / x_uln)
        notes.append("ULN worked out from the stated multiple of ULN")
    return _lab(analyte, slot, text, start, value=_sig(value), uln=uln, x_uln=x_uln, confidence=confidence, notes=notes)


def _convert(analyte: str, raw: float, unit_id: str | None) -> float | None:
    factor = SPECS[analyte]["units"].get(unit_id) if unit_id else None
    return None if factor is None else raw * factor


def _uln_unit(analyte: str, uln: float) -> str | None:
    """The unit of a ULN written without one, when only one unit makes it a
    believable laboratory limit; else None."""
    spec = SPECS[analyte]
    if len(spec["units"]) == 1:
        return next(iter(spec["units"]))
    bounds = spec.get("uln_range")
    fits = [u for u, f in spec["units"].items() if bounds and _in(uln * f, bounds)]
    return fits[0] if len(fits) == 1 else None


def _why_ambiguous(analyte: str, raw: float) -> str:
    spec = SPECS[analyte]
    label = spec["label"]
    if not spec["bare"]:
        return f"{label} {raw:g}: unit needed (units: {', '.join(spec['units'])})"
    lo = min(b[0] for b in spec["bare"])
    hi = max(b[1] for b in spec["bare"])
    if raw < lo or raw > hi:
        return f"implausible {label}: {raw:g} (no unit fits)"
    units = " or ".join(spec["units"])
    return f"{label} {raw:g} without a unit is ambiguous (could be {units}); unit needed"


_DIPSTICK_MG_DL = ((1000, 4.0), (300, 3.0), (100, 2.0), (30, 1.0), (15, 0.5), (0, 0.0))


def _interpret_urine_protein(raw, slot: _Slot, text: str, start: int) -> Parsed:
    if slot.grade is not None:
        return _lab("urine_protein", slot, text, start, value=slot.grade, unit="grade")
    if raw is None:
        if slot.status == "undetectable":  # "urine protein negative"
            return _lab("urine_protein", slot, text, start, value=0.0, unit="grade")
        return _lab("urine_protein", slot, text, start, confidence=0.9)
    if slot.unit_id in SPECS["urine_protein_24h"]["units"]:
        # "urine protein 0.8 g/24h" is a 24-hour quantification.
        return _interpret("urine_protein_24h", raw, slot, text, start)
    if slot.unit_id == "mg/dL":
        grade = next(g for limit, g in _DIPSTICK_MG_DL if raw >= limit)
        return _lab(
            "urine_protein",
            slot,
            text,
            start,
            value=grade,
            unit="grade",
            confidence=CONF_INFERRED,
            notes=[f"dipstick {raw:g} mg/dL read as grade {grade:g}"],
        )
    return _unclear("urine protein: give the dipstick grade (e.g. 1+) or the 24-hour amount in g", text, start, slot)


# --------------------------------------------------------------------------
# Public API.


def _merge(analyte: str, found: list) -> Parsed:
    """One result per analyte; conflicting mentions make it unclear."""
    if len(found) == 1:
        return found[0]
    label = SPECS[analyte]["label"]
    if any(p.unclear for p in found):
        bad = next(p for p in found if p.unclear)
        return Parsed(
            kind="unclear",
            span=bad.span,
            note=f"{label} mentioned {len(found)} times; one could not be read: {bad.note}",
            start=bad.start,
            end=bad.end,
        )
    keys = {(p.value["value"], p.value["x_uln"], p.value["status"], p.value["comparator"]) for p in found}
    numeric = {k for k in keys if k[0] is not None or k[1] is not None}
    if len(numeric) > 1:
        shown = ", ".join(repr(p.span) for p in found)
        return Parsed(
            kind="unclear",
            span=found[0].span,
            note=f"conflicting {label} values: {shown}",
            start=found[0].start,
            end=found[0].end,
        )
    # Same number repeated, or a number plus a status: keep the most specific.
    found.sort(key=lambda p: (p.value["value"] is None and p.value["x_uln"] is None, -p.confidence))
    return found[0]


def parse_labs(text: str) -> dict:
    """Every lab value in ``text``: {analyte: Parsed}. Never raises.

    Analytes not mentioned are absent; a mention whose value cannot be read
    (wrong unit, implausible, ambiguous, a range instead of a value) maps to
    an ``unclear`` Parsed with ``extra["mentioned"]`` True. An ANC not given
    is worked out from a WBC and a neutrophil percentage when both are.
    """
    if not isinstance(text, str) or not text:
        return {}
    found: dict = {}
    for analyte, parsed in _scan(text):
        if not parsed.unclear:
            # "urine protein 0.8 g/24h" is filed as the 24-hour quantification.
            analyte = parsed.value["analyte"]
        found.setdefault(analyte, []).append(parsed)
    merged = {a: _merge(a, ps) for a, ps in found.items()}
    derived = _anc_from_differential(merged)
    if derived is not None:
        merged["anc"] = derived
    merged = {a: (_with(p, extra={**p.extra, "mentioned": True}) if p.unclear else p) for a, p in merged.items()}
    return _mark_egfr(merged, text)


def _anc_from_differential(found: dict) -> Parsed | None:
    """ANC = WBC x neutrophil % / 100, when no ANC is given (inferred: staff see how)."""
    wbc, share = found.get("wbc"), found.get("neut_pct")
    if "anc" in found or wbc is None or share is None or wbc.unclear or share.unclear:
        return None
    count, percent = wbc.value["value"], share.value["value"]
    if count is None or percent is None:
        return None
    start, end = min(wbc.start or 0, share.start or 0), max(wbc.end or 0, share.end or 0)
    original = f"{wbc.value['original']}, {share.value['original']}"
    return Parsed(
        kind="lab",
        value={
            "analyte": "anc",
            "value": _sig(count * percent / 100),
            "unit": SPECS["anc"]["canonical"],
            "original": original,
            "uln": None,
            "x_uln": None,
            "status": None,
            "comparator": None,
        },
        span=f"{wbc.span}; {share.span}",
        confidence=min(CONF_INFERRED, wbc.confidence, share.confidence),
        note=f"ANC worked out from WBC x neutrophil % ({original})",
        start=start,
        end=end,
    )


# Bare values are read only at steps asking for a few tests: at a full panel a
# lone number could be anything.
MAX_EXPECTED_FOR_BARE = 3


@functools.cache
def _egfr_marker() -> re.Pattern:
    """Words or a unit saying a filtration rate is an eGFR, not a Cockcroft-Gault clearance."""
    from bot.parsing.zh import alternatives

    return re.compile(
        r"(?<![A-Za-z])(?:e?GFR|estimated\s+GFR|CKD[\s-]*EPI|MDRD)(?![A-Za-z])|/\s*1\.73\s*m|"
        + alternatives("egfr_markers"),
        re.I,
    )


def _mark_egfr(found: dict, text: str) -> dict:
    """A clearance read where the answer names an eGFR ("eGFR (CKD-EPI) 60", "60 mL/min/1.73m2",
    肾小球滤过率 60) is marked as one, wherever it was read (a trial may refuse eGFRs)."""
    parsed = found.get("crcl")
    if parsed is None or parsed.unclear or not isinstance(text, str) or not _egfr_marker().search(text):
        return found
    if parsed.value.get("method") == "egfr":
        return found
    note = "; ".join(filter(None, [parsed.note, "eGFR given, not a Cockcroft-Gault clearance"]))
    found["crcl"] = _with(
        parsed, value={**parsed.value, "method": "egfr"}, confidence=min(parsed.confidence, CONF_INFERRED), note=note
    )
    return found


def parse_expected(text: str, expects=()) -> dict:
    """``parse_labs`` at a step that asks for ``expects``; see :func:`_parse_expected`."""
    return _mark_egfr(_parse_expected(text, expects), text)


def _parse_expected(text: str, expects=()) -> dict:
    """``parse_labs`` at a step that asks for ``expects``; a value written without
    its test's name ("0.9 mg/dL" when asked for creatinine, "1.7" for INR,
    "2+" for urine protein) is read for the one expected test it fits. A bare
    value that fits several expected tests is unclear for each (kept for
    staff, never guessed)."""
    found = parse_labs(text)
    missing = [a for a in expects if a not in found and a in SPECS]
    if not missing or len(expects) > MAX_EXPECTED_FOR_BARE or not isinstance(text, str):
        return found
    leftover = list(text)
    for parsed in found.values():
        if parsed.start is not None and parsed.end is not None:
            leftover[parsed.start : parsed.end] = " " * (parsed.end - parsed.start)
    rest = "".join(leftover)
    if not _DIGIT_OR_WORD_RE.search(rest) or (found and not re.search(r"\d|[+±]", rest)):
        return found
    readings = {a: _parse_lab(rest, a) for a in missing}
    fitting = {a: p for a, p in readings.items() if not p.unclear}
    if len(fitting) == 1:
        analyte, parsed = next(iter(fitting.items()))
        found[analyte] = _with(
            parsed,
            note="; ".join(filter(None, [parsed.note, f"read as {SPECS[analyte]['label']} (the test asked for)"])),
        )
    elif len(fitting) > 1:
        names = " or ".join(SPECS[a]["label"] for a in fitting)
        for analyte in fitting:
            found[analyte] = Parsed(
                kind="unclear",
                span=rest.strip()[:200],
                note=f"a value without a test name: {names}?",
                extra={"mentioned": True},
            )
    return found


def _scan(text: str):
    """Yield (analyte, Parsed) for every value found."""
    for m in _NO_PROTEINURIA_RE.finditer(text):
        yield (
            "urine_protein",
            Parsed(
                kind="lab",
                value={
                    "analyte": "urine_protein",
                    "value": 0.0,
                    "unit": "grade",
                    "original": m.group(),
                    "uln": None,
                    "x_uln": None,
                    "status": None,
                    "comparator": None,
                },
                span=m.group(),
                confidence=0.85,
                note="read 'no proteinuria' as negative",
                start=m.start(),
                end=m.end(),
            ),
        )
    pos = 0
    while True:
        found = _find_name(text, pos)
        if not found:
            return
        start, pos, target = found
        group = [target]
        while True:  # "FT3/FT4", "AST, ALT and bilirubin"
            sep = _GROUP_SEP_RE.match(text, pos)
            nxt = _name_at(text, sep.end()) if sep else None
            if not nxt:
                break
            pos, target = nxt
            group.append(target)
        slot = read_value_at(text, pos, count=len(group), grades="urine_protein" in group)
        if slot is None:
            continue
        # Continue after the value, so its unit or ULN is not read as a name.
        pos = max(pos, slot.end)
        yield from _read_group(text, start, group, slot)


def _read_group(text: str, start: int, group: list, slot: _Slot):
    analytes = []  # (analyte, named through a panel)
    for target in group:
        if target.startswith("panel:"):
            analytes += [(a, True) for a in _PANELS[target[6:]][1]]
        elif target == "egfr":
            analytes.append(("crcl", "egfr"))
        elif target != "skip":
            analytes.append((target, False))
    if len(analytes) != len(group) and slot.numbers and len(slot.numbers) > 1:
        # "Hb/Hct 8.7/26": which number is which is unsafe to guess; keep it for staff.
        for analyte, _ in analytes:
            yield (
                analyte,
                _unclear(
                    f"{SPECS[analyte]['label']}: its value is written together with a test not read here",
                    text,
                    start,
                    slot,
                ),
            )
        return
    for analyte, from_panel in analytes:
        if from_panel is True:
            # A panel ("LFTs normal") carries only a status or a multiple of ULN.
            if slot.numbers and not slot.is_x_uln:
                continue
            parsed = _interpret(analyte, slot.numbers[0] if slot.numbers else None, slot, text, start)
            if not parsed.unclear:
                parsed = _with(
                    parsed,
                    confidence=min(parsed.confidence, CONF_PANEL),
                    note="; ".join(filter(None, [parsed.note, "reported for the whole panel, not this test"])),
                )
            yield analyte, parsed
        else:
            parsed = _group_member(text, start, analytes, analyte, slot)
            if analyte == "anc" and slot.unit_id == "%":
                # "neutrophils 55%": a share, not a count
                analyte = "neut_pct"
                parsed = _interpret("neut_pct", slot.numbers[0] if slot.numbers else None, slot, text, start)
            if from_panel == "egfr" and not parsed.unclear:
                parsed = _with(
                    parsed,
                    value={**parsed.value, "method": "egfr"},
                    confidence=min(parsed.confidence, CONF_INFERRED),
                    note="; ".join(filter(None, [parsed.note, "eGFR given, not a Cockcroft-Gault clearance"])),
                )
            yield analyte, parsed


def _group_member(text, start, analytes, analyte, slot) -> Parsed:
    n = len(analytes)
    numbers = slot.numbers
    if not numbers:
        return _interpret(analyte, None, slot, text, start)
    if len(numbers) == n:
        index = [a for a, _ in analytes].index(analyte)
        return _interpret(analyte, numbers[index], slot, text, start)
    if n > 1 and not slot.is_x_uln:
        names = "/".join(SPECS[a]["label"] for a, _ in analytes)
        return _unclear(
            f"{len(numbers)} value(s) for {n} tests ({names}): cannot tell which is which", text, start, slot
        )
    return _interpret(analyte, numbers[0], slot, text, start)


def _with(p: Parsed, **changes) -> Parsed:
    return replace(p, **changes)


# Word numbers for single answers: "three point one", "about 3 point 1".
_POINT_RE = re.compile(r"(?<![\w.])(\d{1,6})\s+point\s+(\d{1,6})(?![\w.])", re.I)
_WORD_NUMBER_RE = re.compile(
    r"(?<![A-Za-z])(?:(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|thousand|point|and)(?:[\s-]+|(?=$|[^A-Za-z])))+",
    re.I,
)
# A hedge or comparator just before the number ("about 3.1", "< 20").
_LEAD_RE = re.compile(r"(?:(?:" + _HEDGE_RE.pattern + r")|(?:" + _COMPARATOR_RE.pattern + r"))+$", re.I)
_DIGIT_OR_WORD_RE = re.compile(
    r"\d|(?<![A-Za-z])(?:normal|WNL|undetect|not\s+detected|negative|neg|trace|nil)"
    r"|[+±]",
    re.I,
)


def _words_to_digits(text: str) -> str:
    """ "3 point 1" -> "3.1"; "one point eight" -> "1.8". Same text otherwise."""
    text = _POINT_RE.sub(lambda m: f"{m.group(1)}.{m.group(2)}", text)

    def convert(m: re.Match) -> str:
        words = m.group().strip(" -")
        if not re.search(r"[a-z]", words.replace("and", "").replace("point", ""), re.I):
            return m.group()
        try:
            from word2number import w2n

            number = w2n.word_to_num(words)
        except Exception:  # noqa: BLE001 - word2number raises ValueError on odd input; anything else too
            return m.group()
        trailing = m.group()[len(m.group().rstrip()) :]
        return f"{number:g}{trailing}" if isinstance(number, float) else f"{number}{trailing}"

    return _WORD_NUMBER_RE.sub(convert, text)


def parse_lab(text: str, analyte: str) -> Parsed:
    """A single answer to a question about ``analyte`` ("1.8", "Hb 128 g/L",
    "about 3 point 1", "normal"). Never raises."""
    try:
        return _parse_lab(text, analyte)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not crash the conversation
        return unclear(f"could not read the {analyte} value ({type(exc).__name__})")


def _parse_lab(text: str, analyte: str) -> Parsed:
    if analyte not in SPECS:
        return unclear(f"unknown analyte {analyte!r}")
    if not isinstance(text, str) or not text.strip():
        return unclear("no answer given")
    found = parse_labs(text)
    if analyte in found:
        return found[analyte]
    label = SPECS[analyte]["label"]
    if found:
        others = ", ".join(SPECS[a]["label"] for a in found)
        return unclear(f"the answer names {others}, not {label}", span=text[:200])
    if len(text) > 2000:
        return unclear("answer too long for a single value", span=text[:200])
    work = _words_to_digits(text)
    words_note = "number written in words" if work != text else ""
    first = _DIGIT_OR_WORD_RE.search(work)
    if not first:
        if _UNKNOWN_VALUE_RE.search(work):
            return unclear(f"{label}: value not known", span=text.strip())
        return unclear(f"no {label} value found", span=text.strip()[:200])
    # Start at the first number, keeping a hedge or comparator written before it.
    begin = first.start()
    lead = _LEAD_RE.search(work[:begin])
    if lead:
        begin = lead.start()
    slot = read_value_at(work, begin, grades=analyte == "urine_protein")
    if slot is None:
        return unclear(f"no {label} value found", span=text.strip()[:200])
    rest = work[slot.end :]
    if re.search(r"\d", rest):
        return unclear(f"more than one number in the answer; which is the {label}?", span=text.strip()[:200])
    parsed = _interpret(analyte, slot.numbers[0] if slot.numbers else None, slot, work, begin)
    if work != text:
        # Spans point into the converted text; report the original words instead.
        parsed = _with(parsed, span=text.strip(), start=None, end=None)
        if words_note and not parsed.unclear:
            parsed = _with(
                parsed,
                note="; ".join(filter(None, [parsed.note, words_note])),
                confidence=min(parsed.confidence, CONF_INFERRED),
            )
    return parsed


def _reference_ranges_path() -> Path:
    return Path(os.environ.get(REFERENCE_RANGES_ENV) or REFERENCE_RANGES_FILE)


_RANGES_CACHE: dict = {}


def _reference_ranges() -> dict:
    """reference_ranges.yaml, re-read when the file or REFERENCE_RANGES changes."""
    path = _reference_ranges_path()
    stamp = (str(path), path.stat().st_mtime_ns)
    if stamp not in _RANGES_CACHE:
        with open(path, encoding="utf-8") as fh:
            _RANGES_CACHE.clear()
            _RANGES_CACHE[stamp] = yaml.safe_load(fh) or {}
    return _RANGES_CACHE[stamp]


def default_uln(analyte: str, sex: str | None = None) -> tuple:
    """(ULN in the analyte's canonical unit, note saying where it came from).

    Used only when a result is given without its laboratory's ULN. Raises
    KeyError for an analyte the reference file does not cover. With a
    sex-specific limit and no sex given, the higher (male) limit is returned
    and the note says so: the scorer should treat values between the two
    limits as uncertain.
    """
    ranges = _reference_ranges()
    if analyte not in ranges:
        raise KeyError(f"no default ULN for {analyte!r} in {_reference_ranges_path()}")
    entry = ranges[analyte]
    uln = entry["uln"]
    said = entry.get("source") or "no source given"
    said = said.get("en", "") if isinstance(said, dict) else said
    source = f"default ULN from {_reference_ranges_path().name} ({said})"
    if isinstance(uln, dict):
        key = (sex or "").strip().lower()
        key = {"m": "male", "f": "female", "man": "male", "woman": "female"}.get(key, key)
        if key in uln:
            return float(uln[key]), f"{source}; {key} limit"
        high = max(uln, key=lambda k: uln[k])
        return float(uln[high]), (f"{source}; sex not given, used the higher ({high}) limit")
    return float(uln), source


def default_uln_options(analyte: str, sex: str | None = None, age: float | None = None) -> tuple:
    """([possible ULNs], where they came from) for a result given without its lab's ULN.

    One ULN when it does not depend on sex or the sex is known; both the
    female and the male limit when it does and the sex is not known (the
    scorer passes or fails only when both agree). An entry marked
    ``adults_only`` has no default under 18 (LookupError): children's limits
    are lower and vary with age, so the laboratory's own ULN is needed.
    Raises KeyError for an analyte the reference file does not cover.
    """
    ranges = _reference_ranges()
    if analyte not in ranges:
        raise KeyError(f"no default ULN for {analyte!r} in {_reference_ranges_path().name}")
    entry = ranges[analyte]
    if entry.get("adults_only") and age is not None and age < 18:
        raise LookupError(f"the default {analyte} ULN is for adults; a child's needs the laboratory's own ULN")
    uln = entry["uln"]

    def source(limit: str | None) -> dict:
        # a nested reason (bot/reasons.py): staff read where the ULN came from in their language
        params = {"file": _reference_ranges_path().name, "source": entry.get("source") or "no source given"}
        return {"key": "uln_source", "params": {**params, "limit": limit}}

    if not isinstance(uln, dict):
        return [float(uln)], source(None)
    key = {"m": "male", "f": "female", "man": "male", "woman": "female"}.get((sex or "").lower(), (sex or "").lower())
    if key in uln:
        return [float(uln[key])], source(key)
    return sorted(float(v) for v in uln.values()), source("every")


def read_lab_at(text: str, pos: int, analyte: str) -> Parsed | None:
    """The value of ``analyte`` written at ``pos`` (just after its name, e.g.
    after "viral load"), interpreted like ``parse_labs`` does; None if no value
    is written there. ``start``/``span`` begin at ``pos``."""
    slot = read_value_at(text, pos, grades=analyte == "urine_protein")
    if slot is None:
        return None
    return _interpret(analyte, slot.numbers[0] if slot.numbers else None, slot, text, pos)
