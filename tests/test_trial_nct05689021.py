"""The second real trial, NCT05689021, loads through TRIAL_FILE and scores as its registry text says."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from dialogue_driver import Chat

from bot.check import check_answers
from bot.trial import DEFAULT_TRIAL_FILE, get_trial, load_trial

FILE = Path(__file__).parent.parent / "bot" / "trials" / "NCT05689021.yaml"
TODAY = date(2026, 11, 25)


@pytest.fixture
def trial(monkeypatch):
    monkeypatch.setenv("TRIAL_FILE", str(FILE))
    return get_trial()


def test_the_file_loads_with_its_own_criteria(trial):
    assert trial.id == "NCT05689021"
    ids = {c.id for c in trial.criteria}
    assert all(i.startswith("nct05689021_") for i in ids)
    assert not ids & {c.id for c in load_trial(DEFAULT_TRIAL_FILE).criteria}


REGISTRY = Path(__file__).parent.parent / "docs" / "registry" / "NCT05689021.txt"


def test_every_registry_criterion_is_written_and_quoted_verbatim(trial):
    assert len(trial.criteria) == 28
    assert "NOT COMPLETE" not in FILE.read_text(encoding="utf-8")
    # The registry's bullets as one text: bullet marks and line breaks are not words.
    lines = REGISTRY.read_text(encoding="utf-8").splitlines()
    registry = " ".join(" ".join(re.sub(r"^\s*\*\s*", "", line) for line in lines).split())
    for criterion in trial.criteria:
        # A source joins a bullet and its sub-bullets with "; " (or ": ", or a sentence's end).
        for piece in re.split(r"; |: |\. (?=[A-Z])", criterion.source):
            piece = " ".join(piece.split()).rstrip(".")
            assert piece in registry, (criterion.id, piece)


def _verdict(trial, answers, criterion, role="patient"):
    return check_answers(answers, role=role, today=TODAY, trial=trial)["criteria"][criterion]["verdict"]


@pytest.mark.parametrize(
    ("answers", "criterion", "verdict", "role"),
    [
        ([("age", "17")], "nct05689021_age", "fail", "patient"),
        ([("age", "65")], "nct05689021_age", "pass", "patient"),
        ([("sex", "female")], "nct05689021_male", "fail", "patient"),
        ([("sex", "male")], "nct05689021_male", "pass", "patient"),
        ([("prior_parp_platinum", "I had olaparib")], "nct05689021_prior_parp_platinum", "fail", "patient"),
        ([("prior_parp_platinum", "carboplatin last year")], "nct05689021_prior_parp_platinum", "fail", "patient"),
        ([("prior_parp_platinum", "no")], "nct05689021_prior_parp_platinum", "pass", "patient"),
        ([("ecog", "ECOG 3")], "nct05689021_ecog", "fail", "physician"),
        ([("ecog", "ECOG 1")], "nct05689021_ecog", "pass", "physician"),
        ([("blood_count_labs", "ANC 1.2, PLT 200, Hb 12 g/dL")], "nct05689021_blood_counts", "fail", "physician"),
        ([("blood_count_labs", "ANC 2.0, PLT 200, Hb 12 g/dL")], "nct05689021_blood_counts", "pass", "physician"),
        ([("hypertension", "165/90")], "nct05689021_hypertension", "fail", "patient"),
        ([("hypertension", "no")], "nct05689021_hypertension", "pass", "patient"),
        ([("heart_attack", "heart attack 2 months ago")], "nct05689021_myocardial_infarction", "fail", "patient"),
        ([("other_malignancy", "bowel cancer last year")], "nct05689021_other_malignancy", "fail", "patient"),
        (
            [("liver_labs", "bilirubin 4 x ULN, AST 1 x ULN, ALT 1 x ULN")],
            "nct05689021_liver_function",
            "fail",
            "physician",
        ),
        ([("heart_attack", "no")], "nct05689021_myocardial_infarction", "pass", "patient"),
    ],
)
def test_answers_score_as_the_registry_says(trial, answers, criterion, verdict, role):
    assert _verdict(trial, answers, criterion, role) == verdict


# The criteria written after the first ten: each with a clearly eligible answer, a clearly
# ineligible one and an unclear one. Criteria the site settles from records (histology,
# SPOP, PSA/scan progression, testosterone) give ``pending`` for an eligible answer: the
# study team still checks the report; nothing unclear passes.
NEW_CRITERIA = [
    # Inclusion 2: histology (pending: the pathology report)
    ([("histology", "yes")], "nct05689021_histology", "pending", "patient"),
    ([("histology", "adenocarcinoma, Gleason 8")], "nct05689021_histology", "pending", "physician"),
    ([("histology", "no, I never had a biopsy")], "nct05689021_histology", "fail", "patient"),
    ([("histology", "not sure")], "nct05689021_histology", "uncertain", "patient"),
    # Inclusion 3: SPOP (pending: the genomic report)
    ([("spop", "yes")], "nct05689021_spop", "pending", "patient"),
    ([("spop", "SPOP mutation on Foundation One")], "nct05689021_spop", "pending", "physician"),
    ([("spop", "no")], "nct05689021_spop", "fail", "patient"),
    ([("spop", "no spop mutation found")], "nct05689021_spop", "fail", "patient"),
    ([("spop", "I don't know")], "nct05689021_spop", "uncertain", "patient"),
    # Inclusion 5: progression on ADT (pending: PSA values or scans) and a prior AR-targeted therapy
    (
        [("adt_progression", "yes"), ("prior_ar_therapy", "yes, enzalutamide")],
        "nct05689021_progression",
        "pending",
        "patient",
    ),
    ([("adt_progression", "yes"), ("prior_ar_therapy", "no")], "nct05689021_progression", "fail", "patient"),
    ([("adt_progression", "no, my PSA is stable")], "nct05689021_progression", "fail", "patient"),
    ([("adt_progression", "not sure"), ("prior_ar_therapy", "yes")], "nct05689021_progression", "uncertain", "patient"),
    ([("adt_progression", "yes"), ("prior_ar_therapy", "not sure")], "nct05689021_progression", "uncertain", "patient"),
    # Inclusion 6: at most two lines of taxane
    ([("taxane", "no")], "nct05689021_taxane_lines", "pass", "patient"),
    (
        [("taxane", "yes, docetaxel"), ("taxane_lines", "just one course")],
        "nct05689021_taxane_lines",
        "pass",
        "patient",
    ),
    ([("taxane", "yes"), ("taxane_lines", "no, three times")], "nct05689021_taxane_lines", "fail", "patient"),
    ([("taxane", "yes"), ("taxane_lines", "three lines")], "nct05689021_taxane_lines", "fail", "physician"),
    ([("taxane", "yes"), ("taxane_lines", "not sure")], "nct05689021_taxane_lines", "uncertain", "patient"),
    ([("taxane", "not sure")], "nct05689021_taxane_lines", "uncertain", "patient"),
    # Inclusion 8: castrated (pending: the testosterone level)
    ([("castration", "I'm on Lupron injections every 3 months")], "nct05689021_castration", "pending", "patient"),
    ([("castration", "I had an orchiectomy")], "nct05689021_castration", "pending", "patient"),
    ([("castration", "no, I stopped the injections last year")], "nct05689021_castration", "fail", "patient"),
    ([("castration", "I stopped Lupron")], "nct05689021_castration", "fail", "patient"),
    ([("castration", "not sure")], "nct05689021_castration", "uncertain", "patient"),
    # Inclusion 15: creatinine clearance (Cockcroft-Gault) >= 45
    ([("renal_labs", "CrCl 62 ml/min")], "nct05689021_creatinine_clearance", "pass", "physician"),
    ([("renal_labs", "CrCl 40 ml/min")], "nct05689021_creatinine_clearance", "fail", "physician"),
    ([("renal_labs", "CrCl about 45")], "nct05689021_creatinine_clearance", "uncertain", "physician"),
    ([("renal_labs", "not sure")], "nct05689021_creatinine_clearance", "uncertain", "physician"),
    ([("renal_labs", "not available")], "nct05689021_creatinine_clearance", "pending", "physician"),
    # Inclusion 16: condoms, no semen donation, contraception
    ([("contraception_male", "yes")], "nct05689021_contraception", "pass", "patient"),
    ([("contraception_male", "not sexually active")], "nct05689021_contraception", "pass", "patient"),
    ([("contraception_male", "I won't use condoms")], "nct05689021_contraception", "fail", "patient"),
    ([("contraception_male", "not sure")], "nct05689021_contraception", "uncertain", "patient"),
    # Inclusion 17: written informed consent
    ([("consent", "yes")], "nct05689021_consent", "pass", "patient"),
    ([("consent", "no, I won't sign anything")], "nct05689021_consent", "fail", "patient"),
    ([("consent", "patient lacks capacity")], "nct05689021_consent", "fail", "physician"),
    ([("consent", "not sure")], "nct05689021_consent", "uncertain", "patient"),
    # Exclusion 2: MDS or myeloid malignancy
    ([("mds_aml", "no")], "nct05689021_mds_aml", "pass", "patient"),
    ([("mds_aml", "yes, MDS two years ago")], "nct05689021_mds_aml", "fail", "patient"),
    ([("mds_aml", "AML in 2019")], "nct05689021_mds_aml", "fail", "physician"),
    ([("mds_aml", "not sure")], "nct05689021_mds_aml", "uncertain", "patient"),
    # Exclusion 3: surgery within 3 weeks, chemotherapy within 2 weeks
    ([("recent_surgery", "no")], "nct05689021_recent_surgery", "pass", "patient"),
    (
        [("recent_surgery", "yes"), ("recent_surgery_when", "2 months ago")],
        "nct05689021_recent_surgery",
        "pass",
        "patient",
    ),
    ([("recent_surgery", "yes, a knee operation 10 days ago")], "nct05689021_recent_surgery", "fail", "patient"),
    (
        [("recent_surgery", "yes"), ("recent_surgery_when", "last week")],
        "nct05689021_recent_surgery",
        "fail",
        "patient",
    ),
    ([("recent_surgery", "not sure")], "nct05689021_recent_surgery", "uncertain", "patient"),
    ([("recent_surgery", "a biopsy last week")], "nct05689021_recent_surgery", "uncertain", "patient"),
    ([("recent_chemo", "no")], "nct05689021_recent_chemotherapy", "pass", "patient"),
    (
        [("recent_chemo", "yes"), ("recent_chemo_when", "a month ago")],
        "nct05689021_recent_chemotherapy",
        "pass",
        "patient",
    ),
    ([("recent_chemo", "docetaxel 5 days ago")], "nct05689021_recent_chemotherapy", "fail", "physician"),
    (
        [("recent_chemo", "yes"), ("recent_chemo_when", "not sure")],
        "nct05689021_recent_chemotherapy",
        "uncertain",
        "patient",
    ),
    ([("recent_chemo", "not sure")], "nct05689021_recent_chemotherapy", "uncertain", "patient"),
    # Exclusion 8: another investigational agent for the prostate cancer
    ([("investigational", "no, not in any trial")], "nct05689021_investigational", "pass", "patient"),
    ([("investigational", "yes, a study drug")], "nct05689021_investigational", "fail", "patient"),
    ([("investigational", "not sure")], "nct05689021_investigational", "uncertain", "patient"),
    # Exclusion 4: other severe illness (the investigator judges a reported one: never a pass)
    ([("comorbid_illness", "no")], "nct05689021_comorbid_illness", "pass", "patient"),
    ([("comorbid_illness", "yes, severe COPD")], "nct05689021_comorbid_illness", "uncertain", "patient"),
    ([("comorbid_illness", "not sure")], "nct05689021_comorbid_illness", "uncertain", "patient"),
    # Exclusion 5: prognosis under 16 weeks (the clinician's assessment)
    ([("prognosis", "yes")], "nct05689021_prognosis", "pass", "physician"),
    ([("prognosis", "16 weeks")], "nct05689021_prognosis", "pass", "physician"),
    ([("prognosis", "12 weeks")], "nct05689021_prognosis", "fail", "physician"),
    ([("prognosis", "weeks")], "nct05689021_prognosis", "fail", "physician"),
    ([("prognosis", "about 4 months")], "nct05689021_prognosis", "uncertain", "physician"),
    ([("prognosis", "not sure")], "nct05689021_prognosis", "uncertain", "physician"),
    # Exclusion 6: HIV with one of the listed conditions (otherwise pending: the sponsor reviews the medicines)
    ([("hiv", "no")], "nct05689021_hiv", "pass", "patient"),
    ([("hiv", "yes"), ("hiv_conditions", "no")], "nct05689021_hiv", "pending", "patient"),
    ([("hiv", "yes"), ("hiv_conditions", "yes, my CD4 is below 350")], "nct05689021_hiv", "fail", "patient"),
    ([("hiv", "yes"), ("hiv_conditions", "not on ART")], "nct05689021_hiv", "fail", "physician"),
    ([("hiv", "yes"), ("hiv_conditions", "not sure")], "nct05689021_hiv", "uncertain", "patient"),
    ([("hiv", "not sure")], "nct05689021_hiv", "uncertain", "patient"),
    # Exclusion 11: symptomatic brain metastases (without symptoms: pending, the site reviews them)
    ([("brain_metastases", "no")], "nct05689021_brain_metastases", "pass", "patient"),
    (
        [("brain_metastases", "yes"), ("brain_symptoms", "asymptomatic")],
        "nct05689021_brain_metastases",
        "pending",
        "physician",
    ),
    (
        [("brain_metastases", "yes"), ("brain_symptoms", "yes, headaches")],
        "nct05689021_brain_metastases",
        "fail",
        "patient",
    ),
    ([("brain_metastases", "not sure")], "nct05689021_brain_metastases", "uncertain", "patient"),
    (
        [("brain_metastases", "yes"), ("brain_symptoms", "not sure")],
        "nct05689021_brain_metastases",
        "uncertain",
        "patient",
    ),
    # Exclusion 7: uncontrolled intercurrent illness (its MI and blood pressure items are scored above)
    (
        [("active_infection", "no"), ("heart_conditions", "no"), ("compliance", "no")],
        "nct05689021_intercurrent_illness",
        "pass",
        "patient",
    ),
    ([("heart_conditions", "AF, rate controlled")], "nct05689021_intercurrent_illness", "pass", "physician"),
    (
        [("active_infection", "yes, a chest infection on antibiotics")],
        "nct05689021_intercurrent_illness",
        "fail",
        "patient",
    ),
    (
        [("active_infection", "no"), ("heart_conditions", "yes, heart failure, I get breathless")],
        "nct05689021_intercurrent_illness",
        "fail",
        "patient",
    ),
    ([("heart_conditions", "uncontrolled AF")], "nct05689021_intercurrent_illness", "fail", "physician"),
    # An old heart attack named here is not read as a yes (the heart attack criterion dates it).
    ([("heart_conditions", "heart attack 2 years ago")], "nct05689021_intercurrent_illness", "uncertain", "patient"),
    (
        [("active_infection", "no"), ("heart_conditions", "no"), ("compliance", "yes, I have nobody to drive me")],
        "nct05689021_intercurrent_illness",
        "uncertain",
        "patient",
    ),
    ([("active_infection", "not sure")], "nct05689021_intercurrent_illness", "uncertain", "patient"),
    # Exclusion 12: prednisone contraindicated, or more than 10 mg prednisone a day (or equivalent) needed
    ([("prednisone_contraindication", "no"), ("steroids", "no")], "nct05689021_prednisone", "pass", "patient"),
    (
        [("prednisone_contraindication", "no"), ("steroids", "prednisone 5 mg twice a day")],
        "nct05689021_prednisone",
        "pass",
        "patient",
    ),
    (
        [("prednisone_contraindication", "no"), ("steroids", "dexamethasone 4 mg daily")],
        "nct05689021_prednisone",
        "fail",
        "physician",
    ),
    (
        [("prednisone_contraindication", "no"), ("steroids", "yes"), ("steroid_detail", "prednisolone 20 mg a day")],
        "nct05689021_prednisone",
        "fail",
        "patient",
    ),
    ([("prednisone_contraindication", "yes, I had a bad reaction to it")], "nct05689021_prednisone", "fail", "patient"),
    ([("prednisone_contraindication", "not sure")], "nct05689021_prednisone", "uncertain", "patient"),
    ([("prednisone_contraindication", "no"), ("steroids", "yes")], "nct05689021_prednisone", "uncertain", "patient"),
    (
        [("prednisone_contraindication", "no"), ("steroids", "not sure")],
        "nct05689021_prednisone",
        "uncertain",
        "patient",
    ),
]


@pytest.mark.parametrize(("answers", "criterion", "verdict", "role"), NEW_CRITERIA)
def test_the_criteria_written_later_score_as_the_registry_says(trial, answers, criterion, verdict, role):
    assert _verdict(trial, answers, criterion, role) == verdict


REPLIES = [
    ("other cancer", "no"),  # before "prostate": this question names the prostate cancer too
    ("biopsy", "yes"),  # before "prostate" too
    ("spop", "yes"),
    ("psa kept rising", "yes"),
    ("abiraterone", "yes, enzalutamide"),
    ("docetaxel", "no"),
    ("testosterone low", "yes, Lupron every 3 months"),
    ("donate semen", "yes"),
    ("consent form", "yes"),
    ("myelodysplastic", "no"),
    ("operation (surgery)", "no"),
    ("any chemotherapy", "no"),
    ("experimental medicine", "no"),
    ("positive for hiv", "no"),
    ("spread to your brain", "no"),
    ("other serious illness", "no"),
    ("infection at the moment", "no"),
    ("heart problems", "no"),
    ("follow the study plan", "no"),
    ("must not take prednisone", "no"),
    ("steroid medicines every day", "no"),
    ("how old", "65"),  # not "old": "has a doctor told you" holds it too
    ("male or female", "male"),
    ("prostate", "yes"),
    ("parp", "no"),
    ("usual day", "Fully active, no restrictions"),
    ("heart attack", "no"),
    ("blood pressure", "no"),
    ("contact you", "John Smith, 507 555 0199, weekday mornings"),
    ("correct", "yes"),
]


def test_a_conversation_reaches_the_end_with_only_this_trials_questions(trial, monkeypatch):
    monkeypatch.setenv("TRIAL_CONTACT_PHONE", "+1 507 555 0100")
    chat = Chat(trial=trial).open("patient")
    said = []
    for _ in range(40):
        said.append(chat.said)
        if chat.conversation.stage == "ended":
            break
        last = chat.replies[-1].lower() if chat.replies else ""
        answer = next((a for key, a in REPLIES if key in last), None)
        assert answer is not None, last
        chat.send(answer)
    text = "\n".join(said).lower()
    assert chat.conversation.stage == "ended"
    # The person's number, read in the trial's phone region (US), reaches staff.
    assert chat.record()["contact"]["phone"] == "+15075550199"
    # Every criterion is scored; the eligible answers leave only the site's checks pending.
    record = chat.record()
    assert set(record["criteria"]) == {c.id for c in trial.criteria}
    assert {c["verdict"] for c in record["criteria"].values()} == {"pass", "pending"}
    assert record["outcome"] == "likely_eligible"
    assert "sarcoma" not in text and "apatinib" not in text
