"""Answering whatever is being asked now, for callers without a conversation around them
(the demo seeder, tests, batch checks): one call per answer, scored once."""

from __future__ import annotations

from datetime import date

from bot.screening.answers import Applied, apply_answer
from bot.screening.contact import CONTACT_STEPS, apply_contact
from bot.screening.groups import apply_group
from bot.screening.plan import Question, plan
from bot.screening.scoring import settle
from bot.screening.state import CONTACT, CRITERIA, DONE, ScreeningState
from bot.trial import Trial


def start(trial: Trial, state: ScreeningState, today: date) -> Question | None:
    """Settle a new state and return its first question."""
    settle(trial, state, today)
    return plan(trial, state)


def answer_current(trial: Trial, state: ScreeningState, text: str, today: date) -> tuple[Applied, Question | None]:
    """Answer the question ``plan`` gives now; return the result and the next question."""
    question = plan(trial, state)
    if question is None:
        return Applied(state, changed=False), None
    if question.step_id in CONTACT_STEPS:
        applied = apply_contact(state, question.step_id, text, trial.phone_region)
    elif trial.steps[question.step_id].group is not None:
        applied = apply_group(trial, state, trial.steps[question.step_id], text, today)
    else:
        applied = apply_answer(trial, state, text, today)
    new = applied.state
    new.asked_text.setdefault(question.step_id, question.text or question.step_id)
    if new.phase == CRITERIA:
        settle(trial, new, today)
    elif new.phase == CONTACT and plan(trial, new) is None:
        new.phase = DONE
    return applied, plan(trial, new)
