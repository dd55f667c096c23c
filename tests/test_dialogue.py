"""Whole conversations through bot.dialogue alone: opening, role, consent, the questions,
interruptions, confirmations, contact details and endings (no Rasa: the dialogue is
framework-free; tests/test_actions.py runs the same through the action)."""

import pytest
from dialogue_driver import Chat

from scripts import PATIENT_ANSWERS, PHYSICIAN_ANSWERS, reply_for

SUMMARY = (
    "62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, PLT 210, Hb 128 g/L, "
    "Cr 0.9 mg/dL, 72 kg, BP 128/80"
)


def with_answers(**changes):
    """The patient script with some answers replaced (by question key, spaces as underscores)."""
    return [(key, changes.get(key.replace(" ", "_"), answer)) for key, answer in PATIENT_ANSWERS]


# ---------------------------------------------------------------- whole screenings
def test_eligible_patient_is_likely_eligible_with_a_phone_number_in_about_twenty_messages():
    chat = Chat().open("patient").answer_all(PATIENT_ANSWERS)
    record = chat.record()
    assert record["outcome"] == "likely_eligible"
    assert record["contact"]["phone"] == "+8613800138000" and record["contact"]["name"] == "Li Wei"
    assert record["contact"]["preferred_time"] == "weekday mornings"
    assert record["review_items"] == []
    assert {"blood_counts", "renal_function", "liver_function"} <= set(record["pending"])
    assert chat.sent <= 20, chat.sent
    assert "reference number" in chat.said and "A copy of your answers" in chat.said
    # the copy has the group questions too, with the answer given to them
    copy = chat.said[chat.said.index("A copy of your answers") :]
    assert "Do you take any of these medicines?" in copy and "— none of these" in copy, copy


def test_follow_ups_named_before_their_question_opens_them_are_not_asked_again():
    # "contraception yes, not pregnant" answers the questions that "childbearing potential"
    # opens; once that is answered yes, neither is asked again.
    chat = Chat().open("physician")
    chat.send(SUMMARY.replace("62M", "49F"))
    chat.send("none apply, LVEF 60%, QTcF 440 ms")
    chat.send(
        "RECIST yes, survival > 3 months, tox resolved, willing to attend, contraception yes, not pregnant, no transfusion"
    )
    assert any("childbearing" in r for r in chat.replies), chat.replies
    chat.send("yes")
    assert chat.replies[0].startswith("Thank you, that's all my questions"), chat.replies
    facts = chat.screening.facts
    assert facts["pregnant"]["value"] == "no" and facts["contraception_female"]["value"] == "yes"


def test_progress_never_grows():
    chat = Chat().open("patient")
    totals = []
    for _ in range(40):
        if chat.conversation.stage == "ended":
            break
        for text in chat.replies:
            if text.startswith("Question "):
                totals.append(int(text.split(" of about ")[1].split(":")[0]))
        chat.send(reply_for(chat.replies, PATIENT_ANSWERS))
    assert totals and all(later <= earlier for earlier, later in zip(totals, totals[1:], strict=False)), totals


def test_physician_with_a_full_summary_needs_at_most_six_messages_from_the_summary_to_the_end():
    chat = Chat().open("physician")
    before = chat.sent
    chat.send(SUMMARY)
    assert "weight: 72 kg" in chat.said and "creatinine: Cr 0.9 mg/dL" in chat.said  # as written, one per line
    chat.answer_all(
        PHYSICIAN_ANSWERS[:2] + [("like the study team to contact", "yes, Dr Zhang, 138 0013 8000, afternoons")]
    )
    assert chat.sent - before <= 6, chat.sent - before
    record = chat.record()
    assert record["outcome"] == "likely_eligible", [
        (c, v["verdict"], v["reason"]) for c, v in record["criteria"].items() if v["verdict"] != "pass"
    ]
    assert record["contact"]["phone"] == "+8613800138000" and record["contact"]["name"] == "Dr Zhang"


def test_physician_checklist_names_an_exclusion_with_its_date():
    chat = Chat().open("physician")
    chat.send(SUMMARY)
    chat.send("MI 2 months ago, otherwise none")
    record = chat.record()
    assert record["outcome"] == "not_eligible"
    assert record["criteria"]["cardiac"]["verdict"] == "fail"
    assert record["criteria"]["bleeding_thrombosis"]["verdict"] == "pass"  # not named: no


