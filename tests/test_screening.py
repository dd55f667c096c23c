"""The screening core (bot.screening) without a conversation: the typed state, the pure
plan, one scoring per change, answers, groups, corrections and the record."""

import copy
from datetime import date

import pytest

from bot.limits import max_message_chars
from bot.screening import ScreeningState, apply_answer, apply_correction, build_record, plan, settle
from bot.screening.groups import apply_group
from bot.trial import get_trial

TODAY = date(2026, 11, 25)


def new(role="patient"):
    trial = get_trial()
    state = ScreeningState.new(trial.id, "conv-1", role)
    settle(trial, state, TODAY)
    return trial, state


def answer(trial, state, text):
    """Answer the current question (a group question shares it out), then settle once."""
    step = trial.steps[state.current]
    if step.group:
        applied = apply_group(trial, state, step, text, TODAY)
    else:
        applied = apply_answer(trial, state, text, TODAY)
    settle(trial, applied.state, TODAY)
    return applied


def test_state_round_trips_through_its_stored_form():
    trial, state = new()
    state = answer(trial, state, "I'm 45").state
    again = ScreeningState.from_dict(state.to_dict())
    assert again == state and again.to_dict()["v"] == 2


def test_a_first_version_state_without_language_still_loads():
    trial, state = new()
    old = state.to_dict()
    old.pop("language"), old.pop("v")
    assert ScreeningState.from_dict(old).language == "en"


def test_plan_is_pure_and_words_the_question_for_the_role():
    trial, state = new("caregiver")
    before = copy.deepcopy(state.to_dict())
    question = plan(trial, state)
    assert question.step_id == "age" and question.text == "How old is the patient?" and question.number == 1
    assert plan(trial, state) == question and state.to_dict() == before


def test_apply_answer_returns_a_new_state_and_never_scores():
    trial, state = new()
    applied = apply_answer(trial, state, "I'm 45", TODAY)
    assert "age" in applied.state.facts and "age" not in state.facts
    assert applied.state.verdicts == state.verdicts  # scored only by settle
    settle(trial, applied.state, TODAY)
    assert applied.state.verdicts["age"]["verdict"] == "pass"


def test_unclear_answer_is_asked_again_once_with_a_hint_then_recorded_for_staff():
    trial, state = new()
    first = answer(trial, state, "banana")
    assert first.reasked and first.said[0].key == "reask"
    second = answer(trial, first.state, "banana again")
    assert not second.reasked
    entry = build_record(trial, second.state)["criteria"]["age"]
    assert entry["verdict"] == "uncertain" and entry["answer"] == "banana again"
    assert second.state.current == "diagnosis"


def test_an_unreadable_lab_answer_is_kept_where_the_rule_reads_it():
    trial, state = new("physician")
    state.current = "renal_labs"
    once = apply_answer(trial, state, "creatinine was sort of high-ish", TODAY)
    twice = apply_answer(trial, once.state, "creatinine was sort of high-ish", TODAY)
    settle(trial, twice.state, TODAY)
    record = build_record(trial, twice.state)
    assert record["criteria"]["renal_function"]["verdict"] == "uncertain"
    assert any(item["criterion"] == "renal_function" for item in record["review_items"])


def test_correction_changes_the_answer_and_the_verdict():
    trial, state = new()
    state = answer(trial, state, "I'm 45").state
    corrected = apply_correction(trial, state, "I made a mistake, I'm 75 not 45", TODAY)
    settle(trial, corrected.state, TODAY)
    assert corrected.changed and corrected.state.knocked_out == "age"
    back = apply_correction(trial, corrected.state, "sorry, I'm 54", TODAY)
    settle(trial, back.state, TODAY)
    assert back.state.knocked_out is None and back.state.facts["age"]["value"] == 54
    # the read-back says the values, not the words around them ("age 54 (was 75)", not "was I'm 75 not 45")
    from bot.messages import render

    [said] = [render(s.key, trial, language="en", **s.values) for s in back.said]
    assert "54" in said and "(was 75)" in said and "I'm" not in said, said


def test_a_checklist_none_answers_every_member_no_and_values_are_read_too():
    trial, state = new("physician")
    state = answer(trial, state, "skip").state
    for text in ("55", "synovial sarcoma with lung metastases", "progressed on apatinib"):
        state = answer(trial, state, text).state
    assert state.current == "exclusion_checklist" and len(state.group_members["exclusion_checklist"]) > 5
    state = answer(trial, state, "none, LVEF 62%, QTcF 420").state
    assert state.verdicts["cardiac"]["verdict"] in ("pass", "uncertain")
    assert state.facts["lvef"]["value"]["value"] == 62
    assert state.facts["bleeding"]["source"] == "checklist"


def test_a_group_answer_that_names_nothing_leaves_each_member_to_be_asked():
    trial, state = new()
    for text in ("45", "yes, osteosarcoma that spread to my lungs", "yes anlotinib, it grew"):
        state = answer(trial, state, text).state
    assert state.current == "treatment_plans"
    applied = answer(trial, state, "Yes, one or more")
    assert applied.said[0].key == "group_one_by_one" and applied.state.current == "recent_therapy"


def test_physician_summary_with_a_knock_out_ends_at_once():
    trial, state = new("physician")
    state = answer(trial, state, "55F, synovial sarcoma lung mets, PD on apatinib, ECOG 1, BP 150/95").state
    assert state.knocked_out == "hypertension" and state.current is None


def test_under_14_patient_without_a_guardian_is_declined():
    from bot.screening.answers import guardian_refused

    trial, state = new()
    state = answer(trial, state, "12").state
    assert state.current == "guardian"
    state = answer(trial, state, "no").state
    assert guardian_refused(state)


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script>", "'; DROP TABLE screenings;--", "😀" * 50, "\u202eevil", "\x01\x02", ""],
)
def test_hostile_answers_never_crash_and_are_kept_verbatim(hostile):
    trial, state = new()
    state = answer(trial, answer(trial, state, hostile).state, hostile).state
    entry = build_record(trial, state)["criteria"]["age"]
    assert entry["verdict"] == "uncertain" and len(entry["answer"] or "") <= max_message_chars()
