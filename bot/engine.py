"""The screening itself, independent of any chat framework.

A Screening wraps a plain, JSON-serialisable state dict (the Rasa adapter keeps
it in a slot, so action servers stay stateless). It decides the next question
from the trial file, parses each answer, scores every criterion from the facts
gathered so far, and produces the record the lead store saves.

Scoring is a pure function of the facts: each turn re-evaluates the criteria
in asking order, so a correction ("I'm 54, not 45") changes every verdict that
depends on it, and a knock-out ends the questions as soon as it is certain.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from bot import conditions
from bot.messages import choices, render
from bot.outcome import DECLINED, FAIL, LIKELY_ELIGIBLE, NEEDS_REVIEW, NOT_ASKED, PENDING, UNCERTAIN, compute_outcome
from bot.parsing.contact import parse_email, parse_name, parse_phone, parse_preferred_time
from bot.parsing.registry import PARSERS
from bot.parsing.summary import extract_summary
from bot.parsing.types import Parsed
from bot.parsing.yes_no import parse_yes_no
from bot.rules import Context, Evaluation, evaluate
from bot.trial import Criterion, Step, Trial

# Longer answers are cut before parsing: no real answer needs more, and it keeps
# every turn fast whatever is pasted (documented in README).
MAX_ANSWER_CHARS = 2000
SUMMARY_STEP = "summary"
GUARDIAN_FACT = "guardian_present"
CONTACT_STEPS = ("contact_consent", "contact_name", "contact_method", "contact_time")
RULE_FACT_KEYS = (
    "fact",
    "when_fact",
    "detail_fact",
    "history_fact",
    "extent_fact",
    "progression_fact",
    "analyte",
    "creatinine_fact",
    "clearance_fact",
    "weight_fact",
)
_NOT_AVAILABLE = re.compile(
    r"\b(not (done|available|known|yet|measured|tested)|n/?a|unknown|don'?t know|do not know|no idea|"
    r"pending|not to hand|none available|skip|unavailable)\b",
    re.I,
)
_SKIP = re.compile(r"^\s*(skip|no summary|no|none|one by one|n/?a)\s*[.!]*\s*$", re.I)
_NOT_VALUE = re.compile(r"\b(?:not|instead of|rather than)\s+[\w.,/]+", re.I)
_NOT_A_NAME = re.compile(
    r"^\s*(what|why|how|who|when|where|which|i|i'm|im|can|could|is|are|do|does|sorry|wait|"
    r"please|stop|delete|yes|no|ok)\b",
    re.I,
)
_CORRECTION_WORDS = re.compile(
    r"^\s*(?:(?:oops|sorry|wait|correction|i made a mistake|my mistake|i was wrong|that'?s wrong|"
    r"that was wrong|actually|i meant(?: to say)?|it should be|it'?s)\b[\s,:.!-]*)+",
    re.I,
)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def clip(text: str | None) -> str:
    text = (text or "").replace("\x00", "")
    return text[:MAX_ANSWER_CHARS]


@dataclass
class Question:
    step_id: str
    text: str
    buttons: list = field(default_factory=list)
    criterion: str | None = None
    preface: list = field(default_factory=list)  # messages to show before the question


@dataclass
class Reply:
    messages: list = field(default_factory=list)
    reasked: bool = False
    changed: bool = False


class Screening:
    def __init__(self, trial: Trial, state: dict, today: date | None = None):
        self.trial, self.state = trial, state
        self.today = today or date.today()

    # ------------------------------------------------------------------ state
    @staticmethod
    def new_state(trial: Trial, conversation_id: str, role: str, consented: bool = True) -> dict:
        return {
            "v": 1,
            "screening_id": uuid.uuid4().hex,
            "conversation_id": conversation_id,
            "trial_id": trial.id,
            "role": role,
            "consented": consented,
            "started_at": _now(),
            "completed_at": None,
            "phase": "criteria" if consented else "declined",
            "facts": {},
            "answered": [],
            "attempts": {},
            "asked_text": {},
            "current": None,
            "verdicts": {},
            "flags": {},
            "knocked_out": None,
            "contact": {
                "consented": None,
                "name": None,
                "phone": None,
                "email": None,
                "preferred_time": None,
                "callback_requested": False,
            },
        }

    @property
    def role(self) -> str:
        return self.state.get("role") or "patient"

    @property
    def phase(self) -> str:
        return self.state["phase"]

    def _say(self, name: str, **values) -> str:
        return render(name, self.trial, self.role, **values)

    # --------------------------------------------------------------- scoring
    def _lookup(self, path: str):
        return conditions.resolve(path, self.state["facts"], self.state["flags"])

    def _context(self) -> Context:
        return Context(self.state["facts"], self.state["flags"], self.role, self.today)

    def _step_done(self, step: Step) -> bool:
        facts = self.state["facts"]
        if step.id in self.state["answered"]:
            return True
        if step.expects:
            return all(analyte in facts for analyte in step.expects)
        return any(fact in facts for fact in step.parse)

    def _askable(self, step: Step) -> bool:
        if self.role not in step.roles or self._step_done(step):
            return False
        return step.ask_if is None or conditions.holds(step.ask_if, self._lookup, self.role)

    def _advance(self) -> Step | None:
        """Re-score in asking order; return the next question's step, or None when done."""
        self.state["flags"] = {"answered": {step_id: True for step_id in self.state["answered"]}}
        verdicts: dict = {}
        knocked_out, next_step = None, None
        # Every criterion is scored each turn (cheap), so a knock-out already
        # settled by a pasted summary ends the questions at once.
        for criterion in self.trial.criteria:
            result = evaluate(criterion.rule, self._context())
            self.state["flags"].update(result.flags)
            step = next((self.trial.steps[s] for s in criterion.steps if self._askable(self.trial.steps[s])), None)
            if result.verdict == FAIL:
                verdicts[criterion.id] = _as_dict(result)
                knocked_out = knocked_out or criterion.id
            elif step is None:
                verdicts[criterion.id] = _as_dict(result)
            elif next_step is None:
                next_step = step
        self.state["verdicts"], self.state["knocked_out"] = verdicts, knocked_out
        return None if knocked_out else next_step

    # ---------------------------------------------------------------- asking
    def next_question(self) -> Question | None:
        """The next thing to ask, or None when the screening has ended."""
        if self.phase == "criteria":
            summary = self.trial.steps.get(SUMMARY_STEP)
            if summary is not None and self._askable(summary):
                return self._question(summary)
            step = self._advance()
            if step is not None:
                return self._question(step)
            self.state["completed_at"] = self.state["completed_at"] or _now()
            wants_contact = (
                self.outcome in (LIKELY_ELIGIBLE, NEEDS_REVIEW) or self.state["contact"]["callback_requested"]
            )
            self.state["phase"] = "contact" if wants_contact else "done"
        if self.phase == "contact":
            step_id = self._next_contact_step()
            if step_id is not None:
                preface = [self.outcome_message()] if step_id == CONTACT_STEPS[0] else []
                text = self._say("ask_" + step_id)
                buttons = choices("yes_no_buttons") if step_id == CONTACT_STEPS[0] else []
                self.state["current"] = step_id
                self.state["asked_text"][step_id] = text
                return Question(step_id, text, buttons, None, preface)
            self.state["phase"] = "done"
        self.state["current"] = None
        return None

    def _question(self, step: Step) -> Question:
        text = step.question_for(self.role)
        if self.role != "physician" and step.id != SUMMARY_STEP:
            number = len([s for s in self.state["answered"] if s not in CONTACT_STEPS]) + 1
            total = max(number, number + self._remaining_estimate() - 1)
            text = self._say("progress", number=number, total=total) + " " + text
        self.state["current"] = step.id
        self.state["asked_text"][step.id] = step.question_for(self.role)
        criterion = self.trial.criterion_of_step.get(step.id)
        return Question(step.id, text, list(step.buttons), criterion)

    def _remaining_estimate(self) -> int:
        decided = set(self.state["verdicts"])
        count = 0
        for criterion in self.trial.criteria:
            if criterion.id in decided:
                continue
            for step_id in criterion.steps:
                step = self.trial.steps[step_id]
                if step.ask_if is None and self.role in step.roles and not self._step_done(step):
                    count += 1
        return count

    def _next_contact_step(self) -> str | None:
        contact = self.state["contact"]
        if contact["consented"] is None:
            return "contact_consent"
        if not contact["consented"]:
            return None
        if not contact["name"] and "contact_name" not in self.state["answered"]:
            return "contact_name"
        if not (contact["phone"] or contact["email"]) and "contact_method" not in self.state["answered"]:
            return "contact_method"
        if not contact["preferred_time"] and "contact_time" not in self.state["answered"]:
            return "contact_time"
        return None

    def current_step(self) -> str | None:
        if self.state.get("current") is None and self.phase in ("criteria", "contact"):
            self.next_question()
        return self.state.get("current")

    # -------------------------------------------------------------- answering
    def answer(self, text: str) -> Reply:
        text = clip(text)
        step_id = self.current_step()
        if step_id is None:
            return Reply()
        if step_id in CONTACT_STEPS:
            return self._answer_contact(step_id, text)
        step = self.trial.steps[step_id]
        results = self._parse(step, text)
        clear = {fact: parsed for fact, parsed in results.items() if not parsed.unclear}
        reply = Reply()
        if step.id == SUMMARY_STEP:
            self._store(step, clear, text)
            self._keep_unreadable_values(step, results, text)
            self._mark_answered(step.id)
            if clear:
                reply.messages.append(
                    self._say("summary_taken", items=", ".join(_describe(f, p) for f, p in clear.items()))
                )
            elif not _SKIP.match(text):
                reply.messages.append(self._say("summary_empty"))
            return reply
        if clear or (step.expects and _NOT_AVAILABLE.search(text)):
            self._store(step, clear, text)
            self._keep_unreadable_values(step, results, text)
        else:
            attempts = self.state["attempts"].get(step.id, 0) + 1
            self.state["attempts"][step.id] = attempts
            if attempts < 2:
                return Reply([self._say("reask", hint=step.hint, example=step.example)], reasked=True)
            if not self._keep_unreadable_values(step, results, text):
                self._store_unclear(step, text, results.get(step.primary_fact))
            reply.messages.append(self._say("recorded_unclear"))
        self._mark_answered(step.id)
        self._check_guardian()
        self._rescore()
        return reply

    def _rescore(self) -> None:
        """Keep verdicts current after every change, so a stop right now reports them."""
        if self.phase in ("criteria", "stopped"):
            self._advance()

    def understands(self, text: str) -> bool:
        """Whether the text is a clear answer to the current question (used to rescue misclassified answers)."""
        step_id = self.current_step()
        if step_id is None:
            return False
        if step_id in CONTACT_STEPS:
            return self.answering_contact() and not self._contact_parse(step_id, clip(text)).unclear
        results = self._parse(self.trial.steps[step_id], clip(text))
        return any(not parsed.unclear and parsed.confidence >= 0.8 for parsed in results.values())

    def answering_contact(self) -> bool:
        """Names, e-mail addresses and times confuse intent classifiers; callers give them to answer()."""
        return self.current_step() in CONTACT_STEPS

    def _contact_parse(self, step_id: str, text: str) -> Parsed:
        if step_id == "contact_consent":
            return parse_yes_no(text, self.today)
        if step_id == "contact_name":
            # Only something that looks like a name, not a question or a remark.
            if "?" in text or _NOT_A_NAME.match(text):
                return Parsed("unclear", note="not a name")
            return parse_name(text)
        if step_id == "contact_method":
            phone = parse_phone(text)
            return phone if not phone.unclear else parse_email(text)
        when = parse_preferred_time(text)
        return when if when.extra.get("slots") else Parsed("unclear", note="no time recognised")

    def _parse(self, step: Step, text: str) -> dict:
        results = {}
        for fact, parser in step.parse.items():
            try:
                parsed = _run_parser(parser, text, self.today, step, self.trial)
            except Exception as error:  # noqa: BLE001 - a parser bug must never lose the answer
                parsed = Parsed("unclear", note=f"parser error: {type(error).__name__}")
            if isinstance(parsed, dict):
                results.update(parsed)
            else:
                results[fact] = parsed
        return results

    def _store(self, step: Step, parsed: dict, text: str, source: str = "answer") -> None:
        for fact, value in parsed.items():
            self.state["facts"][fact] = _fact_record(
                value, text if source == "answer" and step.id != SUMMARY_STEP else (value.span or text), step.id, source
            )
        primary = parsed.get(step.primary_fact)
        fills = step.fills_when
        if fills and primary is not None and primary.value == fills["answer"] and primary.confidence >= 0.8:
            for fact, value in fills["facts"].items():
                if fact not in self.state["facts"]:
                    record = _fact_record(
                        Parsed("checklist", value, primary.span, primary.confidence), text, step.id, "checklist"
                    )
                    self.state["facts"][fact] = record

    def _store_unclear(self, step: Step, text: str, parsed: Parsed | None) -> None:
        """An answer not understood, kept where the criterion's rule reads it.

        A lab step's primary fact is only the step's name: its analytes are
        what the rules read, so the answer is kept under each analyte the
        step asks for and nobody has given yet (issue 11: a typed value is
        never lost).
        """
        names = [a for a in step.expects if a not in self.state["facts"]] or [step.primary_fact]
        for name in names:
            record = _fact_record(parsed or Parsed("unclear"), text, step.id, "answer")
            record["unclear"] = True
            self.state["facts"][name] = record

    def _keep_unreadable_values(self, step: Step, results: dict, text: str) -> bool:
        """Keep the values a parser found but could not read ("Hb 9 g/L", a QTc by
        Bazett) as not-understood facts, so their criterion goes to review
        with the person's words instead of silently staying pending. A clear
        value already known is not replaced. Returns whether any was kept."""
        kept = False
        for fact, parsed in results.items():
            if not (parsed.unclear and parsed.extra.get("mentioned")):
                continue
            known = self.state["facts"].get(fact)
            if known is not None and not known.get("unclear"):
                continue
            answer = text if step.id != SUMMARY_STEP else (parsed.span or text)
            self.state["facts"][fact] = _fact_record(parsed, answer, step.id, "answer")
            kept = True
        return kept

    def _mark_answered(self, step_id: str) -> None:
        if step_id not in self.state["answered"]:
            self.state["answered"].append(step_id)
        self.state["current"] = None

    def _check_guardian(self) -> None:
        record = self.state["facts"].get(GUARDIAN_FACT)
        if record is None:
            return
        if record.get("unclear") or record.get("value") != "yes":
            self.decline()

    def decline(self) -> None:
        """No (valid) consent: forget every health answer."""
        self.state.update(
            phase="declined",
            consented=False,
            facts={},
            verdicts={},
            flags={},
            current=None,
            answered=[],
            knocked_out=None,
        )

    def _answer_contact(self, step_id: str, text: str) -> Reply:
        contact = self.state["contact"]
        if step_id == "contact_consent":
            answer = parse_yes_no(text, self.today)
            if answer.unclear:
                return self._contact_reask(step_id, "Please answer yes or no.")
            contact["consented"] = answer.value == "yes" and answer.confidence >= 0.5
        elif step_id == "contact_name":
            name = parse_name(text)
            if name.unclear:
                return self._contact_reask(step_id, "Just the name is fine, for example \"Li Wei\".")
            contact["name"] = name.value
        elif step_id == "contact_method":
            phone, email = parse_phone(text), parse_email(text)
            if phone.unclear and email.unclear:
                return self._contact_reask(step_id, self._say("contact_method_hint"))
            contact["phone"] = None if phone.unclear else phone.value
            contact["email"] = None if email.unclear else email.value
        elif step_id == "contact_time":
            when = parse_preferred_time(text)
            contact["preferred_time"] = None if when.unclear else when.value
        self._mark_answered(step_id)
        return Reply()

    def _contact_reask(self, step_id: str, hint: str) -> Reply:
        attempts = self.state["attempts"].get(step_id, 0) + 1
        self.state["attempts"][step_id] = attempts
        if attempts < 2:
            return Reply([f"Sorry, I didn't catch that. {hint}"], reasked=True)
        self._mark_answered(step_id)  # never loop: staff still have the transcript
        return Reply()

    # ------------------------------------------------------------ corrections
    def correct(self, text: str) -> Reply:
        """Change an earlier answer: a recognisable fact, or else the last answer given."""
        text = clip(text)
        cleaned = _CORRECTION_WORDS.sub("", _NOT_VALUE.sub(" ", text)).strip(" ,.")
        facts = self.state["facts"]
        found = {
            fact: parsed
            for fact, parsed in extract_summary(cleaned, self.today, self.trial.summary).items()
            if fact in facts
        }
        if "age" in facts and "age" not in found:
            age = PARSERS["age"](cleaned, self.today)
            if not age.unclear and re.search(r"\b(i'?m|i am|age|aged|years?|old|he'?s|she'?s|is)\b", cleaned, re.I):
                found["age"] = age
        step = None
        if not found:
            step = self._last_answered_step()
            if step is not None:
                found = {f: p for f, p in self._parse(step, cleaned).items() if not p.unclear}
        changes = []
        for fact, parsed in found.items():
            old = facts.get(fact)
            if old is not None and old.get("value") == parsed.value and not old.get("unclear"):
                continue
            changes.append(f"{_describe(fact, parsed)}" + (f" (was {_shown(old)})" if old else ""))
            owner = step.id if step else (old or {}).get("step", "correction")
            facts[fact] = _fact_record(parsed, text, owner, "correction")
        if not changes:
            return Reply([self._say("correction_none")])
        if self.phase in ("contact", "done"):
            self.state["phase"] = "criteria"
            self.state["completed_at"] = None
        self.state["current"] = None
        self._rescore()
        return Reply([self._say("correction_done", changes="; ".join(changes))], changed=True)

    def _last_answered_step(self) -> Step | None:
        for step_id in reversed(self.state["answered"]):
            if step_id in self.trial.steps and step_id != SUMMARY_STEP:
                return self.trial.steps[step_id]
        return None

    # -------------------------------------------------------------- endings
    def stop(self) -> None:
        if self.phase in ("criteria", "contact"):
            self.state["phase"] = "stopped"
        self.state["current"] = None

    def request_callback(self) -> None:
        self.state["contact"]["callback_requested"] = True

    @property
    def finished(self) -> bool:
        """All criteria scored (or a knock-out), whatever happens with the contact details."""
        return self.state.get("completed_at") is not None

    @property
    def outcome(self) -> str:
        if not self.state.get("consented") or self.phase == "declined":
            return DECLINED
        verdicts = {cid: v["verdict"] for cid, v in self.state["verdicts"].items()}
        return compute_outcome(verdicts, consented=True, finished=self.finished)

    def outcome_message(self) -> str:
        outcome = self.outcome
        if outcome == "not_eligible":
            criterion = self.trial.criterion(self.state["knocked_out"]) if self.state["knocked_out"] else None
            plain = criterion.plain if criterion else "all of its entry requirements to be met"
            return self._say("knockout", plain=plain)
        if outcome == LIKELY_ELIGIBLE:
            pending = [
                self.trial.criterion(c).plain for c, v in self.state["verdicts"].items() if v["verdict"] == PENDING
            ]
            return self._say("outcome_likely_eligible", pending=_join(pending[:4]) or "blood tests and scans")
        if outcome == NEEDS_REVIEW:
            review = [
                self.trial.criterion(c).plain for c, v in self.state["verdicts"].items() if v["verdict"] == UNCERTAIN
            ]
            return self._say("outcome_needs_review", review=_join(review[:4]))
        return self._say("outcome_incomplete")

    def closing_messages(self) -> list:
        """What to say when the screening ends (after any contact questions)."""
        messages = []
        contact = self.state["contact"]
        if self.phase == "declined":
            return [self._say("guardian_declined")]
        if contact["consented"] is None:
            messages.append(self.outcome_message())
        elif contact["consented"]:
            when = f"({contact['preferred_time']})" if contact.get("preferred_time") else "soon"
            messages.append(self._say("contact_thanks", when=when))
        else:
            messages.append(self._say("contact_declined"))
        if self.role == "physician":
            messages.append(self._say("physician_table_header") + "\n" + self.criteria_table())
        return messages

    def criteria_table(self) -> str:
        lines = []
        for criterion in self.trial.criteria:
            verdict = self.state["verdicts"].get(criterion.id, {"verdict": NOT_ASKED, "reason": ""})
            reason = f": {verdict['reason']}" if verdict.get("reason") else ""
            lines.append(f"- {criterion.id} ({criterion.source_ref}) {verdict['verdict'].upper()}{reason}")
        return "\n".join(lines)

    # --------------------------------------------------------------- record
    def record(self, transcript: Iterable[dict] | None = None) -> dict:
        """The screening as the lead store saves it (DESIGN.md export shape and more)."""
        declined = self.outcome == DECLINED
        criteria, review, pending = {}, [], []
        if not declined:
            for criterion in self.trial.criteria:
                entry = self._criterion_entry(criterion)
                criteria[criterion.id] = entry
                if entry["verdict"] == UNCERTAIN:
                    review.append(
                        {
                            "criterion": criterion.id,
                            "question": entry["question"] or "",
                            "answer": entry["answer"] or "",
                            "reason": entry["reason"],
                            "status": "open",
                        }
                    )
                elif entry["verdict"] == PENDING:
                    pending.append(criterion.id)
        contact = dict(self.state["contact"])
        if not contact.get("consented"):
            contact = {
                "consented": contact.get("consented"),
                "callback_requested": contact.get("callback_requested", False),
            }
        return {
            "screening_id": self.state["screening_id"],
            "conversation_id": self.state["conversation_id"],
            "trial_id": self.state["trial_id"],
            "role": self.state.get("role"),
            "outcome": self.outcome,
            "started_at": self.state["started_at"],
            "completed_at": None if declined else self.state.get("completed_at"),
            "contact": None if declined else contact,
            "criteria": criteria,
            "review_items": review,
            "pending": pending,
            "transcript": [] if declined else list(transcript or []),
        }

    def _criterion_entry(self, criterion: Criterion) -> dict:
        verdict = self.state["verdicts"].get(criterion.id)
        names = self._facts_of(criterion)
        records = {name: self.state["facts"][name] for name in names if name in self.state["facts"]}
        questions = [self.state["asked_text"][s] for s in criterion.steps if s in self.state["asked_text"]]
        answers = list(dict.fromkeys(r.get("answer") or "" for r in records.values()))
        confidences = [r.get("confidence") for r in records.values() if r.get("confidence") is not None]
        values = {name: r.get("value") for name, r in records.items()}
        if len(values) == 1:
            values = next(iter(values.values()))
        return {
            "verdict": verdict["verdict"] if verdict else NOT_ASKED,
            "reason": verdict["reason"] if verdict else "the conversation ended before this",
            "question": " / ".join(questions) or None,
            "answer": " | ".join(a for a in answers if a) or None,
            "value": values or None,
            "confidence": min(confidences) if confidences else None,
        }

    def _facts_of(self, criterion: Criterion) -> list:
        names = []
        for step_id in criterion.steps:
            step = self.trial.steps[step_id]
            names.extend(step.parse)
            names.extend(step.expects)
        names.extend(_rule_facts(criterion.rule))
        return [n for n in dict.fromkeys(names) if n in self.state["facts"]]