def test_a_knock_out_on_a_time_window_says_when_to_check_again():
    chat = Chat().open("patient").answer_all(with_answers(none_of_these="chemo 10 days ago"))
    record = chat.record()
    assert record["outcome"] == "not_eligible"
    assert "check again from 2026-12-14" in chat.said  # 28-day window ends 18 days after 2026-11-25


@pytest.mark.parametrize(
    "changes,knocked_out",
    [
        ({"how_old": "I'm 75"}, "age"),
        ({"a_sarcoma": "no, it's breast cancer"}, "diagnosis"),
        ({"apatinib": "no, never"}, "prior_tki"),
        ({"usual_day": "In bed or a chair all day"}, "performance_status"),
        ({"high_blood_pressure": "yes, it's 160/100 even on tablets"}, "hypertension"),
    ],
)
def test_each_knock_out_ends_the_screening_kindly(changes, knocked_out):
    chat = Chat().open("patient").answer_all(with_answers(**changes))
    assert chat.record()["outcome"] == "not_eligible"
    assert chat.screening.knocked_out == knocked_out
    assert chat.trial.criterion(knocked_out).plain_in("en") in chat.said and "may not be able" in chat.said


# ---------------------------------------------------------------- roles
def test_a_patient_mentioning_their_doctor_is_not_taken_for_a_doctor():
    chat = Chat()
    chat.send("hi, my doctor said the anlotinib stopped working and told me about this study")
    assert chat.conversation.role is None and "Who is answering" in chat.said


def test_a_physician_saying_so_is_taken_at_once():
    chat = Chat()
    chat.send("I'm an oncologist checking a patient")
    assert chat.conversation.role == "physician" and "permission" in chat.said


def test_a_suggested_role_is_confirmed_first():
    chat = Chat()
    chat.send("hi")
    chat.send("my son has osteosarcoma")
    assert chat.conversation.stage == "role_check" and "answering for someone else" in chat.said
    chat.send("yes")
    assert chat.conversation.role == "caregiver" and chat.conversation.stage == "consent"


def test_the_role_can_be_changed_midway_without_losing_answers():
    chat = Chat().open("patient")
    chat.send("45")
    chat.send("I'm actually her mother")
    assert chat.conversation.role == "caregiver" and chat.screening.role == "caregiver"
    assert chat.screening.facts["age"]["value"] == 45
    assert "the patient" in chat.replies[-1]


def test_age_and_sex_said_before_consent_are_not_asked_again():
    chat = Chat()
    chat.send("hello, I'm asking for my 15 year old son")
    chat.send("I agree")
    assert chat.screening.facts["age"]["value"] == 15 and chat.screening.facts["sex"]["value"] == "male"
    assert "How old" not in chat.said and "You already told me" in chat.said


def test_a_caregiver_of_a_child_under_14_must_be_the_parent_or_guardian():
    chat = Chat().open("caregiver")
    chat.send("she is 12")
    assert "parent or legal guardian" in chat.said
    chat.send("no, I'm her aunt")
    assert chat.screening.phase == "declined" and chat.screening.facts == {}
    assert chat.record()["outcome"] == "declined"


def test_a_teenager_is_asked_in_words_that_fit():
    chat = Chat().open("caregiver")
    chat.send("he's 15")
    chat.answer_until("usual day", PATIENT_ANSWERS)
    assert "school" in chat.said and "goes to school" in " ".join(chat.buttons)


# ---------------------------------------------------------------- consent
def test_questions_at_the_consent_step_get_an_answer_and_the_question_again():
    chat = Chat()
    chat.send("hi")
    chat.send("I'm a parent, relative or carer")
    chat.send("is it ok that I answer for him?")
    assert "a parent, relative or carer can answer" in chat.said
    assert "Do you agree?" in chat.replies[-1]


