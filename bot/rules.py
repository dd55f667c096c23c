"""Generic rule types that score a criterion from the facts gathered so far.

Every number, window, drug list, fact name and label comes from the trial
file; this module only knows kinds of rule (a number in a range, an event
inside a time window, lab limits, ...). Each rule type declares the
parameters it accepts (``Rule.params``): the trial loader refuses an unknown
key or a wrong type, naming the file, line and field.

Each rule returns an Evaluation: a verdict from bot.outcome, a ``Reason``
(a template key and its parameters, rendered in the reader's language by
bot.reasons) and flags that ask the dialogue for a follow-up question ("ask
for the weight"). Labels from the trial file go into the reason's parameters
unchanged (a string or an {en, zh} mapping).

Safety rules every type follows: an unclear or hedged answer is never pass
or fail; a value known only within bounds (an approximate date, an age
range, "130s over 80s") passes or fails only when the whole range does;
anything else is ``uncertain`` with the person's words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot import conditions
from bot.outcome import FAIL, NOT_APPLICABLE, PASS, PENDING, UNCERTAIN, VERDICTS
from bot.reasons import Reason, is_language_mapping

# Answers parsed with less confidence than this are hedges: staff review them.
HEDGE_CONFIDENCE = 0.65
SEVERITY = {NOT_APPLICABLE: 0, PASS: 1, PENDING: 2, UNCERTAIN: 3, FAIL: 4}
# Verbatim answers in reasons are cut here (the template adds the ellipsis).
ANSWER_CHARS = 121
# An approximate time with no stated bounds is taken as this share either side.
APPROXIMATE_SHARE = 0.25
# An approximate lab value ("ANC about 1.5") is taken as this share either side.
APPROXIMATE_VALUE_SHARE = 0.05
# A result judged against the reference table's typical ULN (not the laboratory's)
# passes only with this margin below the limit.
DEFAULT_ULN_MARGIN = 0.10
ROLES = ("patient", "caregiver", "physician")


@dataclass
class Evaluation:
    """A verdict, why, and follow-up flags.

    ``answered`` is False for a part of a criterion nothing was answered for
    yet (its question is still to come): ``worst`` leaves such parts out
    while another part has an answer, so a criterion is scored on what was
    said and never made ``pending`` by a question not asked yet.
    """

    verdict: str
    reason: Reason
    flags: dict = field(default_factory=dict)
    answered: bool = True


@dataclass
class Context:
    """What a rule may look at: the facts, derived flags, the role and today."""

    facts: dict
    flags: dict
    role: str
    today: date
    settled_by: tuple = ROLES

    def record(self, name: str | None) -> dict | None:
        return self.facts.get(name) if name else None

    def value(self, path: str | None) -> Any:
        if not path:
            return None
        found = conditions.resolve(path, self.facts, self.flags)
        return None if found is conditions.MISSING else found

    def holds(self, condition: dict | None) -> bool:
        return bool(condition) and conditions.holds(
            condition, lambda p: conditions.resolve(p, self.facts, self.flags), self.role
        )

    @property
    def self_reported(self) -> bool:
        return self.role != "physician"


# ------------------------------------------------------------------ helpers
def reason(key: str, **params: Any) -> Reason:
    return Reason(key, params)


def evaluation(verdict: str, key: str, flags: dict | None = None, **params: Any) -> Evaluation:
    return Evaluation(verdict, Reason(key, params), flags or {})


def unanswered(key: str, **params: Any) -> Evaluation:
    """A part of a criterion whose question has not been answered yet."""
    return Evaluation(PENDING, Reason(key, params), {}, answered=False)


def worst(evaluations: Iterable[Evaluation]) -> Evaluation:
    """Combine parts of a criterion: the most severe verdict wins, their reasons join.

    Parts not answered yet are left out while any part has an answer.
    """
    items = list(evaluations)
    if not items:
        return unanswered("nothing_to_check")
    answered = [item for item in items if item.answered]
    items = answered or items
    top = max(SEVERITY[item.verdict] for item in items)
    flags: dict = {}
    for item in items:
        flags.update(item.flags)
    chosen = [item for item in items if SEVERITY[item.verdict] == top]
    parts: list = []
    for item in chosen:
        if item.reason not in parts:
            parts.append(item.reason)
    joined = parts[0] if len(parts) == 1 else Reason("joined", {"parts": [part.to_dict() for part in parts]})
    return Evaluation(chosen[0].verdict, joined, flags, answered=bool(answered))


def said(record: dict | None) -> str:
    """The person's words, as a reason parameter."""
    return " ".join(str((record or {}).get("answer") or "").split())[:ANSWER_CHARS]


def shaky(record: dict | None) -> Evaluation | None:
    """An unclear or hedged answer is never scored as pass or fail."""
    if record is None:
        return None
    if record.get("unclear"):
        return evaluation(UNCERTAIN, "answer_not_understood", answer=said(record), note=record.get("note") or "")
    if (record.get("confidence") or 0) < HEDGE_CONFIDENCE:
        return evaluation(UNCERTAIN, "answer_hedged", answer=said(record), note=record.get("note") or "")
    return None


def missing_or_shaky(record: dict | None, label: Any) -> Evaluation | None:
    """The checks every rule starts with: not answered yet, or not a usable answer."""
    if record is None:
        return unanswered("not_answered", label=label)
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


def day_bounds(value: dict) -> tuple[int | None, int | None]:
    """(fewest, most) days ago an event may have been, from its value.

    Values give ``days_ago`` and, for an approximate time or a named period
    ("in March", "last year", "about a month ago"), the bounds
    ``days_ago_min``/``days_ago_max`` (None: open on that side). An
    approximate time without bounds is widened by APPROXIMATE_SHARE either
    side. (None, None) when no time is known.
    """
    days = value.get("days_ago")
    if "days_ago_min" in value or "days_ago_max" in value:
        return value.get("days_ago_min"), value.get("days_ago_max")
    if days is None:
        return None, None
    if not value.get("approximate"):
        return days, days
    slack = max(1, round(abs(days) * APPROXIMATE_SHARE))
    return days - slack, days + slack


def window_verdict(low: int | None, high: int | None, window: int) -> str:
    """Inside (the event counts), outside, or straddling a window of ``window`` days."""
    if high is not None and high <= window:
        return "inside"
    if low is not None and low > window:
        return "outside"
    return "straddles"


# How far inside a strict bound ("< 500") a value lies: below any lab's precision.
STRICT = 1e-9


def interval(number: float, comparator: str | None) -> tuple[float, float]:
    """The values a number with a comparator stands for ("<20" -> below 20), as (low, high)."""
    if comparator == "<":
        return float("-inf"), number - STRICT
    if comparator == "<=":
        return float("-inf"), number
    if comparator == ">":
        return number + STRICT, float("inf")
    if comparator == ">=":
        return number, float("inf")
    return number, number


# ------------------------------------------------------------ parameter types
@dataclass(frozen=True)
class Param:
    """One parameter a rule accepts: its kind and whether it must be given.

    Kinds: fact, facts, text (a label: text or an {en, zh} mapping), number,
    whole (an integer), numbers (a list of integers), names (a list of
    words), number_map (word -> number), verdict, flag (true or false),
    condition, roles, rules (a
    list of rules), checks (a list of lab checks), answer_map, or a nested
    schema (a dict of Params).
    """

    kind: Any
    required: bool = False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return is_language_mapping(value) and all(isinstance(v, str) and v.strip() for v in value.values())


