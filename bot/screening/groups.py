"""Questions asked together: a checklist ("does any of these apply?") or "whatever is still missing".

A group step names its members (or ``open``: every question still open for
the person) and is asked in place of its first open member when at least
two members are open. One answer is shared out: lab-like members read the
whole message, the others read the clauses that name them (each member's
``keywords`` in the trial file). With ``unnamed: "no"`` (a checklist), "none"
answers every member no, and naming some members answers the rest no.
Members nothing in the answer settles stay open and are asked on their own,
so a group can shorten a screening but never skip a question.
"""

from __future__ import annotations

import re
from datetime import date

from bot.parsing.types import Parsed
from bot.parsing.yes_no import parse_yes_no
from bot.parsing.zh import alternatives as zh_alternatives
from bot.screening.answers import SUMMARY_STEP, Applied, clear_facts, parse_step, store_facts
from bot.screening.say import say
from bot.screening.state import ScreeningState
from bot.trial import Step, Trial

_CLAUSES = re.compile(
    r"[;\n。；]+|,(?!\d)|，|\.(?!\d)|\bbut\b|\bexcept\b|" + zh_alternatives("screening", "clause_breaks")
)
_NONE_CONFIDENCE = 0.9


def is_group(step: Step) -> bool:
    return step.group is not None


def members(trial: Trial, group: Step, state: ScreeningState, open_steps) -> list[Step]:
    """The group's members still open for this person, in asking order."""
    spec = group.group["members"]
    if spec != "open":
        return [s for s in open_steps if s.id in spec]
    listed = [s for s in open_steps if not is_group(s) and s.id != SUMMARY_STEP]
    # A lab question whose labs another listed question already asks for is left out
    # (the full panel covers the per-organ ones).
    return [
        s for s in listed if not (s.expects and any(o is not s and set(s.expects) < set(o.expects) for o in listed))
    ]


def apply_group(trial: Trial, state: ScreeningState, group: Step, text: str, today: date) -> Applied:
    """Share one answer out to the members asked; returns a new state."""
    state = state.copy()
    asked = [trial.steps[s] for s in state.group_members.get(group.id, []) if s in trial.steps]
    named: set[str] = set()
    clauses = [c.strip() for c in _CLAUSES.split(text) if c and c.strip()]
    for member in asked:
        found = _read_member(member, text, clauses, today, state.language)
        if found:
            store_facts(state, member, found, text)
            state.mark_answered(member.id)
            named.add(member.id)
        elif member.expects and _labs_not_available(clauses):
            state.mark_answered(member.id)  # "no labs yet": checked at the screening visit
    if group.group["members"] == "open":
        named |= _follow_ups_in_the_same_answer(trial, state, text, clauses, today, {m.id for m in asked})
    said_none = says_none(text, clauses)
    if group.group.get("unnamed") == "no" and (said_none or named):
        confidence = _NONE_CONFIDENCE if said_none else 0.8
        for member in asked:
            if member.id not in named and not member.expects and not _reads_values(member):
                store_facts(state, member, _canonical_no(member, today, confidence), text, source="checklist")
                state.mark_answered(member.id)
    state.mark_answered(group.id)
    state.current = None
    if not named and not said_none:
        return Applied(state, [say("group_one_by_one")])
    return Applied(state)


_LAB_WORDS = re.compile(
    r"\b(labs?|bloods?|blood (tests?|work)|results?|tests?)\b|" + zh_alternatives("screening", "lab_words"), re.I
)
_LAB_NO = re.compile(r"\bno\b|" + zh_alternatives("screening", "lab_no"))


def _labs_not_available(clauses: list[str]) -> bool:
    from bot.screening.answers import _NOT_AVAILABLE

    return any(_LAB_WORDS.search(c) and (_NOT_AVAILABLE.search(c) or _LAB_NO.search(c)) for c in clauses)


