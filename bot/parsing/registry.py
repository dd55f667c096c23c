"""Parser names usable in a trial file, mapped to functions.

Each parser takes (text, today) and returns either one Parsed (for the fact it
is attached to) or a dict of fact name -> Parsed (labs and case summaries fill
several facts from one answer). A family takes an argument from the trial
file ("allergy:lenvatinib", "expectancy:3"); ``labs`` also receives the
step's ``expects`` and ``summary`` the trial's summary mapping (the engine
passes them: ``reads_expected`` / ``reads_summary_mapping``).

Value shapes added here (for bot/describe.py and the rules):

* fever: {"answer", "celsius"} and "explained": True when a cause is named;
* blood_pressure: the string "unknown" for "I don't know my blood pressure";
* lvef / qtcf: lab-shaped {"analyte", "value", "unit", "comparator"}
  ("EF <50%" keeps its "<"); a reading found but unreadable is an unclear
  Parsed with ``extra["mentioned"]``;
* event_infection: "answer" "no" for an infection treated by mouth (the
  registry's severe infection is IV-treated), with the reason in the note;
* event_cardiac: "answer" "no" for a controlled rhythm problem;
* event_bleeding: fecal occult blood as {"term": "occult_blood", "grade":
  int or None (positive, grade not given), "days_ago": 0}.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date

from bot.parsing import (
    cardiac,
    demographics,
    diagnosis,
    drugs,
    events,
    labs,
    performance,
    questions,
    timing,
    virology,
    vitals,
    yes_no,
    zh,
)
from bot.parsing.nlp import has_hedge
from bot.parsing.numbers import find_numbers
from bot.parsing.summary import extract_summary
from bot.parsing.types import Parsed, unclear

ParserResult = Parsed | dict[str, Parsed]


def _event(*groups: str) -> Callable[[str, date], Parsed]:
    """An event parser that counts only the lexicon's term groups the question is about."""

    def parse(text: str, today: date) -> Parsed:
        return events.parse_event(text, today, terms=list(groups))

    parse.__name__ = f"event_{groups[0]}"
    return parse


_NO_FEVER_ABOVE = re.compile(
    r"\b(?:no|denies|denied|without|never\s+had\s+an?)\s+(?:\w+\s+)?(?:fevers?|temperatures?|temps?|pyrexia)\b"
    r"(?:\s*(?:over|above|>|higher\s+than|of)\s*\d+(?:\.\d+)?\s*°?\s*[cf]?)?",
    re.I,
)
_AFEBRILE = re.compile(r"\b(?:afebrile|apyrexial|no\s+fevers?|no\s+temperature|normal\s+temperature)\b", re.I)
# A cause given for the fever: "from a urine infection", "due to a port infection", "after the flu jab".
_FEVER_CAUSE = re.compile(
    r"\b(?:from|due\s+to|because\s+of|caused\s+by|secondary\s+to|related\s+to|after|with)\s+(?:an?\s+|the\s+|my\s+|his\s+|her\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:infection|uti|pneumonia|flu|cold|covid|abscess|cellulitis|line|port|chemo\w*|"
    r"transfusion|vaccin\w*|jab|shot|surgery|operation|sinusitis|tonsillitis|chest\s+infection|sepsis|"
    r"neutropeni\w*|mucositis|cholangitis|drug\s+reaction|tumou?r\s+fever)\b"
    r"|\bsource\s+(?:is\s+|was\s+)?(?:the\s+)?(?!unknown|not|unclear)[\w-]+",
    re.I,
)
_FEVER_UNEXPLAINED = re.compile(
    r"\b(?:unknown|unexplained|no)\s+(?:source|cause|reason)|source\s+(?:unknown|not\s+found|unclear)"
    r"|(?:nobody|no\s+one|doctors?\s+(?:don'?t|do\s+not))\s+knows?\s+why|\bFUO\b|without\s+a\s+(?:known\s+)?cause",
    re.I,
)


def _named_only(*groups: str) -> Callable[[str, date], Parsed]:
    """An event parser for an answer to another question: only an event of
    ``groups`` actually named counts ("Hb 10.2 after 2 units last week" at the
    blood count step names a transfusion); otherwise unclear, never a yes/no guess."""

    def parse(text: str, today: date) -> Parsed:
        event = events.parse_event(text, today, terms=list(groups))
        if event.unclear or not event.value.get("term") or event.confidence < 0.7:
            return unclear(f"no {', '.join(groups)} named")
        return event

    parse.__name__ = f"named_{groups[0]}"
    return parse