def _kind_problem(kind: Any, value: Any) -> str | None:
    """What is wrong with ``value`` for a parameter of ``kind`` (None when fine)."""
    simple = {
        "fact": (lambda v: isinstance(v, str) and bool(v.strip()), "a fact name"),
        "facts": (lambda v: isinstance(v, list) and all(isinstance(i, str) and i for i in v), "a list of fact names"),
        "text": (_is_text, "text (quote it if it holds a comma or colon) or an {en: ..., zh: ...} mapping"),
        "number": (_is_number, "a number"),
        "whole": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
        "numbers": (lambda v: isinstance(v, list) and all(_is_number(i) for i in v), "a list of numbers"),
        "names": (lambda v: isinstance(v, list) and all(isinstance(i, str) and i for i in v), "a list of names"),
        "number_map": (
            lambda v: isinstance(v, dict) and all(isinstance(k, str) and _is_number(n) for k, n in v.items()),
            "a mapping of names to numbers",
        ),
        "verdict": (lambda v: v in VERDICTS, f"one of {', '.join(VERDICTS)}"),
        "flag": (lambda v: isinstance(v, bool), "true or false"),
        "roles": (lambda v: isinstance(v, list) and all(r in ROLES for r in v), f"a list of {', '.join(ROLES)}"),
    }
    if kind in simple:
        test, wanted = simple[kind]
        return None if test(value) else f"must be {wanted}"
    if kind == "condition":
        found = list(conditions.problems(value))
        return found[0] if found else None
    return None


def check_params(params: Any, schema: dict, where: tuple = ()) -> Iterator[tuple]:
    """(path, problem) for every unknown, missing or ill-typed parameter."""
    if not isinstance(params, dict):
        yield where, "must be a mapping"
        return
    for name, spec in schema.items():
        if spec.required and name not in params:
            yield where + (name,), "missing"
    for name, value in params.items():
        spec = schema.get(name)
        if spec is None:
            known = ", ".join(sorted(schema))
            yield where + (name,), f"unknown parameter (a label cut at a comma? quote it); known: {known}"
            continue
        kind = spec.kind
        if isinstance(kind, dict):
            yield from check_params(value, kind, where + (name,))
        elif kind == "rules":
            if not isinstance(value, list) or not value:
                yield where + (name,), "must be a non-empty list of rules"
                continue
            for index, sub in enumerate(value):
                yield from rule_problems(sub, where + (name, index))
        elif kind == "checks":
            if not isinstance(value, list) or not value:
                yield where + (name,), "must be a non-empty list of lab checks"
                continue
            for index, check in enumerate(value):
                yield from _check_problems(check, where + (name, index))
        elif kind == "answer_map":
            yield from _answer_map_problems(value, where + (name,))
        else:
            problem = _kind_problem(kind, value)
            if problem:
                yield where + (name,), problem


def rule_problems(rule: Any, where: tuple = ()) -> Iterator[tuple]:
    """Problems of one rule of a trial file (its type, then its parameters)."""
    if not isinstance(rule, dict):
        yield where, "must be a mapping with a type"
        return
    rule_type = rule.get("type")
    if rule_type not in RULES:
        yield where + ("type",), f"unknown rule type {rule_type!r}; known: {', '.join(sorted(RULES))}"
        return
    params = {k: v for k, v in rule.items() if k != "type"}
    yield from check_params(params, {**COMMON_PARAMS, **RULES[rule_type].params}, where)


COMMON_PARAMS = {
    "settled_by": Param("roles"),  # who can settle this part (documentation for staff)
    "pending_reason": Param("text"),  # what the site still has to check
}


# ----------------------------------------------------------------- rule base
class Rule:
    """Base of a rule type: the parameters it accepts and an evaluate function."""

    params: dict = {}

    def problems(self, rule: dict) -> Iterator[tuple]:
        yield from rule_problems(rule)

    def evaluate(self, params: dict, ctx: Context) -> Evaluation:  # pragma: no cover - abstract
        raise NotImplementedError


class NumberRange(Rule):
    """A number (an age) within [min, max]; a value known only within bounds
    passes or fails only when all of it does.

    The value is a number, or {"min", "max"} (an age range, a birth year) and
    optionally "approximate".
    """

    params = {
        "fact": Param("fact", True),
        "min": Param("number", True),
        "max": Param("number", True),
        "unit": Param("text"),
        "label": Param("text"),
    }

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        label, unit = params.get("label", params["fact"]), params.get("unit", "")
        problem = missing_or_shaky(record, label)
        if problem:
            return problem
        value = record["value"]
        lowest, highest = params["min"], params["max"]
        shown = {"label": label, "unit": unit, "min": lowest, "max": highest, "answer": said(record)}
        if isinstance(value, dict):
            low, high = value.get("min"), value.get("max")
            if low is None or high is None:
                return evaluation(UNCERTAIN, "answer_not_understood", answer=said(record), note="")
            if lowest <= low and high <= highest:
                return evaluation(PASS, "range_within", low=low, high=high, **shown)
            if high < lowest or low > highest:
                return evaluation(FAIL, "range_outside", low=low, high=high, **shown)
            return evaluation(UNCERTAIN, "range_straddles", low=low, high=high, **shown)
        if lowest <= value <= highest:
            return evaluation(PASS, "number_within", value=value, **shown)
        return evaluation(FAIL, "number_outside", value=value, **shown)


class AnswerMap(Rule):
    """Yes/no questions: each answer maps to a verdict in the trial file.

    An answer may instead map to ``{needs: <fact>}``, another fact of the same
    map: that answer is scored by the follow-up ("any taxane?" yes -> "no
    more than two lines?"), and the criterion stays ``pending`` until the
    follow-up is answered, never a pass on the first answer alone.
    """

    params = {"facts": Param("answer_map", True), "label": Param("text")}

    def evaluate(self, params, ctx):
        label = params.get("label", "")
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
            if isinstance(verdict, dict):
                if ctx.record(verdict["needs"]) is None:
                    parts.append(evaluation(PENDING, "answered_needs_follow_up", label=label, answer=said(record)))
                continue  # the follow-up's own answer decides
            if verdict == NOT_APPLICABLE:
                return evaluation(NOT_APPLICABLE, "does_not_apply", answer=said(record))
            if verdict == PENDING:
                parts.append(
                    evaluation(
                        PENDING, "answered_still_needed", answer=said(record), still=params.get("pending_reason", "")
                    )
                )
            else:
                parts.append(evaluation(verdict, "answered", label=label, answer=said(record)))
        if not parts:
            return unanswered("to_check_at_site", what=params.get("pending_reason", label))
        return worst(parts)


