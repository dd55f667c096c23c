"""The question to ask now: a pure function of a settled state (nothing changes).

``settle`` (bot.screening.scoring) decides which step is next; ``plan``
only words it for this person: their role, their language, a young
patient's wording, the progress ("Question 4 of about 17"), and for a group
question the list of what it covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.screening.contact import CONSENT, CONTACT_STEPS, next_contact_step
from bot.screening.say import Say, say
from bot.screening.state import CONTACT, CRITERIA, ScreeningState
from bot.trial import Step, Trial

SUMMARY_STEP = "summary"


@dataclass(frozen=True)
class Question:
    step_id: str
    text: str = ""
    buttons: tuple = ()
    criterion: str | None = None
    number: int | None = None  # progress, for patients and caregivers
    total: int | None = None
    items: tuple = ()  # a group question's list
    message: Say | None = None  # contact questions are messages, not trial steps
    preface: list = field(default_factory=list)


def is_minor(trial: Trial, state: ScreeningState) -> bool:
    """The patient is under the trial's adult age (wording for a child or teenager)."""
    age = (state.facts.get("age") or {}).get("value")
    limit = trial.info.get("adult_age", 0)
    return isinstance(age, (int, float)) and not isinstance(age, bool) and age < limit


def current_contact_step(state: ScreeningState) -> str | None:
    return next_contact_step(state.contact, state.attempts)


def plan(trial: Trial, state: ScreeningState) -> Question | None:
    """What to ask now, or None when the screening has nothing (more) to ask."""
    if state.phase == CRITERIA and state.current in trial.steps:
        return _criteria_question(trial, state, trial.steps[state.current])
    if state.phase == CONTACT:
        return contact_question(state)
    return None


def contact_question(state: ScreeningState) -> Question | None:
    step_id = current_contact_step(state)
    if step_id is None:
        return None
    buttons_key = "contact_buttons" if step_id == CONSENT else None
    return Question(step_id, message=say("ask_" + step_id), buttons=(buttons_key,) if buttons_key else ())


def _criteria_question(trial: Trial, state: ScreeningState, step: Step) -> Question:
    minor = is_minor(trial, state)
    language, role = state.language, state.role
    text = step.question(role, language, minor=minor)
    items: tuple = ()
    if step.group is not None:
        items = tuple(trial.steps[m].short_in(role, language) for m in state.group_members.get(step.id, []))
    numbered = role != "physician" and step.id != SUMMARY_STEP and not step.follow_up
    return Question(
        step_id=step.id,
        text=text,
        buttons=step.buttons_in(language, minor=minor, role=role),
        criterion=trial.criterion_of_step.get(step.id),
        number=state.question_number if numbered and state.question_number else None,
        total=state.progress_total if numbered else None,
        items=items,
    )


__all__ = ["CONTACT_STEPS", "Question", "contact_question", "is_minor", "plan"]
