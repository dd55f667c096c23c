"""The screening as the lead store saves it and staff export it (DESIGN.md "Staff export").

This is the one place that decides a screening's review items (every
``uncertain``) and its pending checks (every ``pending``); the store and the
dashboard read them from the record and never work them out again.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.outcome import DECLINED, NOT_ASKED, PENDING, UNCERTAIN
from bot.screening.scoring import outcome_of
from bot.screening.state import ScreeningState
from bot.trial import Criterion, Trial

RULE_FACT_KEYS = ("fact", "when_fact", "detail_fact", "history_fact", "extent_fact", "progression_fact", "analyte")


def build_record(trial: Trial, state: ScreeningState, transcript: Iterable[dict] | None = None) -> dict:
    outcome = outcome_of(state)
    declined = outcome == DECLINED
    criteria, review, pending = {}, [], []
    if not declined:
        for criterion in trial.criteria:
            entry = criterion_entry(trial, state, criterion)
            criteria[criterion.id] = entry
            if entry["verdict"] == UNCERTAIN:
                review.append(
                    {
                        "criterion": criterion.id,
                        "question": entry["question"] or "",
                        "answer": entry["answer"] or "",
                        "reason": entry["reason"],
                        **{k: entry[k] for k in ("reason_key", "reason_params") if k in entry},
                        "status": "open",
                    }
                )
            elif entry["verdict"] == PENDING:
                pending.append(criterion.id)
    contact = {
        "consented": state.contact.consented,
        "name": state.contact.name,
        "phone": state.contact.phone,
        "email": state.contact.email,
        "preferred_time": state.contact.preferred_time,
        "callback_requested": state.contact.callback_requested,
    }
    if not state.contact.consented:
        contact = {"consented": state.contact.consented, "callback_requested": state.contact.callback_requested}
    return {
        "screening_id": state.screening_id,
        "conversation_id": state.conversation_id,
        "trial_id": state.trial_id,
        "language": state.language,
        "role": state.role,
        "outcome": outcome,
        "started_at": state.started_at,
        "completed_at": None if declined else state.completed_at,
        "contact": None if declined else contact,
        "criteria": criteria,
        "review_items": review,
        "pending": pending,
        "transcript": [] if declined else list(transcript or []),
    }


def criterion_entry(trial: Trial, state: ScreeningState, criterion: Criterion) -> dict:
    verdict = state.verdicts.get(criterion.id)
    records = {name: state.facts[name] for name in facts_of(trial, criterion) if name in state.facts}
    questions = [state.asked_text[s] for s in criterion.steps if s in state.asked_text]
    answers = list(dict.fromkeys(r.get("answer") or "" for r in records.values()))
    confidences = [r.get("confidence") for r in records.values() if r.get("confidence") is not None]
    values = {name: r.get("value") for name, r in records.items()}
    if len(values) == 1:
        values = next(iter(values.values()))
    entry = {
        "verdict": verdict["verdict"] if verdict else NOT_ASKED,
        "reason": verdict["reason"] if verdict else "the conversation ended before this",
        "question": " / ".join(questions) or None,
        "answer": " | ".join(a for a in answers if a) or None,
        "value": values or None,
        "confidence": min(confidences) if confidences else None,
    }
    if verdict and verdict.get("reason_key"):
        entry["reason_key"], entry["reason_params"] = verdict["reason_key"], verdict.get("reason_params") or {}
    return entry


# Per trial object: criterion id -> its facts (worked out once; every saved turn needs them).
_FACTS_OF: dict[int, tuple[Trial, dict]] = {}


def facts_of(trial: Trial, criterion: Criterion) -> list:
    """The facts a criterion's own questions and rule use, in a stable order. A fact
    another criterion asks for (the sex a QTc limit depends on, the age in a clearance)
    is that criterion's answer, not this one's."""
    kept = _FACTS_OF.get(id(trial))
    if kept is None or kept[0] is not trial:
        if len(_FACTS_OF) > 16:
            _FACTS_OF.clear()
        kept = _FACTS_OF[id(trial)] = (trial, {})
    names = kept[1].get(criterion.id)
    if names is None:
        names = kept[1][criterion.id] = _facts_of(trial, criterion)
    return list(names)


def _facts_of(trial: Trial, criterion: Criterion) -> tuple:
    names = []
    for step_id in criterion.steps:
        step = trial.steps[step_id]
        names.extend(step.parse)
        names.extend(step.expects)
    asked_elsewhere = {
        fact
        for other in trial.criteria
        if other.id != criterion.id
        for step_id in other.steps
        for fact in (*trial.steps[step_id].parse, *trial.steps[step_id].expects)
    }
    names.extend(f for f in _rule_facts(criterion.rule) if f not in asked_elsewhere or f in names)
    return tuple(dict.fromkeys(names))


def _rule_facts(rule) -> list:
    found = []
    if isinstance(rule, dict):
        for key, value in rule.items():
            if (key in RULE_FACT_KEYS or key.endswith("_fact")) and isinstance(value, str):
                found.append(value)
            elif key in ("analytes", "analytes_normal") and isinstance(value, list):
                found.extend(value)
            elif key == "facts" and isinstance(value, dict):
                found.extend(value)
            else:
                found.extend(_rule_facts(value))
    elif isinstance(rule, list):
        for item in rule:
            found.extend(_rule_facts(item))
    return found
