"""The screening core's public API for checking answers without a conversation.

    check_answers([("age", "I'm 45"), ("diagnosis", "osteosarcoma, spread to the lungs")],
                  role="patient", today=date(2026, 11, 25))
    -> {"outcome": "incomplete",
        "criteria": {"age": {"verdict": "pass", "reason": "...", "value": 45, "answer": "I'm 45"}, ...}}

Each text is answered at its step as if that step had just been asked (a
step id of the trial file; a group step shares its answer out to its members
as in a conversation). An answer the parsers cannot read is given a second
time, as a conversation would after its one re-ask, and then recorded as
``uncertain`` with the verbatim text. The criteria are scored once at the end,
exactly as in a conversation; a criterion whose follow-up question is still
open gets its verdict as the answers given leave it (as if the conversation
stopped there), and a criterion not answered at all is ``not_asked``.
``outcome`` is the screening outcome so far (``incomplete`` while criteria are
still open, unless one failed).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.rules import Context, evaluate
from bot.screening.answers import apply_answer
from bot.screening.groups import apply_group
from bot.screening.record import build_record, facts_of
from bot.screening.scoring import open_steps, score, settle, verdict_entry
from bot.screening.state import ScreeningState
from bot.trial import Trial, get_trial


def check_answers(
    answers: Sequence[tuple[str, str]],
    *,
    role: str = "patient",
    today: date | None = None,
    trial: Trial | None = None,
    language: str = "en",
) -> dict:
    """Answer each (step id, text) in order, score once, return the outcome and every criterion."""
    trial = trial or get_trial()
    today = today or date.today()
    state = ScreeningState.new(trial.id, "check", role, language=language)
    for step_id, text in answers:
        if step_id not in trial.steps:
            raise KeyError(f"no step {step_id!r} in trial {trial.id}")
        state = _answer_at(trial, state, step_id, text, today)
    scoring = settle(trial, state, today)
    _score_open_criteria(trial, state, scoring.flags, today)
    record = build_record(trial, state)
    criteria = {
        cid: {key: entry.get(key) for key in ("verdict", "reason", "value", "answer")}
        for cid, entry in record["criteria"].items()
    }
    return {"outcome": record["outcome"], "criteria": criteria}


def _score_open_criteria(trial: Trial, state: ScreeningState, flags: dict, today: date) -> None:
    """A criterion answered but with a follow-up still open gets its verdict as things stand
    (as if the conversation stopped now), so the caller sees what the answers given settle."""
    for criterion in trial.criteria:
        if criterion.id in state.verdicts or not any(f in state.facts for f in facts_of(trial, criterion)):
            continue
        result = evaluate(criterion.rule, Context(state.facts, flags, state.role, today))
        state.verdicts[criterion.id] = verdict_entry(result)


def _answer_at(trial: Trial, state: ScreeningState, step_id: str, text: str, today: date) -> ScreeningState:
    step = trial.steps[step_id]
    state = state.copy()
    state.current = step_id
    if step.group is not None:
        scoring = score(trial, state, today)
        listed = [s.id for s in open_steps(trial, state, scoring.flags)]
        members = step.group["members"]
        state.group_members[step_id] = listed if members == "open" else [m for m in members if m in listed]
        return apply_group(trial, state, step, text, today).state
    applied = apply_answer(trial, state, text, today)
    if applied.reasked:
        applied = apply_answer(trial, applied.state, text, today)
    return applied.state
