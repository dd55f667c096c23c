"""Free-text answers, parsed by bot/parsing and scored by the trial's rules: the
path a real person's words take. Written the way people answer, not the way the
parsers were built; the dangerous direction (an excluding answer that passes)
is covered for every knock-out."""

from datetime import date

import pytest

from bot.check import check_answers
from bot.trial import get_trial

TODAY = date(2026, 11, 25)


def verdict_for(step_id, text, role="patient", known=None):
    """The verdict of the criterion the step belongs to, after answering it (via bot.check)."""
    trial = get_trial()
    answers = [(step, value) for step, value in (known or {}).items()] + [(step_id, text)]
    result = check_answers(answers, role=role, today=TODAY, trial=trial)
    criterion = result["criteria"][trial.criterion_of_step[step_id]]
    return _Verdict(criterion["verdict"], criterion["reason"])


class _Verdict:
    def __init__(self, verdict, reason):
        self.verdict, self.reason = verdict, reason


CASES = [
    ("age", "I'm seventy-five", "fail"),
    ("age", "she turned 12 in may", "pass"),
    ("age", "DOB 1950-02-01", "fail"),
    ("age", "62", "pass"),
    ("age", "I am 200 years old", "uncertain"),
    ("diagnosis", "lung cancer", "fail"),
    ("diagnosis", "they said leiomyosarcoma, inoperable", "pass"),
    ("diagnosis", "I have osteosarcoma", "uncertain"),  # spread / operable not said: the follow-up asks
    ("diagnosis", "not sure", "uncertain"),
    ("diagnosis", "no", "fail"),
    ("diagnosis", "yes", "pass"),
    ("diagnosis", "it's a soft tissue sarcoma in the thigh, spread to the lungs", "pass"),
    ("prior_tki", "no, only chemo", "fail"),
    ("immunosuppressants", "prednisone 20mg daily", "fail"),
    ("other_malignancy", "cervical CIN3 treated 2024", "pass"),
    ("recent_therapy", "last chemo was on 1 november", "fail"),
    ("hypertension", "a little high, 145/92", "fail"),
    ("prior_tki", "I took Aitan last year, it stopped working", "pass"),
    ("prior_tki", "I'm on pazopanib", "fail"),
    ("prior_tki", "never heard of them", "fail"),
    # a yes beside other medicines contradicts itself: staff check, no knock-out
    ("prior_tki", "yes it grew after chemo, doxorubicin and ifosfamide", "uncertain"),
    ("prior_tki", "yes, keytruda", "uncertain"),
    ("prior_tki", "no, I only had doxorubicin", "fail"),
    ("prior_tki", "阿霉素和异环磷酰胺", "fail"),
    ("prior_tki", "yes anlotinib, it stopped working, then gemcitabine", "pass"),
    ("recent_therapy", "ifosfamide 10 days ago", "fail"),
    ("recent_therapy", "my last chemo was 3 weeks ago", "fail"),
    ("recent_therapy", "radiotherapy ended in August", "pass"),
    ("cardiac_events", "I had a stent put in 2 months ago after a heart attack", "fail"),
    ("anticoagulants", "I inject clexane every day", "fail"),
    ("anticoagulants", "Plavix 75mg", "fail"),
    ("hypertension", "yes but it's controlled, around 130/80", "pass"),
    ("hypertension", "yes 150/100", "fail"),
    ("hypertension", "yes", "pending"),
    ("immunosuppressants", "dexamethasone 4mg twice a day", "fail"),
    ("immunosuppressants", "prednisolone 5mg", "pass"),
    ("immunosuppressants", "tacrolimus", "fail"),
    ("viral", "no", "pass"),
    ("other_malignancy", "breast cancer 2 years ago", "fail"),
    ("other_malignancy", "thyroid cancer in 2010", "pass"),
    ("ecog", "I work full time", "pass"),
    ("ecog", "mostly in bed", "uncertain"),
    ("ecog", "bed-bound", "fail"),
    ("fever", "39 last night", "fail"),
    ("infection", "I had pneumonia 2 weeks ago and was on IV antibiotics", "fail"),
    ("bleeding", "I vomited blood last month", "fail"),
    ("thrombosis", "DVT in my leg 3 months ago", "fail"),
    ("drug_allergy", "never taken it", "pass"),
    ("drug_allergy", "yes I'm allergic to it", "fail"),
    ("counts_support", "had a blood transfusion 5 days ago", "uncertain"),
    ("consent_compliance", "it's far but yes", "pass"),
]


@pytest.mark.parametrize("step_id,text,expected", CASES, ids=[f"{c[0]}:{c[1][:30]}" for c in CASES])
def test_free_text_answer_gets_the_registry_verdict(step_id, text, expected):
    result = verdict_for(step_id, text)
    assert result.verdict == expected, result.reason


def test_hedged_or_unclear_answers_to_knock_out_questions_never_pass():
    risky = [
        ("cardiac_events", "I think maybe a small one"),
        ("recent_therapy", "not sure, maybe"),
        ("viral", "I have HIV"),
        ("bleeding", "possibly, I don't remember"),
        ("planned_local_therapy", "they might operate"),
    ]
    for step_id, text in risky:
        assert verdict_for(step_id, text).verdict in ("uncertain", "fail"), text


def test_a_woman_past_menopause_is_not_asked_about_pregnancy():
    assert verdict_for("can_become_pregnant", "no, postmenopausal", known={"sex": "female"}).verdict == "not_applicable"


def test_a_pasted_summary_never_gives_a_drug_the_number_of_a_lab():
    from bot.parsing.summary import extract_summary

    facts = extract_summary("61F, liposarcoma lung mets, PD on anlotinib, on aspirin, Hb 128 g/L", TODAY)
    aspirin = facts["anticoagulants"].value["drugs"][0]
    assert aspirin["name"] == "aspirin" and aspirin["daily_dose_mg"] is None  # asked, not guessed
    assert facts["hb"].value["value"] == 128
