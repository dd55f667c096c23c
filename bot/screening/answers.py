"""Applying one answer to a screening: parse it for the step asked, store the facts, re-ask once.

``apply_answer`` works on a copy and returns the new state with what to say;
it never scores (the caller settles the state once per turn, see
``bot.screening.turns``). An answer the parsers cannot read is asked again
once with a hint, then stored as ``unclear`` with the verbatim text wherever
the criterion's rule reads it, so staff always see it as a review item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.parsing import zh
from bot.parsing.registry import PARSERS
from bot.parsing.types import Parsed
from bot.screening.say import Say, say
from bot.screening.state import ScreeningState, fact_record
from bot.trial import NOT_AN_ANSWER, Step, Trial

SUMMARY_STEP = "summary"
GUARDIAN_FACT = "guardian_present"
REASK_LIMIT = 2  # the first unclear answer is asked again, the second is recorded for staff

_NOT_AVAILABLE = re.compile(
    r"\b(not (done|available|known|yet|measured|tested)|n/?a|unknown|don'?t know|do not know|no idea|"
    r"pending|not to hand|none available|skip|unavailable)\b|" + zh.alternatives("screening", "not_available"),
    re.I,
)
_SKIP = re.compile(
    r"^\s*(skip|no summary|no|none|one by one|n/?a|"
    + zh.alternatives("screening", "skip_summary")
    + r")\s*[.!。！]*\s*$",
    re.I,
)


@dataclass
class Applied:
    """The result of one answer: the new state and what to say about it."""

    state: ScreeningState
    said: list[Say] = field(default_factory=list)
    reasked: bool = False
    changed: bool = True


def run_parser(name: str, text: str, today: date, step: Step | None = None, trial: Trial | None = None):
    """A parser named in the trial file. Lab parsers also get the analytes the step asks
    for (a bare "0.9 mg/dL" when asked for creatinine); the summary parser gets the
    trial's mapping of findings onto its facts."""
    parser = PARSERS[name]
    text = zh.normalize(text)  # Chinese numerals before units as digits; unchanged without Chinese
    if getattr(parser, "reads_expected", False):
        return parser(text, today, expects=step.expects if step else ())
    if getattr(parser, "reads_summary_mapping", False):
        from bot.trial import get_trial

        return parser(text, today, mapping=(trial or get_trial()).summary)
    return parser(text, today)


def parse_step(step: Step, text: str, today: date, trial: Trial | None = None) -> dict[str, Parsed]:
    """Every fact the step's parsers read in the text (unclear ones included).

    The step's own answer words ("tox resolved", "willing to attend") answer it when
    its parser cannot; when both read the text and disagree, the answer is unclear
    (staff check it) rather than either guess."""
    results: dict[str, Parsed] = {}
    for fact, parser in step.parse.items():
        try:
            parsed = run_parser(parser, text, today, step, trial)
        except Exception as error:  # noqa: BLE001 - a parser bug must never lose the answer
            parsed = Parsed("unclear", note=f"parser error: {type(error).__name__}")
        if isinstance(parsed, dict):
            results.update(parsed)
        else:
            results[fact] = parsed
    worded = _answer_word(step, text)
    if worded is not None and worded.unclear:
        # "nothing else" to "would that be acceptable?": whatever the parser read, ask again
        results[step.primary_fact] = worded
    elif worded is not None:
        primary = results.get(step.primary_fact)
        said = None if primary is None or primary.unclear else _answer_of(primary.value)
        if primary is None or primary.unclear:
            results[step.primary_fact] = worded
        elif said is not None and said != worded.value:
            results[step.primary_fact] = Parsed(
                "unclear", note=f"the answer reads both {said} and {worded.value}", span=worded.span
            )
    return results


def _answer_of(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("answer"), str):
        return value["answer"]
    return None