def parse_fever(text: str, today: date) -> Parsed:
    """A temperature if one is given, else a yes/no about fever.

    value: {"answer", "celsius"} and "explained": True when the answer names
    the fever's cause ("39 but it was from a urine infection"): the registry
    excludes an unexplained fever only.
    """
    if _AFEBRILE.search(text or "") and vitals.parse_temperature(text).unclear:
        m = _AFEBRILE.search(text)
        return Parsed("fever", {"answer": "no", "celsius": None}, m.group(), 0.9, "afebrile", m.start(), m.end())
    denied = _NO_FEVER_ABOVE.search(text or "")
    if denied:
        # "no fever over 39", "denies fevers": the number is in a denial, not a reading.
        return Parsed(
            "fever",
            {"answer": "no", "celsius": None},
            denied.group(),
            0.9,
            "fever denied",
            denied.start(),
            denied.end(),
        )
    explained = bool(_FEVER_CAUSE.search(text or "")) and not _FEVER_UNEXPLAINED.search(text or "")
    temperature = vitals.parse_temperature(text)
    if not temperature.unclear:
        value = {"answer": "yes", "celsius": temperature.value}
        if explained:
            value["explained"] = True
        return Parsed(
            "fever",
            value,
            temperature.span,
            temperature.confidence,
            "; ".join(filter(None, [temperature.note, "a cause is named" if explained else ""])),
            temperature.start,
            temperature.end,
        )
    answer = yes_no.parse_yes_no(text, today)
    if answer.unclear:
        return answer
    value = {"answer": answer.value, "celsius": None}
    if explained and answer.value == "yes":
        value["explained"] = True
    return Parsed("fever", value, answer.span, answer.confidence, answer.note)


# Fecal occult blood written as a grade, as lab reports and referrals do: "FOBT ++", "occult blood 3+".
_OCCULT_BLOOD = re.compile(
    r"\b(?:i?fobt?|gfobt|h(?:a)?emoccult|guaiac|(?:f(?:a)?ecal|stool)\s+occult\s+blood(?:\s+test)?|occult\s+blood"
    r"|(?-i:OB))\s*(?:test\s*)?(?:[:=]\s*|\s(?:was|is)\s+)?"
    r"(?P<grade>\+{1,4}|[1-4]\s*\+|positive|pos\b|negative|neg\b|-(?![\w])|trace|weakly\s+positive)",
    re.I,
)


def parse_bleeding(text: str, today: date) -> Parsed:
    """Significant bleeding: events ("melena 6 weeks ago"), and fecal occult blood
    by grade ("FOBT ++": grade 2, found at baseline, so today). value adds
    "grade" for an occult-blood result (None: positive, grade not given); the
    rule's ``min_grade`` decides from which grade it counts."""
    event = events.parse_event(text, today, terms=["bleeding"])
    m = _OCCULT_BLOOD.search(text or "")
    if m is None or (not event.unclear and event.value.get("answer") == "yes" and event.confidence >= 0.8):
        return event
    raw = m.group("grade").lower().replace(" ", "")
    if raw.startswith("+"):
        grade = len(raw)
    elif raw[0].isdigit():
        grade = int(raw[0])
    elif raw in ("negative", "neg", "-", "trace"):
        grade = 0
    else:
        grade = None  # "positive": the grade decides, and it is not given
    answer = "no" if grade == 0 else "yes"
    value = {
        "answer": answer,
        "days_ago": 0 if answer == "yes" else None,
        "term": "occult_blood",
        "terms": ["occult_blood"],
    }
    value.update(named=m.group(0).strip(), grade=grade)
    return Parsed("event", value, m.group(0), 0.9, f"fecal occult blood {m.group('grade')}", m.start(), m.end())


_CONTROLLED = re.compile(
    r"\b(?:rate[- ]controlled|well[- ]controlled|controlled|under\s+control|in\s+sinus\s+rhythm)\b", re.I
)
_POORLY_CONTROLLED = re.compile(
    r"\b(?:poorly|badly|not\s+well|un-?|not)[- ]?(?:controlled|under\s+control)|\brvr\b|rapid\s+ventricular|uncontrolled",
    re.I,
)
_RHYTHM_TERMS = ("arrhythmia",)