class EventWindow(Rule):
    """An event that excludes when it happened within a time window.

    The event value: {"answer", "days_ago", "approximate", "days_ago_min",
    "days_ago_max", "named"}; a separate "when?" answer may give the time.
    An approximate time that may fall either side of the limit is
    ``uncertain``.
    """

    params = {
        "fact": Param("fact", True),
        "when_fact": Param("fact"),
        "window_days": Param("whole", True),
        "label": Param("text"),
        "within_window": Param("verdict"),
        "min_grade": Param("whole"),  # a graded finding ("FOBT ++" is 2) counts from this grade
    }

    def evaluate(self, params, ctx):
        label, window = params.get("label", params["fact"]), params["window_days"]
        inside = params.get("within_window", FAIL)
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, label)
        if problem:
            return problem
        value = record["value"] if isinstance(record["value"], dict) else {"answer": answer_of(record["value"])}
        answer = value.get("answer")
        shown = {"label": label, "window": window, "answer": said(record), "named": value.get("named") or ""}
        if answer == "no":
            return evaluation(PASS, "event_none", **shown)
        if answer != "yes":
            return evaluation(UNCERTAIN, "event_unknown", **shown)
        if "min_grade" in params and "grade" in value:
            if value["grade"] is None:
                return evaluation(UNCERTAIN, "event_grade_unknown", min_grade=params["min_grade"], **shown)
            if value["grade"] < params["min_grade"]:
                return evaluation(
                    PASS, "event_below_grade", grade=value["grade"], min_grade=params["min_grade"], **shown
                )
        when = ctx.record(params.get("when_fact"))
        timing = value
        if value.get("days_ago") is None and when is not None:
            if when.get("unclear"):
                return evaluation(UNCERTAIN, "event_date_not_understood", when=said(when), **shown)
            timing = dict(when["value"] or {})
            if (when.get("confidence") or 1) < HEDGE_CONFIDENCE:
                timing["approximate"] = True
        low, high = day_bounds(timing)
        if low is None and high is None:
            return evaluation(UNCERTAIN, "event_no_date", **shown)
        days = timing.get("days_ago")
        if days is not None and days < 0 and (high is None or high < 0):
            return evaluation(inside, "event_planned", days=-days, **shown)
        side = window_verdict(low, high, window)
        if side == "straddles":
            return evaluation(UNCERTAIN, "event_near_limit", days=days, low=low, high=high, **shown)
        if side == "inside":
            return evaluation(inside, "event_within", days=days, **shown)
        return evaluation(PASS, "event_outside", days=days, **shown)


class Performance(Rule):
    """A performance score with a relaxed limit when a condition holds (ECOG up
    to 2 after amputation); self-reports in a grey zone go to review.

    The value: {"ecog": worst grade, "ecog_min": best grade of a stated range
    (optional), "self_report": bool}.
    """

    params = {
        "fact": Param("fact", True),
        "max": Param("whole", True),
        "relaxed_max": Param("whole"),
        "relaxed_if": Param("condition"),
        "relaxed_fact": Param("fact"),  # the follow-up answer the relaxation depends on
        "relaxed_label": Param("text"),  # why the limit is relaxed ("amputation")
        "self_report_uncertain": Param("numbers"),
        "self_report_fail_from": Param("whole"),
        "label": Param("text"),
    }

    def evaluate(self, params, ctx):
        label = params.get("label", params["fact"])
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, label)
        if problem:
            return problem
        grade = record["value"]["ecog"]
        best = record["value"].get("ecog_min", grade)
        self_report = record["value"].get("self_report", False)
        limit, relaxed = params["max"], params.get("relaxed_max", params["max"])
        relaxed_applies = ctx.holds(params.get("relaxed_if"))
        shown = {
            "label": label,
            "grade": grade,
            "best": best,
            "limit": limit,
            "relaxed": relaxed,
            "why": params.get("relaxed_label", ""),
            "self_report": self_report,
            "answer": said(record),
        }
        if grade <= limit:
            return evaluation(PASS, "score_within", **shown)
        if grade <= relaxed and relaxed_applies:
            return evaluation(PASS, "score_relaxed", **shown)
        if self_report:
            if best >= params.get("self_report_fail_from", 99):
                return evaluation(FAIL, "score_above", **shown)
            return evaluation(UNCERTAIN, "score_self_report", **shown)
        if best > relaxed:
            return evaluation(FAIL, "score_above", **shown)
        if best > limit:  # only the relaxed limit could allow it
            if params.get("relaxed_fact") and ctx.record(params["relaxed_fact"]) is None:
                return evaluation(UNCERTAIN, "score_needs_relaxation", **shown)
            if not relaxed_applies:
                return evaluation(FAIL, "score_above", **shown)
        return evaluation(UNCERTAIN, "score_range", **shown)


class Diagnosis(Rule):
    """The disease the trial is for, and its extent.

    ``match_key`` names the key of the diagnosis value that is True when the
    disease is the trial's (False: another disease); ``subtype_key`` the key
    naming the subtype.
    """

    params = {
        "fact": Param("fact", True),
        "extent_fact": Param("fact"),
        "match_key": Param("fact", True),
        "subtype_key": Param("fact"),
        "eligible_extents": Param("names", True),
        "ineligible_extents": Param("names"),
        "no_disease_extents": Param("names"),  # nothing left to treat ("cancer free"): fails for everyone
        "denied_extent": Param("fact"),  # the extent a plain "no" to the combined question gives
        "label": Param("text", True),  # the disease ("bone or soft-tissue sarcoma")
    }

    def evaluate(self, params, ctx):
        label = params["label"]
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, label)
        if problem:
            return problem
        value = dict(record["value"] or {})
        extent_record = ctx.record(params.get("extent_fact"))
        if extent_record and not extent_record.get("unclear"):
            extent_value = extent_record["value"] or {}
            value["extent"] = value.get("extent") or extent_value.get("extent")
        match = value.get(params["match_key"])
        subtype = value.get(params.get("subtype_key") or "") or ""
        shown = {"label": label, "subtype": subtype, "answer": said(record), "eligible": params["eligible_extents"]}
        extent = value.get("extent")
        if params.get("denied_extent") and extent == params["denied_extent"] and match is not True:
            return evaluation(FAIL, "diagnosis_denied", **shown)
        if extent in params.get("no_disease_extents", []):
            return evaluation(FAIL, "diagnosis_no_disease", extent=extent, **shown)
        if match is False:
            return evaluation(FAIL, "diagnosis_other", other=value.get("other_cancer") or "", **shown)
        if match is not True:
            return evaluation(UNCERTAIN, "diagnosis_unknown", **shown)
        if extent in params["eligible_extents"]:
            return evaluation(PASS, "diagnosis_extent_ok", extent=extent, **shown)
        if extent in params.get("ineligible_extents", []):
            verdict = UNCERTAIN if ctx.self_reported else FAIL
            return evaluation(verdict, "diagnosis_extent_not_ok", extent=extent, **shown)
        if extent_record and extent_record.get("unclear"):
            return evaluation(UNCERTAIN, "diagnosis_extent_not_understood", extent_answer=said(extent_record), **shown)
        return evaluation(UNCERTAIN, "diagnosis_extent_unknown", **shown)