@pytest.mark.parametrize(
    "opening, who",
    [
        ("你好，我给我儿子问问这个研究", "我是他妈妈"),
        ("你好，我想了解这个研究", "我是患者本人"),
        ("hi, I'm asking for my son", "I'm his mother"),
    ],
)
def test_saying_who_answers_at_the_consent_question_is_not_consent(opening, who):
    # found by hand: 我是他妈妈 at the consent question was read as 是 (yes) and the
    # screening began without the person agreeing
    chat = Chat()
    chat.send(opening)
    chat.send(who)
    assert chat.screening is None and chat.conversation.stage == "consent"
    chat.send("我是他妈妈，我同意" if "妈妈" in who else ("同意" if opening.startswith("你") else "I agree"))
    assert chat.screening is not None and chat.screening.consented


def test_no_consent_stores_nothing_about_health():
    chat = Chat()
    chat.send("hi")
    chat.send("I'm the patient")
    chat.send("I don't agree")
    assert chat.conversation.stage == "ended" and chat.record()["outcome"] == "declined"
    assert chat.conversation.remembered == []


# ---------------------------------------------------------------- nothing destructive on a guess
def test_i_told_you_at_the_age_question_never_deletes_anything():
    chat = Chat().open("patient")
    chat.send("15, I told you", intent="delete_data", confidence=0.9)
    assert chat.screening is not None and chat.screening.facts["age"]["value"] == 15
    assert not chat.turns[-1].effects.erase


@pytest.mark.parametrize(
    "request_text,kind", [("delete my data", "delete"), ("stop", "stop"), ("start over", "restart")]
)
def test_destructive_requests_wait_for_an_explicit_yes(request_text, kind):
    chat = Chat().open("patient")
    chat.send("I'm 45")
    chat.send(request_text)
    assert chat.conversation.confirm == kind and len(chat.buttons) == 2
    chat.send("hmm what?")
    assert chat.conversation.confirm is None and "haven't changed anything" in chat.said
    assert chat.screening.facts["age"]["value"] == 45 and not chat.turns[-1].effects.erase
    chat.send(request_text)
    chat.send(chat.buttons[0])  # the explicit yes
    if kind == "delete":
        assert chat.turns[-1].effects.erase and chat.screening is None
    elif kind == "stop":
        assert chat.screening.phase == "stopped" and chat.conversation.stage == "ended"
    else:
        assert chat.turns[-1].effects.save_also is not None and chat.conversation.stage == "role"


def test_stopped_medicine_is_an_answer_not_a_stop_request():
    chat = Chat().open("patient")
    chat.send("I stopped prednisone 30 mg a month ago")
    assert chat.conversation.confirm is None


# ---------------------------------------------------------------- interruptions
def test_why_explain_and_faq_then_the_question_again():
    chat = Chat().open("patient")
    chat.send("why do you ask?", intent="why_ask", confidence=0.9)
    assert "approved for people aged 10 to 70" in chat.said and "How old" in chat.replies[-1]
    chat.send("what is ECOG?", intent="explain_term", confidence=0.9)
    assert "0-5 scale" in chat.said
    chat.send("how often are the visits?", intent="out_of_scope", confidence=0.6)
    assert "visit schedule" in chat.said and "How old" in chat.replies[-1]
    chat.send("should I stop my chemo?", intent="out_of_scope", confidence=0.7)
    assert "can't give medical advice" in chat.said


def test_talking_to_a_person_collects_contact_details_there_and_then():
    chat = Chat().open("patient")
    chat.send("45")
    chat.send("can I talk to a real person?", intent="human_handoff", confidence=0.95)
    assert "call you back" in chat.said
    chat.send("Zhang Min, 138 0013 8000, mornings")
    contact = chat.screening.contact
    assert contact.phone == "+8613800138000" and contact.name == "Zhang Min" and contact.preferred_time
    assert contact.callback_requested and "carry on" in chat.said
    assert "sarcoma" in chat.replies[-1]  # back to the next question


def test_free_yes_at_the_contact_step_leads_to_name_and_phone():
    chat = Chat().open("patient").answer_until("like the study team to contact", PATIENT_ANSWERS)
    chat.send("yes, you can contact me")
    assert "phone number" in chat.said and chat.screening.contact.consented
    chat.send("Li Wei 13800138000")
    chat.send("evenings")
    record = chat.record()
    assert record["contact"]["phone"] == "+8613800138000" and record["contact"]["name"] == "Li Wei"
    assert chat.conversation.stage == "ended" and "shall we carry on" not in chat.said.lower()


