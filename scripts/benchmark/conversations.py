"""Scripted conversations: what each simulated person says, and when they are done.

Patients answer from tests/scripts.py (PATIENT_ANSWERS, reply_for: the same
script the REST tests use, imported by path, not copied). Physicians paste a
case summary, then answer the checklist questions (PHYSICIAN_ANSWERS, also tests/scripts.py)
and decline to be contacted, so they see the criterion table. The starter
bot's people walk its stories (greet, mood great/unhappy, affirm/deny, bot
challenge, goodbye) for a given number of turns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import suite_helpers

_test_scripts = suite_helpers.load("scripts")
PATIENT_ANSWERS: list[tuple[str, str]] = _test_scripts.PATIENT_ANSWERS
reply_for: Callable[[list, list], str | None] = _test_scripts.reply_for

# BP 130/80 (not the REST test's 150/95, a knock-out) so the physician goes
# through the whole checklist.
PHYSICIAN_SUMMARY = "62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, Cr 0.9 mg/dL, 72 kg, BP 130/80"
PHYSICIAN_ANSWERS: list[tuple[str, str]] = _test_scripts.PHYSICIAN_ANSWERS

# The bot's last words of a finished screening (contact given / contact declined).
SCREENING_ENDS = ("The study team will contact you", "If you'd like to talk later")
# What rasa_extensions/channels.py says when a turn failed inside the server.
TURN_FAILED = "Please try again in a moment"

# The starter bot's stories and rules, one user path after another. Not its
# "sad path 2" (deny -> goodbye): past the start of a conversation its TED
# often predicts nothing for that deny, an empty reply we would count as error.
STARTER_PATHS: list[list[str]] = [
    ["hello", "I am feeling very good"],  # happy path
    ["hi", "I am sad", "yes"],  # sad path 1
    ["are you a bot?"],  # bot challenge rule
    ["good morning", "great", "bye"],  # happy path + goodbye rule
]


class ScriptError(Exception):
    """The bot said something the script has no answer for."""


@dataclass
class Conversation:
    """One simulated person. next_message(said) gives what they say next after
    the bot said `said` (texts of its last reply), or None when they are done."""

    sender: str
    kind: str
    turns_sent: int = field(default=0, init=False)

    def next_message(self, said: Sequence[str]) -> str | None:
        raise NotImplementedError


@dataclass
class Screening(Conversation):
    """Opening lines, then the scripted answer to each question until the bot ends the screening."""

    opening: Sequence[str] = ()
    answers: Sequence[tuple[str, str]] = ()

    def next_message(self, said: Sequence[str]) -> str | None:
        if self.turns_sent < len(self.opening):
            message = self.opening[self.turns_sent]
        elif any(end in text for text in said for end in SCREENING_ENDS):
            return None
        else:
            message = reply_for(list(said), list(self.answers))
            if message is None:
                last = said[-1] if said else ""
                raise ScriptError(f"no scripted answer to: {last[:160]!r}")
        self.turns_sent += 1
        return message


@dataclass
class FixedTurns(Conversation):
    """A given number of messages, cycling through the given paths."""

    paths: Sequence[Sequence[str]] = ()
    turns: int = 0

    def next_message(self, said: Sequence[str]) -> str | None:
        if self.turns_sent >= self.turns:
            return None
        cycle = [message for path in self.paths for message in path]
        message = cycle[self.turns_sent % len(cycle)]
        self.turns_sent += 1
        return message


def patient(sender: str) -> Screening:
    return Screening(sender, "patient", opening=["hi", "I'm the patient", "I agree"], answers=PATIENT_ANSWERS)


def physician(sender: str) -> Screening:
    return Screening(
        sender,
        "physician",
        opening=["hello", "I'm a doctor", "yes I agree", PHYSICIAN_SUMMARY],
        answers=PHYSICIAN_ANSWERS,
    )


def starter(sender: str, turns: int) -> FixedTurns:
    return FixedTurns(sender, "starter", paths=STARTER_PATHS, turns=turns)


def kinds_for(count: int, physician_share: float) -> list[str]:
    """'patient'/'physician' for each of `count` conversations, physicians spread evenly."""
    if not 0 <= physician_share <= 1:
        raise ValueError("physician share must be within 0-1")
    return [
        "physician" if int((i + 1) * physician_share) > int(i * physician_share) else "patient" for i in range(count)
    ]


def our_conversations(run_id: str, count: int, physician_share: float) -> list[Conversation]:
    makers = {"patient": patient, "physician": physician}
    return [makers[kind](f"bench-{run_id}-{i:04d}-{kind}") for i, kind in enumerate(kinds_for(count, physician_share))]


def starter_conversations(run_id: str, turns_each: Sequence[int]) -> list[Conversation]:
    """One starter-bot conversation per entry, with that many turns (the same shape as ours)."""
    return [starter(f"bench-{run_id}-{i:04d}-starter", turns) for i, turns in enumerate(turns_each)]