class PriorTherapy(Rule):
    """Treatment with one of the required drugs before, then progression."""

    params = {
        "fact": Param("fact", True),
        "progression_fact": Param("fact"),
        "required_drugs": Param("names", True),
    }

    def evaluate(self, params, ctx):
        required = params["required_drugs"]
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, required)
        if problem:
            return problem
        value = record["value"] or {}
        answer = answer_of(value)
        named = [d for d in value.get("drugs", []) if not d.get("negated")]
        drugs = [d for d in named if not d.get("unspecified")]
        taken = [d["name"] for d in drugs if d.get("name") in required]
        shown = {"required": required, "answer": said(record)}
        if answer == "no" and not taken:
            return evaluation(FAIL, "prior_none", **shown)
        if answer == "unknown" and not taken:
            return evaluation(UNCERTAIN, "prior_unknown", **shown)
        if not taken and len(named) > len(drugs):
            # "a TKI, I don't know which": maybe one of the required ones
            return evaluation(UNCERTAIN, "prior_others_and_unnamed", others=[d["name"] for d in named], **shown)
        if not taken and not named and answer == "yes":
            taken = required  # a plain yes to "apatinib or anlotinib?": one of them
        if not taken and drugs:
            others = [d["name"] for d in drugs]
            if value.get("stated") == "yes":
                # "yes, doxorubicin" contradicts itself: both taken, or the question misread
                return evaluation(UNCERTAIN, "prior_yes_but_others", others=others, **shown)
            if value.get("unnamed"):
                # "pazopanib, and another tablet I can't remember": maybe one of them
                return evaluation(UNCERTAIN, "prior_others_and_unnamed", others=others, **shown)
            return evaluation(FAIL, "prior_others_only", others=others, **shown)
        if not taken:
            return evaluation(UNCERTAIN, "prior_unknown", **shown)
        progression = value.get("progression")
        follow = ctx.record(params.get("progression_fact"))
        if progression is None and follow is not None:
            problem = shaky(follow)
            if problem:
                return evaluation(UNCERTAIN, "prior_progression_unclear", taken=taken, detail=problem.reason.to_dict())
            progression = {"yes": True, "no": False}.get(answer_of(follow["value"]))
        if progression is True:
            return evaluation(PASS, "prior_progressed", taken=taken, **shown)
        if progression is False:
            verdict = UNCERTAIN if ctx.self_reported else FAIL
            return evaluation(verdict, "prior_no_progression", taken=taken, **shown)
        return evaluation(UNCERTAIN, "prior_progression_unknown", taken=taken, **shown)


class Malignancy(Rule):
    """Another disease diagnosed within a window, with the registry's exceptions."""

    params = {
        "fact": Param("fact", True),
        "detail_fact": Param("fact"),
        "window_days": Param("whole", True),
        "window_label": Param("text"),  # "3 years": how staff read the window
        "label": Param("text"),
    }

    def evaluate(self, params, ctx):
        label = params.get("label", params["fact"])
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, label)
        if problem:
            return problem
        value = with_detail(record, ctx.record(params.get("detail_fact")), empty=(None, False))
        answer = answer_of(value)
        window = params["window_days"]
        shown = {
            "label": label,
            "window": window,
            "window_label": params.get("window_label", ""),
            "cancer": value.get("cancer") or "",
            "answer": said(record),
        }
        if answer == "no":
            return evaluation(PASS, "malignancy_none", **shown)
        if answer == "unknown" or answer is None:
            return evaluation(UNCERTAIN, "malignancy_unknown", **shown)
        if value.get("exception"):
            return evaluation(PASS, "malignancy_exception", **shown)
        low, high = day_bounds(value)
        if low is None and high is None:
            return evaluation(UNCERTAIN, "malignancy_no_date", **shown)
        side = window_verdict(low, high, window)
        days = value.get("days_ago")
        if side == "inside":
            return evaluation(FAIL, "malignancy_within", days=days, **shown)
        if side == "outside":
            return evaluation(PASS, "malignancy_outside", days=days, **shown)
        return evaluation(UNCERTAIN, "malignancy_near_limit", days=days, low=low, high=high, **shown)


class Drugs(Rule):
    """Medicines that exclude by name, class, daily dose or steroid equivalent.

    With ``window_days`` a medicine last taken longer ago than that does not
    count, and one taken within it is judged by its dose; a stopped medicine
    with no date, or a date that may fall either side, is ``uncertain``.
    Without ``window_days`` a stopped medicine is ``uncertain`` (it may be
    needed again: the investigator judges).
    """

    params = {
        "fact": Param("fact", True),
        "detail_fact": Param("fact"),
        "fail_drugs": Param("names"),
        "fail_classes": Param("names"),
        "review_classes": Param("names"),
        "dose_limits_mg_per_day": Param("number_map"),
        "steroid_max_prednisolone_mg": Param("number"),
        "steroid_classes": Param("names"),
        "allowed_routes": Param("names"),
        "window_days": Param("whole"),
        "ask_flag": Param("fact"),
        "label": Param("text"),
    }

    def evaluate(self, params, ctx):
        label = params.get("label", params["fact"])
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, label)
        if problem:
            return problem
        detail = ctx.record(params.get("detail_fact"))
        value = record["value"] or {}
        answer = answer_of(value)
        drugs = [d for d in value.get("drugs", []) if not d.get("negated")]
        if detail and not detail.get("unclear"):
            extra = detail["value"] or {}
            drugs = _merge_doses(
                drugs, [d for d in extra.get("drugs", []) if not d.get("negated")], extra.get("dose_only_mg")
            )
        flag = params.get("ask_flag")
        shown = {"label": label, "answer": said(record)}

        def need_detail(key: str, **more: Any) -> Evaluation:
            return evaluation(UNCERTAIN, key, {flag: detail is None} if flag else {}, **shown, **more)

        if answer == "no" and not drugs:
            return evaluation(PASS, "drugs_none", **shown)
        if answer == "unknown" and not drugs:
            return evaluation(UNCERTAIN, "drugs_unknown", **shown)
        if not drugs:
            if detail is not None and detail.get("unclear"):
                return evaluation(UNCERTAIN, "drugs_detail_not_understood", detail=said(detail), **shown)
            return need_detail("drugs_not_named")
        parts = [self._one(drug, params, need_detail, shown) for drug in drugs]
        parts = [part for part in parts if part is not None]
        if value.get("unnamed"):
            parts.append(evaluation(UNCERTAIN, "drugs_also_unnamed", **shown))
        if not parts:
            return evaluation(PASS, "drugs_not_relevant", names=[d["name"] for d in drugs], **shown)
        return worst(parts)

    def _one(self, drug: dict, params: dict, need_detail: Callable, shown: dict) -> Evaluation | None:
        name, classes = drug["name"], sorted(set(drug.get("classes") or []))
        relevant = self._relevant(name, set(classes), params)
        if not relevant:
            return None
        window = params.get("window_days")
        about = {"name": name, "classes": classes, "answer": shown["answer"]}
        if drug.get("route") in params.get("allowed_routes", []):
            return evaluation(PASS, "drug_route_allowed", route=drug.get("route"), **about)
        stopped = drug.get("status") == "stopped"
        low, high = day_bounds(drug)
        if window is not None and stopped:
            if low is None and high is None:
                return evaluation(UNCERTAIN, "drug_stopped_no_date", window=window, **about)
            side = window_verdict(low, high, window)
            if side == "outside":
                return evaluation(PASS, "drug_outside_window", days=drug.get("days_ago"), window=window, **about)
            if side == "straddles":
                return evaluation(UNCERTAIN, "drug_near_window", days=drug.get("days_ago"), window=window, **about)
        elif window is None and stopped:
            return evaluation(UNCERTAIN, "drug_stopped", **about)
        judged = self._judged_by_dose(drug, params, need_detail, about)
        if (
            judged.verdict == FAIL
            and window is not None
            and drug.get("status") is None
            and low is not None
            and window_verdict(low, high, window) != "inside"
        ):
            # "warfarin 2 months ago": started then, or last taken then? Never a guess either way.
            return evaluation(UNCERTAIN, "drug_date_unclear", days=drug.get("days_ago"), window=window, **about)
        return judged

    @staticmethod
    def _relevant(name: str, classes: set, params: dict) -> bool:
        return bool(
            name in params.get("fail_drugs", [])
            or classes & set(params.get("fail_classes", []))
            or name in params.get("dose_limits_mg_per_day", {})
            or (
                params.get("steroid_max_prednisolone_mg") is not None
                and classes & set(params.get("steroid_classes", []))
            )
            or classes & set(params.get("review_classes", []))
        )

    @staticmethod
    def _judged_by_dose(drug: dict, params: dict, need_detail: Callable, about: dict) -> Evaluation:
        name, classes = drug["name"], set(drug.get("classes") or [])
        dose = drug.get("daily_dose_mg")
        if name in params.get("fail_drugs", []) or classes & set(params.get("fail_classes", [])):
            return evaluation(FAIL, "drug_excluded", **about)
        limits = params.get("dose_limits_mg_per_day", {})
        if name in limits:
            if dose is None:
                return need_detail("drug_dose_missing", name=name, limit=limits[name])
            if dose >= limits[name]:
                return evaluation(FAIL, "drug_dose_excluded", dose=dose, limit=limits[name], **about)
            return evaluation(PASS, "drug_dose_below", dose=dose, limit=limits[name], **about)
        steroid_max = params.get("steroid_max_prednisolone_mg")
        if steroid_max is not None and classes & set(params.get("steroid_classes", [])):
            equivalent = drug.get("prednisolone_equivalent_mg")
            if equivalent is None:
                return need_detail("steroid_dose_missing", name=name, limit=steroid_max)
            shown = {"dose": drug.get("daily_dose_mg"), "equivalent": equivalent, "limit": steroid_max, **about}
            if equivalent > steroid_max:
                return evaluation(FAIL, "steroid_above", **shown)
            return evaluation(PASS, "steroid_physiological", **shown)
        return evaluation(UNCERTAIN, "drug_for_review", **about)