def _run_parser(name: str, text: str, today: date, step: Step, trial: Trial):
    """A parser of the trial file. Lab parsers also get the analytes the step asks
    for, so a bare value ("0.9 mg/dL" when asked for creatinine) is read; the
    summary parser gets the trial's mapping of findings onto its facts."""
    parser = PARSERS[name]
    if getattr(parser, "reads_expected", False):
        return parser(text, today, expects=step.expects)
    if getattr(parser, "reads_summary_mapping", False):
        return parser(text, today, mapping=trial.summary)
    return parser(text, today)


def _rule_facts(rule) -> list:
    found = []
    if isinstance(rule, dict):
        for key, value in rule.items():
            if key in RULE_FACT_KEYS and isinstance(value, str):
                found.append(value)
            elif key in ("analytes", "analytes_normal") and isinstance(value, list):
                found.extend(value)
            elif key == "facts" and isinstance(value, dict):
                found.extend(value)
            else:
                found.extend(_rule_facts(value))
    elif isinstance(rule, list):
        for item in rule:
            found.extend(_rule_facts(item))
    return found


def _fact_record(parsed: Parsed, answer: str, step_id: str, source: str) -> dict:
    return {
        "value": parsed.value,
        "answer": answer,
        "span": parsed.span,
        "confidence": parsed.confidence,
        "note": parsed.note,
        "unclear": parsed.unclear,
        "step": step_id,
        "source": source,
        "at": _now(),
    }


def _as_dict(evaluation: Evaluation) -> dict:
    reason = evaluation.reason
    return {
        "verdict": evaluation.verdict,
        "reason": reason.text("en"),
        "reason_key": reason.key,
        "reason_params": reason.params,
    }


def _shown(record: dict) -> str:
    value = record.get("value")
    if isinstance(value, dict):
        value = value.get("value", value.get("answer", record.get("span")))
    return str(value if value is not None else record.get("answer", ""))[:60]


def _describe(fact: str, parsed: Parsed) -> str:
    value = parsed.value
    if isinstance(value, dict):
        value = value.get("value") if "value" in value else (parsed.span or value.get("answer"))
    return f"{fact.replace('_', ' ')} {value}"


def _join(items: list) -> str:
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