def _follow_ups_in_the_same_answer(
    trial: Trial, state: ScreeningState, text: str, clauses: list[str], today: date, asked: set
) -> set:
    """Questions an answer opens ("childbearing potential yes") that the same answer also
    settles ("... not pregnant, contraception yes"): read them too, a few rounds deep."""
    from bot.screening.scoring import open_steps, score

    named: set = set()
    for _ in range(3):
        fresh = [
            s
            for s in open_steps(trial, state, score(trial, state, today).flags)
            if s.id not in asked and s.id not in named and s.group is None and s.id != SUMMARY_STEP
        ]
        progressed = False
        for step in fresh:
            found = _read_member(step, text, clauses, today, state.language)
            if found:
                store_facts(state, step, found, text)
                state.mark_answered(step.id)
                named.add(step.id)
                progressed = True
        if not progressed:
            break
    return named | _waiting_follow_ups(trial, state, text, clauses, today, asked | named)


def _waiting_follow_ups(
    trial: Trial, state: ScreeningState, text: str, clauses: list[str], today: date, opened: set
) -> set:
    """Follow-ups of a question asked but left open by this answer ("contraception yes, not
    pregnant" before "childbearing potential?" is answered): the answer named them, so they
    are kept and not asked again if the question opens them later."""
    from bot import conditions
    from bot.screening.scoring import step_done

    makers = {fact: step.id for step in trial.steps.values() for fact in step.parse}
    waiting: set = set()
    for _ in range(3):
        found = False
        for step in trial.steps.values():
            if step.id in opened or step.id in waiting or step.ask_if is None or step.group is not None:
                continue
            if state.role not in step.roles or step_done(step, state) or step.expects or _reads_values(step):
                continue
            unknown = {f for f in conditions.facts_in(step.ask_if) if f not in state.facts}
            if unknown and all(makers.get(f) in opened | waiting for f in unknown):
                waiting.add(step.id)
                found = True
        if not found:
            break
    named: set = set()
    for step in sorted(waiting, key=list(trial.steps).index):
        keywords = trial.steps[step].keywords_all()
        about = [c for c in clauses if any(mentions(c, k) for k in keywords)]
        found = clear_facts(parse_step(trial.steps[step], " ".join(about), today)) if about else {}
        if found:
            store_facts(state, trial.steps[step], found, text)
            state.mark_answered(step)
            named.add(step)
    return named


def _read_member(member: Step, text: str, clauses: list[str], today: date, language: str) -> dict:
    """The facts this member's parsers read in the part of the answer that is about it."""
    if member.expects or _reads_values(member):
        return clear_facts(parse_step(member, text, today))
    keywords = member.keywords_all()
    about = [c for c in clauses if any(mentions(c, k) for k in keywords)]
    if not about:
        return {}
    return clear_facts(parse_step(member, " ".join(about), today))


def _reads_values(member: Step) -> bool:
    """Members answered by a measurement (LVEF, weight ...) rather than yes/no."""
    return bool(member.group_reads_values)


def mentions(clause: str, keyword: str) -> bool:
    """Does the clause name the keyword (a Chinese one anywhere, a Latin one at a word start)?"""
    keyword = keyword.lower()
    lowered = clause.lower()
    if re.search(r"[\u3400-\u9fff]", keyword):
        return keyword in lowered
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(keyword)}", lowered) is not None


def says_none(text: str, clauses: list[str]) -> bool:
    """ "none apply", "none, LVEF 62%", "no to all", "无": the first clause is a plain no."""
    from bot.dialogue.understanding import matched

    if matched(text, "none_of_these"):
        return True
    if not clauses:
        return False
    first = parse_yes_no(clauses[0])
    return not first.unclear and first.value == "no" and first.confidence >= 0.8 and len(clauses[0]) <= 30


def _canonical_no(member: Step, today: date, confidence: float) -> dict[str, Parsed]:
    """What the member's own parser makes of a plain "no", so the rule reads its usual shape."""
    results = clear_facts(parse_step(member, "no", today))
    primary = results.get(member.primary_fact)
    if primary is None:
        return {member.primary_fact: Parsed("checklist", "no", "", confidence)}
    return {member.primary_fact: Parsed("checklist", primary.value, "", confidence, "none of the checklist applies")}
