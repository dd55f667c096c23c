"""Whole screenings through bot/ alone: question order, skipping, follow-ups, knock-outs,
corrections, contact details and the stored record."""

from datetime import date

import pytest

from bot.engine import MAX_ANSWER_CHARS, Screening
from bot.trial import get_trial
from scripts import PATIENT_ANSWERS, PHYSICIAN_ANSWERS, reply_for

TODAY = date(2026, 11, 25)


def new(role="patient"):
    trial = get_trial()
    return Screening(trial, Screening.new_state(trial, "conv-1", role), today=TODAY)


def run(screening, answers, max_turns=80):
    """Answer each question from the script; return the questions asked (step ids)."""
    asked = []
    for _ in range(max_turns):
        question = screening.next_question()
        if question is None:
            return asked
        answer = reply_for([question.text], answers)
        assert answer is not None, f"no scripted answer for: {question.text}"
        asked.append(question.step_id)
        screening.answer(answer)
    raise AssertionError("screening did not end")


def with_answers(**changes):
    """The patient script with some answers replaced (by question key)."""
    return [(key, changes.get(key.replace(" ", "_"), answer)) for key, answer in PATIENT_ANSWERS]


def test_knock_out_questions_come_first():
    screening = new()
    first = []
    for _ in range(3):
        question = screening.next_question()
        first.append(question.step_id)
        screening.answer(reply_for([question.text], PATIENT_ANSWERS))
    assert first == ["age", "diagnosis", "prior_tki"]


def test_patient_who_meets_everything_asked_is_likely_eligible_with_site_checks_pending():
    screening = new()
    asked = run(screening, PATIENT_ANSWERS)
    assert screening.outcome == "likely_eligible"
    record = screening.record()
    assert record["review_items"] == []
    assert {"blood_counts", "renal_function", "liver_function", "coagulation"} <= set(record["pending"])
    # Patients are not asked about labs, ECG or pregnancy (a man); women-only questions skipped.
    assert "renal_labs" not in asked and "can_become_pregnant" not in asked and "pregnant" not in asked
    assert record["contact"]["phone"] == "+8613800138000" and record["contact"]["name"] == "Li Wei"
    assert 20 <= len(asked) <= 32


def test_a_woman_is_asked_about_pregnancy_and_a_yes_fails():
    screening = new()
    run(screening, with_answers(male_or_female="female") + [("become pregnant", "yes"), ("pregnant now", "yes")])
    assert screening.outcome == "not_eligible"
    assert screening.state["knocked_out"] == "pregnancy_contraception"


@pytest.mark.parametrize(
    "changes,knocked_out",
    [
        ({"how_old": "I'm 75"}, "age"),
        ({"a_sarcoma": "no, it's breast cancer"}, "diagnosis"),
        ({"apatinib": "no, never"}, "prior_tki"),
        ({"cancer_treatment": "yes, chemo 10 days ago"}, "recent_anticancer_therapy"),
        ({"heart_attack": "yes, a heart attack two months ago"}, "cardiac"),
        ({"blood_thinners": "yes, warfarin 3 mg a day"}, "bleeding_thrombosis"),
        ({"high_blood_pressure": "yes, it's 160/100 even on tablets"}, "hypertension"),
        ({"usual_day": "In bed or a chair all day"}, "performance_status"),
    ],
)
def test_each_knock_out_ends_the_screening_early(changes, knocked_out):
    screening = new()
    asked = run(screening, with_answers(**changes))
    assert screening.outcome == "not_eligible"
    assert screening.state["knocked_out"] == knocked_out
    record = screening.record()
    assert record["criteria"][knocked_out]["verdict"] == "fail"
    assert "not_asked" in {c["verdict"] for c in record["criteria"].values()} or len(asked) > 20
    message = screening.closing_messages()[0]
    assert get_trial().criterion(knocked_out).plain in message and "may not be able" in message


def test_follow_up_only_when_needed():
    screening = new()
    asked = run(screening, with_answers(cancer_treatment="yes") + [("when was the last", "about 6 weeks ago")])
    assert "recent_therapy_when" in asked
    assert screening.state["verdicts"]["recent_anticancer_therapy"]["verdict"] == "pass"
    plain = new()
    assert "recent_therapy_when" not in run(plain, PATIENT_ANSWERS)


def test_hedges_and_dont_know_go_to_review():
    screening = new()
    run(screening, with_answers(allergic="I don't think so, not sure", hiv="idk"))
    assert screening.outcome == "needs_review"
    items = {item["criterion"]: item for item in screening.record()["review_items"]}
    assert {"drug_allergy", "viral_infection"} <= set(items)
    assert items["viral_infection"]["answer"] == "idk" and items["viral_infection"]["question"]


def test_unclear_answer_is_asked_again_once_with_a_hint_then_recorded():
    screening = new()
    screening.next_question()
    first = screening.answer("banana")
    assert first.reasked and "For example" in first.messages[0]
    second = screening.answer("banana again")
    assert not second.reasked
    verdict = screening.record()["criteria"]["age"]
    assert verdict["verdict"] == "uncertain" and verdict["answer"] == "banana again"
    assert screening.next_question().step_id == "diagnosis"  # the screening moves on