def parse_cardiac_event(text: str, today: date) -> Parsed:
    """Active heart disease: a heart rhythm problem said to be controlled is not
    the registry's "poorly controlled arrhythmia" (the ECG still decides)."""
    event = events.parse_event(text, today, terms=["cardiac_event"])
    if event.unclear or event.value.get("answer") != "yes":
        return event
    rhythm_only = all(term in _RHYTHM_TERMS for term in event.value.get("terms") or ["?"])
    if rhythm_only and _CONTROLLED.search(text) and not _POORLY_CONTROLLED.search(text):
        value = {**event.value, "answer": "no"}
        note = "; ".join(filter(None, [event.note, "a controlled rhythm problem, not a poorly controlled one"]))
        return Parsed(
            event.kind, value, event.span, min(max(event.confidence, 0.8), 0.85), note, event.start, event.end
        )
    return event


def parse_infection(text: str, today: date) -> Parsed:
    """A severe infection in the window: the registry's example is one treated
    intravenously, so an infection treated by mouth is not one ("a chest
    infection treated with tablets"); an infection named with no treatment
    and no plain yes goes to staff."""
    parsed = events.parse_event(text, today, terms=["infection"])
    if parsed.unclear or parsed.value.get("answer") != "yes":
        return parsed
    low = text.lower()
    intravenous = _route_words("injection").search(low) or "iv_antimicrobials" in parsed.value.get("terms", [])
    severe = _SEVERE_INFECTION.search(low)
    by_mouth = _route_words("oral").search(low) or _NOT_SEVERE.search(low)
    # The treatment settles what a weak word ("antibiotics", "UTI") left open.
    settled = 0.6 if has_hedge(text, quantities=False) else 0.85
    if by_mouth and not intravenous and not severe:
        value = {**parsed.value, "answer": "no"}
        note = "; ".join(filter(None, [parsed.note, "treated by mouth: not a severe (IV-treated) infection"]))
        return Parsed(parsed.kind, value, parsed.span, settled, note, parsed.start, parsed.end)
    if intravenous or severe:
        confidence = max(parsed.confidence, settled) if "said no" not in parsed.note else parsed.confidence
        note = "; ".join(filter(None, [parsed.note, "IV treatment or a severe infection"]))
        return Parsed(parsed.kind, parsed.value, parsed.span, confidence, note, parsed.start, parsed.end)
    said = yes_no.parse_yes_no(text, today)
    plain_yes = not said.unclear and said.value == "yes" and said.confidence >= 0.9
    if not (intravenous or severe or plain_yes):
        note = "; ".join(filter(None, [parsed.note, "infection named; IV treatment not said"]))
        return Parsed(
            parsed.kind, parsed.value, parsed.span, min(parsed.confidence, 0.6), note, parsed.start, parsed.end
        )
    return parsed


# Said to be mild or untreated: not the registry's severe infection.
_NOT_SEVERE = re.compile(
    r"\b(?:no\s+treatment|not\s+treated|untreated|stayed\s+(?:at\s+)?home|mild|self[- ]limit\w*|"
    r"got\s+better\s+(?:by\s+itself|on\s+(?:its|my)\s+own)|no\s+antibiotics)\b"
)
_SEVERE_INFECTION = re.compile(
    r"\b(?:sepsis|septic|septicaemia|septicemia|bacteraemia|bacteremia|candidaemia|candidemia|fungaemia|fungemia|"
    r"icu|intensive\s+care|admitted|hospitali[sz]ed|in\s+hospital|febrile\s+neutropenia|meningitis)\b"
)


@functools.cache
def _route_words(route: str) -> re.Pattern:
    from bot.parsing.nlp import lexicon, phrase_regex

    return phrase_regex((lexicon().get("routes") or {}).get(route, [])) or re.compile(r"(?!x)x")


_ZH_SURVIVAL = zh.data()["survival"]