def test_i_told_you_reuses_an_earlier_answer():
    chat = Chat()
    chat.send("hi, I'm 45 and I have osteosarcoma")
    chat.send("yes")  # confirms the suggested role (patient)
    chat.send("I agree")
    if "How old" in chat.said:
        chat.send("I told you already")
        assert chat.screening.facts["age"]["value"] == 45
    assert "age" in chat.screening.facts


def test_correction_after_a_knock_out_reopens_the_screening():
    chat = Chat().open("patient")
    chat.send("I'm 75")
    assert chat.record()["outcome"] == "not_eligible"
    chat.send("sorry, I'm 57 not 75", intent="correct_answer", confidence=0.9)
    assert chat.screening.facts["age"]["value"] == 57 and chat.conversation.stage == "screening"
    assert "sarcoma" in chat.replies[-1]


@pytest.mark.parametrize(
    "language, answers, correction",
    [
        ("en", ["45", "synovial sarcoma with lung mets", "yes anlotinib, it progressed", "chemo 40 days ago", "no"],
         "sorry, I meant the chemo was 20 days ago"),
        ("zh", ["45岁", "滑膜肉瘤，肺转移", "用过安罗替尼，后来进展了", "40天前化疗过", "没有"],
         "哦不对，说错了，是20天前做的化疗"),
    ],
)  # fmt: skip
def test_a_correction_changes_the_answer_it_names_not_just_the_last_one(language, answers, correction):
    """The last answered question was another one (other cancers): the message
    names the chemotherapy, so that answer changes (it did nothing before)."""
    chat = Chat().open("patient")
    if language == "zh":
        chat.send("中文")
    for answer in answers:
        chat.send(answer)
    assert chat.screening.facts["recent_therapy"]["value"]["days_ago"] == 40
    chat.send(correction, intent="correct_answer", confidence=0.9)
    assert chat.screening.facts["recent_therapy"]["value"]["days_ago"] == 20
    assert chat.record()["outcome"] == "not_eligible"


def test_language_switch_keeps_the_answers():
    chat = Chat().open("patient")
    chat.send("45")
    chat.send("中文")
    assert chat.conversation.language == "zh" and chat.screening.language == "zh"
    assert chat.screening.facts["age"]["value"] == 45


def test_an_answer_after_the_end_gets_what_happens_next():
    chat = Chat().open("patient").answer_all(with_answers(how_old="80"))
    chat.send("ok thanks bye")
    assert chat.replies and chat.conversation.stage == "ended"


@pytest.mark.parametrize("answer", ["I'm 45 this year", "我今年45岁"])
def test_a_bare_time_in_an_answer_is_nobodys_event(answer):
    # "this year" / 今年 beside the age once became a heart attack, a bleed, a clot, an
    # infection and a transfusion "this year", said back as noted.
    chat = Chat().open("patient")
    chat.send(answer)
    facts = chat.screening.facts
    assert not {"cardiac_events", "bleeding", "thrombosis", "infection", "counts_support"} & set(facts), facts
    assert facts["age"]["value"] == 45


def test_the_answers_copy_shows_all_of_a_summary_not_its_first_fact():
    chat = Chat().open("physician")
    for text in [
        "58F, myxoid liposarcoma, unresectable, progressed on apatinib. ECOG 1. Hb 112 g/L, 64kg",
        "none apply",
        "tox resolved, postmenopausal, willing, survival >6 mo, RECIST yes, no transfusion",
        "not done",
        "BP 125/80",
        "no thanks",
        "no thanks",
    ]:
        chat.send(text)
    copy = next(t for turn in chat.turns for t in (r.text for r in turn.replies) if "A copy of your answers" in t)
    summary_row = next(line for line in copy.splitlines() if "case summary" in line)
    assert "myxoid liposarcoma" in summary_row and "ECOG 1" in summary_row, summary_row