def _with_dose(drug: dict, dose_mg: float) -> dict:
    """A medicine given its daily dose by a follow-up answer ("5 mg a day")."""
    factor = drug.get("prednisolone_factor")
    equivalent = round(dose_mg * factor, 1) if factor else drug.get("prednisolone_equivalent_mg")
    return {**drug, "daily_dose_mg": dose_mg, "prednisolone_equivalent_mg": equivalent}


def _merge_doses(drugs: list, details: list, dose_only: float | None = None) -> list:
    """A follow-up answer names the dose (or the drug) missing from the first answer."""
    merged = [dict(d) for d in drugs]
    undosed = [i for i, d in enumerate(merged) if d.get("daily_dose_mg") is None]
    if dose_only is not None and not details and len(undosed) == 1:
        merged[undosed[0]] = _with_dose(merged[undosed[0]], dose_only)
    for extra in details:
        same = next((d for d in merged if d["name"] == extra["name"]), None)
        if same is None:
            merged.append(dict(extra))
        else:
            for key in ("daily_dose_mg", "prednisolone_equivalent_mg", "route", "status", "days_ago"):
                if same.get(key) is None and extra.get(key) is not None:
                    same[key] = extra[key]
    return merged


class BloodPressure(Rule):
    """A reading above the limits excludes; a history without a reading is measured at the site.

    The reading: {"systolic", "diastolic"} and, for a range ("130s over 80s"),
    "systolic_max"/"diastolic_max".
    """

    params = {
        "fact": Param("fact", True),
        "history_fact": Param("fact"),
        "max_systolic": Param("number", True),
        "max_diastolic": Param("number", True),
    }

    def evaluate(self, params, ctx):
        limits = {"max_systolic": params["max_systolic"], "max_diastolic": params["max_diastolic"]}
        reading = ctx.record(params["fact"])
        if reading is not None and not reading.get("unclear"):
            problem = shaky(reading)
            if problem:
                return problem
            value = reading["value"]
            if not isinstance(value, dict):  # "I don't know my blood pressure"
                return evaluation(PENDING, "bp_at_site_after_history", answer=said(reading))
            low = (value["systolic"], value["diastolic"])
            high = (value.get("systolic_max", low[0]), value.get("diastolic_max", low[1]))
            shown = {"systolic": low[0], "diastolic": low[1], "answer": said(reading), **limits}
            if low[0] > limits["max_systolic"] or low[1] > limits["max_diastolic"]:
                return evaluation(FAIL, "bp_above", **shown)
            if high[0] > limits["max_systolic"] or high[1] > limits["max_diastolic"]:
                return evaluation(
                    UNCERTAIN, "bp_range_straddles", high_systolic=high[0], high_diastolic=high[1], **shown
                )
            return evaluation(PASS, "bp_within", **shown)
        history = ctx.record(params.get("history_fact"))
        if reading is not None and reading.get("unclear"):
            return evaluation(UNCERTAIN, "bp_not_understood", answer=said(reading), note=reading.get("note") or "")
        if history is None:
            return evaluation(PENDING, "bp_at_site")
        problem = shaky(history)
        if problem:
            return problem
        if answer_of(history["value"]) == "no":
            return evaluation(PASS, "bp_no_history", answer=said(history))
        return evaluation(PENDING, "bp_at_site_after_history", answer=said(history))


class Fever(Rule):
    """A fever above the limit without a known cause excludes."""

    params = {"fact": Param("fact", True), "max_celsius": Param("number", True), "label": Param("text")}

    def evaluate(self, params, ctx):
        label = params.get("label", params["fact"])
        record = ctx.record(params["fact"])
        problem = missing_or_shaky(record, label)
        if problem:
            return problem
        value = record["value"] or {}
        shown = {"limit": params["max_celsius"], "answer": said(record)}
        celsius = value.get("celsius")
        if value.get("explained"):
            return evaluation(PASS, "fever_explained", celsius=celsius, **shown)
        if celsius is not None:
            if celsius > params["max_celsius"]:
                return evaluation(FAIL, "fever_above", celsius=celsius, **shown)
            return evaluation(PASS, "fever_not_above", celsius=celsius, **shown)
        answer = value.get("answer")
        if answer == "no":
            return evaluation(PASS, "fever_none", **shown)
        if answer == "yes":
            return evaluation(FAIL, "fever_reported", **shown)
        return evaluation(UNCERTAIN, "fever_unknown", **shown)