_SURVIVAL = re.compile(
    r"(?P<op>>=?|≥|no more than|not more than|at most|up to|more than|over|at least|about|around|<|≤|less than|under|"
    + "|".join(zh.alternatives("survival", k) for k in ("at_least", "below", "about"))
    + r")?\s*"
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>months?|mo|m\b|years?|yrs?|y\b|weeks?|wks?|"
    + zh.alternatives("survival", "units")
    + r")(?:\s*(?P<op_after>"
    + zh.alternatives("survival", "after_at_least")
    + "|"
    + zh.alternatives("survival", "after_below")
    + r"))?"
    # not a time since ("确诊1年了", "3个月前", "2023年"): a survival estimate looks ahead
    + r"(?!\s*(?:"
    + zh.alternatives("survival", "not_an_estimate_after")
    + r"|ago\b))",
    re.I,
)
_BELOW_WORDS = ("<", "≤", "less than", "under", "no more than", "not more than", "at most", "up to")


def _survival_op(match: re.Match) -> str:
    """The comparison as English words: ">", "<", "about" or ""."""
    op, after = (match["op"] or "").lower(), match["op_after"] or ""
    if op in _ZH_SURVIVAL["at_least"] or after in _ZH_SURVIVAL["after_at_least"]:
        return ">"
    if op in _ZH_SURVIVAL["below"] or after in _ZH_SURVIVAL["after_below"]:
        return "<"
    if op in _ZH_SURVIVAL["about"]:
        return "about"
    return op


# "weeks", "days to weeks", "years": a survival estimate in words ("weeks to months" is neither).
_SURVIVAL_WORDS = re.compile(
    r"^\W*(?:(?:only|a\s+few|few|several|some|expected|likely|probably)\s+)*(?:(?P<short>(?:days\s+(?:to|or)\s+)?weeks|days)|(?P<long>years))\W*$",
    re.I,
)


def _survival_reading(match: re.Match, minimum_months: float) -> tuple[str, float, bool]:
    """(yes/no to "at least the minimum", the estimate in months, is it an upper bound)."""
    number, unit = float(match["num"]), match["unit"].lower()
    unit = _ZH_SURVIVAL["units"].get(unit, unit)  # 个月 -> months, 年 -> years, 周 -> weeks
    months = number * 12 if unit.startswith("y") else number / 4.345 if unit.startswith("w") else number
    below = _survival_op(match) in _BELOW_WORDS
    return ("yes" if months >= minimum_months and not below else "no"), months, below


def parse_expectancy(text: str, today: date, minimum_months: float = 3) -> Parsed:
    """Expected survival: yes/no to "at least ``minimum_months``", or an estimate
    ("6 months", "> 1 year", "weeks"). An approximate estimate near the minimum
    ("approximately 3 months") is hedged: it may be either side."""
    words_only = _SURVIVAL_WORDS.search(text or "") if not _SURVIVAL.search(text or "") else None
    if words_only:
        short = words_only.group("short") is not None
        return Parsed(
            "yes_no",
            "no" if short else "yes",
            words_only.group(0),
            0.85,
            "a survival of " + ("weeks or days" if short else "years"),
            words_only.start(),
            words_only.end(),
        )
    estimates = [m for m in _SURVIVAL.finditer(text or "") if not re.fullmatch(r"(?:19|20)\d\d", m["num"])]
    if estimates:
        readings = {_survival_reading(m, minimum_months)[0] for m in estimates}
        match = estimates[0]
        answer, months, below = _survival_reading(match, minimum_months)
        op = _survival_op(match)
        confidence, note = 0.9, f"estimate of {months:g} months"
        if below and months > minimum_months:
            # "under 6 months" against 3: it may be either side
            confidence, note = 0.5, f"less than {months:g} months: may be below {minimum_months:g}"
        if len(readings) > 1:
            confidence, note = 0.5, "more than one estimate, on both sides of the minimum"
        if op in ("about", "around") or re.search(r"\b(?:approx\w*|roughly|~)\s*$", text[: match.start("num")], re.I):
            if abs(months - minimum_months) <= minimum_months * 0.25:
                confidence, note = 0.5, f"about {months:g} months: too close to {minimum_months:g} to tell"
        return Parsed("yes_no", answer, match.group(0), confidence, note, match.start(), match.end())
    return yes_no.parse_yes_no(text, today)


def _expectancy(months: str) -> Callable[[str, date], Parsed]:
    minimum = float(months)

    def parse(text: str, today: date) -> Parsed:
        return parse_expectancy(text, today, minimum)

    return parse