def test_impossible_age_is_not_taken():
    screening = new()
    screening.next_question()
    assert screening.answer("I am 200 years old").reasked


def test_correction_changes_answer_and_verdict():
    screening = new()
    screening.next_question()
    screening.answer("I'm 45")
    screening.next_question()
    reply = screening.correct("I made a mistake, I'm 75 not 45")
    assert reply.changed and "75" in reply.messages[0]
    assert screening.next_question() is None and screening.outcome == "not_eligible"
    screening.correct("sorry, I'm 54")
    assert screening.next_question() is not None
    assert screening.record()["criteria"]["age"]["value"] == 54


def test_correction_of_the_last_yes_no_answer():
    screening = new()
    for _ in range(4):  # age, diagnosis, tki, progression
        question = screening.next_question()
        screening.answer(reply_for([question.text], PATIENT_ANSWERS))
    question = screening.next_question()
    assert question.step_id == "recent_therapy"
    screening.answer("yes, radiotherapy 2 weeks ago")
    assert screening.next_question() is None and screening.outcome == "not_eligible"
    screening.correct("sorry I meant no")
    assert screening.next_question() is not None
    assert screening.state["verdicts"]["recent_anticancer_therapy"]["verdict"] == "pass"


def test_physician_summary_fills_criteria_and_only_the_rest_is_asked():
    screening = new("physician")
    question = screening.next_question()
    assert question.step_id == "summary"
    reply = screening.answer(
        "62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, PLT 210, "
        "Hb 128 g/L, Cr 0.9 mg/dL, 72 kg, BP 130/80, INR 1.1, TSH 2.0 (ULN 4.2)"
    )
    assert "age 62" in reply.messages[0]
    asked = []
    for _ in range(40):
        question = screening.next_question()
        if question is None or question.step_id.startswith("contact"):
            break
        asked.append(question.step_id)
        screening.answer(
            "no"
            if question.step_id
            not in (
                "life_expectancy",
                "measurable_disease",
                "consent_compliance",
                "contraception_male",
                "toxicity_resolved",
            )
            else "yes"
        )
    for settled in ("age", "sex", "diagnosis", "prior_tki", "tki_progression", "ecog", "hypertension"):
        assert settled not in asked
    verdicts = screening.state["verdicts"]
    assert verdicts["blood_counts"]["verdict"] in ("pass", "pending")
    assert screening.record()["criteria"]["age"]["value"] == 62
    table = screening.criteria_table()
    assert "renal_function" in table and "PASS" in table


def test_physician_summary_with_a_knock_out_ends_at_once():
    screening = new("physician")
    screening.next_question()
    screening.answer("55F, synovial sarcoma lung mets, PD on apatinib, ECOG 1, BP 150/95")
    assert screening.next_question() is None or screening.outcome == "not_eligible"
    assert screening.state["knocked_out"] == "hypertension"


def test_under_14_patient_needs_a_guardian_or_nothing_is_kept():
    screening = new()
    screening.next_question()
    screening.answer("12")
    assert screening.next_question().step_id == "guardian"
    screening.answer("no")
    assert screening.outcome == "declined"
    record = screening.record()
    assert record["criteria"] == {} and record["transcript"] == []


def test_stop_gives_incomplete_unless_already_failed():
    screening = new()
    screening.next_question()
    screening.answer("45")
    screening.stop()
    assert screening.outcome == "incomplete"
    failed = new()
    failed.next_question()
    failed.answer("80")
    failed.stop()
    assert failed.outcome == "not_eligible"


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "'; DROP TABLE screenings;--",
        "x" * 10_000,
        "😀" * 50,
        "\u202eevil",
        "\x00\x01\x02",
        "",
    ],
)
def test_hostile_answers_never_crash_and_are_kept_verbatim_up_to_the_limit(hostile):
    screening = new()
    screening.next_question()
    screening.answer(hostile)
    screening.answer(hostile)
    record = screening.record()
    answer = record["criteria"]["age"]["answer"] or ""
    assert len(answer) <= MAX_ANSWER_CHARS
    assert record["criteria"]["age"]["verdict"] == "uncertain"


def test_physician_checklist_and_lab_panel_keep_the_quick_screen_short():
    screening = new("physician")
    screening.next_question()
    screening.answer("62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, Cr 0.9 mg/dL, 72 kg, BP 130/80")
    asked = [step for step in run(screening, PHYSICIAN_ANSWERS) if not step.startswith("contact")]
    assert len(asked) <= 11, asked
    assert screening.outcome == "likely_eligible", screening.criteria_table()
    record = screening.record()
    assert record["criteria"]["bleeding_thrombosis"]["verdict"] == "pass"
    assert "none apply" in record["criteria"]["bleeding_thrombosis"]["answer"]
    assert record["criteria"]["coagulation"]["verdict"] == "pass"


def test_physician_who_says_some_exclusions_apply_is_asked_each_one():
    screening = new("physician")
    screening.next_question()
    screening.answer("skip")
    screening.next_question()  # age
    screening.answer("55")
    screening.next_question()
    screening.answer("synovial sarcoma with lung metastases")
    screening.next_question()
    screening.answer("progressed on apatinib")
    assert screening.next_question().step_id == "exclusion_checklist"
    screening.answer("Yes, some apply")
    assert screening.next_question().step_id == "recent_therapy"