class Virology(Rule):
    """HIV; active hepatitis B (HBsAg+ and DNA at or above a limit); hepatitis C (Ab+ and RNA detectable)."""

    params = {
        "fact": Param("fact", True),
        "detail_fact": Param("fact"),
        "hbv_dna_max_iu_ml": Param("number", True),
        "ask_flag": Param("fact"),
    }

    def evaluate(self, params, ctx):
        record = ctx.record(params["fact"])
        if record is None:
            return unanswered("virology_not_answered")
        problem = shaky(record)
        if problem:
            return problem
        detail = ctx.record(params.get("detail_fact"))
        value = with_detail(record, detail, empty=(None, "unknown"))
        flag = params.get("ask_flag")
        ask = {flag: detail is None} if flag else {}
        limit = params["hbv_dna_max_iu_ml"]
        shown = {"limit": limit, "answer": said(record)}
        parts = []
        if value.get("hiv") == "positive":
            parts.append(evaluation(FAIL, "hiv_positive", **shown))
        if value.get("hbsag") == "positive":
            dna = value.get("hbv_dna_iu_ml")
            if dna is None:
                parts.append(evaluation(UNCERTAIN, "hbv_dna_unknown", ask, **shown))
            else:
                low, high = interval(dna, value.get("hbv_dna_comparator"))
                if low >= limit:
                    parts.append(evaluation(FAIL, "hbv_active", dna=dna, **shown))
                elif high < limit:
                    parts.append(evaluation(PASS, "hbv_inactive", dna=dna, **shown))
                else:
                    comparator = value.get("hbv_dna_comparator") or ""
                    parts.append(evaluation(UNCERTAIN, "hbv_dna_bound", ask, dna=dna, comparator=comparator, **shown))
        if value.get("hcv_ab") == "positive":
            rna = value.get("hcv_rna")
            if rna == "detectable":
                parts.append(evaluation(FAIL, "hcv_active", **shown))
            elif rna == "undetectable":
                parts.append(evaluation(PASS, "hcv_cleared", **shown))
            else:
                parts.append(evaluation(UNCERTAIN, "hcv_rna_unknown", ask, **shown))
        if parts:
            return worst(parts)
        dna = value.get("hbv_dna_iu_ml")
        dna_high = dna is not None and interval(dna, value.get("hbv_dna_comparator"))[1] >= limit
        if dna_high or value.get("hcv_rna") == "detectable":
            # a viral load someone measured ("no - HBV DNA 5000 IU/ml") is never "none reported"
            return evaluation(UNCERTAIN, "virology_details_unknown", ask, **shown)
        answer = value.get("answer")
        if answer == "no" or (answer is None and any(value.get(k) == "negative" for k in ("hiv", "hbsag", "hcv_ab"))):
            return evaluation(PASS, "virology_none", **shown)
        if answer == "yes":
            if detail is not None and detail.get("unclear"):
                return evaluation(UNCERTAIN, "virology_detail_not_understood", detail=said(detail), **shown)
            return evaluation(UNCERTAIN, "virology_details_unknown", ask, **shown)
        return evaluation(UNCERTAIN, "virology_unknown", **shown)


CHECK_PARAMS: dict = {
    "analyte": Param("fact"),
    "analytes_normal": Param("facts"),
    "label": Param("text"),
    "unit": Param("text"),
    "min": Param("number"),
    "max": Param("number"),
    "max_exclusive": Param("number"),
    "max_x_uln": Param("number"),
    "max_by_sex": Param("number_map"),
    "ask_flag": Param("fact"),
    # false: an eGFR filed as the creatinine clearance is not counted (the
    # criterion takes only a Cockcroft-Gault clearance); staff review it.
    "accept_egfr": Param("flag"),
    "relaxed": Param(
        {
            "if": Param("condition", True),
            "max_x_uln": Param("number", True),
            "why": Param("text"),
            "ask_fact": Param("fact"),
            "ask_flag": Param("fact"),
        }
    ),
}
CHECK_PARAMS["otherwise"] = Param(CHECK_PARAMS)
_LIMITS = ("min", "max", "max_exclusive", "max_x_uln", "max_by_sex")


def _check_problems(check: Any, where: tuple) -> Iterator[tuple]:
    yield from check_params(check, CHECK_PARAMS, where)
    if not isinstance(check, dict):
        return
    if "analytes_normal" in check:
        return
    if "analyte" not in check:
        yield where, "needs 'analyte' (or 'analytes_normal')"
    elif not any(limit in check for limit in _LIMITS):
        yield where, f"needs a limit: one of {', '.join(_LIMITS)}"
    if isinstance(check.get("otherwise"), dict):
        yield from _check_problems(check["otherwise"], where + ("otherwise",))


def _answer_map_problems(value: Any, where: tuple) -> Iterator[tuple]:
    if not isinstance(value, dict) or not value:
        yield where, "must map fact names to {yes/no/unknown: verdict}"
        return
    for fact, mapping in value.items():
        if not isinstance(mapping, dict):
            yield where + (fact,), "must map yes/no/unknown to verdicts"
            continue
        for answer, verdict in mapping.items():
            if answer not in ("yes", "no", "unknown"):
                yield where + (fact, answer), "answers are yes, no and unknown (quote \"yes\" and \"no\")"
            if isinstance(verdict, dict):
                yield from _follow_up_problems(verdict, fact, value, where + (fact, answer))
                if _needs_back(verdict.get("needs"), fact, value):
                    yield where + (fact, answer, "needs"), f"a follow-up that needs {fact!r} back: a loop never scored"
            elif verdict not in VERDICTS:
                yield where + (fact, answer), f"unknown verdict {verdict!r}"


def _needs_back(start: Any, fact: str, facts: dict) -> bool:
    """Does following ``needs`` from ``start`` lead back to ``fact``?"""
    seen, pending = set(), [start]
    while pending:
        current = pending.pop()
        if current == fact:
            return True
        if not isinstance(current, str) or current in seen or not isinstance(facts.get(current), dict):
            continue
        seen.add(current)
        pending += [v.get("needs") for v in facts[current].values() if isinstance(v, dict)]
    return False


def _follow_up_problems(follow_up: dict, fact: str, facts: dict, where: tuple) -> Iterator[tuple]:
    """``{needs: <fact>}``: the answer is scored by another fact of the same map."""
    for key in follow_up:
        if key != "needs":
            yield where + (key,), "unknown key; known: needs"
    needed = follow_up.get("needs")
    if needed is None:
        yield where + ("needs",), "missing"
    elif not isinstance(needed, str) or needed == fact or needed not in facts:
        others = ", ".join(name for name in facts if name != fact) or "none"
        yield (
            where + ("needs",),
            f"must be another fact of this answer_map (its verdicts score the answer); one of: {others}",
        )