def parse_blood_pressure(text: str, today: date) -> Parsed:
    """A reading; "I don't know" is kept as "unknown" (measured at the site), not as not understood."""
    reading = vitals.parse_blood_pressure(text)
    if reading.unclear:
        said = yes_no.parse_yes_no(text, today)
        if not said.unclear and said.value == "unknown" and not re.search(r"\d", text or ""):
            return Parsed(
                "blood_pressure", "unknown", said.span, said.confidence, "reading not known", said.start, said.end
            )
    return reading


def parse_labs(text: str, today: date, expects=()) -> dict[str, Parsed]:
    """Lab values; with ``expects`` (the step's analytes) a bare value is read for the one it fits."""
    return labs.parse_expected(text, tuple(expects))


parse_labs.reads_expected = True


def parse_virology(text: str, today: date) -> Parsed:
    """Markers if named; a plain yes/no otherwise (a 'yes' then asks which one)."""
    found = virology.parse_virology(text)
    plain = yes_no.parse_yes_no(text, today)
    if found.unclear:
        if plain.unclear:
            return plain
        return Parsed("virology", {"answer": plain.value}, plain.span, plain.confidence, plain.note)
    value = dict(found.value)
    positive = any(value.get(k) == "positive" for k in ("hiv", "hbsag", "hcv_ab"))
    confidence, note = found.confidence, found.note
    doubt = not plain.unclear and plain.value == "unknown" and not positive  # "no idea about hepatitis"
    if has_hedge(text, quantities=False) or doubt:
        confidence, note = min(confidence, 0.5), "; ".join(filter(None, [note, "hedged"]))
    value.setdefault("answer", "yes" if positive else ("no" if not plain.unclear and plain.value == "no" else None))
    if value.get("answer") is None and not positive:
        # A measured viral load ("HBV DNA 5000 IU/ml") means an infection someone
        # is following, even with no antigen named: never "none reported".
        dna_detected = (value.get("hbv_dna_iu_ml") or 0) > 0 and value.get("hbv_dna_comparator") not in ("<", "<=")
        load = dna_detected or value.get("hcv_rna") == "detectable"
        markers_clear = all(value.get(k) in (None, "negative") for k in ("hiv", "hbsag", "hcv_ab"))
        value["answer"] = "yes" if load else ("no" if markers_clear else None)
    return Parsed("virology", value, found.span, confidence, note, found.start, found.end)


def parse_diagnosis_answer(text: str, today: date) -> Parsed:
    """The diagnosis question asks about a sarcoma that has spread or cannot be
    operated; only an explicit yes confirms that part, a bare name ("I have
    osteosarcoma") leaves the extent to a follow-up question."""
    parsed = diagnosis.parse_diagnosis_answer(text)
    if parsed.unclear or (parsed.value or {}).get("extent") != "confirmed_by_patient":
        return parsed
    said = yes_no.parse_yes_no(text, today)
    if not said.unclear and said.value == "yes" and said.confidence >= 0.9:  # "yes", not "I have"
        return parsed
    return Parsed(
        parsed.kind,
        {**parsed.value, "extent": None},
        parsed.span,
        parsed.confidence,
        parsed.note,
        parsed.start,
        parsed.end,
    )


def _single(function: Callable[[str], Parsed]) -> Callable[[str, date], Parsed]:
    def parse(text: str, today: date) -> Parsed:
        return function(text)

    parse.__name__ = function.__name__
    return parse


def parse_lvef(text: str, today: date) -> Parsed:
    return _lab_shaped("lvef", cardiac.parse_lvef(text), "%")


def parse_qtcf(text: str, today: date) -> Parsed:
    return _lab_shaped("qtcf", cardiac.parse_qtc(text), "ms")


# Unclear cardiac readings that found something ("QTc by Bazett", "QT without HR", an implausible value).
_FOUND_BUT_UNREADABLE = re.compile(
    r"^(?:QTc by Bazett|QT given|implausible|more than one|ejection fraction range)", re.I
)


def _lab_shaped(analyte: str, parsed: Parsed, unit: str) -> Parsed:
    """Give cardiac measures the shape of lab values so lab rules can score them; a
    value found but unreadable is kept for staff (``mentioned``)."""
    if parsed.unclear:
        if _FOUND_BUT_UNREADABLE.search(parsed.note or ""):
            return Parsed(parsed.kind, None, parsed.span, 0.0, parsed.note, extra={"mentioned": True})
        return parsed
    return Parsed(
        "lab",
        {"analyte": analyte, "value": parsed.value, "unit": unit, "comparator": parsed.extra.get("comparator")},
        parsed.span,
        parsed.confidence,
        parsed.note,
        parsed.start,
        parsed.end,
    )