def _answer_word(step: Step, text: str) -> Parsed | None:
    """The step's own yes/no words ("tox resolved" answers the toxicity question yes);
    the longest phrase found wins, so "not measurable" beats "measurable"."""
    if not step.answer_words:
        return None
    lowered = " ".join(text.lower().split())
    best: tuple[int, str, str] | None = None
    other: tuple[int, str] | None = None  # a not_an_answer phrase ("nothing else")
    for answer, by_language in step.answer_words.items():
        for phrase in (str(p).lower() for words in by_language.values() for p in words):
            at = _find_phrase(lowered, phrase)
            if at < 0:
                continue
            if answer == NOT_AN_ANSWER:
                if other is None or len(phrase) > len(other[1]):
                    other = (at, phrase)
            elif best is None or len(phrase) > len(best[1]):
                best = (at, phrase, answer)
    if (
        best is not None
        and other is not None
        and other[0] <= best[0]
        and best[0] + len(best[1]) <= other[0] + len(other[1])
    ):
        best = None  # the yes/no words are part of the other phrase ("都没有" in "其他都没有")
    if best is None:
        if other is None:
            return None
        # "nothing else" and no yes or no of this question's own: ask again, whatever the parser read
        return Parsed("unclear", note="not an answer to this question", span=text[other[0] : other[0] + len(other[1])])
    at, phrase, answer = best
    return Parsed(
        "yes_no", answer, text[at : at + len(phrase)], 0.9, "answered in the question's own words", at, at + len(phrase)
    )


def _find_phrase(text: str, phrase: str) -> int:
    if re.search(r"[\u3400-\u9fff]", phrase):
        return text.find(phrase)
    match = re.search(rf"(?<![A-Za-z0-9]){re.escape(phrase)}(?![A-Za-z0-9])", text)
    return match.start() if match else -1


def clear_facts(results: dict[str, Parsed]) -> dict[str, Parsed]:
    return {fact: parsed for fact, parsed in results.items() if not parsed.unclear}


def understands(step: Step, text: str, today: date) -> bool:
    """Whether the text is a clear, confident answer to this step."""
    return any(not p.unclear and p.confidence >= 0.8 for p in parse_step(step, text, today).values())


def apply_answer(trial: Trial, state: ScreeningState, text: str, today: date) -> Applied:
    """Answer the current step with ``text``; returns a new state (the given one is not changed)."""
    state = state.copy()
    step_id = state.current
    if step_id is None or step_id not in trial.steps:
        return Applied(state, changed=False)
    step = trial.steps[step_id]
    results = parse_step(step, text, today, trial)
    clear = clear_facts(results)
    if step.id == SUMMARY_STEP:
        applied = _apply_summary(trial, state, step, clear, text)
        keep_unreadable_values(applied.state, step, results, text)
        return applied
    if clear or (step.expects and _NOT_AVAILABLE.search(text)):
        store_facts(state, step, clear, text)
        keep_unreadable_values(state, step, results, text)
        applied = Applied(state)
    elif _takes_back(trial, state, step, text, today):
        # "那次出血是什么时候？" - "没有出血啊": the event the follow-up asks about is denied
        applied = Applied(state, [say("taken_back")])
    else:
        attempts = state.attempts.get(step.id, 0) + 1
        state.attempts[step.id] = attempts
        if attempts < REASK_LIMIT:
            return Applied(state, [say("reask", hint=step.hint, example=step.example)], reasked=True)
        if not keep_unreadable_values(state, step, results, text):
            store_unclear(state, step, text, results.get(step.primary_fact))
        applied = Applied(state, [say("recorded_unclear")])
    state.mark_answered(step.id)
    state.current = None
    return applied


def _yes_condition_facts(condition) -> list[str]:
    """Facts a step's ask_if requires to be answered yes ({fact: bleeding.answer, eq: "yes"})."""
    if not isinstance(condition, dict):
        return []
    found = []
    for item in condition.get("all", ()):
        found += _yes_condition_facts(item)
    fact = condition.get("fact")
    if isinstance(fact, str) and fact.endswith(".answer") and condition.get("eq") == "yes":
        found.append(fact.split(".")[0])
    return found


def _takes_back(trial: Trial, state: ScreeningState, step: Step, text: str, today: date) -> bool:
    """A follow-up ("when was that bleeding?") answered with a plain denial of the event it
    follows up ("没有出血", "no, there wasn't one"): the earlier answer becomes that no."""
    for fact in _yes_condition_facts(step.ask_if):
        owner = next((s for s in trial.steps.values() if fact in s.parse and s.group is None), None)
        if owner is None or owner.id == step.id:
            continue
        parsed = clear_facts(parse_step(owner, text, today, trial)).get(fact)
        answer = parsed.value.get("answer") if parsed is not None and isinstance(parsed.value, dict) else None
        if parsed is not None and (answer == "no" or parsed.value == "no") and parsed.confidence >= 0.8:
            store_facts(state, owner, {fact: parsed}, text, source="correction")
            return True
    return False


