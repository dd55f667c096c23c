"""One turn of the conversation: the person's message in, the replies and the new state out.

``handle`` is the whole dialogue policy, framework-free: the Rasa adapter
(actions/turn.py) calls it once per message with whatever the NLU made of
it, saves what it returns once, and sends the replies. Nothing destructive
happens on a guess: delete, stop and start over wait for an explicit yes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from bot.describe import describe
from bot.dialogue import endings
from bot.dialogue.answers_help import asks_medical_advice, faq_answer, find_faq, find_term
from bot.dialogue.conversation import (
    CONSENT,
    CONTACT,
    ENDED,
    ROLE,
    ROLE_CHECK,
    SCREENING,
    START,
    Conversation,
)
from bot.dialogue.message import Effects, Message, Reply
from bot.dialogue.understanding import (
    ANSWER,
    BOT,
    CORRECT,
    DELETE,
    EXPLAIN,
    GOODBYE,
    GREET,
    HANDOFF,
    LANGUAGE,
    QUESTION,
    RESTART,
    STOP,
    THANK,
    TOLD_YOU,
    WHY,
    Act,
    classify,
    is_question,
    leaning,
    matched,
    script_language,
    whole,
)
from bot.limits import clip
from bot.messages import choices, render
from bot.parsing.types import Parsed
from bot.parsing.yes_no import parse_yes_no
from bot.roles import patient_sex, read_role, says_parent
from bot.screening.answers import (
    SUMMARY_STEP,
    apply_answer,
    clear_facts,
    guardian_refused,
    parse_step,
    run_parser,
    understands,
)
from bot.screening.contact import CONSENT as CONTACT_CONSENT
from bot.screening.contact import apply_contact, consent_answer, read_details
from bot.screening.corrections import apply_correction, says_correction
from bot.screening.groups import apply_group
from bot.screening.plan import Question, current_contact_step, plan
from bot.screening.say import Say
from bot.screening.scoring import settle
from bot.screening.state import CONTACT as CONTACT_PHASE
from bot.screening.state import CRITERIA, DECLINED, DONE, STOPPED, ScreeningState, fact_record
from bot.trial import Trial

# A message read before consent with at least this many facts is a case summary.
MIN_FACTS_FOR_A_SUMMARY = 3


@dataclass
class Turn:
    conversation: Conversation
    replies: list
    effects: Effects


def handle(
    conversation: Conversation | None,
    message: Message,
    *,
    trial: Trial,
    today: date,
    conversation_id: str,
) -> Turn:
    """Take one message; return the new conversation, the replies and what the host must do."""
    if conversation is None:
        conversation = _new_conversation(trial, conversation_id, message.language)
    builder = _Turn(trial, today, conversation.copy(), replace(message, text=clip(message.text)))
    builder.run()
    return Turn(builder.conv, builder.replies, builder.effects)


def _new_conversation(trial: Trial, conversation_id: str, language: str | None) -> Conversation:
    """A new conversation in a language the trial is written in (``languages`` of its file)."""
    conversation = Conversation.new(conversation_id, trial.id, language if language in trial.languages else None)
    if conversation.language not in trial.languages:
        conversation.language = trial.languages[0]
    return conversation


def opening(trial: Trial, conversation_id: str, language: str | None = None) -> Turn:
    """What the assistant says before the person types anything (the chat page's first screen)."""
    conv = _new_conversation(trial, conversation_id, language)
    builder = _Turn(trial, date.today(), conv, Message(""))
    builder.say("intro")
    builder.ask_role()
    conv.stage = ROLE
    return Turn(conv, builder.replies, builder.effects)


class _Turn:
    def __init__(self, trial: Trial, today: date, conv: Conversation, message: Message):
        self.trial, self.today, self.conv, self.message = trial, today, conv, message
        self.text = message.text
        self.replies: list[Reply] = []
        self.effects = Effects()
        self.asked = False  # a question was put this turn: no need to repeat it

    # ------------------------------------------------------------- speaking
    @property
    def language(self) -> str:
        return self.conv.language

    @property
    def role(self) -> str:
        return self.conv.role or "patient"

    @property
    def screening(self) -> ScreeningState | None:
        return self.conv.screening

    def say(self, key: str, buttons: str | None = None, **values) -> None:
        text = render(key, self.trial, self.role, self.language, **values)
        labels = tuple(choices(buttons, self.language)) if buttons else ()
        self.replies.append(Reply(text, labels))

    def said(self, items: list[Say]) -> None:
        for item in items:
            self.say(item.key, **item.values)

    def text_reply(self, text: str) -> None:
        self.replies.append(Reply(text))

    # ------------------------------------------------------------- the turn
    def run(self) -> None:
        self._settle_language()
        if self.conv.confirm:
            self._on_confirmation()
            return
        handler = {
            START: self._on_start,
            ROLE: self._on_role,
            ROLE_CHECK: self._on_role_check,
            CONSENT: self._on_consent,
            SCREENING: self._on_screening,
            CONTACT: self._on_screening,
            ENDED: self._on_ended,
        }[self.conv.stage]
        handler()
        if self.conv.stage not in (ENDED,) and self.text.strip():
            self.conv.remember(self.text)

    def _settle_language(self) -> None:
        # Only a language the trial file is written in: an English-only trial does not
        # answer a Chinese message half in Chinese, half in its English questions.
        requested = self.message.language if self.message.language in self.trial.languages else None
        if requested and requested != self.conv.language:
            self.conv.language, self.conv.language_fixed = requested, True
        elif not self.conv.language_fixed:
            detected = script_language(self.text)
            if detected in self.trial.languages:
                self.conv.language, self.conv.language_fixed = detected, True
            elif detected:  # once, in the person's language: why the answers come in another
                self.conv.language_fixed = True
                self.text_reply(render("language_unavailable", self.trial, self.role, detected))
        if self.screening is not None:
            self.screening.language = self.conv.language

    # ------------------------------------------------------------- opening
    def ask_role(self, key: str = "ask_role") -> None:
        self.say(key, buttons="role_buttons")
        self.asked = True

    def _on_start(self) -> None:
        self.say("intro")
        self.conv.stage = ROLE
        if self._take_role(quiet=True):
            return
        act = classify(self.message, answers_question=False)
        if act.kind == HANDOFF:
            self.say("handoff_before_consent")
        elif is_question(self.text):
            self._answer_question(fallback=False)
        self.ask_role()

    def _on_role(self) -> None:
        act = classify(self.message, answers_question=read_role(self.text).role is not None)
        if act.kind == LANGUAGE:
            self._switch_language(act.detail)
            self.ask_role()
            return
        if act.kind in (DELETE, STOP, RESTART) and self.screening is None:
            self.say("stopped_nothing_saved")
            self._end("stopped")
            return
        if self._take_role():
            return
        if act.kind in (QUESTION, WHY, EXPLAIN, HANDOFF, BOT) or is_question(self.text):
            self._interruption(act)
            self.ask_role()
            return
        if act.kind in (GREET, THANK):
            self.ask_role()
            return
        self.ask_role("role_unclear")

    def _take_role(self, quiet: bool = False) -> bool:
        """A role stated (settled) or suggested (to confirm); False when the text names none."""
        reading = read_role(self.text, self.message.entity("role"))
        if reading.role is None:
            return False
        if reading.explicit:
            self.conv.role, self.conv.proposed_role = reading.role, None
            self._ask_consent()
            return True
        self.conv.proposed_role = reading.role
        self.conv.stage = ROLE_CHECK
        self.say("confirm_role_" + reading.role, buttons="yes_no_buttons")
        return True

    def _on_role_check(self) -> None:
        reading = read_role(self.text, self.message.entity("role"))
        if reading.role is not None and reading.explicit:
            self.conv.role, self.conv.proposed_role = reading.role, None
            self._ask_consent()
            return
        answer = parse_yes_no(self.text)
        if not answer.unclear and answer.value == "yes":
            self.conv.role, self.conv.proposed_role = self.conv.proposed_role, None
            self._ask_consent()
            return
        self.conv.proposed_role = None
        self.conv.stage = ROLE
        if not answer.unclear and answer.value == "no":
            self.ask_role()
            return
        self._on_role()

    def _ask_consent(self) -> None:
        self.conv.stage = CONSENT
        self.say("ask_consent", buttons="consent_buttons")
        self.asked = True

    def _on_consent(self) -> None:
        reading = read_role(self.text)
        if reading.explicit and reading.role != self.conv.role:
            self.conv.role = reading.role  # "actually I'm her mother": the consent wording changes
            self.say("role_changed")
            self._ask_consent()
            return
        # "我是他妈妈" / "我是患者本人" say who answers: their 是 is not a yes to consent
        agreed = self._consent_answer(plain_yes_no=not reading.explicit)
        if agreed is True:
            self._start_screening()
            return
        if agreed is False:
            self._decline()
            return
        act = classify(self.message, answers_question=False)
        if act.kind == LANGUAGE:
            self._switch_language(act.detail)
        elif act.kind in (DELETE, STOP, RESTART):
            self.say("stopped_nothing_saved")
            self._end("stopped")
            return
        elif not self._answer_question(fallback=False):
            self.say("consent_explained")
        self._ask_consent()

    def _consent_answer(self, plain_yes_no: bool = True) -> bool | None:
        """True or False for a clear agreement or refusal; None otherwise. A bare
        yes/no counts only when plain_yes_no (consent words always count)."""
        if is_question(self.text):
            return None  # "is it ok that I answer for him?" asks; it does not agree
        if whole(self.text, "consent_yes") or leaning(self.text, "consent_yes", "consent_no") is True:
            return True
        if whole(self.text, "consent_no") or leaning(self.text, "consent_yes", "consent_no") is False:
            return False
        if not plain_yes_no:
            return None
        answer = parse_yes_no(self.text)
        if not answer.unclear and answer.confidence >= 0.8 and answer.value in ("yes", "no"):
            return answer.value == "yes"
        return None

    def _start_screening(self) -> None:
        state = ScreeningState.new(self.trial.id, self.conv.conversation_id, self.role, language=self.language)
        state, summary = self._summary_said_before(state)
        known = [] if summary else self._already_said(state)
        self.conv.screening = state
        self.conv.stage = SCREENING
        self.say("consent_thanks")
        if summary:
            self.said(summary)
        elif known:
            self.say("noted_earlier", facts=known)
        self._after_change()

    def _summary_said_before(self, state: ScreeningState) -> tuple[ScreeningState, list]:
        """A doctor who pasted the case summary before consent ("男，55岁，UPS伴肺转移，…"):
        it answers the summary question now, instead of being asked for again."""
        step = self.trial.steps.get(SUMMARY_STEP)
        if step is None or self.role not in step.roles:
            return state, []
        for text in reversed(self.conv.remembered):
            found = clear_facts(run_parser("summary", text, self.today, trial=self.trial))
            if len(found) >= MIN_FACTS_FOR_A_SUMMARY:
                state.current = step.id
                applied = apply_answer(self.trial, state, text, self.today)
                return applied.state, applied.said
        return state, []

    def _already_said(self, state: ScreeningState) -> list[dict]:
        """Age and sex the person stated before consent ("my 15-year-old son"): not asked again
        (only where the trial asks for them: a trial without a sex question keeps no sex)."""
        noted = []
        for text in reversed(self.conv.remembered):
            if "age" not in state.facts and self.trial.asks_for("age"):
                age = run_parser("summary", text, self.today, trial=self.trial).get("age")
                if age is not None and not age.unclear:
                    state.facts["age"] = fact_record(age, text, "age", "earlier message")
                    shown = age.value if isinstance(age.value, int) else age.span
                    noted.append({"label": self.trial.fact_label("age"), "text": str(shown)})
            if "sex" not in state.facts and self.trial.asks_for("sex"):
                # Who the patient is ("my son", "I'm her mother"), or the patient's own words.
                sex = patient_sex(text) if self.role == "caregiver" else self._own_sex(text)
                if sex:
                    parsed = Parsed("sex", sex, text, 0.9, "said who the patient is")
                    state.facts["sex"] = fact_record(parsed, text, "sex", "earlier message")
                    noted.append(
                        {
                            "label": self.trial.fact_label("sex"),
                            "text": render("sex_" + sex, self.trial, self.role, self.language),
                        }
                    )
            if (
                "guardian_present" not in state.facts
                and self.role == "caregiver"
                and self.trial.asks_for("guardian_present")
                and says_parent(text)
            ):
                parsed = Parsed("yes_no", "yes", text, 0.9, "said they are the patient's parent")
                state.facts["guardian_present"] = fact_record(parsed, text, "guardian_caregiver", "earlier message")
                noted.append(
                    {
                        "label": self.trial.fact_label("guardian_present"),
                        "text": describe("yes", language=self.language),
                    }
                )
        return noted

    def _own_sex(self, text: str) -> str | None:
        parsed = run_parser("sex", text, self.today, trial=self.trial)
        return parsed.value if not parsed.unclear and parsed.confidence >= 0.9 else None

    def _decline(self) -> None:
        declined = ScreeningState.new(
            self.trial.id, self.conv.conversation_id, self.role, language=self.language, consented=False
        )
        self.conv.screening, self.conv.remembered = declined, []
        self.effects.save = True
        self.say("consent_refused")
        self._end("declined")

    # ------------------------------------------------------------- screening
    def _current_prompt(self) -> str | None:
        """The step the person is answering: a criteria step, a group, or a contact question."""
        state = self.screening
        if state is None:
            return None
        if self.conv.callback_pending or state.phase == CONTACT_PHASE:
            return current_contact_step(state)
        return state.current if state.phase == CRITERIA else None

    def _answers_prompt(self, step_id: str | None) -> bool:
        if step_id is None:
            return False
        if step_id.startswith("contact_"):
            if step_id == CONTACT_CONSENT:
                return consent_answer(self.text, self.trial.phone_region) is not None
            return read_details(self.text, self.trial.phone_region).any
        step = self.trial.steps[step_id]
        if step.group is not None:
            return not is_question(self.text)
        return understands(step, self.text, self.today) or self._is_button(step)

    def _is_button(self, step) -> bool:
        labels = {label.lower() for label in step.buttons_in(self.language)}
        return self.text.strip().lower() in labels

    def _on_screening(self) -> None:
        prompt = self._current_prompt()
        answers = self._answers_prompt(prompt)
        reading = read_role(self.text)
        if reading.explicit and reading.role and reading.role != self.role and not answers:
            self._change_role(reading.role)
            return
        if self._corrects_earlier(prompt, answers):
            return
        act = classify(self.message, answers_question=answers)
        if act.kind == ANSWER and prompt is not None:
            self._take_answer(prompt, self.text)
            return
        self._interruption(act)
        if self.conv.stage in (SCREENING, CONTACT) and not self.conv.confirm and not self.asked:
            self.ask_current(again=True)

    def _corrects_earlier(self, prompt: str | None, answers: bool) -> bool:
        """ "sorry, age is 64 not 46" at another question changes the earlier answer; the
        question now asked is asked again. Only when the message does not answer it
        plainly (or it is a group question, which would take any text)."""
        if prompt is None or not says_correction(self.text) or self.screening is None:
            return False
        step = self.trial.steps.get(prompt)
        if answers and not (step is not None and (step.group is not None or step.id == "summary")):
            return False
        applied = apply_correction(self.trial, self.screening, self.text, self.today)
        if not applied.changed:
            return False
        self.conv.screening = applied.state
        self.said(applied.said)
        self._after_change(again=True)
        return True

    def _take_answer(self, prompt: str, text: str) -> None:
        state = self.screening
        if prompt.startswith("contact_"):
            applied = apply_contact(state, prompt, text, self.trial.phone_region)
        elif self.trial.steps[prompt].group is not None:
            applied = apply_group(self.trial, state, self.trial.steps[prompt], text, self.today)
        else:
            applied = apply_answer(self.trial, state, text, self.today)
        self.conv.screening = applied.state
        self.said(applied.said)
        if applied.reasked:
            self.effects.save = True
            self.ask_current(again=True, hint_given=True)
            return
        if prompt in self.trial.steps and prompt != "summary" and self.trial.steps[prompt].group is None:
            self._more_in_the_same_message(prompt, text)
        self._after_change()

    def _more_in_the_same_message(self, step_id: str, text: str) -> None:
        """ "I'm 50, it's a liposarcoma they can't operate on, I had anlotinib for a year until it
        stopped working": facts the message states beyond its question are kept too (the same
        careful reading as a doctor's pasted summary), and said back so the person can correct them."""
        state = self.screening
        found = run_parser("summary", text, self.today, trial=self.trial)
        noted = []
        for fact, parsed in found.items():
            if parsed.unclear or fact in state.facts or not self._fact_still_asked(fact):
                continue
            state.facts[fact] = fact_record(parsed, text, step_id, "same message")
            noted.append({"label": self.trial.fact_label(fact), "text": parsed.span or str(parsed.value)})
        if noted:
            self.say("also_noted", facts=noted)

    def _fact_still_asked(self, fact: str) -> bool:
        """A fact one of this person's open questions asks for (so keeping it saves a question)."""
        from bot.screening.scoring import open_steps

        flags = self.screening.flags
        return any(fact in step.parse or fact in step.expects for step in open_steps(self.trial, self.screening, flags))

    def _after_change(self, again: bool = False) -> None:
        """Score once, then move on: the next question, contact details, or the end
        (``again``: the question may be the one already asked, worded as a return to it)."""
        state = self.screening
        self.effects.save = True
        if guardian_refused(state):
            self._forget_health_answers()
            return
        if state.phase == CRITERIA:
            settle(self.trial, state, self.today)
        if self.conv.callback_pending and current_contact_step(state) is None:
            self.conv.callback_pending = False
            self.say("callback_noted", when=state.contact.preferred_time)
        if state.phase == CRITERIA:
            self.conv.stage = SCREENING
            self.ask_current(again=again)
        elif state.phase == CONTACT_PHASE:
            if self.conv.stage != CONTACT:
                self.conv.stage = CONTACT
                self.replies.append(Reply(endings.outcome_text(self.trial, state, self.today)))
            if current_contact_step(state) is None:
                self._finish()
            else:
                self.ask_current()
        else:
            self._finish()

    def _forget_health_answers(self) -> None:
        state = self.screening
        state.phase, state.consented, state.facts, state.verdicts = DECLINED, False, {}, {}
        state.answered, state.current = [], None
        self.conv.remembered = []
        self.say("guardian_declined")
        self._end("declined")

    def _finish(self) -> None:
        state = self.screening
        state.phase = DONE
        said = self.conv.stage == CONTACT  # the outcome was told before the contact questions
        for text in endings.closing_texts(self.trial, state, self.today, outcome_said=said):
            self.replies.append(Reply(text))
        self.effects.notify = state.screening_id
        self._end("finished")

    def _end(self, how: str) -> None:
        self.conv.stage, self.conv.ended, self.conv.callback_pending = ENDED, how, False

    def ask_current(self, *, again: bool = False, hint_given: bool = False) -> None:
        state = self.screening
        if state is None:
            return
        if self.conv.callback_pending:
            step_id = current_contact_step(state)
            if step_id is not None:
                self.say(
                    "ask_callback" if step_id == CONTACT_CONSENT else "ask_" + step_id,
                    buttons="contact_buttons" if step_id == CONTACT_CONSENT else None,
                )
                self.asked = True
            return
        question = plan(self.trial, state)
        if question is None:
            return
        self._ask(question, again=again and not hint_given)

    def _ask(self, question: Question, again: bool) -> None:
        state = self.screening
        self.asked = True
        if question.message is not None:
            buttons = question.buttons[0] if question.buttons else None
            self.say(question.message.key, buttons=buttons, **question.message.values)
            return
        text = question.text
        if question.items:
            text = render("group_question", self.trial, self.role, self.language, text=text, items=list(question.items))
        if question.number and not again:
            text = render(
                "progress",
                self.trial,
                self.role,
                self.language,
                number=question.number,
                total=question.total,
                question=text,
            )
        elif again:
            text = render("back_to_question", self.trial, self.role, self.language, question=text)
        state.asked_text[question.step_id] = question.text
        self.replies.append(Reply(text, question.buttons))

    # ------------------------------------------------------------- interruptions
    def _interruption(self, act: Act) -> None:
        kind = act.kind
        if kind in (DELETE, STOP, RESTART):
            self._ask_confirmation(kind)
        elif kind == LANGUAGE:
            self._switch_language(act.detail)
        elif kind == WHY:
            self._why()
        elif kind == EXPLAIN:
            self._explain()
        elif kind == CORRECT:
            self._correct()
        elif kind == HANDOFF:
            self._handoff()
        elif kind == TOLD_YOU:
            self._told_you()
        elif kind == BOT:
            self.say("i_am_a_bot")
        elif kind == GREET:
            self.say("greet_again")
        elif kind == THANK:
            self.say("you_are_welcome")
        elif kind == GOODBYE:
            self.say("goodbye_midway" if self.conv.stage in (SCREENING, CONTACT) else "goodbye")
        elif kind == QUESTION:
            self._answer_question()
        else:
            self.say("not_understood")

    def _ask_confirmation(self, kind: str) -> None:
        if kind == DELETE and self.screening is None and self.conv.stage != ENDED:
            self.say("stopped_nothing_saved")
            self._end("stopped")
            return
        if self.message.confirmed == kind:
            self.conv.confirm = kind  # confirmed on the page already: act now
            self._on_confirmation(confirmed=True)
            return
        self.conv.confirm = kind
        self.say("confirm_" + kind, buttons="confirm_" + kind + "_buttons")

    def _on_confirmation(self, confirmed: bool = False) -> None:
        kind, self.conv.confirm = self.conv.confirm, None
        confirm_labels = [label.lower() for label in choices("confirm_" + kind + "_buttons", self.language)[:1]]
        if not (confirmed or whole(self.text, "confirm_yes") or self.text.strip().lower() in confirm_labels):
            self.say("confirm_cancelled")
            self._resume()
            return
        if kind == DELETE:
            self.effects.erase = True
            self.conv.screening, self.conv.remembered, self.conv.role = None, [], None
            self.say("deleted")
            self._end("deleted")
        elif kind == STOP:
            if self.screening is not None and self.screening.phase in (CRITERIA, CONTACT_PHASE):
                self.screening.phase = STOPPED
                self.effects.save = True
            self.say("stopped")
            self._end("stopped")
        else:
            old = self.screening
            if old is not None and old.phase in (CRITERIA, CONTACT_PHASE):
                old.phase = STOPPED  # the abandoned attempt stays on record as incomplete
                self.effects.save_also = old
            self.conv.stage, self.conv.role, self.conv.remembered = ROLE, None, []
            self.conv.ended, self.conv.screening, self.conv.callback_pending = None, None, False
            self.say("restarted")
            self.ask_role()

    def _resume(self) -> None:
        """Back to whatever was being asked before the interruption."""
        stage = self.conv.stage
        if stage in (SCREENING, CONTACT):
            self.ask_current(again=True)
        elif stage == ROLE:
            self.ask_role()
        elif stage == CONSENT:
            self._ask_consent()
        elif stage == ROLE_CHECK:
            self.say("confirm_role_" + (self.conv.proposed_role or "patient"), buttons="yes_no_buttons")

    def _switch_language(self, language: str | None) -> None:
        if language and language not in self.trial.languages:
            # Said in the language asked for, which the person reads; the screening carries on.
            self.text_reply(render("language_unavailable", self.trial, self.role, language))
            return
        if language and language != self.conv.language:
            self.conv.language, self.conv.language_fixed = language, True
            if self.screening is not None:
                self.screening.language = language
        self.say("language_switched")

    def _change_role(self, role: str) -> None:
        """ "I'm actually her mother": the answers stay, the wording changes."""
        self.conv.role = role
        self.screening.role = role
        self.effects.save = True
        self.say("role_changed")
        if self.screening.phase == CRITERIA:
            settle(self.trial, self.screening, self.today)
        self.ask_current()

    def _why(self) -> None:
        step_id = self._current_prompt()
        if step_id and step_id.startswith("contact_"):
            self.say("why_contact")
            return
        criterion_id = self.trial.criterion_of_step.get(step_id or "")
        if criterion_id is None and step_id in self.trial.steps and self.trial.steps[step_id].group:
            members = (self.screening.group_members.get(step_id) or []) if self.screening else []
            criterion_id = next((self.trial.criterion_of_step.get(m) for m in members), None)
        if criterion_id:
            self.say("why", why=self.trial.criterion(criterion_id).why)
        else:
            self.say("why_general")

    def _explain(self) -> None:
        term = find_term(self.trial, self.text, self.message.entity("term"))
        prompt = self._current_prompt()
        if term is not None:
            self.say("glossary", text=self.trial.glossary_entry(term))
        elif self._answer_question(fallback=False):
            return
        elif prompt in self.trial.steps and self.conv.stage == SCREENING and matched(self.text, "question_unclear"):
            # The question itself is unclear to them: one attempt, asked again with its hint;
            # past the re-ask limit it goes to staff as written (never asked forever).
            self._take_answer(prompt, self.text)
        else:
            self.say("explain_unknown")

    def _answer_question(self, fallback: bool = True) -> bool:
        entry = find_faq(self.trial, self.text)
        if entry is not None:
            self.text_reply(faq_answer(entry, self.language))
            return True
        term = find_term(self.trial, self.text, self.message.entity("term"))
        if term is not None and is_question(self.text):
            self.say("glossary", text=self.trial.glossary_entry(term))
            return True
        if not fallback:
            return False
        self.say("out_of_scope_medical" if asks_medical_advice(self.text) else "out_of_scope")
        return True

    def _correct(self) -> None:
        state = self.screening
        if state is None:
            self.say("correction_none")
            return
        applied = apply_correction(self.trial, state, self.text, self.today)
        prompt = self._current_prompt()
        if not applied.changed and self.conv.stage == SCREENING and prompt is not None:
            # Nothing earlier to change ("I think so, the doctor said it grew", read as a
            # correction): it is an answer to the question asked, never a loop.
            self._take_answer(prompt, self.text)
            return
        self.conv.screening = applied.state
        self.said(applied.said)
        if applied.changed:
            self.effects.save = True
            if self.conv.stage in (ENDED, CONTACT) and applied.state.phase == CRITERIA:
                self.conv.stage = SCREENING
            self._after_change()

    def _handoff(self) -> None:
        state = self.screening
        if state is None:
            self.say("handoff_before_consent")
            return
        state.contact.callback_requested = True
        self.effects.save = True
        if state.contact.consented and (state.contact.reachable or state.contact.name):
            self.say("handoff_known", when=state.contact.preferred_time)
            return
        state.contact.consented = None
        state.attempts = {k: v for k, v in state.attempts.items() if not k.startswith("contact_")}
        self.conv.callback_pending = True
        self.say("handoff")

    def _told_you(self) -> None:
        """ "I told you": the answer in this message ("15, I told you"), else in an earlier one."""
        prompt = self._current_prompt()
        earlier = [t for t in reversed(self.conv.remembered) if t.strip() != self.text.strip()]
        if prompt is not None and not prompt.startswith("contact_") and prompt in self.trial.steps:
            step = self.trial.steps[prompt]
            if step.group is None and clear_facts(parse_step(step, self.text, self.today, self.trial)):
                self._take_answer(prompt, self.text)
                return
            for text in earlier:
                if step.group is None and understands(step, text, self.today):
                    self.say("reusing_earlier", text=text)
                    self._take_answer(prompt, text)
                    return
        self.say("told_you_not_found")

    # ------------------------------------------------------------- after the end
    def _on_ended(self) -> None:
        act = classify(self.message, answers_question=False)
        if act.kind == CORRECT and self.screening is not None and self.conv.ended == "finished":
            self._correct()
            return
        if act.kind in (RESTART, DELETE):
            self._ask_confirmation(act.kind)
            return
        if act.kind == STOP:
            self.say("after_end")
            return
        if act.kind == ANSWER:
            if self.conv.ended in ("deleted", "declined", "stopped") and read_role(self.text).role:
                self.conv.stage, self.conv.ended = ROLE, None
                self._on_role()
                return
            self.say("after_end")
            return
        self._interruption(act)
