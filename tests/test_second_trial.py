"""A second trial file, chosen with TRIAL_FILE, screens end to end through bot/.

The second trial here is a SYNTHETIC fixture (tests/fixtures/synthetic_trial.yaml,
id SYNTHETIC-TEST-1, not a registry record): the real second trial, NCT05689021,
waits for its registry text, since criteria are only taken verbatim from a record.
It has its own criterion ids, facts and wording, so these tests show the generic
mechanism carries a trial it was not written for, and that both trials score
their own criteria.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dialogue_driver import Chat

from bot.trial import DEFAULT_TRIAL_FILE, TrialFileError, get_trial, load_trial

SECOND = Path(__file__).parent / "fixtures" / "synthetic_trial.yaml"
FIRST_ONLY_WORDS = ("lenvatinib", "sarcoma", "apatinib", "anlotinib", "ecog", "henan", "zhengzhou")


@pytest.fixture
def second_trial(monkeypatch):
    monkeypatch.setenv("TRIAL_FILE", str(SECOND))
    return get_trial()


def test_the_default_without_a_setting_is_still_the_first_trial(monkeypatch):
    monkeypatch.delenv("TRIAL_FILE", raising=False)
    assert get_trial().id == "NCT05617859"
    assert load_trial().id == "NCT05617859"
    assert Path(get_trial().path) == DEFAULT_TRIAL_FILE


def test_the_setting_chooses_the_second_file_and_its_own_criteria(second_trial):
    first = load_trial(DEFAULT_TRIAL_FILE)
    assert second_trial.id == "SYNTHETIC-TEST-1"
    ids = [c.id for c in second_trial.criteria]
    assert ids == ["synthetic_adult", "synthetic_no_heart_failure"]
    assert not set(ids) & {c.id for c in first.criteria}


def _screen(trial, answers):
    chat = Chat(trial=trial).open("patient")
    asked = []
    for answer in answers:
        asked.append(chat.replies[-1])
        chat.send(answer)
    return chat, asked


def test_an_eligible_patient_passes_the_second_trial_and_is_asked_only_its_questions(second_trial):
    chat, asked = _screen(second_trial, ["45", "no"])
    record = chat.record()
    assert record["trial_id"] == "SYNTHETIC-TEST-1"
    assert set(record["criteria"]) == {"synthetic_adult", "synthetic_no_heart_failure"}
    assert {c["verdict"] for c in record["criteria"].values()} == {"pass"}
    assert record["outcome"] == "likely_eligible"
    assert "How old are you?" in asked[0] and "heart failure" in asked[1]
    # Nothing of the first trial is asked or said.
    said = "\n".join(text for turn in chat.turns for text in (r.text for r in turn.replies)).lower()
    assert not [word for word in FIRST_ONLY_WORDS if word in said]


@pytest.mark.parametrize(
    ("answers", "failed"),
    [(["45", "yes"], "synthetic_no_heart_failure"), (["80"], "synthetic_adult")],
)
def test_an_answer_ineligible_under_the_second_trial_is_excluded(second_trial, answers, failed):
    chat, _ = _screen(second_trial, answers)
    record = chat.record()
    assert record["criteria"][failed]["verdict"] == "fail"
    assert record["outcome"] == "not_eligible"


def test_the_same_answer_is_scored_by_each_trial_against_its_own_limits(second_trial):
    # 72: inside the synthetic trial's 18-75, outside the first trial's 10-70.
    second, _ = _screen(second_trial, ["72"])
    assert second.record()["criteria"]["synthetic_adult"]["verdict"] == "pass"
    first, _ = _screen(load_trial(DEFAULT_TRIAL_FILE), ["72"])
    assert first.record()["criteria"]["age"]["verdict"] == "fail"
    assert "synthetic_adult" not in first.record()["criteria"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  guardian_required_below_age: 14\n", "", r"trial\.guardian_required_below_age: missing"),
        (
            "  guardian_required_below_age: 14\n",
            "  guardian_required_below_age: 0\n",
            r"trial\.guardian_required_below_age: .*at least 1",
        ),
        ("  site: Test site\n", "", r"trial\.site: missing"),
        ("  short_title: the synthetic test study\n", "", r"trial\.short_title: missing"),
    ],
)
def test_a_trial_file_must_name_what_the_generic_messages_use(tmp_path, old, new, message):
    text = SECOND.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(TrialFileError, match=r"broken\.yaml:\d+: " + message):
        load_trial(broken)


def test_the_contact_examples_and_the_phone_region_are_the_trial_files(second_trial):
    chat, _ = _screen(second_trial, ["45", "no"])
    assert "Sam Taylor, 07911 123456, weekday mornings" in chat.said
    assert "138 0013 8000" not in chat.said and "Li Wei" not in chat.said
    # A local number typed without a country code is read in the trial's region (GB), not China's.
    chat.send("yes, Sam Taylor, 07911 123456, weekday mornings")
    contact = chat.record()["contact"]
    assert contact["phone"] == "+447911123456" and contact["name"] == "Sam Taylor"
    assert load_trial(DEFAULT_TRIAL_FILE).phone_region == "CN" and second_trial.phone_region == "GB"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    phone_region: GB\n",
            "    phone_region: XX\n",
            r"trial\.contact\.phone_region: 'XX' is not a phone region",
        ),
        ("    phone_region: GB\n", "", r"trial\.contact\.phone_region: missing"),
        ("    phone_region: GB\n", "    phone_region: GB\n    fax: '1'\n", r"trial\.contact\.fax: unknown key"),
    ],
)
def test_the_contact_section_is_checked_like_the_rest(tmp_path, old, new, message):
    text = SECOND.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "contact.yaml"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(TrialFileError, match=r"contact\.yaml:\d+: " + message):
        load_trial(broken)


def test_check_answers_scores_each_trial_by_its_own_steps_and_criteria(second_trial):
    from bot.check import check_answers

    result = check_answers([("adult_age", "60"), ("heart_failure", "yes")], trial=second_trial)
    assert set(result["criteria"]) == {"synthetic_adult", "synthetic_no_heart_failure"}
    assert result["criteria"]["synthetic_adult"]["verdict"] == "pass"
    assert result["criteria"]["synthetic_no_heart_failure"]["verdict"] == "fail"
    assert result["outcome"] == "not_eligible"
    # The configured trial is the second one; the first trial's steps are unknown to it.
    assert check_answers([("heart_failure", "no")])["criteria"]["synthetic_no_heart_failure"]["verdict"] == "pass"
    with pytest.raises(ValueError, match="unknown step 'age'"):
        check_answers([("age", "45")])
    # And the first trial still scores its own criteria from its own steps.
    first = check_answers([("age", "45")], trial=load_trial(DEFAULT_TRIAL_FILE))
    assert first["criteria"]["age"]["verdict"] == "pass" and "synthetic_adult" not in first["criteria"]


def test_a_physician_screens_the_second_trial_in_its_own_terse_wording(second_trial):
    chat = Chat(trial=second_trial).open("physician")
    assert "Patient's age?" in chat.said
    chat.send("52")
    assert "Known heart failure?" in chat.said
    chat.send("yes")
    assert chat.record()["outcome"] == "not_eligible"
    assert chat.record()["role"] == "physician"


def test_what_was_said_before_consent_is_kept_only_for_the_trial_s_own_facts(second_trial):
    chat = Chat(trial=second_trial)
    chat.send("hi")
    chat.send("I'm his mother, my son is 45 years old")
    chat.send("I agree")
    assert "45" in chat.said and "sex" not in chat.said.lower()
    assert "heart failure" in chat.replies[-1]  # the age is not asked again
    assert "sex" not in chat.screening.facts and chat.screening.facts["age"]["value"] == 45


def test_an_english_only_trial_says_once_in_chinese_why_it_carries_on_in_english(second_trial):
    assert second_trial.languages == ("en",)
    chat = Chat(trial=second_trial)
    chat.send("你好")
    assert chat.replies[0] == "抱歉，这项研究的问题只有英文版本，接下来我会继续用英文和您交流。"
    assert "Who is answering today?" in chat.said
    for text in ("我是患者本人", "我同意", "45", "请用中文"):
        chat.send(text)
    assert chat.said.count("抱歉，这项研究的问题只有英文版本") == 1  # asked for Chinese: told again, once
    assert "heart failure" in chat.replies[-1]
    chat.send("no")
    assert chat.record()["language"] == "en" and chat.record()["outcome"] == "likely_eligible"
    # The page asking for Chinese does not switch an English-only trial either.
    assert Chat(trial=second_trial).send("hello", language="zh").conversation.language == "en"


def test_the_staff_summary_of_a_second_trial_lead_names_its_own_criteria(second_trial):
    from bot.summary import summary_text

    chat, _ = _screen(second_trial, ["45", "not sure"])
    chat.send("yes, Sam Taylor, 07911 123456, mornings")
    record = chat.record()
    assert record["outcome"] == "needs_review"
    assert [item["criterion"] for item in record["review_items"]] == ["synthetic_no_heart_failure"]
    text = summary_text(record)
    assert "trial SYNTHETIC-TEST-1" in text and "Adult age" in text and "Heart failure" in text
    assert "+447911123456" in text
    assert not [word for word in FIRST_ONLY_WORDS if word in text.lower()]
