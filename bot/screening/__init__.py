"""The screening itself, independent of any chat framework.

Public API (plain data in and out):

- ``ScreeningState``: the typed state; ``to_dict``/``from_dict`` give the stored form.
- ``settle(trial, state, today)``: score every criterion once and decide the next step
  (the only place verdicts are written).
- ``plan(trial, state)``: the question to ask now, worded for this person (pure).
- ``apply_answer`` / ``apply_group`` / ``apply_correction`` / ``apply_contact``:
  take one message, return a new state and what to say (they never score).
- ``build_record(trial, state, transcript)``: what the lead store saves.
"""

from bot.screening.answers import Applied, apply_answer, parse_step, understands
from bot.screening.contact import CONTACT_STEPS, apply_contact
from bot.screening.corrections import apply_correction
from bot.screening.groups import apply_group
from bot.screening.plan import Question, is_minor, plan
from bot.screening.record import build_record
from bot.screening.scoring import Scoring, outcome_of, score, settle
from bot.screening.state import Contact, ScreeningState

__all__ = [
    "CONTACT_STEPS",
    "Applied",
    "Contact",
    "Question",
    "ScreeningState",
    "Scoring",
    "apply_answer",
    "apply_contact",
    "apply_correction",
    "apply_group",
    "build_record",
    "is_minor",
    "outcome_of",
    "parse_step",
    "plan",
    "score",
    "settle",
    "understands",
]
