"""bot.check.check_answers, the core's public API for scoring typed answers."""

from datetime import date

import pytest

from bot.check import check_answers
from bot.trial import get_trial

TODAY = date(2026, 11, 25)


def test_every_criterion_is_listed_and_unanswered_ones_are_not_asked():
    result = check_answers([("age", "I'm 45")], today=TODAY)
    assert set(result["criteria"]) == {c.id for c in get_trial().criteria}
    assert result["criteria"]["age"]["verdict"] == "pass"
    assert result["criteria"]["age"]["value"] == 45 and result["criteria"]["age"]["answer"] == "I'm 45"
    assert result["criteria"]["diagnosis"]["verdict"] == "not_asked"
    assert result["outcome"] == "likely_eligible"


def test_a_reason_is_english_text_with_its_key_and_json_params():
    import json

    entry = check_answers([("age", "he's 18 months old")], role="caregiver", today=TODAY)["criteria"]["age"]
    assert entry["verdict"] == "fail"
    assert entry["reason_key"] == "number_outside" and "outside 10-70" in entry["reason"]
    json.dumps(entry["reason_params"])


def test_outcome_treats_the_answers_as_the_whole_screening():
    assert check_answers([("age", "80")], today=TODAY)["outcome"] == "not_eligible"
    assert check_answers([("age", "not sure")], today=TODAY)["outcome"] == "needs_review"


def test_an_unclear_answer_is_given_twice_then_recorded_with_the_words():
    entry = check_answers([("age", "banana")], today=TODAY)["criteria"]["age"]
    assert entry["verdict"] == "uncertain" and entry["answer"] == "banana"


def test_a_sequence_answers_the_follow_up():
    result = check_answers([("recent_therapy", "yes, chemo"), ("recent_therapy_when", "10 days ago")], today=TODAY)
    assert result["criteria"]["recent_anticancer_therapy"]["verdict"] == "fail"


def test_a_lab_step_answered_not_available_is_pending_not_unasked():
    result = check_answers([("renal_labs", "not available")], role="physician", today=TODAY)
    assert result["criteria"]["renal_function"]["verdict"] == "pending"


def test_a_guardian_who_does_not_agree_declines():
    result = check_answers([("age", "12"), ("guardian", "no")], today=TODAY)
    assert result["outcome"] == "declined"
    assert {c["verdict"] for c in result["criteria"].values()} == {"not_asked"}


def test_unknown_step_or_role_is_refused():
    with pytest.raises(ValueError):
        check_answers([("no_such_step", "x")])
    with pytest.raises(ValueError):
        check_answers([("age", "45")], role="nurse")
