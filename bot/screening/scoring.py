"""Scoring and planning: pure functions of the trial and the state.

``score`` evaluates every criterion in asking order from the facts gathered
so far and finds the next step to ask; it changes nothing. ``settle`` applies
one scoring to a state (the only place verdicts are written), so a turn
scores exactly once. Scoring is a pure function of the facts: a correction
("I'm 54, not 45") changes every verdict that depends on it, and a knock-out
ends the questions as soon as it is certain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import conditions
from bot.outcome import DECLINED as DECLINED_OUTCOME
from bot.outcome import FAIL, LIKELY_ELIGIBLE, NEEDS_REVIEW, compute_outcome
from bot.rules import Context, Evaluation, evaluate
from bot.screening.state import CONTACT, CRITERIA, DECLINED, DONE, ScreeningState, now_iso
from bot.trial import Step, Trial

SUMMARY_STEP = "summary"


@dataclass(frozen=True)
class Scoring:
    """One evaluation of every criterion: what is settled and what to ask next."""

    verdicts: dict  # criterion id -> verdict entry, for criteria with nothing left to ask (or failed)
    flags: dict
    knocked_out: str | None
    next_step: str | None  # None: nothing left to ask (or a knock-out)
    group_members: tuple = ()  # when next_step is a group question: the members it asks


def verdict_entry(evaluation: Evaluation) -> dict:
    """The stored form of a rule's evaluation: English reason text, plus its key
    and parameters when the rule gave a structured (translatable) reason."""
    reason = evaluation.reason
    if hasattr(reason, "text"):
        return {
            "verdict": evaluation.verdict,
            "reason": reason.text("en"),
            "reason_key": reason.key,
            "reason_params": reason.params,
        }
    return {"verdict": evaluation.verdict, "reason": str(reason)}


def step_done(step: Step, state: ScreeningState) -> bool:
    if step.id in state.answered:
        return True
    if step.group is not None:
        return False
    facts = state.facts
    if step.expects:
        return all(analyte in facts for analyte in step.expects)
    return any(fact in facts for fact in step.parse)


def askable(trial: Trial, step: Step, state: ScreeningState, flags: dict) -> bool:
    """Whether this step is for this role, still open and its condition holds."""
    if state.role not in step.roles or step_done(step, state):
        return False
    if step.ask_if is None:
        return True
    return conditions.holds(step.ask_if, lambda path: conditions.resolve(path, state.facts, flags), state.role)


def score(trial: Trial, state: ScreeningState, today: date) -> Scoring:
    """Evaluate every criterion in asking order; return what is settled and the next step."""
    flags: dict[str, Any] = {"answered": {step_id: True for step_id in state.answered}}
    verdicts: dict = {}
    knocked_out, next_step = None, None
    summary = trial.steps.get(SUMMARY_STEP)
    if summary is not None and askable(trial, summary, state, flags):
        next_step = summary.id
    for criterion in trial.criteria:
        result = evaluate(criterion.rule, Context(state.facts, flags, state.role, today))
        flags.update(result.flags)
        open_step = next(
            (s for s in criterion.steps if askable(trial, trial.steps[s], state, flags)),
            None,
        )
        if result.verdict == FAIL:
            verdicts[criterion.id] = verdict_entry(result)
            knocked_out = knocked_out or criterion.id
        elif open_step is None:
            verdicts[criterion.id] = verdict_entry(result)
        elif next_step is None:
            next_step = open_step
    if knocked_out or next_step is None:
        return Scoring(verdicts, flags, knocked_out, None)
    group, group_members = _group_for(trial, state, flags, next_step)
    if group is not None:
        return Scoring(verdicts, flags, None, group, group_members)
    return Scoring(verdicts, flags, None, next_step)


def open_steps(trial: Trial, state: ScreeningState, flags: dict) -> list[Step]:
    """Every question still to ask this person, in asking order (criteria order)."""
    found = []
    for criterion in trial.criteria:
        found.extend(trial.steps[s] for s in criterion.steps if askable(trial, trial.steps[s], state, flags))
    return found


def _group_for(trial: Trial, state: ScreeningState, flags: dict, step_id: str) -> tuple[str | None, tuple]:
    """A group question to ask instead of ``step_id``: one that lists it and at least one more open member."""
    from bot.screening.groups import members

    candidates = [g for g in trial.steps.values() if g.group is not None and askable(trial, g, state, flags)]
    if not candidates:
        return None, ()
    still_open = open_steps(trial, state, flags)
    for group in candidates:
        listed = members(trial, group, state, still_open)
        if step_id in {m.id for m in listed} and len(listed) >= 2:
            return group.id, tuple(m.id for m in listed)
    return None, ()


def settle(trial: Trial, state: ScreeningState, today: date) -> Scoring:
    """Score once and write the result into the state: verdicts, the next step,
    and the phase (criteria -> contact or done when nothing is left to ask)."""
    scoring = score(trial, state, today)
    state.verdicts, state.flags, state.knocked_out = scoring.verdicts, scoring.flags, scoring.knocked_out
    if state.phase != CRITERIA:
        return scoring
    previous, state.current = state.current, scoring.next_step
    if scoring.group_members:
        state.group_members[scoring.next_step] = list(scoring.group_members)
    if scoring.next_step is None:
        state.completed_at = state.completed_at or now_iso()
        state.phase = CONTACT if wants_contact(state) else DONE
    elif scoring.next_step != previous:
        _count_question(trial, state, scoring)
    return scoring


def outcome_of(state: ScreeningState) -> str:
    if not state.consented or state.phase == DECLINED:
        return DECLINED_OUTCOME
    verdicts = {cid: v["verdict"] for cid, v in state.verdicts.items()}
    return compute_outcome(verdicts, consented=True, finished=state.finished)


def wants_contact(state: ScreeningState) -> bool:
    """Contact details are asked when the study team will want to call, unless already given."""
    contact = state.contact
    if contact.consented is False or (contact.consented and (contact.name or contact.reachable)):
        return False
    return outcome_of(state) in (LIKELY_ELIGIBLE, NEEDS_REVIEW) or contact.callback_requested


def _count_question(trial: Trial, state: ScreeningState, scoring: Scoring) -> None:
    """Number a new top-level question; "of about M" never grows."""
    step = trial.steps[scoring.next_step]
    if step.follow_up or step.id == SUMMARY_STEP:
        return
    if any(step.id in members for group, members in state.group_members.items() if group in state.answered):
        return  # left open by a group question already counted: part of that question
    state.question_number += 1
    estimate = state.question_number + remaining_after(trial, state, scoring)
    state.progress_total = max(state.question_number, min(state.progress_total or estimate, estimate))


def remaining_after(trial: Trial, state: ScreeningState, scoring: Scoring) -> int:
    """Top-level questions still open after the one about to be asked (a group counts once)."""
    current = set(scoring.group_members) | {scoring.next_step}
    counted_groups: set = set()
    count = 0
    for step in open_steps(trial, state, scoring.flags):
        if step.id in current or step.follow_up:
            continue
        group = next(
            (
                g
                for g in trial.steps.values()
                if g.group
                and state.role in g.roles
                and isinstance(g.group["members"], list)
                and step.id in g.group["members"]
                and g.id not in state.answered
            ),
            None,
        )
        if group is not None:
            if group.id in counted_groups:
                continue
            counted_groups.add(group.id)
        count += 1
    return count


__all__ = ["CONTACT", "CRITERIA", "DONE", "Scoring", "askable", "score", "settle", "step_done", "verdict_entry"]
