"""Generic rule types that score a criterion from the facts gathered so far.

Every number, window, drug list and label comes from the trial file; this
module only knows kinds of rule (a number in a range, an event inside a time
window, lab limits, ...). Each rule returns an Evaluation: a verdict from
bot.outcome, a one-line reason a staff member can read, and flags that ask
the dialogue for a follow-up question ("ask for the weight").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot import conditions
from bot.outcome import FAIL, NOT_APPLICABLE, PASS, PENDING, UNCERTAIN

# Answers parsed with less confidence than this are hedges: staff review them.
HEDGE_CONFIDENCE = 0.65
SEVERITY = {NOT_APPLICABLE: 0, PASS: 1, PENDING: 2, UNCERTAIN: 3, FAIL: 4}


@dataclass
class Evaluation:
    verdict: str
    reason: str
    flags: dict = field(default_factory=dict)


@dataclass
class Context:
    """What a rule may look at: the facts, derived flags, the role and today."""

    facts: dict
    flags: dict
    role: str
    today: date
    settled_by: tuple = ("patient", "caregiver", "physician")

    def record(self, name: str) -> dict | None:
        return self.facts.get(name)

    def value(self, path: str) -> Any:
        found = conditions.resolve(path, self.facts, self.flags)
        return None if found is conditions.MISSING else found

    def holds(self, condition: dict | None) -> bool:
        return bool(condition) and conditions.holds(
            condition, lambda p: conditions.resolve(p, self.facts, self.flags), self.role
        )

    @property
    def self_reported(self) -> bool:
        return self.role != "physician"


def worst(evaluations: Iterable[Evaluation]) -> Evaluation:
    """Combine parts of a criterion: the most severe verdict wins, reasons join."""
    items = list(evaluations)
    if not items:
        return Evaluation(PENDING, "nothing to check yet")
    top = max(SEVERITY[item.verdict] for item in items)
    flags: dict = {}
    for item in items:
        flags.update(item.flags)
    reasons = [item.reason for item in items if SEVERITY[item.verdict] == top]
    verdict = next(item.verdict for item in items if SEVERITY[item.verdict] == top)
    return Evaluation(verdict, "; ".join(dict.fromkeys(reasons)), flags)


def quoted(record: dict) -> str:
    text = " ".join(str(record.get("answer") or "").split())
    return f"\u201c{text[:120]}{'…' if len(text) > 120 else ''}\u201d"


def shaky(record: dict | None) -> Evaluation | None:
    """An unclear or hedged answer is never scored as pass or fail."""
    if record is None:
        return None
    if record.get("unclear"):
        return Evaluation(UNCERTAIN, f"answer not understood: {quoted(record)}")
    if (record.get("confidence") or 0) < HEDGE_CONFIDENCE:
        return Evaluation(UNCERTAIN, f"hedged answer {quoted(record)}: needs confirmation")
    return None


def missing_or_shaky(record: dict | None, missing_reason: str) -> Evaluation | None:
    """The checks every rule starts with: not asked yet (pending), or not a usable answer."""
    if record is None:
        return Evaluation(PENDING, missing_reason)
    return shaky(record)


def with_detail(record: dict, detail: dict | None, empty: tuple = (None,)) -> dict:
    """A value completed by its follow-up answer ("which one, and when?")."""
    value = dict(record["value"] or {})
    if detail and not detail.get("unclear"):
        for key, extra in (detail["value"] or {}).items():
            if value.get(key) in empty and extra not in (None, "unknown"):
                value[key] = extra
    return value


def answer_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return value.get("answer")
    return None


def fmt(number: float) -> str:
    return f"{number:g}" if isinstance(number, (int, float)) else str(number)


class Rule:
    """Base of a rule type: required parameters and an evaluate function."""

    required: tuple = ()

    def problems(self, params: dict) -> Iterator[tuple]:
        for key in self.required:
            if key not in params:
                yield (key,), "missing"

    def evaluate(self, params: dict, ctx: Context) -> Evaluation:  # pragma: no cover - abstract
        raise NotImplementedError


class NumberRange(Rule):
    required = ("fact", "min", "max")

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        label, unit = params.get("label", params["fact"]), params.get("unit", "")
        problem = missing_or_shaky(record, f"{label} not given")
        if problem:
            return problem
        value = record["value"]
        span = f"{params['min']}-{params['max']} {unit}".strip()
        if params["min"] <= value <= params["max"]:
            return Evaluation(PASS, f"{label} {fmt(value)} {unit} is within {span}".replace("  ", " "))
        return Evaluation(FAIL, f"{label} {fmt(value)} {unit} is outside {span}".replace("  ", " "))


class AnswerMap(Rule):
    """Yes/no questions: each answer maps to a verdict in the trial file."""

    required = ("facts",)

    def problems(self, params):
        yield from super().problems(params)
        if not isinstance(params.get("facts"), dict) or not params.get("facts"):
            yield ("facts",), "must map fact names to {yes/no/unknown: verdict}"

    def evaluate(self, params, ctx):
        label = params.get("label", "answer")
        parts = []
        for fact, mapping in params["facts"].items():
            record = ctx.record(fact)
            if record is None:
                continue
            problem = shaky(record)
            if problem:
                parts.append(problem)
                continue
            answer = answer_of(record["value"]) or "unknown"
            verdict = mapping.get(answer, UNCERTAIN)
            if verdict == NOT_APPLICABLE:
                return Evaluation(NOT_APPLICABLE, f"does not apply: answered {quoted(record)}")
            if verdict == PENDING:
                reason = (
                    f"answered {quoted(record)}; still needed: {params.get('pending_reason', 'a check at the site')}"
                )
            else:
                reason = f"{label}: answered {quoted(record)}"
            parts.append(Evaluation(verdict, reason))
        if not parts:
            return Evaluation(PENDING, f"to be checked at the site: {params.get('pending_reason', label)}")
        return worst(parts)


class EventWindow(Rule):
    """An event that excludes when it happened within a time window."""

    required = ("fact", "window_days")

    def evaluate(self, params, ctx):
        label, window = params.get("label", params["fact"]), params["window_days"]
        inside = params.get("within_window", FAIL)
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, f"{label}: not asked")
        if problem:
            return problem
        value = record["value"]
        answer = answer_of(value)
        if answer == "no":
            return Evaluation(PASS, f"no {label} reported ({quoted(record)})")
        if answer != "yes":
            return Evaluation(UNCERTAIN, f"does not know about {label} ({quoted(record)})")
        days = value.get("days_ago") if isinstance(value, dict) else None
        when = ctx.record(params["when_fact"]) if params.get("when_fact") else None
        approximate = isinstance(value, dict) and value.get("approximate")
        if days is None and when is not None:
            if when.get("unclear"):
                return Evaluation(UNCERTAIN, f"{label} reported; date not understood: {quoted(when)}")
            days = (when["value"] or {}).get("days_ago")
            approximate = (when["value"] or {}).get("approximate") or (when.get("confidence") or 1) < HEDGE_CONFIDENCE
        if days is None:
            return Evaluation(UNCERTAIN, f"{label} reported, date not given ({quoted(record)})")
        if approximate and window * 0.75 <= days <= window * 1.25:
            return Evaluation(UNCERTAIN, f"{label} about {days} days ago, too close to the {window}-day limit to tell")
        if days < 0:
            return Evaluation(inside, f"{label} planned in {-days} days, inside the {window}-day window")
        if days <= window:
            return Evaluation(inside, f"{label} {days} days ago, within {window} days")
        return Evaluation(PASS, f"{label} {days} days ago, more than {window} days")


class Performance(Rule):
    """ECOG with a relaxed limit (after amputation); self-reports go to review."""

    required = ("fact", "max")

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, "performance status not given")
        if problem:
            return problem
        ecog, self_report = record["value"]["ecog"], record["value"].get("self_report", False)
        limit, relaxed = params["max"], params.get("relaxed_max", params["max"])
        relaxed_applies = ctx.holds(params.get("relaxed_if"))
        source = "self-reported activity matches ECOG" if self_report else "ECOG"
        if ecog <= limit:
            return Evaluation(PASS, f"{source} {ecog} (limit {limit})")
        if ecog <= relaxed and relaxed_applies:
            return Evaluation(PASS, f"{source} {ecog}, allowed up to {relaxed} after amputation")
        if self_report:
            if ecog >= params.get("self_report_fail_from", 99):
                return Evaluation(FAIL, f"{source} {ecog} (limit {limit}, {relaxed} after amputation)")
            if ecog in params.get("self_report_uncertain", []):
                return Evaluation(
                    UNCERTAIN, f"{source} {ecog}; patients often rate themselves lower than clinicians: assess ECOG"
                )
        if ecog <= relaxed and ctx.record("amputation") is None:
            return Evaluation(UNCERTAIN, f"{source} {ecog}: allowed only after amputation, not stated")
        return Evaluation(FAIL, f"{source} {ecog} (limit {limit}, {relaxed} after amputation)")


class Diagnosis(Rule):
    required = ("fact", "eligible_extents")

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, "diagnosis not given")
        if problem:
            return problem
        value = dict(record["value"] or {})
        extent_record = ctx.record(params.get("extent_fact", ""))
        if extent_record and not extent_record.get("unclear"):
            extent_value = extent_record["value"] or {}
            value["extent"] = value.get("extent") or extent_value.get("extent")
        subtype = value.get("subtype") or "sarcoma"
        if value.get("extent") == "denied_by_patient" and value.get("sarcoma") is not True:
            # A plain "no" to "a sarcoma that has spread or cannot be operated?"
            return Evaluation(
                FAIL, f"answered no to a sarcoma that has spread or cannot be operated ({quoted(record)})"
            )
        if value.get("sarcoma") is False:
            other = value.get("other_cancer")
            why = (
                f"{other}, not a sarcoma"
                if other
                else f"no bone or soft-tissue sarcoma that has spread or cannot be operated ({quoted(record)})"
            )
            return Evaluation(FAIL, why)
        if value.get("sarcoma") is not True:
            return Evaluation(UNCERTAIN, f"not sure of the diagnosis ({quoted(record)})")
        extent = value.get("extent")
        if extent in params["eligible_extents"]:
            return Evaluation(PASS, f"{subtype}, {str(extent).replace('_', ' ')}")
        if extent in params.get("ineligible_extents", []):
            verdict = UNCERTAIN if ctx.self_reported else FAIL
            return Evaluation(verdict, f"{subtype} reported as {extent}: the investigator decides on surgery")
        if extent_record and extent_record.get("unclear"):
            return Evaluation(UNCERTAIN, f"{subtype}; extent not understood: {quoted(extent_record)}")
        return Evaluation(UNCERTAIN, f"{subtype}; extent (metastatic or unresectable) not stated")


class PriorTherapy(Rule):
    required = ("fact", "required_drugs")

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        names = " or ".join(params["required_drugs"])
        problem = missing_or_shaky(record, f"prior {names} not asked")
        if problem:
            return problem
        value = record["value"] or {}
        answer = answer_of(value)
        drugs = [d for d in value.get("drugs", []) if not d.get("negated")]
        taken = [d["name"] for d in drugs if d.get("name") in params["required_drugs"]]
        if answer == "no" and not taken:
            return Evaluation(FAIL, f"no prior {names} ({quoted(record)})")
        if answer == "unknown" and not taken:
            return Evaluation(UNCERTAIN, f"does not know about prior {names} ({quoted(record)})")
        if not taken and drugs:
            others = ", ".join(d["name"] for d in drugs)
            if value.get("stated") == "yes":
                # "yes, doxorubicin" contradicts itself: both taken, or the question misread
                return Evaluation(UNCERTAIN, f"said yes but named {others}, not {names}: to check ({quoted(record)})")
            return Evaluation(FAIL, f"treated with {others}, not {names}")
        drug_text = ", ".join(taken) or names
        progression = value.get("progression")
        follow = ctx.record(params.get("progression_fact", ""))
        if progression is None and follow is not None:
            problem = shaky(follow)
            if problem:
                return Evaluation(UNCERTAIN, f"{drug_text} taken; progression: {problem.reason}")
            progression = {"yes": True, "no": False}.get(answer_of(follow["value"]))
        if progression is True:
            return Evaluation(PASS, f"progression after {drug_text}")
        if progression is False:
            verdict = UNCERTAIN if ctx.self_reported else FAIL
            return Evaluation(verdict, f"{drug_text} taken, no progression reported")
        return Evaluation(UNCERTAIN, f"{drug_text} taken; progression not known")


class Malignancy(Rule):
    required = ("fact", "window_days")

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, "other cancers not asked")
        if problem:
            return problem
        value = with_detail(record, ctx.record(params.get("detail_fact", "")), empty=(None, False))
        answer = answer_of(value)
        cancer = value.get("cancer") or "another cancer"
        if answer == "no":
            return Evaluation(PASS, f"no other cancer within 3 years ({quoted(record)})")
        if answer == "unknown" or answer is None:
            return Evaluation(UNCERTAIN, f"not sure about other cancers ({quoted(record)})")
        if value.get("exception"):
            return Evaluation(PASS, f"{cancer}: an allowed exception")
        days = value.get("days_ago")
        if days is None:
            return Evaluation(UNCERTAIN, f"{cancer} reported, date of diagnosis not given")
        if days <= params["window_days"]:
            return Evaluation(FAIL, f"{cancer} diagnosed {days} days ago, within {params['window_days']} days")
        return Evaluation(PASS, f"{cancer} diagnosed {days} days ago, more than {params['window_days']} days")


class Drugs(Rule):
    """Medicines that exclude by name, class, daily dose or steroid equivalent."""

    required = ("fact",)

    def evaluate(self, params, ctx):
        label = params.get("label", "medicines")
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, f"{label} not asked")
        if problem:
            return problem
        detail = ctx.record(params.get("detail_fact", ""))
        answer = answer_of(record["value"])
        drugs = [d for d in (record["value"] or {}).get("drugs", []) if not d.get("negated")]
        if detail and not detail.get("unclear"):
            drugs = _merge_doses(drugs, [d for d in (detail["value"] or {}).get("drugs", []) if not d.get("negated")])
        flag = params.get("ask_flag")

        def need_detail(why: str) -> Evaluation:
            return Evaluation(UNCERTAIN, why, {flag: detail is None} if flag else {})

        if answer == "no" and not drugs:
            return Evaluation(PASS, f"no {label} ({quoted(record)})")
        if answer == "unknown" and not drugs:
            return Evaluation(UNCERTAIN, f"does not know about {label} ({quoted(record)})")
        if not drugs:
            if detail is not None and detail.get("unclear"):
                return Evaluation(UNCERTAIN, f"{label} reported; which one not understood: {quoted(detail)}")
            return need_detail(f"{label} reported, medicine not named ({quoted(record)})")
        parts = [self._one(drug, params, need_detail) for drug in drugs]
        parts = [part for part in parts if part is not None]
        if not parts:
            names = ", ".join(d["name"] for d in drugs)
            return Evaluation(PASS, f"{names}: not {label}")
        return worst(parts)

    @staticmethod
    def _one(drug: dict, params: dict, need_detail: Callable) -> Evaluation | None:
        name, classes = drug["name"], set(drug.get("classes") or [])
        dose = drug.get("daily_dose_mg")
        if drug.get("route") in params.get("allowed_routes", []):
            return Evaluation(PASS, f"{drug.get('route')} {name} is allowed")
        if name in params.get("fail_drugs", []) or classes & set(params.get("fail_classes", [])):
            return Evaluation(FAIL, f"{name} ({', '.join(sorted(classes)) or 'listed'})")
        limits = params.get("dose_limits_mg_per_day", {})
        if name in limits:
            if dose is None:
                return need_detail(f"{name}: daily dose not given (limit below {fmt(limits[name])} mg/day)")
            if dose >= limits[name]:
                return Evaluation(FAIL, f"{name} {fmt(dose)} mg/day (excluded from {fmt(limits[name])} mg/day)")
            return Evaluation(PASS, f"{name} {fmt(dose)} mg/day, below {fmt(limits[name])} mg/day")
        steroid_max = params.get("steroid_max_prednisolone_mg")
        if steroid_max is not None and classes & set(params.get("steroid_classes", ["corticosteroid"])):
            equivalent = drug.get("prednisolone_equivalent_mg")
            if equivalent is None:
                return need_detail(
                    f"{name}: daily dose not given (allowed up to {fmt(steroid_max)} mg prednisolone a day)"
                )
            if equivalent > steroid_max:
                return Evaluation(
                    FAIL, f"{name} equals {fmt(round(equivalent, 1))} mg prednisolone a day (limit {fmt(steroid_max)})"
                )
            return Evaluation(
                PASS, f"{name} equals {fmt(round(equivalent, 1))} mg prednisolone a day, a physiological dose"
            )
        if classes & set(params.get("review_classes", [])):
            return Evaluation(
                UNCERTAIN, f"{name}: {', '.join(sorted(classes))} not named in the registry, investigator to judge"
            )
        return None


def _merge_doses(drugs: list, details: list) -> list:
    """A follow-up answer names the dose (or the drug) missing from the first answer."""
    merged = [dict(d) for d in drugs]
    for extra in details:
        same = next((d for d in merged if d["name"] == extra["name"]), None)
        if same is None:
            merged.append(dict(extra))
        else:
            for key in ("daily_dose_mg", "prednisolone_equivalent_mg", "route"):
                if same.get(key) is None and extra.get(key) is not None:
                    same[key] = extra[key]
    return merged


class BloodPressure(Rule):
    required = ("fact", "max_systolic", "max_diastolic")

    def evaluate(self, params, ctx):
        limit = f"{params['max_systolic']}/{params['max_diastolic']} mmHg"
        reading = ctx.record(params["fact"])
        if reading is not None and not reading.get("unclear"):
            problem = shaky(reading)
            if problem:
                return problem
            systolic, diastolic = reading["value"]["systolic"], reading["value"]["diastolic"]
            text = f"BP {systolic}/{diastolic} mmHg"
            if systolic > params["max_systolic"] or diastolic > params["max_diastolic"]:
                return Evaluation(FAIL, f"{text} is above {limit}")
            return Evaluation(PASS, f"{text}, at or below {limit}")
        history = ctx.record(params.get("history_fact", ""))
        if reading is not None and reading.get("unclear"):
            return Evaluation(UNCERTAIN, f"blood pressure reading not understood: {quoted(reading)}")
        if history is None:
            return Evaluation(PENDING, "blood pressure to be measured at the site")
        problem = shaky(history)
        if problem:
            return problem
        if answer_of(history["value"]) == "no":
            return Evaluation(PASS, f"no high blood pressure reported ({quoted(history)})")
        return Evaluation(PENDING, f"blood pressure to be measured at the site ({quoted(history)})")


class Fever(Rule):
    required = ("fact", "max_celsius")

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, "fever not asked")
        if problem:
            return problem
        value = record["value"] or {}
        limit = params["max_celsius"]
        celsius = value.get("celsius")
        if celsius is not None:
            if celsius > limit:
                return Evaluation(FAIL, f"fever of {fmt(celsius)} °C, above {fmt(limit)} °C")
            return Evaluation(PASS, f"temperature {fmt(celsius)} °C, not above {fmt(limit)} °C")
        answer = value.get("answer")
        if answer == "no":
            return Evaluation(PASS, f"no unexplained fever ({quoted(record)})")
        if answer == "yes":
            return Evaluation(FAIL, f"unexplained fever above {fmt(limit)} °C reported ({quoted(record)})")
        return Evaluation(UNCERTAIN, f"not sure about fever ({quoted(record)})")


class Virology(Rule):
    required = ("fact", "hbv_dna_max_iu_ml")

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, "HIV and hepatitis status to be tested at the site")
        if problem:
            return problem
        detail = ctx.record(params.get("detail_fact", ""))
        value = with_detail(record, detail, empty=(None, "unknown"))
        flag = params.get("ask_flag")
        ask = {flag: detail is None} if flag else {}
        limit = params["hbv_dna_max_iu_ml"]
        parts = []
        if value.get("hiv") == "positive":
            parts.append(Evaluation(FAIL, "HIV infection"))
        if value.get("hbsag") == "positive":
            dna = value.get("hbv_dna_iu_ml")
            if dna is None:
                parts.append(
                    Evaluation(
                        UNCERTAIN, f"hepatitis B (HBsAg+), HBV DNA not known (active if >= {fmt(limit)} IU/ml)", ask
                    )
                )
            elif dna >= limit:
                parts.append(
                    Evaluation(FAIL, f"active hepatitis B: HBsAg+ and HBV DNA {fmt(dna)} IU/ml (>= {fmt(limit)})")
                )
            else:
                parts.append(Evaluation(PASS, f"HBsAg+ with HBV DNA {fmt(dna)} IU/ml, below {fmt(limit)}"))
        if value.get("hcv_ab") == "positive":
            rna = value.get("hcv_rna")
            if rna == "detectable":
                parts.append(Evaluation(FAIL, "hepatitis C: antibody+ and HCV RNA detectable"))
            elif rna == "undetectable":
                parts.append(Evaluation(PASS, "HCV antibody+ with undetectable RNA"))
            else:
                parts.append(Evaluation(UNCERTAIN, "hepatitis C antibody+, HCV RNA not known", ask))
        if parts:
            return worst(parts)
        answer = value.get("answer")
        if answer == "no" or (answer is None and any(value.get(k) == "negative" for k in ("hiv", "hbsag", "hcv_ab"))):
            return Evaluation(PASS, f"no HIV, hepatitis B or C reported ({quoted(record)})")
        if answer == "yes":
            if detail is not None and detail.get("unclear"):
                return Evaluation(UNCERTAIN, f"infection reported; details not understood: {quoted(detail)}")
            return Evaluation(UNCERTAIN, f"HIV or hepatitis reported, details not known ({quoted(record)})", ask)
        return Evaluation(UNCERTAIN, f"not sure about HIV or hepatitis ({quoted(record)})")


class Labs(Rule):
    """Lab limits: absolute, as multiples of ULN, by sex, with relaxations and fall-backs."""

    required = ("checks",)

    def problems(self, params):
        yield from super().problems(params)
        for index, check in enumerate(params.get("checks") or []):
            if not isinstance(check, dict) or not ("analyte" in check or "analytes_normal" in check):
                yield ("checks", index), "needs 'analyte' and a limit (min, max, max_exclusive, max_x_uln, max_by_sex)"

    def evaluate(self, params, ctx):
        parts = [self._check(check, params, ctx) for check in params["checks"]]
        return worst(parts)

    def _check(self, check: dict, params: dict, ctx: Context) -> Evaluation:
        if "analytes_normal" in check:
            return self._normal(check, params, ctx)
        analyte = check["analyte"]
        label = check.get("label", analyte)
        record = ctx.record(analyte)
        if record is None:
            return Evaluation(PENDING, f"{label}: {params.get('pending_reason', 'to be measured at the site')}")
        problem = shaky(record)
        if problem:
            return Evaluation(UNCERTAIN, f"{label}: {problem.reason}")
        value = record["value"]
        number = value.get("value") if isinstance(value, dict) else value
        unit = check.get("unit") or (value.get("unit") if isinstance(value, dict) else "") or ""
        shown = f"{label} {fmt(number)} {unit}".strip()
        if "min" in check:
            if number >= check["min"]:
                return Evaluation(PASS, f"{shown} (>= {fmt(check['min'])})")
            return Evaluation(FAIL, f"{shown} is below {fmt(check['min'])}")
        if "max" in check:
            if number <= check["max"]:
                return Evaluation(PASS, f"{shown} (<= {fmt(check['max'])})")
            return Evaluation(FAIL, f"{shown} is above {fmt(check['max'])}")
        if "max_exclusive" in check:
            if number < check["max_exclusive"]:
                return Evaluation(PASS, f"{shown} (< {fmt(check['max_exclusive'])})")
            return self._otherwise(check, params, ctx, f"{shown} (>= {fmt(check['max_exclusive'])})")
        if "max_by_sex" in check:
            return self._by_sex(check, ctx, number, shown)
        if "max_x_uln" in check:
            return self._uln(check, params, ctx, value, label)
        return Evaluation(UNCERTAIN, f"{label}: no limit configured")

    def _by_sex(self, check, ctx, number, shown):
        limits = check["max_by_sex"]
        sex = ctx.value("sex")
        if sex in limits:
            limit = limits[sex]
            if number > limit:
                return Evaluation(FAIL, f"{shown} is above {fmt(limit)} ({sex})")
            return Evaluation(PASS, f"{shown} (<= {fmt(limit)}, {sex})")
        if number <= min(limits.values()):
            return Evaluation(PASS, f"{shown} (below every limit)")
        if number > max(limits.values()):
            return Evaluation(FAIL, f"{shown} is above every limit")
        return Evaluation(UNCERTAIN, f"{shown}: limit depends on sex, which is not known")

    def _uln(self, check, params, ctx, value, label):
        x_uln, how = times_uln(check["analyte"], value, ctx.value("sex"))
        if x_uln is None:
            return Evaluation(UNCERTAIN, f"{label}: {how}")
        limit = check["max_x_uln"]
        shown = f"{label} {fmt(round(x_uln, 2))} x ULN{how}"
        if x_uln <= limit:
            return Evaluation(PASS, f"{shown} (<= {fmt(limit)} x ULN)")
        relaxed = check.get("relaxed")
        if relaxed and x_uln <= relaxed["max_x_uln"]:
            if ctx.holds(relaxed["if"]):
                return Evaluation(
                    PASS,
                    f"{shown}, allowed up to {fmt(relaxed['max_x_uln'])} x ULN with {relaxed.get('why', 'the exception')}",
                )
            if relaxed.get("ask_fact") and ctx.record(relaxed["ask_fact"]) is None:
                flags = {relaxed["ask_flag"]: True} if relaxed.get("ask_flag") else {}
                return Evaluation(
                    UNCERTAIN, f"{shown}: allowed only with {relaxed.get('why', 'the exception')}, not known", flags
                )
        if "otherwise" in check:
            return self._otherwise(check, params, ctx, f"{shown} (> {fmt(limit)} x ULN)")
        return Evaluation(FAIL, f"{shown} is above {fmt(limit)} x ULN")

    def _otherwise(self, check, params, ctx, shown):
        follow = self._check(check["otherwise"], params, ctx)
        if follow.verdict == PENDING:
            flags = {check["ask_flag"]: True} if check.get("ask_flag") else {}
            return Evaluation(UNCERTAIN, f"{shown}; {follow.reason}", flags)
        return Evaluation(follow.verdict, f"{shown}; {follow.reason}", follow.flags)

    @staticmethod
    def _normal(check, params, ctx):
        label = check.get("label", "values")
        statuses = []
        for analyte in check["analytes_normal"]:
            record = ctx.record(analyte)
            if record is None or record.get("unclear"):
                return Evaluation(PENDING, f"{label} needed")
            value = record["value"]
            statuses.append(value.get("status") if isinstance(value, dict) else None)
        if all(status == "normal" for status in statuses):
            return Evaluation(PASS, f"{label} normal")
        if "abnormal" in statuses:
            return Evaluation(FAIL, f"{label} abnormal")
        return Evaluation(UNCERTAIN, f"{label}: normal or not is unclear")


def times_uln(analyte: str, value: dict, sex: str | None) -> tuple:
    """A lab value as a multiple of its upper limit of normal, and how that was found."""
    if value.get("x_uln") is not None:
        return value["x_uln"], ""
    number = value.get("value")
    if number is None:
        return None, "value not given"
    if value.get("uln"):
        return number / value["uln"], f" ({fmt(number)} {value.get('unit', '')}, lab ULN {fmt(value['uln'])})"
    from bot.parsing.labs import default_uln  # reference table, configurable

    try:
        uln, source = default_uln(analyte, sex)
    except (KeyError, ValueError, LookupError) as error:
        return None, f"no ULN given and none configured ({error})"
    return (
        number / uln,
        f" ({fmt(number)} {value.get('unit', '')}; no lab ULN given, default ULN {fmt(uln)} from {source})",
    )


class Renal(Rule):
    """Creatinine <= k x ULN, or Cockcroft-Gault clearance above a minimum (adults only)."""

    required = ("creatinine_max_x_uln", "crcl_min_ml_min")

    def evaluate(self, params, ctx):
        from bot.clinical import cockcroft_gault

        minimum = params["crcl_min_ml_min"]
        crcl = ctx.record("crcl")
        if crcl and not shaky(crcl) and crcl["value"].get("value", 0) >= minimum:
            return Evaluation(PASS, f"creatinine clearance {fmt(crcl['value']['value'])} ml/min (>= {fmt(minimum)})")
        creatinine = ctx.record("creatinine")
        if creatinine is None:
            if crcl and not shaky(crcl):
                return Evaluation(
                    FAIL,
                    f"creatinine clearance {fmt(crcl['value']['value'])} ml/min, below {fmt(minimum)}; no creatinine given",
                )
            return Evaluation(PENDING, f"creatinine: {params.get('pending_reason', 'to be measured at the site')}")
        problem = shaky(creatinine)
        if problem:
            return Evaluation(UNCERTAIN, f"creatinine: {problem.reason}")
        limit = params["creatinine_max_x_uln"]
        x_uln, how = times_uln("creatinine", creatinine["value"], ctx.value("sex"))
        if x_uln is None:
            return Evaluation(UNCERTAIN, f"creatinine: {how}")
        shown = f"creatinine {fmt(round(x_uln, 2))} x ULN{how}"
        if x_uln <= limit:
            return Evaluation(PASS, f"{shown} (<= {fmt(limit)} x ULN)")
        age, weight, sex = ctx.value("age"), ctx.value("weight_kg"), ctx.value("sex")
        if age is not None and age < params.get("crcl_min_age", 18):
            return Evaluation(
                UNCERTAIN,
                f"{shown}; Cockcroft-Gault is not valid under {params.get('crcl_min_age', 18)}: investigator to assess renal function",
            )
        if weight is None or sex not in ("male", "female") or age is None:
            missing = [name for name, v in (("weight", weight), ("sex", sex), ("age", age)) if v is None]
            flag = params.get("ask_flag")
            flags = {flag: weight is None and ctx.record("weight_kg") is None} if flag else {}
            return Evaluation(UNCERTAIN, f"{shown}; Cockcroft-Gault needs {', '.join(missing)}", flags)
        umol = creatinine["value"]["value"]
        clearance = cockcroft_gault(age, weight, umol, sex)
        text = f"{shown}; Cockcroft-Gault {clearance:.0f} ml/min ({age} y, {fmt(weight)} kg, {sex})"
        if clearance >= minimum:
            return Evaluation(PASS, f"{text} >= {fmt(minimum)}")
        return Evaluation(FAIL, f"{text} < {fmt(minimum)}")


class AllOf(Rule):
    required = ("rules",)

    def evaluate(self, params, ctx):
        return worst(RULES[sub["type"]].evaluate(sub, _scoped(ctx, sub)) for sub in params["rules"])


def _scoped(ctx: Context, sub: dict) -> Context:
    if "settled_by" not in sub:
        return ctx
    return Context(ctx.facts, ctx.flags, ctx.role, ctx.today, tuple(sub["settled_by"]))


RULES = {
    "number_range": NumberRange(),
    "answer_map": AnswerMap(),
    "event_window": EventWindow(),
    "performance": Performance(),
    "diagnosis": Diagnosis(),
    "prior_therapy": PriorTherapy(),
    "malignancy": Malignancy(),
    "drugs": Drugs(),
    "blood_pressure": BloodPressure(),
    "fever": Fever(),
    "virology": Virology(),
    "labs": Labs(),
    "renal": Renal(),
    "all_of": AllOf(),
}


def evaluate(rule: dict, ctx: Context) -> Evaluation:
    """Score one criterion's rule; a bug in a rule never becomes a silent pass."""
    try:
        return RULES[rule["type"]].evaluate(rule, ctx)
    except (KeyError, TypeError, ValueError, AttributeError, ZeroDivisionError) as error:
        return Evaluation(UNCERTAIN, f"could not score automatically ({type(error).__name__}): staff to check")
