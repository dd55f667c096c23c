"""Score a list of answers the way a screening would: the core's public checking API.

``check_answers`` feeds typed answers to the screening core exactly as a chat
would, one step at a time, and reports the verdict of every criterion the
answers touched. The answer corpus (``tests/corpus``), ``make accuracy`` and
outside checkers use it and nothing else, so it stays small and its behaviour
is a contract: the engine may change underneath, this function's results
must not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.outcome import DECLINED, NOT_ASKED, compute_outcome
from bot.reasons import Reason
from bot.rules import Context, evaluate
from bot.screening.answers import apply_answer, guardian_refused
from bot.screening.groups import apply_group
from bot.screening.record import build_record
from bot.screening.scoring import open_steps, score
from bot.screening.state import ScreeningState
from bot.trial import Trial, get_trial

ROLES = ("patient", "caregiver", "physician")


def check_answers(
    answers: Sequence[tuple[str, str]],
    *,
    role: str = "patient",
    today: date | None = None,
    trial: Trial | None = None,
    language: str = "en",
) -> dict:
    """Score ``answers`` (``[(step_id, text), ...]``) and return every criterion's verdict.

    Each text is answered at its step as if that step had just been asked, in
    the order given, by a person in ``role`` ("patient", "caregiver" or
    "physician"); a step not normally put to that role is still answered (a
    group step shares its answer out to its members, as in a conversation).
    An answer the step's parser does not understand is asked once more by the
    engine; ``check_answers`` gives the same text again (a person repeating
    themselves), after which the engine records it as not understood. Dates
    are read relative to ``today`` (default: the real today). ``trial``
    defaults to the configured trial (``TRIAL_FILE``).

    Returns::

        {"outcome": "not_eligible" | "needs_review" | "likely_eligible" | "declined",
         "criteria": {criterion_id: {"verdict": ..., "reason": <English text>,
                                      "reason_key": ..., "reason_params": {...},
                                      "value": <stored fact value(s)> | None,
                                      "answer": <verbatim answer(s)> | None}}}

    Every criterion of the trial is listed. A criterion none of whose steps
    was answered and none of whose facts is known (from its own questions,
    a pasted summary or a checklist) is ``not_asked``; every other one is
    scored from all the facts gathered. A part of a criterion not answered at
    all is left out (labs alone score blood counts); a follow-up the answer
    needs and that the engine would ask next (the date of an event, the
    amputation after ECOG 2, liver metastases after a high ALT) leaves the
    criterion ``uncertain``. ``outcome`` treats the answers given as the whole
    screening: ``not_eligible`` with any ``fail``, else ``needs_review`` with
    any ``uncertain``, else ``likely_eligible``; ``declined`` (every criterion
    ``not_asked``) when a guardian did not agree. Raises ValueError for an
    unknown step or role.
    """
    trial = trial or get_trial()
    today = today or date.today()
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    state = ScreeningState.new(trial.id, "check_answers", role, language=language)
    for step_id, text in answers:
        if step_id not in trial.steps:
            raise ValueError(f"unknown step {step_id!r}")
        if guardian_refused(state):
            break  # a guardian refused: nothing more is kept
        state = _answer_at(trial, state, step_id, text, today)
    if guardian_refused(state):
        return {"outcome": DECLINED, "criteria": {c.id: _not_answered() for c in trial.criteria}}
    flags = score(trial, state, today).flags
    record = build_record(trial, state)
    answered = set(state.answered)
    context = Context(state.facts, flags, role, today)
    criteria = {}
    for criterion in trial.criteria:
        entry = record["criteria"].get(criterion.id) or {}
        touched = entry.get("answer") or entry.get("value") is not None or answered & set(criterion.steps)
        result = evaluate(criterion.rule, context) if touched else None
        if result is None or not result.answered:
            # Not answered, or touched only by a step that answers nothing of it ("yes, some apply").
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


def _answer_at(trial: Trial, state: ScreeningState, step_id: str, text: str, today: date) -> ScreeningState:
    step = trial.steps[step_id]
    state = state.copy()
    state.current = step_id
    if step.group is not None:
        listed = [s.id for s in open_steps(trial, state, score(trial, state, today).flags)]
        members = step.group["members"]
        state.group_members[step_id] = listed if members == "open" else [m for m in members if m in listed]
        return apply_group(trial, state, step, text, today).state
    applied = apply_answer(trial, state, text, today)
    if applied.reasked:
        applied = apply_answer(trial, applied.state, text, today)
    return applied.state


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
