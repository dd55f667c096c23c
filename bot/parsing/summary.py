"""Pull every fact a pasted case summary settles ("62M, UPS thigh with lung mets, PD on
anlotinib, ECOG 1, ANC 3.1, ...").

Conservative on purpose: a fact is taken only when its own pattern is explicit
(an age needs "62M", "62 yo", "sixty-two-year-old" or "age 62", not a bare
number), so a summary never fills a fact by accident; anything not found is
simply asked. A lab value that is mentioned but cannot be read ("Hb 9 g/L")
is returned as an unclear Parsed (``extra["mentioned"]``) so it is kept for
staff instead of being lost.

Which fact each finding fills is the trial's, not this module's: the trial
file's ``summary:`` section (validated by bot/trial.py) maps

* ``facts``: finding -> fact name, for the findings in ``SOURCES``;
* ``drug_classes``: fact name -> drug classes whose medicines answer it
  (a TKI answers "prior TKI", an antiplatelet "blood thinners");
* ``progression_fact``: the drug fact that also carries the response;
* ``ignore_drugs``: medicines never counted (the study drug itself);
* ``events``: fact name -> lexicon event groups; an event of those groups
  named WITH a time ("NSTEMI 3 months ago", "DVT 2019") fills the fact, so a
  dated exclusion in a summary is never lost; an undated one is asked.
"""

from __future__ import annotations

import re
from datetime import date

from bot.parsing import cardiac, demographics, diagnosis, drugs, events, labs, performance, virology, vitals
from bot.parsing.types import Parsed
from bot.parsing.zh import data as zh_data

_AGE_SHAPE = re.compile(
    r"\d\s*(?:y\b|yo\b|y/o|y\.o|yrs?\b|years?\b|-?year|[mf]\b)|[mf]\s*/\s*\d|\d\s*/\s*[mf]\b|\bage\b|\bdob\b"
    r"|\bborn\b|\baged\b|[a-z][\s-]+years?[\s-]+old|[a-z]-year"
    + "".join(rf"|\d\s*{re.escape(w)}" for w in zh_data()["age_words"] + zh_data()["born_words"]),
    re.I,
)
MIN_CONFIDENCE = 0.7
# Findings a summary can give; the trial file maps each onto one of its facts.
SOURCES = (
    "age",
    "sex",
    "weight",
    "ecog",
    "amputation",
    "diagnosis",
    "labs",
    "blood_pressure",
    "lvef",
    "qtcf",
    "virology",
    "malignancy",
)


def _clear(parsed: Parsed) -> bool:
    return not parsed.unclear and parsed.confidence >= MIN_CONFIDENCE


def _with_value(parsed: Parsed, value: dict) -> Parsed:
    return Parsed(parsed.kind, value, parsed.span, parsed.confidence, parsed.note, parsed.start, parsed.end)


def extract_summary(text: str, today: date, mapping: dict | None = None) -> dict[str, Parsed]:
    """Facts a summary settles, named as ``mapping`` (a trial's ``summary:``
    section; default: the configured trial's) says."""
    if mapping is None:
        from bot.trial import get_trial

        mapping = get_trial().summary
    names = mapping.get("facts") or {}
    found: dict[str, Parsed] = {}

    def put(source: str, parsed: Parsed) -> None:
        if source in names:
            found[names[source]] = parsed

    age = demographics.parse_age(text, today)
    if _clear(age) and _AGE_SHAPE.search(age.span or ""):
        put("age", age)
    sex = demographics.parse_sex(text)
    if _clear(sex) and sex.confidence >= 0.8:
        put("sex", sex)
    weight = vitals.parse_weight(text)
    if _clear(weight):
        put("weight", weight)
    ecog = performance.parse_ecog(text)
    if _clear(ecog) and not ecog.value.get("self_report"):
        put("ecog", ecog)
    amputation = performance.parse_amputation_mention(text)
    if _clear(amputation):
        put("amputation", amputation)
    found_dx = diagnosis.parse_diagnosis(text)
    if _clear(found_dx) and (found_dx.value.get("sarcoma") is True or found_dx.value.get("other_cancer")):
        put("diagnosis", found_dx)
    _medicines(text, today, found, mapping)
    if mapping.get("facts", {}).get("labs"):
        for analyte, parsed in labs.parse_labs(text).items():
            if not parsed.unclear or parsed.extra.get("mentioned"):
                found[analyte] = parsed
    pressure = vitals.parse_blood_pressure(text)
    if _clear(pressure):
        put("blood_pressure", pressure)
    for source, parser, unit in (("lvef", cardiac.parse_lvef, "%"), ("qtcf", cardiac.parse_qtc, "ms")):
        measured = parser(text)
        if not measured.unclear:
            put(
                source,
                Parsed(
                    "lab",
                    {"analyte": source, "value": measured.value, "unit": unit},
                    measured.span,
                    measured.confidence,
                    measured.note,
                    measured.start,
                    measured.end,
                ),
            )
    markers = virology.parse_virology(text)
    if _clear(markers) and any(markers.value.get(k) for k in ("hiv", "hbsag", "hcv_ab")):
        put("virology", markers)
    if "malignancy" in names:
        other = diagnosis.parse_other_malignancy(text, today)
        if _clear(other) and other.value.get("cancer") and other.value.get("days_ago") is not None:
            put("malignancy", other)
    for fact, groups in (mapping.get("events") or {}).items():
        event = events.parse_event(text, today, terms=list(groups))
        value = event.value or {}
        # Only an event the summary names: a bare time ("I'm 45 this year") is nobody's event.
        named = value.get("term") or value.get("terms")
        if _clear(event) and value.get("answer") == "yes" and value.get("days_ago") is not None and named:
            found[fact] = event
    return found


def _medicines(text: str, today: date, found: dict[str, Parsed], mapping: dict) -> None:
    """Split the medicines named in a summary by the question each one answers."""
    groups_wanted = mapping.get("drug_classes") or {}
    if not groups_wanted:
        return
    parsed = drugs.parse_drugs(text, today)
    if parsed.unclear:
        return
    ignored = set(mapping.get("ignore_drugs") or ())
    value = parsed.value
    taken = [_own_dose_only(d) for d in value.get("drugs", []) if not d.get("negated") and d["name"] not in ignored]
    negated = [name for name in value.get("negated_drugs", []) if name not in ignored]
    for fact, classes in groups_wanted.items():
        group = [d for d in taken if set(classes) & set(d.get("classes") or [])]
        denied = [n for n in negated if set(classes) & set(drugs.classes_of(n))]
        if group:
            result = {"answer": "yes", "drugs": group, "negated_drugs": denied}
        elif denied:
            # "never had apatinib or anlotinib", "no TKI": a clear no to that question.
            result = {"answer": "no", "drugs": [], "negated_drugs": denied}
        else:
            continue
        if fact == mapping.get("progression_fact"):
            result["progression"] = value.get("progression")
        found[fact] = _with_value(parsed, result)


def _own_dose_only(drug: dict) -> dict:
    """In a comma-separated summary a dose across a comma belongs to another fact
    ("anlotinib, ECOG 1, Hb 128 g" is not 128 g of anlotinib): drop it, so the
    dose is asked instead of guessed."""
    if re.search(r"[,;]", drug.get("span") or ""):
        return {**drug, "daily_dose_mg": None, "prednisolone_equivalent_mg": None}
    return drug