def test_a_correction_goes_to_the_last_answer_before_one_it_only_mentions():
    """From a review: 'since the chemo' must not send a blood-pressure correction
    to the chemotherapy question (the hypertension knock-out was lost)."""
    chat = Chat().open("patient")
    for text in ["45", "synovial sarcoma with lung mets", "yes anlotinib, it progressed", "no", "no",
                 "fully active", "no", "no", "no"]:  # fmt: skip
        chat.send(text)
    assert chat.screening.facts["hypertension"]["value"] == "no"
    chat.send(
        "sorry, I meant yes, 150/95 even with the tablets, since the chemo", intent="correct_answer", confidence=0.9
    )
    assert chat.screening.facts["hypertension"]["value"] == "yes"
    assert chat.screening.facts["recent_therapy"]["value"]["answer"] == "no"


def test_not_understanding_the_question_is_asked_again_then_goes_to_staff():
    """A persona said "sorry, I'm not sure what you mean" and was asked the same
    question 51 times; now it is asked once more with its hint, then the answer is
    kept as written for the study team and the screening moves on."""
    chat = Chat().open("patient")
    for text in ["45", "synovial sarcoma with lung mets", "yes anlotinib, it progressed", "no", "no"]:
        chat.send(text)
    assert chat.screening.current == "ecog"
    chat.send("sorry, I'm not sure what you mean", intent="explain_term", confidence=0.9)
    assert chat.screening.current == "ecog" and "didn't quite understand" in chat.replies[0]
    chat.send("sorry, I'm not sure what you mean", intent="explain_term", confidence=0.9)
    assert chat.screening.current != "ecog"
    assert chat.screening.facts["ecog"]["answer"] == "sorry, I'm not sure what you mean"
    assert chat.record()["criteria"]["performance_status"]["verdict"] == "uncertain"


def test_a_correction_that_changes_nothing_answers_the_question_asked():
    """A persona's "I think so, the doctor said something about it growing", classified
    as a correction, got "I couldn't tell which answer to change" 55 times."""
    chat = Chat().open("patient")
    for text in ["50", "synovial sarcoma with lung mets", "yes, apatinib"]:
        chat.send(text)
    assert chat.screening.current == "tki_progression"
    for _ in range(2):
        chat.send("I think so, the doctor said something about it growing", intent="correct_answer", confidence=0.9)
        assert not any("couldn't tell which answer" in reply for reply in chat.replies), chat.replies
    assert chat.screening.current != "tki_progression"
    assert "tki_progression" in chat.screening.facts
    assert chat.record()["criteria"]["prior_tki"]["verdict"] == "uncertain"


@pytest.mark.parametrize(
    "summary",
    [
        "58F, myxoid liposarcoma, unresectable, progressed on apatinib. ECOG 1. Postmenopausal. Tox resolved.",
        "女，58岁，黏液样脂肪肉瘤，无法手术，阿帕替尼治疗后进展，ECOG 1，已绝经",
    ],
)
def test_a_summary_answers_steps_in_their_own_words(summary):
    """'postmenopausal' in a physician's summary answers 'could she become pregnant?'
    (it was asked again: found holding a physician conversation by hand)."""
    chat = Chat().open("physician")
    chat.send(summary)
    assert chat.screening.facts["can_become_pregnant"]["value"] == "no"


@pytest.mark.parametrize(
    "language, opening",
    [
        ("zh", ["你好，我儿子12岁，骨肉瘤，想问问这个研究他能不能参加", "我是他妈妈", "同意"]),
        ("en", ["hi, my 12-year-old son has osteosarcoma", "I'm his mum", "I agree"]),
    ],
)
def test_a_parent_who_said_so_is_not_asked_whether_they_are_the_parent(language, opening):
    chat = Chat()
    for text in opening:
        chat.send(text, language=language)
    assert chat.screening.facts["guardian_present"]["value"] == "yes"
    assert chat.screening.current != "guardian_caregiver"


def test_a_carer_who_did_not_say_they_are_the_parent_is_asked():
    chat = Chat()
    for text in ["hello", "I'm a parent, relative or carer", "I agree", "12"]:
        chat.send(text)
    assert chat.screening.current == "guardian_caregiver"