def parse_summary(text: str, today: date, mapping: dict | None = None) -> dict[str, Parsed]:
    """Facts of a pasted case summary, named by the trial's ``summary:`` mapping."""
    return extract_summary(text, today, mapping)


parse_summary.reads_summary_mapping = True


def _allergy(drug: str) -> Callable[[str, date], Parsed]:
    def parse(text: str, today: date) -> Parsed:
        return questions.parse_allergy(text, drug)

    return parse


def _side_effects(ask: str) -> Callable[[str], Callable[[str, date], Parsed]]:
    def family(excepted: str) -> Callable[[str, date], Parsed]:
        keys = tuple(k.strip() for k in excepted.split(",") if k.strip())

        def parse(text: str, today: date) -> Parsed:
            return questions.parse_side_effects(text, keys, ask)

        return parse

    return family


# Parser families: the trial file names them with an argument, "allergy:lenvatinib"
# (the study drug), "side_effects_resolved:alopecia" (the excepted side effects).
FAMILIES: dict[str, Callable[[str], Callable[[str, date], ParserResult]]] = {
    "allergy": _allergy,
    "side_effects_ongoing": _side_effects("ongoing"),
    "side_effects_resolved": _side_effects("resolved"),
    "expectancy": _expectancy,
}


class ParserTable(dict):
    """Parser names usable in a trial file: plain ("yes_no") or a family with its
    argument ("allergy:lenvatinib"), built once on first use."""

    def _split(self, key: str) -> tuple:
        name, _, argument = str(key).partition(":")
        return name, argument.strip()

    def __contains__(self, key) -> bool:
        name, argument = self._split(key)
        return dict.__contains__(self, key) or (name in FAMILIES and bool(argument))

    def __missing__(self, key):
        name, argument = self._split(key)
        if name not in FAMILIES or not argument:
            raise KeyError(key)
        parser = FAMILIES[name](argument)
        self[key] = parser
        return parser


PARSERS: ParserTable = ParserTable(
    {
        "yes_no": yes_no.parse_yes_no,
        "age": demographics.parse_age,
        "sex": lambda text, today: demographics.parse_sex(text),
        "when": timing.parse_when,
        "ecog": lambda text, today: performance.parse_ecog(text),
        "amputation": lambda text, today: performance.parse_amputation(text),
        "amputation_mentioned": lambda text, today: performance.parse_amputation_mention(text),
        "diagnosis": lambda text, today: diagnosis.parse_diagnosis(text),
        "diagnosis_answer": parse_diagnosis_answer,
        "malignancy": diagnosis.parse_other_malignancy,
        "drugs": drugs.parse_drugs,
        "event_anticancer": _event("anticancer_therapy", "radiotherapy", "surgery", "live_vaccine"),
        "event_cardiac": parse_cardiac_event,
        "event_bleeding": parse_bleeding,
        "event_thrombosis": _event("thrombosis"),
        "event_infection": parse_infection,
        "event_counts_support": _event("counts_support"),
        "counts_support_named": _named_only("counts_support"),
        "blood_pressure": parse_blood_pressure,
        "weight": lambda text, today: vitals.parse_weight(text),
        "fever": parse_fever,
        "virology": parse_virology,
        "lvef": parse_lvef,
        "qtcf": parse_qtcf,
        "labs": parse_labs,
        "summary": parse_summary,
        "contraception": lambda text, today: questions.parse_contraception(text),
        "measurable": lambda text, today: questions.parse_measurable(text),
        "planned": lambda text, today: questions.parse_planned(text),
        "willing": lambda text, today: questions.parse_willing(text),
    }
)

__all__ = ["PARSERS", "ParserResult", "find_numbers", "unclear"]

# Parsers that read a measurement (a number with a unit) rather than a yes/no:
# inside a group question they read the whole answer, not only the clause naming them.
MEASUREMENT_PARSERS = frozenset({"labs", "lvef", "qtcf", "weight", "blood_pressure"})