def _apply_summary(trial: Trial, state: ScreeningState, step: Step, clear: dict, text: str) -> Applied:
    clear = {**clear, **_worded_in_summary(trial, text, clear)}
    store_facts(state, step, clear, text, source="summary")
    state.mark_answered(step.id)
    state.current = None
    if clear:
        return Applied(state, [say("summary_taken", facts=summary_lines(trial, clear))])
    if _SKIP.match(text):
        return Applied(state)
    return Applied(state, [say("summary_empty")])


def _worded_in_summary(trial: Trial, text: str, found: dict) -> dict[str, Parsed]:
    """Steps the trial lets a summary answer in their own words ("postmenopausal" answers
    "could she become pregnant?"); a step that reads both yes and no words is left to ask."""
    worded = {}
    for step_id in trial.summary.get("worded_steps") or []:
        step = trial.steps.get(step_id)
        if step is None or step.primary_fact in found:
            continue
        parsed = _answer_word(step, text)
        if parsed is not None and not parsed.unclear:
            worded[step.primary_fact] = parsed
    return worded


def summary_lines(trial: Trial, facts: dict[str, Parsed]) -> list[dict]:
    """One line per fact, as the physician wrote it: the evidence span beside a readable name."""
    lines = []
    for fact, parsed in facts.items():
        # A span that runs across commas took in the next facts too: echo its first clause.
        shown = re.split(r"[,;，；]", " ".join((parsed.span or "").split()))[0].strip() or str(parsed.value)
        lines.append({"fact": fact, "label": trial.fact_label(fact), "text": shown})
    return lines


def store_facts(state: ScreeningState, step: Step, parsed: dict[str, Parsed], text: str, source: str = "answer"):
    """Keep each parsed fact with the verbatim answer (a summary keeps each fact's own span)."""
    for fact, value in parsed.items():
        answer = (value.span or text) if source == "summary" else text
        state.facts[fact] = fact_record(value, answer, step.id, source)
    primary = parsed.get(step.primary_fact)
    fills = step.fills_when
    if fills and primary is not None and primary.value == fills["answer"] and primary.confidence >= 0.8:
        for fact, value in fills["facts"].items():
            if fact not in state.facts:
                checklist = Parsed("checklist", value, primary.span, primary.confidence)
                state.facts[fact] = fact_record(checklist, text, step.id, "checklist")


def store_unclear(state: ScreeningState, step: Step, text: str, parsed: Parsed | None) -> None:
    """Record an answer nobody could read where the criterion's rule will see it:
    under each lab the step asked for (still unknown), else under the step's main fact."""
    targets = [analyte for analyte in step.expects if analyte not in state.facts] or [step.primary_fact]
    for fact in targets:
        record = fact_record(parsed or Parsed("unclear"), text, step.id, "answer")
        record["unclear"] = True
        state.facts[fact] = record


def keep_unreadable_values(state: ScreeningState, step: Step, results: dict[str, Parsed], text: str) -> bool:
    """Keep the values a parser found but could not read ("Hb 9 g/L", a QTc by Bazett) as
    not-understood facts, so their criterion goes to review with the person's words instead
    of silently staying pending. A clear value already known is not replaced."""
    kept = False
    for fact, parsed in results.items():
        if not (parsed.unclear and parsed.extra.get("mentioned")):
            continue
        known = state.facts.get(fact)
        if known is not None and not known.get("unclear"):
            continue
        answer = text if step.id != SUMMARY_STEP else (parsed.span or text)
        state.facts[fact] = fact_record(parsed, answer, step.id, "answer")
        kept = True
    return kept


def guardian_refused(state: ScreeningState) -> bool:
    """A child answering without a parent or guardian who agrees (the trial's guardian step)."""
    record = state.facts.get(GUARDIAN_FACT)
    return record is not None and (bool(record.get("unclear")) or record.get("value") != "yes")