class Labs(Rule):
    """Lab limits: absolute, as multiples of ULN, by sex, with relaxations and fall-backs."""

    params = {
        "checks": Param("checks", True),
        "sex_fact": Param("fact"),
        "age_fact": Param("fact"),
    }

    def evaluate(self, params, ctx):
        return worst(self._check(check, params, ctx) for check in params["checks"])

    def _check(self, check: dict, params: dict, ctx: Context) -> Evaluation:
        if "analytes_normal" in check:
            return self._normal(check, params, ctx)
        analyte = check["analyte"]
        label = check.get("label", analyte)
        record = ctx.record(analyte)
        if record is None:
            return evaluation(PENDING, "lab_pending", label=label, still=params.get("pending_reason", ""))
        problem = shaky(record)
        if problem:
            return evaluation(UNCERTAIN, "lab_problem", label=label, detail=problem.reason.to_dict())
        value = record["value"]
        number = value.get("value") if isinstance(value, dict) else value
        unit = check.get("unit") or (value.get("unit") if isinstance(value, dict) else "") or ""
        original = value.get("original", "") if isinstance(value, dict) else ""
        shown = {"label": label, "value": number, "unit": unit, "original": original}
        if check.get("accept_egfr") is False and isinstance(value, dict) and value.get("method") == "egfr":
            return evaluation(UNCERTAIN, "lab_egfr_not_clearance", **shown)
        if "max_x_uln" in check:
            return self._uln(check, params, ctx, value, label)
        if number is None:
            return self._status_only(check, analyte, value, shown)
        comparator = value.get("comparator") if isinstance(value, dict) else None
        low, high = interval(number, comparator)
        if isinstance(value, dict) and value.get("approximate"):
            low, high = low * (1 - APPROXIMATE_VALUE_SHARE), high * (1 + APPROXIMATE_VALUE_SHARE)
        shown["comparator"] = comparator or ""
        if "min" in check:
            limit = check["min"]
            if low >= limit:
                return evaluation(PASS, "lab_at_least", limit=limit, **shown)
            if high < limit:
                return evaluation(FAIL, "lab_below", limit=limit, **shown)
            return evaluation(UNCERTAIN, "lab_bound", limit=limit, **shown)
        if "max" in check:
            limit = check["max"]
            if high <= limit:
                return evaluation(PASS, "lab_at_most", limit=limit, **shown)
            if low > limit:
                return evaluation(FAIL, "lab_above", limit=limit, **shown)
            return evaluation(UNCERTAIN, "lab_bound", limit=limit, **shown)
        if "max_exclusive" in check:
            limit = check["max_exclusive"]
            if high < limit:
                return evaluation(PASS, "lab_below_exclusive", limit=limit, **shown)
            if low < limit:
                return evaluation(UNCERTAIN, "lab_bound", limit=limit, **shown)
            return self._otherwise(check, params, ctx, reason("lab_at_least", limit=limit, **shown))
        if comparator:
            return evaluation(UNCERTAIN, "lab_bound", limit=max(check["max_by_sex"].values()), **shown)
        return self._by_sex(check, params, ctx, number, shown)

    @staticmethod
    def _status_only(check: dict, analyte: str, value: Any, shown: dict) -> Evaluation:
        """A result reported only as "normal": within a maximum that is at or above
        the reference table's ULN; anything else is for staff."""
        from bot.parsing.labs import default_uln_options

        status = (value or {}).get("status") if isinstance(value, dict) else None
        if status == "normal" and "max" in check:
            try:
                options, _ = default_uln_options(analyte)
            except (KeyError, LookupError, ValueError):
                options = []
            if options and max(options) <= check["max"]:
                return evaluation(PASS, "lab_reported_normal", limit=check["max"], uln=max(options), **shown)
        return evaluation(UNCERTAIN, "lab_no_value", status=status or "", **shown)

    @staticmethod
    def _by_sex(check, params, ctx, number, shown):
        limits = check["max_by_sex"]
        sex = ctx.value(params.get("sex_fact"))
        if sex in limits:
            limit = limits[sex]
            if number > limit:
                return evaluation(FAIL, "lab_above_for_sex", limit=limit, sex=sex, **shown)
            return evaluation(PASS, "lab_within_for_sex", limit=limit, sex=sex, **shown)
        if number <= min(limits.values()):
            return evaluation(PASS, "lab_within_every_limit", limit=min(limits.values()), **shown)
        if number > max(limits.values()):
            return evaluation(FAIL, "lab_above_every_limit", limit=max(limits.values()), **shown)
        return evaluation(UNCERTAIN, "lab_limit_needs_sex", **shown)

    def _uln(self, check, params, ctx, value, label):
        sex, age = ctx.value(params.get("sex_fact")), ctx.value(params.get("age_fact"))
        limit = check["max_x_uln"]
        found = multiples_of_uln(check["analyte"], value, sex, age)
        if found.problem:
            return evaluation(UNCERTAIN, "uln_unknown", label=label, detail=found.problem.to_dict())
        shown = {"label": label, "limit": limit, "x_uln": found.low, "how": found.how.to_dict()}
        if found.high <= limit:
            return evaluation(PASS, "uln_within", **shown)
        relaxed = check.get("relaxed")
        if relaxed and found.high <= relaxed["max_x_uln"]:
            why = relaxed.get("why", "")
            if ctx.holds(relaxed["if"]):
                return evaluation(PASS, "uln_relaxed", relaxed=relaxed["max_x_uln"], why=why, **shown)
            if relaxed.get("ask_fact") and ctx.record(relaxed["ask_fact"]) is None and found.low > limit:
                flags = {relaxed["ask_flag"]: True} if relaxed.get("ask_flag") else {}
                return evaluation(
                    UNCERTAIN, "uln_needs_relaxation", flags, relaxed=relaxed["max_x_uln"], why=why, **shown
                )
        if found.low <= limit:
            return evaluation(UNCERTAIN, "uln_straddles", high=found.high, **shown)
        if "otherwise" in check:
            return self._otherwise(check, params, ctx, reason("uln_above", **shown))
        return evaluation(FAIL, "uln_above", **shown)

    def _otherwise(self, check, params, ctx, first: Reason):
        follow = self._check(check["otherwise"], params, ctx)
        combined = reason("then", first=first.to_dict(), then=follow.reason.to_dict())
        if follow.verdict == PENDING:
            flags = {check["ask_flag"]: True} if check.get("ask_flag") else {}
            return Evaluation(UNCERTAIN, combined, flags)
        return Evaluation(follow.verdict, combined, follow.flags)

    @staticmethod
    def _normal(check, params, ctx):
        label = check.get("label", "")
        statuses, missing = [], False
        for analyte in check["analytes_normal"]:
            record = ctx.record(analyte)
            if record is None or record.get("unclear"):
                missing = True
                continue
            value = record["value"]
            statuses.append(value.get("status") if isinstance(value, dict) else None)
        if "abnormal" in statuses:
            return evaluation(FAIL, "lab_abnormal", label=label)  # "FT4 low": one abnormal is enough
        if missing:
            return evaluation(PENDING, "lab_normal_needed", label=label)
        if all(status == "normal" for status in statuses):
            return evaluation(PASS, "lab_normal", label=label)
        if "abnormal" in statuses:
            return evaluation(FAIL, "lab_abnormal", label=label)
        return evaluation(UNCERTAIN, "lab_normal_unclear", label=label)


@dataclass
class Multiple:
    """A lab value as a multiple of its ULN: ``low``..``high`` (equal unless
    the ULN depends on an unknown sex), how it was found, or why it could not be."""

    low: float | None = None
    high: float | None = None
    how: Reason | None = None
    problem: Reason | None = None


