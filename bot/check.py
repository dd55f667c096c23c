"""Score a list of answers the way a screening would: the core's public checking API.

``check_answers`` feeds typed answers to the screening core exactly as a chat
would, one step at a time, and reports the verdict of every criterion the
answers touched. The answer corpus (``tests/corpus``), ``make accuracy`` and
outside checkers use it and nothing else, so it stays small and its behaviour
is a contract: the engine may be rewritten underneath, this function's results
must not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.engine import Screening
from bot.outcome import DECLINED, NOT_ASKED, compute_outcome
from bot.reasons import Reason
from bot.rules import evaluate
from bot.trial import Trial, get_trial

ROLES = ("patient", "caregiver", "physician")


def check_answers(
    answers: Sequence[tuple[str, str]],
    *,
    role: str = "patient",
    today: date | None = None,
    trial: Trial | None = None,
) -> dict:
    """Score ``answers`` (``[(step_id, text), ...]``) and return every criterion's verdict.

    Each text is answered at its step as if that step had just been asked, in
    the order given, by a person in ``role`` ("patient", "caregiver" or
    "physician"); a step not normally put to that role is still answered.
    An answer the step's parser does not understand is asked once more by the
    engine; ``check_answers`` gives the same text again (a person repeating
    themselves), after which the engine records it as not understood. Dates
    are read relative to ``today`` (default: the real today). ``trial``
    defaults to the configured trial (``TRIAL_FILE``).

    Returns::

        {"outcome": "not_eligible" | "needs_review" | "likely_eligible",
         "criteria": {criterion_id: {"verdict": ..., "reason": <English text>,
                                      "reason_key": ..., "reason_params": {...},
                                      "value": <stored fact value(s)> | None,
                                      "answer": <verbatim answer(s)> | None}}}

    Every criterion of the trial is listed. A criterion none of whose steps
    was answered and none of whose facts is known (from its own questions,
    a pasted summary or the physician's checklist) is ``not_asked``; every
    other one is scored from all the facts gathered. A part of a criterion
    not answered at all is left out (labs alone score blood counts); a
    follow-up the answer needs and that the engine would ask next (the date
    of an event, the amputation after ECOG 2, liver metastases after a high
    ALT) leaves the criterion ``uncertain``. ``outcome`` treats the answers
    given as the whole screening: ``not_eligible`` with any ``fail``, else
    ``needs_review`` with any ``uncertain``, else ``likely_eligible``;
    ``declined`` (every criterion ``not_asked``) when a guardian did not
    agree. Raises ValueError for an unknown step or role.
    """
    trial = trial or get_trial()
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    screening = Screening(trial, Screening.new_state(trial, "check_answers", role), today=today)
    for step_id, text in answers:
        if step_id not in trial.steps:
            raise ValueError(f"unknown step {step_id!r}")
        if screening.phase not in ("criteria", "stopped"):
            break  # a guardian refused: nothing more is kept
        for _ in range(2):
            screening.state["current"] = step_id
            if not screening.answer(text).reasked:
                break
    if screening.outcome == DECLINED:
        return {"outcome": DECLINED, "criteria": {c.id: _not_answered() for c in trial.criteria}}
    criteria = {}
    record = screening.record()
    answered = set(screening.state["answered"])
    context = screening._context()
    for criterion in trial.criteria:
        entry = record["criteria"].get(criterion.id) or {}
        touched = entry.get("answer") or entry.get("value") is not None or answered & set(criterion.steps)
        if not touched:
            criteria[criterion.id] = _not_answered()
            continue
        result = evaluate(criterion.rule, context)
        if not result.answered:
            # Touched only by a step that answers nothing of it ("yes, some apply" on the checklist).
            criteria[criterion.id] = _not_answered()
            continue
        criteria[criterion.id] = {
            "verdict": result.verdict,
            "reason": result.reason.text("en"),
            "reason_key": result.reason.key,
            "reason_params": result.reason.params,
            "value": entry.get("value"),
            "answer": entry.get("answer"),
        }
    outcome = compute_outcome({cid: c["verdict"] for cid, c in criteria.items()}, finished=True)
    return {"outcome": outcome, "criteria": criteria}


def _not_answered() -> dict:
    reason = Reason("not_answered_yet", {})
    return {
        "verdict": NOT_ASKED,
        "reason": reason.text("en"),
        "reason_key": reason.key,
        "reason_params": reason.params,
        "value": None,
        "answer": None,
    }
