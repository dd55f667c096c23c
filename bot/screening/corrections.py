"""Changing an earlier answer: "I'm 54, not 45", "sorry, it was 3 months ago", "actually I'm female".

A recognisable fact anywhere in the message changes that fact; otherwise the
message is read as a new answer to the last question answered. Works on a
copy, like every change of state.
"""

from __future__ import annotations

import re
from datetime import date

from bot.describe import describe, number
from bot.parsing.registry import PARSERS
from bot.parsing.zh import alternatives as zh_alternatives
from bot.screening.answers import SUMMARY_STEP, Applied, clear_facts, parse_step, run_parser
from bot.screening.say import say
from bot.screening.state import CONTACT, CRITERIA, DONE, ScreeningState, fact_record
from bot.trial import Step, Trial

_NOT_VALUE = re.compile(
    r"\b(?:not|instead of|rather than)\s+[\w.,/]+|(?:" + zh_alternatives("screening", "not_value") + r")\s*\S+", re.I
)
_CORRECTION_WORDS = re.compile(
    r"^\s*(?:(?:oops|sorry|wait|correction|i made a mistake|my mistake|i was wrong|that'?s wrong|"
    r"that was wrong|actually|i meant(?: to say)?|it should be|it'?s|"
    + zh_alternatives("screening", "correction_openers")
    + r")[\s,:.!，：。！-]*)+",
    re.I,
)
_AGE_WORDS = re.compile(
    r"\b(i'?m|i am|age|aged|years?|old|he'?s|she'?s|is)\b|" + zh_alternatives("screening", "correction_age_words"), re.I
)


_SAYS_CORRECTION = re.compile(
    r"\b(?:sorry|oops|correction|i meant|i mean|i made a mistake|my mistake|i was wrong|i typed|typo|actually|"
    r"not \S+ but|instead of)\b|" + zh_alternatives("screening", "says_correction"),
    re.I,
)


def says_correction(text: str) -> bool:
    """The message presents itself as a correction ("sorry, I meant 54", "说错了")."""
    return _SAYS_CORRECTION.search(text or "") is not None


def apply_correction(trial: Trial, state: ScreeningState, text: str, today: date) -> Applied:
    """Change whatever earlier answer the message corrects; say what changed (or that nothing did)."""
    state = state.copy()
    cleaned = _CORRECTION_WORDS.sub("", _NOT_VALUE.sub(" ", text)).strip(" ,.，。")
    found = _facts_named(trial, state, cleaned, today)
    step = None
    if not found:
        # The last answered step; if the message tells it nothing, the answered step it
        # names ("the chemo was 35 days ago" after another question).
        for step in (last_answered_step(trial, state), named_answered_step(trial, state, cleaned)):
            if step is not None:
                found = clear_facts(parse_step(step, cleaned, today, trial))
                if found:
                    break
    changes = []
    for fact, parsed in found.items():
        old = state.facts.get(fact)
        if old is not None and old.get("value") == parsed.value and not old.get("unclear"):
            continue
        changes.append(
            {
                "label": trial.fact_label(fact),
                "new": _shown({"value": parsed.value, "span": parsed.span}, state.language),
                "old": _shown(old, state.language) if old else None,
            }
        )
        owner = step.id if step else (old or {}).get("step", "correction")
        state.facts[fact] = fact_record(parsed, text, owner, "correction")
    if not changes:
        return Applied(state, [say("correction_none")], changed=False)
    if state.phase in (CONTACT, DONE):
        # A corrected answer may change the outcome: score again, ask what is now open.
        state.phase, state.completed_at, state.current = CRITERIA, None, None
    return Applied(state, [say("correction_done", changes=changes)])


def _facts_named(trial: Trial, state: ScreeningState, text: str, today: date) -> dict:
    """Facts the message states explicitly and that were answered before."""
    found = {
        fact: parsed for fact, parsed in run_parser("summary", text, today, trial=trial).items() if fact in state.facts
    }
    if "age" in state.facts and "age" not in found:
        age = PARSERS["age"](text, today)
        if not age.unclear and _AGE_WORDS.search(text):
            found["age"] = age
    return found


def named_answered_step(trial: Trial, state: ScreeningState, text: str) -> Step | None:
    """The most recently answered step whose keywords the text mentions."""
    from bot.screening.groups import mentions

    for step_id in reversed(state.answered):
        step = trial.steps.get(step_id)
        if step is not None and step_id != SUMMARY_STEP and any(mentions(text, k) for k in step.keywords_all()):
            return step
    return None


def last_answered_step(trial: Trial, state: ScreeningState) -> Step | None:
    for step_id in reversed(state.answered):
        if step_id in trial.steps and step_id != SUMMARY_STEP:
            return trial.steps[step_id]
    return None


_ANSWER_WORDS = ("yes", "no", "unknown")


def _shown(record: dict, language: str = "en") -> str:
    """An answer as read back: a number as the number ("52", not "Im 52"), a yes or no in
    the person's language ("否", not "no"), else its words."""
    value = record.get("value")
    if isinstance(value, dict):
        value = value.get("value", value.get("answer", record.get("span")))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    span = str(record.get("span") or "")
    if value in _ANSWER_WORDS and (not span or (language != "en" and span.isascii())):
        return describe(value, language=language)
    shown = value if value is not None else record.get("answer", "")
    return str(record.get("span") or shown)[:60]