def multiples_of_uln(analyte: str, value: dict, sex: str | None, age: Any = None) -> Multiple:
    """A lab value as a multiple of its upper limit of normal.

    Uses the laboratory's ULN when given; else the default table
    (bot/data/reference_ranges.yaml). A sex-specific default with the sex not
    known gives both multiples (the caller passes only if both do); a default
    marked ``adults_only`` is not used for anyone under 18.
    """
    from bot.parsing.labs import default_uln_options  # reference table, configurable

    comparator = value.get("comparator")
    if value.get("x_uln") is not None and not (value.get("uln") and value.get("value") is not None):
        low, high = interval(value["x_uln"], comparator)
        return Multiple(max(low, 0.0), high, reason("uln_stated", original=value.get("original", "")))
    number = value.get("value")
    if number is None and value.get("status") == "normal":
        # "LFTs normal", "within normal limits": at most the upper limit of normal.
        return Multiple(0.0, 1.0, reason("uln_reported_normal", original=value.get("original", "")))
    if number is None:
        return Multiple(problem=reason("uln_no_value", status=value.get("status") or ""))
    shown = {"value": number, "unit": value.get("unit") or "", "original": value.get("original", "")}
    low, high = interval(number, comparator)
    if value.get("approximate"):
        low, high = low * (1 - APPROXIMATE_VALUE_SHARE), high * (1 + APPROXIMATE_VALUE_SHARE)
    low = max(low, 0.0)
    if value.get("uln"):
        uln = value["uln"]
        return Multiple(low / uln, high / uln, reason("uln_from_lab", uln=uln, **shown))
    if isinstance(age, dict):
        age = age.get("max")
    try:
        options, source = default_uln_options(analyte, sex, age)
    except (KeyError, ValueError, LookupError) as error:
        return Multiple(problem=reason("uln_none_configured", error=str(error)))
    how = reason("uln_default", uln=options, source=source, **shown)
    # Laboratories' ULNs differ from a typical one by about this much: a value that
    # passes only by that margin is for the lab's own ULN to settle.
    return Multiple(low / max(options), high / min(options) * (1 + DEFAULT_ULN_MARGIN), how)


class Renal(Rule):
    """Creatinine <= k x ULN, or Cockcroft-Gault clearance above a minimum (adults only)."""

    params = {
        "creatinine_fact": Param("fact", True),
        "clearance_fact": Param("fact", True),
        "weight_fact": Param("fact", True),
        "age_fact": Param("fact", True),
        "sex_fact": Param("fact", True),
        "creatinine_max_x_uln": Param("number", True),
        "crcl_min_ml_min": Param("number", True),
        "crcl_min_age": Param("number"),
        "ask_flag": Param("fact"),
        "label": Param("text"),
        # false: an eGFR filed as the clearance is not counted (Cockcroft-Gault only).
        "accept_egfr": Param("flag"),
    }

    def evaluate(self, params, ctx):
        from bot.clinical import CREATININE_UMOL_PER_MG_DL, cockcroft_gault

        minimum = params["crcl_min_ml_min"]
        label = params.get("label", params["creatinine_fact"])
        crcl = ctx.record(params["clearance_fact"])
        crcl_value = (crcl or {}).get("value") or {}
        measured = crcl_value.get("value") if crcl and not shaky(crcl) else None
        if params.get("accept_egfr") is False and crcl_value.get("method") == "egfr":
            if ctx.record(params["creatinine_fact"]) is None:
                return evaluation(UNCERTAIN, "lab_egfr_not_clearance", label=label, value=crcl_value.get("value"))
            crcl, crcl_value, measured = None, {}, None  # the creatinine decides, or a clearance computed from it
        if measured is not None and measured >= minimum and crcl_value.get("comparator") not in ("<", "<="):
            return evaluation(PASS, "crcl_enough", clearance=measured, minimum=minimum)
        creatinine = ctx.record(params["creatinine_fact"])
        if creatinine is None:
            if measured is not None:
                # Below the minimum, but creatinine within its limit would still do: not settled.
                return evaluation(UNCERTAIN, "crcl_too_low_no_creatinine", clearance=measured, minimum=minimum)
            if crcl is not None and shaky(crcl):
                return evaluation(UNCERTAIN, "lab_problem", label=label, detail=shaky(crcl).reason.to_dict())
            return evaluation(PENDING, "lab_pending", label=label, still=params.get("pending_reason", ""))
        problem = shaky(creatinine)
        if problem:
            return evaluation(UNCERTAIN, "lab_problem", label=label, detail=problem.reason.to_dict())
        limit = params["creatinine_max_x_uln"]
        age, weight, sex = (ctx.value(params[k]) for k in ("age_fact", "weight_fact", "sex_fact"))
        age_years = age.get("max") if isinstance(age, dict) else age
        found = multiples_of_uln(params["creatinine_fact"], creatinine["value"], sex, age_years)
        if found.problem:
            return evaluation(UNCERTAIN, "uln_unknown", label=label, detail=found.problem.to_dict())
        shown = {"label": label, "limit": limit, "x_uln": found.low, "how": found.how.to_dict()}
        if found.high <= limit:
            return evaluation(PASS, "uln_within", **shown)
        first = reason("uln_above", **shown) if found.low > limit else reason("uln_straddles", high=found.high, **shown)
        min_age = params.get("crcl_min_age", 18)
        youngest, oldest = (age.get("min"), age.get("max")) if isinstance(age, dict) else (age, age)
        if youngest is not None and youngest < min_age:
            return evaluation(UNCERTAIN, "crcl_not_for_minors", first=first.to_dict(), min_age=min_age)
        if weight is None or sex not in ("male", "female") or age is None:
            missing = [name for name, v in (("weight", weight), ("sex", sex), ("age", age)) if v is None]
            flag = params.get("ask_flag")
            flags = {flag: weight is None and ctx.record(params["weight_fact"]) is None} if flag else {}
            return evaluation(UNCERTAIN, "crcl_needs", flags, first=first.to_dict(), missing=missing)
        value = creatinine["value"]
        umol = value.get("value")
        if umol is None:
            uln_umol = value.get("uln")
            if uln_umol is None or value.get("x_uln") is None:
                return evaluation(UNCERTAIN, "crcl_needs_value", first=first.to_dict())
            umol = value["x_uln"] * uln_umol
        # An age known within bounds: the oldest gives the lowest clearance.
        lowest = cockcroft_gault(oldest, weight, umol, sex)
        highest = cockcroft_gault(youngest, weight, umol, sex)
        shown_cg = {
            "first": first.to_dict(),
            "clearance": lowest,
            "age": oldest if youngest == oldest else f"{youngest}-{oldest}",
            "weight": weight,
            "sex": sex,
            "minimum": minimum,
            "mg_dl": umol / CREATININE_UMOL_PER_MG_DL,
        }
        if lowest >= minimum:
            return evaluation(PASS, "crcl_computed_enough", **shown_cg)
        if highest < minimum:
            return evaluation(FAIL, "crcl_computed_too_low", **shown_cg)
        return evaluation(UNCERTAIN, "crcl_computed_near", highest=highest, **shown_cg)


class AllOf(Rule):
    """Several parts, all of which must be met: the most severe verdict wins."""

    params = {"rules": Param("rules", True)}

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
    """Score one criterion's rule; a bug in a rule never becomes a silent pass.

    The reason is rendered once here, so a template that cannot be filled
    shows up as ``uncertain`` for staff rather than as a broken page later.
    """
    try:
        result = RULES[rule["type"]].evaluate(rule, ctx)
        result.reason.text("en")
        return result
    except Exception as error:  # noqa: BLE001 - any bug in scoring must become a review item, never a pass
        return evaluation(UNCERTAIN, "could_not_score", error=type(error).__name__)
