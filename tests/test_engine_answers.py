"""The screening core's handling of answers for issue 11: a typed value is never lost,
a bare value at a lab step is read for that test, the 24-hour urine follow-up
fires, and summaries map onto the trial's own facts."""

from datetime import date

from bot.screening import ScreeningState, apply_answer, plan, settle
from bot.trial import get_trial

TODAY = date(2026, 11, 25)


class Screening:
    """A screening held in a test: ``state`` (its facts as a dict view), answers at a step."""

    def __init__(self, role):
        self.trial = get_trial()
        self.screening = ScreeningState.new(self.trial.id, "t", role)
        settle(self.trial, self.screening, TODAY)

    @property
    def state(self):
        return {"facts": self.screening.facts}

    def answer(self, text):
        applied = apply_answer(self.trial, self.screening, text, TODAY)
        self.screening = applied.state
        settle(self.trial, self.screening, TODAY)
        return applied

    def next_question(self):
        return plan(self.trial, self.screening)


def screening(role="physician"):
    return Screening(role)


def answer_at(s, step_id, text):
    for _ in range(2):
        s.screening.current = step_id
        if not s.answer(text).reasked:
            return


def test_an_unreadable_lab_value_is_kept_where_the_rule_reads_it():
    s = screening()
    answer_at(s, "lab_panel", "ANC 2.0, PLT 150, Hb 9 g/L")
    hb = s.state["facts"]["hb"]
    assert hb["unclear"] and "implausible" in hb["note"] and hb["answer"].startswith("ANC 2.0")
    assert s.state["facts"]["anc"]["value"]["value"] == 2.0


def test_an_answer_not_understood_at_a_lab_step_is_kept_under_its_analytes():
    s = screening()
    answer_at(s, "renal_labs", "see the attached letter")
    assert s.state["facts"]["creatinine"]["unclear"]
    assert "renal_labs" not in s.state["facts"]


def test_a_bare_value_is_read_for_the_test_the_step_asks_for():
    s = screening()
    answer_at(s, "coagulation_labs", "1.7")
    assert s.state["facts"]["inr"]["value"]["value"] == 1.7


def test_the_24_hour_urine_follow_up_is_asked_after_2_plus():
    s = screening()
    s.screening.answered = [step for step in get_trial().steps if step not in ("urine_labs", "urine_24h")]
    answer_at(s, "urine_labs", "2+")
    assert s.next_question().step_id == "urine_24h"


def test_a_summary_fills_the_facts_its_trial_names_and_keeps_unreadable_labs():
    s = screening()
    s.next_question()  # the summary step
    s.answer("62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, Hb 9 g/L, PLT 210")
    facts = s.state["facts"]
    assert facts["age"]["value"] == 62 and facts["prior_tki"]["value"]["progression"] is True
    assert facts["hb"]["unclear"] and facts["plt"]["value"]["value"] == 210


def test_the_study_drug_in_a_summary_is_not_a_prior_tki():
    from bot.parsing.summary import extract_summary

    found = extract_summary("55F, LMS lung mets, referred for lenvatinib", TODAY, get_trial().summary)
    assert "prior_tki" not in found
