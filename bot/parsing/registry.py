"""Parser names usable in a trial file, mapped to functions.

Each parser takes (text, today) and returns either one Parsed (for the fact it
is attached to) or a dict of fact name -> Parsed (labs and case summaries fill
several facts from one answer).
"""

from __future__ import annotations

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


def parse_fever(text: str, today: date) -> Parsed:
    """A temperature if one is given, else a yes/no about fever."""
    temperature = vitals.parse_temperature(text)
    if not temperature.unclear:
        return Parsed(
            "fever",
            {"answer": "yes", "celsius": temperature.value},
            temperature.span,
            temperature.confidence,
            temperature.note,
            temperature.start,
            temperature.end,
        )
    answer = yes_no.parse_yes_no(text, today)
    if answer.unclear:
        return answer
    return Parsed("fever", {"answer": answer.value, "celsius": None}, answer.span, answer.confidence, answer.note)


_SURVIVAL = re.compile(
    r"(?P<op>>=?|≥|more than|over|at least|about|around|<|less than|under)?\s*"
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>months?|mo|m\b|years?|yrs?|y\b|weeks?|wks?)",
    re.I,
)


def parse_expectancy(text: str, today: date) -> Parsed:
    """Expected survival: yes/no to ">= 3 months", or an estimate ("6 months", "> 1 year")."""
    match = _SURVIVAL.search(text or "")
    if match:
        number, unit = float(match["num"]), match["unit"].lower()
        months = number * 12 if unit.startswith("y") else number / 4.345 if unit.startswith("w") else number
        below = (match["op"] or "").lower() in ("<", "less than", "under")
        answer = "no" if below and months <= 3 else "yes" if months >= 3 and not below else "no"
        return Parsed(
            "yes_no", answer, match.group(0), 0.9, f"estimate of {months:g} months", match.start(), match.end()
        )
    return yes_no.parse_yes_no(text, today)


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
        value["answer"] = "no" if all(value.get(k) in (None, "negative") for k in ("hiv", "hbsag", "hcv_ab")) else None
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


def _lab_shaped(analyte: str, parsed: Parsed, unit: str) -> Parsed:
    """Give cardiac measures the shape of lab values so lab rules can score them."""
    if parsed.unclear:
        return parsed
    return Parsed(
        "lab",
        {"analyte": analyte, "value": parsed.value, "unit": unit},
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
        "event_cardiac": _event("cardiac_event"),
        "event_bleeding": _event("bleeding"),
        "event_thrombosis": _event("thrombosis"),
        "event_infection": _event("infection"),
        "event_counts_support": _event("counts_support"),
        "blood_pressure": lambda text, today: vitals.parse_blood_pressure(text),
        "weight": lambda text, today: vitals.parse_weight(text),
        "fever": parse_fever,
        "expectancy": parse_expectancy,
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
