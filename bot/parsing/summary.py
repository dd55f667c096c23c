"""Pull every fact a pasted case summary settles ("62M, UPS thigh with lung mets, PD on
anlotinib, ECOG 1, ANC 3.1, ...").

Conservative on purpose: a fact is taken only when its own pattern is explicit
(an age needs "62M", "62 yo" or "age 62", not a bare number), so a summary
never fills a fact by accident; anything not found is simply asked.
"""

from __future__ import annotations

import re
from datetime import date

from bot.parsing import cardiac, demographics, diagnosis, drugs, labs, performance, virology, vitals
from bot.parsing.types import Parsed

_AGE_SHAPE = re.compile(r"\d\s*(?:y\b|yo\b|y/o|yrs?\b|years?\b|-?year|[mf]\b)|\bage\b|\bdob\b|\bborn\b|\baged\b", re.I)
_TKI_CLASSES = {"tki"}
_ANTITHROMBOTIC = {"anticoagulant", "antiplatelet"}
_IMMUNE = {"corticosteroid", "immunosuppressant"}
MIN_CONFIDENCE = 0.7


def _clear(parsed: Parsed) -> bool:
    return not parsed.unclear and parsed.confidence >= MIN_CONFIDENCE


def _with_value(parsed: Parsed, value: dict) -> Parsed:
    return Parsed(parsed.kind, value, parsed.span, parsed.confidence, parsed.note, parsed.start, parsed.end)


def extract_summary(text: str, today: date) -> dict[str, Parsed]:
    facts: dict[str, Parsed] = {}
    age = demographics.parse_age(text, today)
    if _clear(age) and _AGE_SHAPE.search(age.span or ""):
        facts["age"] = age
    sex = demographics.parse_sex(text)
    if _clear(sex) and sex.confidence >= 0.8:
        facts["sex"] = sex
    weight = vitals.parse_weight(text)
    if _clear(weight):
        facts["weight_kg"] = weight
    ecog = performance.parse_ecog(text)
    if _clear(ecog) and not ecog.value.get("self_report"):
        facts["ecog"] = ecog
    if re.search(r"amput", text, re.I):
        amputation = performance.parse_amputation(text)
        if _clear(amputation):
            facts["amputation"] = amputation
    found = diagnosis.parse_diagnosis(text)
    if _clear(found) and (found.value.get("sarcoma") is True or found.value.get("other_cancer")):
        facts["diagnosis"] = found
    _medicines(text, today, facts)
    for analyte, parsed in labs.parse_labs(text).items():
        if not parsed.unclear:
            facts[analyte] = parsed
    pressure = vitals.parse_blood_pressure(text)
    if _clear(pressure):
        facts["blood_pressure"] = pressure
    for name, parser, unit in (("lvef", cardiac.parse_lvef, "%"), ("qtcf", cardiac.parse_qtc, "ms")):
        measured = parser(text)
        if not measured.unclear:
            facts[name] = Parsed(
                "lab",
                {"analyte": name, "value": measured.value, "unit": unit},
                measured.span,
                measured.confidence,
                measured.note,
                measured.start,
                measured.end,
            )
    markers = virology.parse_virology(text)
    if _clear(markers) and any(markers.value.get(k) for k in ("hiv", "hbsag", "hcv_ab")):
        facts["viral"] = markers
    return facts


def _medicines(text: str, today: date, facts: dict[str, Parsed]) -> None:
    """Split the medicines named in a summary by the question each one answers."""
    parsed = drugs.parse_drugs(text, today)
    if parsed.unclear:
        return
    taken = [_own_dose_only(d) for d in parsed.value.get("drugs", []) if not d.get("negated")]
    groups = {
        "prior_tki": [d for d in taken if _TKI_CLASSES & set(d.get("classes") or []) and d["name"] != "lenvatinib"],
        "anticoagulants": [d for d in taken if _ANTITHROMBOTIC & set(d.get("classes") or [])],
        "immunosuppressants": [d for d in taken if _IMMUNE & set(d.get("classes") or [])],
    }
    for fact, group in groups.items():
        if not group:
            continue
        value = {"answer": "yes", "drugs": group}
        if fact == "prior_tki":
            value["progression"] = parsed.value.get("progression")
        facts[fact] = _with_value(parsed, value)


def _own_dose_only(drug: dict) -> dict:
    """In a comma-separated summary a dose across a comma belongs to another fact
    ("anlotinib, ECOG 1, Hb 128 g" is not 128 g of anlotinib): drop it, so the
    dose is asked instead of guessed."""
    if re.search(r"[,;]", drug.get("span") or ""):
        return {**drug, "daily_dose_mg": None, "prednisolone_equivalent_mg": None}
    return drug