def test_a_summary_pasted_before_consent_is_not_asked_for_again():
    """A doctor pasted the summary as the first message; after consent only age and sex
    were kept and the summary was asked for again (found by a new user)."""
    chat = Chat()
    summary = "男，55岁，左大腿UPS伴肺转移，阿帕替尼后PD，ECOG 1，ANC 2.0，PLT 150，Hb 110 g/L，Cr 75 μmol/L，BP 130/80"
    for text in [summary, "我是医生", "同意"]:
        chat.send(text, language="zh")
    facts = chat.screening.facts
    assert facts["ecog"]["value"]["ecog"] == 1 and "hb" in facts and "blood_pressure" in facts
    assert chat.screening.current != "summary" and "summary" in chat.screening.answered


def test_a_short_first_message_is_not_taken_for_a_summary():
    chat = Chat()
    for text in ["hi, I'm a doctor", "I agree"]:
        chat.send(text)
    assert chat.screening.current == "summary"


@pytest.mark.parametrize(
    "language, answers, denial",
    [
        ("en", ["46", "synovial sarcoma with lung mets", "yes anlotinib, it progressed", "none of these", "no",
                "fully active", "I had some bleeding"], "no, there wasn't any bleeding"),
        ("zh", ["46岁", "滑膜肉瘤，肺转移", "吃过安罗替尼，后来又长大了", "以上都没有", "没有", "活动完全正常",
                "有过出血"], "没有出血啊，我说错了"),
    ],
)  # fmt: skip
def test_a_follow_up_answered_with_a_denial_takes_the_event_back(language, answers, denial):
    """'When was that bleeding?' - 'no, there wasn't any': the bleeding becomes a no and the
    screening moves on (a new user was asked the follow-up again and again)."""
    chat = Chat().open("patient")
    if language == "zh":
        chat.send("中文")
    for text in answers:
        chat.send(text)
    assert chat.screening.current == "bleeding_when", chat.said
    chat.send(denial)
    assert chat.screening.facts["bleeding"]["value"]["answer"] == "no"
    assert chat.screening.current != "bleeding_when"


@pytest.mark.parametrize(
    "language, away, back",
    [
        ("zh", "我现在得去接孩子了，晚点再回来", "我回来了，刚才问到哪了？"),
        ("en", "I have to go, I'll come back", "I'm back, where were we?"),
    ],
)
def test_leaving_and_coming_back_keeps_the_question_and_records_nothing(language, away, back):
    """A new user's '我回来了，刚才问到哪了？' was kept as the answer to the question asked."""
    chat = Chat().open("patient")
    if language == "zh":
        chat.send("中文")
    chat.send("46")
    asked = chat.screening.current
    chat.send(away)
    chat.send(back)
    assert chat.screening.current == asked and asked not in chat.screening.answered
    assert not any(r.get("answer") in (away, back) for r in chat.screening.facts.values())


def test_having_to_go_is_never_read_as_an_answer():
    """'I have to go, I'll come back' at the sarcoma question was kept as a yes."""
    chat = Chat().open("patient")
    chat.send("46")
    chat.send("I have to go, I'll come back")
    assert chat.screening.current == "diagnosis" and "diagnosis" not in chat.screening.facts


def test_no_date_to_check_again_when_waiting_does_not_help():
    """A heart attack 2 months ago (time settles it) and clopidogrel 75 mg (it does not):
    the ending must not invite the doctor back on a date (found by a new user)."""
    from bot.dialogue.endings import recheck_date

    chat = Chat().open("patient")
    for text in ["55", "UPS with lung mets", "yes apatinib, it progressed", "none of these", "no", "fully active",
                 "a heart attack 2 months ago"]:  # fmt: skip
        chat.send(text)
    state = chat.screening
    assert state.knocked_out and recheck_date(chat.trial, state, chat.today) is not None
    state.verdicts["bleeding_thrombosis"] = {"verdict": "fail", "reason": "clopidogrel 75 mg/day"}
    assert recheck_date(chat.trial, state, chat.today) is None


def test_i_have_to_ask_someone_is_a_dont_know_not_a_question():
    """'不清楚，我得问问我妈' (I don't know, I have to ask my mother) got the off-topic reply:
    问问 made it a question (found by a new user)."""
    chat = Chat().open("caregiver")
    chat.send("中文")
    for text in ["68岁", "骨肉瘤，转移到肺了"]:
        chat.send(text)
    chat.send("不清楚，我得问问我妈", intent="out_of_scope", confidence=0.9)
    assert chat.screening.facts["prior_tki"]["value"]["answer"] == "unknown"
