"""How a screening ends: the outcome in kind words, when to check again, the reference number,
what happens next, and a copy of the answers the person can keep.

The assistant never says anyone *is* eligible: the study team decides.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.describe import source_ref_text
from bot.messages import render
from bot.outcome import FAIL, LIKELY_ELIGIBLE, NEEDS_REVIEW, NOT_ASKED, NOT_ELIGIBLE, PENDING, UNCERTAIN
from bot.reasons import entry_text
from bot.reference import reference_number
from bot.screening.answers import SUMMARY_STEP
from bot.screening.scoring import outcome_of
from bot.screening.state import ScreeningState
from bot.trial import Trial

MAX_LISTED = 4


def _say(trial: Trial, state: ScreeningState, key: str, **values) -> str:
    return render(key, trial, state.role, state.language, **values)


def outcome_text(trial: Trial, state: ScreeningState, today: date) -> str:
    """The outcome as the person reads it when the questions are over."""
    outcome = outcome_of(state)
    if outcome == NOT_ELIGIBLE:
        criterion = trial.criterion(state.knocked_out) if state.knocked_out else None
        recheck = recheck_date(trial, state, today)
        return _say(
            trial,
            state,
            "knockout",
            plain=criterion.plain if criterion else "",
            recheck=recheck.isoformat() if recheck else None,
        )
    if outcome == LIKELY_ELIGIBLE:
        pending = [trial.criterion(c).plain for c, v in state.verdicts.items() if v["verdict"] == PENDING]
        return _say(trial, state, "outcome_likely_eligible", pending=pending[:MAX_LISTED])
    if outcome == NEEDS_REVIEW:
        review = [trial.criterion(c).plain for c, v in state.verdicts.items() if v["verdict"] == UNCERTAIN]
        more = max(0, len(review) - MAX_LISTED)  # the person learns the list is longer
        return _say(trial, state, "outcome_needs_review", review=review[:MAX_LISTED], more=more)
    return _say(trial, state, "outcome_incomplete")


def recheck_date(trial: Trial, state: ScreeningState, today: date) -> date | None:
    """For a knock-out by events inside time windows: the first day every window has passed.
    None when any failed criterion is not one that time settles (a heart attack 2 months
    ago and clopidogrel 75 mg: waiting does not help)."""
    if not state.knocked_out:
        return None
    failed = [c for c, v in state.verdicts.items() if v.get("verdict") == FAIL] or [state.knocked_out]
    dates = [_window_passed(trial, state, today, criterion_id) for criterion_id in dict.fromkeys(failed)]
    return None if not dates or None in dates else max(dates)


def _window_passed(trial: Trial, state: ScreeningState, today: date, criterion_id: str) -> date | None:
    rule = trial.criterion(criterion_id).rule
    windows = []
    for part in _event_windows(rule):
        record = state.facts.get(part["fact"]) or {}
        value = record.get("value") if isinstance(record.get("value"), dict) else {}
        days = value.get("days_ago")
        if days is None and part.get("when_fact"):
            when = (state.facts.get(part["when_fact"]) or {}).get("value") or {}
            days = when.get("days_ago") if isinstance(when, dict) else None
        # Only for something that already happened: a planned treatment is no date to wait for.
        if value.get("answer") == "yes" and isinstance(days, int) and 0 <= days <= part["window_days"]:
            windows.append(today + timedelta(days=part["window_days"] - days + 1))
    return max(windows) if windows else None


def _event_windows(rule: dict) -> list[dict]:
    if rule.get("type") == "event_window":
        return [rule]
    if rule.get("type") == "all_of":
        return [part for sub in rule.get("rules", []) for part in _event_windows(sub)]
    return []


def closing_texts(trial: Trial, state: ScreeningState, today: date, *, outcome_said: bool = False) -> list[str]:
    """Everything said at the very end, after any contact questions (``outcome_said``:
    the outcome was already told before the contact questions)."""
    texts = []
    outcome = outcome_of(state)
    contact = state.contact
    if outcome == NOT_ELIGIBLE or not outcome_said:
        texts.append(outcome_text(trial, state, today))
    if outcome != NOT_ELIGIBLE and contact.consented and (contact.reachable or contact.name):
        texts.append(_say(trial, state, "contact_thanks", when=contact.preferred_time))
    elif outcome != NOT_ELIGIBLE and contact.consented is False:
        texts.append(_say(trial, state, "contact_declined"))
    texts.append(_say(trial, state, "closing", reference=reference_number(state.screening_id)))
    texts.append(answers_copy(trial, state))
    if state.role == "physician":
        texts.append(_say(trial, state, "physician_table", rows=criteria_rows(trial, state)))
    return texts


def answers_copy(trial: Trial, state: ScreeningState) -> str:
    """The questions asked and the answers given, for the person to save or print."""
    rows = []
    for step_id, question in state.asked_text.items():
        if step_id.startswith("contact_"):
            continue
        # a group question's answer is kept on its members' facts ("none of these", "a clot in March")
        steps = {step_id, *state.group_members.get(step_id, ())}
        answers = [r.get("answer") for r in state.facts.values() if r.get("step") in steps and r.get("answer")]
        if answers and step_id == SUMMARY_STEP:
            # a summary's facts keep their own parts of it: all of them, not the first ("58F")
            rows.append({"question": question, "answer": "; ".join(dict.fromkeys(answers))})
        elif answers:
            rows.append({"question": question, "answer": answers[0]})
    return _say(trial, state, "answers_copy", rows=rows, reference=reference_number(state.screening_id))


def criteria_rows(trial: Trial, state: ScreeningState) -> list[dict]:
    rows = []
    for criterion in trial.criteria:
        verdict = state.verdicts.get(criterion.id, {"verdict": NOT_ASKED, "reason": ""})
        rows.append(
            {
                "id": criterion.id,
                "plain": criterion.plain,  # a language mapping: the message shows it in the person's language
                "source_ref": source_ref_text(criterion.source_ref, state.language),
                "verdict": verdict["verdict"],
                "reason": entry_text(verdict, state.language) or "",  # in the doctor's language
                "failed": verdict["verdict"] == FAIL,
            }
        )
    return rows
