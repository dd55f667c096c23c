"""Pass/fail boundaries for every criterion of the trial file, scored from facts.

Facts are given directly (as the parsers would produce them), so these tests
check the trial data and the rule types together, independent of parsing.
"""

from datetime import date

import pytest

from bot.outcome import FAIL, NOT_APPLICABLE, PASS, PENDING, UNCERTAIN
from bot.rules import Context, evaluate
from bot.trial import get_trial

TODAY = date(2026, 11, 25)
DESIGN_IDS = {
    "age",
    "performance_status",
    "life_expectancy",
    "diagnosis",
    "prior_tki",
    "measurable_disease",
    "toxicity_recovered",
    "blood_counts",
    "renal_function",
    "liver_function",
    "coagulation",
    "urine_protein",
    "thyroid_function",
    "pregnancy_contraception",
    "consent_compliance",
    "recent_anticancer_therapy",
    "planned_local_therapy",
    "immunosuppressants",
    "infection",
    "hypertension",
    "bleeding_thrombosis",
    "cardiac",
    "other_malignancy",
    "drug_allergy",
    "viral_infection",
    "other_serious_condition",
}


def fact(value, confidence=0.95, unclear=False, answer="(answer)"):
    return {"value": value, "confidence": confidence, "unclear": unclear, "answer": answer}


def lab(analyte, value, unit="", uln=None, x_uln=None, status=None):
    return fact({"analyte": analyte, "value": value, "unit": unit, "uln": uln, "x_uln": x_uln, "status": status})


def event(answer, days_ago=None):
    return fact({"answer": answer, "days_ago": days_ago, "term": None})


def drugs(*items, answer="yes", progression=None):
    return fact({"answer": answer, "drugs": list(items), "progression": progression})


def drug(name, classes=(), dose=None, route=None, pred=None):
    return {
        "name": name,
        "classes": list(classes),
        "daily_dose_mg": dose,
        "route": route,
        "prednisolone_equivalent_mg": pred,
    }


def score(criterion_id, facts, role="physician"):
    criterion = get_trial().criterion(criterion_id)
    return evaluate(criterion.rule, Context(facts, {}, role, TODAY))


def test_every_design_criterion_is_defined_once():
    ids = [criterion.id for criterion in get_trial().criteria]
    assert sorted(ids) == sorted(DESIGN_IDS)


CASES = [
    # age: 10-70 inclusive
    ("age", {"age": fact(10)}, PASS),
    ("age", {"age": fact(70)}, PASS),
    ("age", {"age": fact(9)}, FAIL),
    ("age", {"age": fact(71)}, FAIL),
    ("age", {"age": fact(None, unclear=True)}, UNCERTAIN),
    # ECOG 0-1, 2 after amputation; self-reports 2-3 to review, 4 fails
    ("performance_status", {"ecog": fact({"ecog": 1, "self_report": False})}, PASS),
    ("performance_status", {"ecog": fact({"ecog": 2, "self_report": False}), "amputation": fact("yes")}, PASS),
    ("performance_status", {"ecog": fact({"ecog": 2, "self_report": False}), "amputation": fact("no")}, FAIL),
    ("performance_status", {"ecog": fact({"ecog": 3, "self_report": False}), "amputation": fact("yes")}, FAIL),
    ("performance_status", {"ecog": fact({"ecog": 2, "self_report": True})}, UNCERTAIN),
    ("performance_status", {"ecog": fact({"ecog": 3, "self_report": True})}, UNCERTAIN),
    ("performance_status", {"ecog": fact({"ecog": 4, "self_report": True})}, FAIL),
    # life expectancy >= 3 months (physician only)
    ("life_expectancy", {"life_expectancy": fact("yes")}, PASS),
    ("life_expectancy", {"life_expectancy": fact("no")}, FAIL),
    ("life_expectancy", {}, PENDING),
    # diagnosis
    ("diagnosis", {"diagnosis": fact({"sarcoma": True, "subtype": "UPS", "extent": "metastatic"})}, PASS),
    ("diagnosis", {"diagnosis": fact({"sarcoma": True, "extent": "confirmed_by_patient"})}, PASS),
    ("diagnosis", {"diagnosis": fact({"sarcoma": False, "other_cancer": "breast cancer"})}, FAIL),
    ("diagnosis", {"diagnosis": fact({"sarcoma": True, "extent": "resectable"})}, FAIL),
    ("diagnosis", {"diagnosis": fact({"sarcoma": True, "extent": None})}, UNCERTAIN),
    (
        "diagnosis",
        {
            "diagnosis": fact({"sarcoma": True, "extent": None}),
            "diagnosis_extent": fact({"sarcoma": None, "extent": "unresectable"}),
        },
        PASS,
    ),
    # prior apatinib/anlotinib with progression
    ("prior_tki", {"prior_tki": drugs(drug("anlotinib", ["tki"]), progression=True)}, PASS),
    ("prior_tki", {"prior_tki": drugs(answer="no")}, FAIL),
    ("prior_tki", {"prior_tki": drugs(drug("pazopanib", ["tki"]))}, FAIL),
    ("prior_tki", {"prior_tki": drugs(drug("apatinib", ["tki"])), "tki_progression": fact("yes")}, PASS),
    ("prior_tki", {"prior_tki": drugs(drug("apatinib", ["tki"])), "tki_progression": fact("no")}, FAIL),
    ("prior_tki", {"prior_tki": drugs(drug("apatinib", ["tki"])), "tki_progression": fact("unknown")}, UNCERTAIN),
    # measurable disease
    ("measurable_disease", {"measurable_disease": fact("yes")}, PASS),
    ("measurable_disease", {"measurable_disease": fact("no")}, FAIL),
    ("measurable_disease", {}, PENDING),
    # toxicities
    ("toxicity_recovered", {"toxicity_resolved": fact("yes")}, PASS),
    ("toxicity_recovered", {"toxicity_resolved": fact("no")}, UNCERTAIN),
    ("toxicity_recovered", {"toxicity_ongoing": fact("no")}, PASS),
    ("toxicity_recovered", {"toxicity_ongoing": fact("yes")}, UNCERTAIN),
    # blood counts: ANC >= 1.5, PLT >= 100, Hb >= 90 g/L; no transfusion/G-CSF within 14 days
    (
        "blood_counts",
        {"counts_support": event("no"), "anc": lab("anc", 1.5), "plt": lab("plt", 100), "hb": lab("hb", 90)},
        PASS,
    ),
    (
        "blood_counts",
        {"counts_support": event("no"), "anc": lab("anc", 1.49), "plt": lab("plt", 100), "hb": lab("hb", 90)},
        FAIL,
    ),
    (
        "blood_counts",
        {"counts_support": event("no"), "anc": lab("anc", 2), "plt": lab("plt", 99), "hb": lab("hb", 120)},
        FAIL,
    ),
    (
        "blood_counts",
        {"counts_support": event("no"), "anc": lab("anc", 2), "plt": lab("plt", 150), "hb": lab("hb", 89)},
        FAIL,
    ),
    (
        "blood_counts",
        {"counts_support": event("yes", 5), "anc": lab("anc", 2), "plt": lab("plt", 150), "hb": lab("hb", 120)},
        UNCERTAIN,
    ),
    (
        "blood_counts",
        {"counts_support": event("yes", 20), "anc": lab("anc", 2), "plt": lab("plt", 150), "hb": lab("hb", 120)},
        PASS,
    ),
    ("blood_counts", {"counts_support": event("no")}, PENDING),
    # coagulation: INR <= 1.5; PT, APTT <= 1.5 x ULN
    ("coagulation", {"inr": lab("inr", 1.5), "pt": lab("pt", 13, uln=13), "aptt": lab("aptt", None, x_uln=1.5)}, PASS),
    ("coagulation", {"inr": lab("inr", 1.51), "pt": lab("pt", 13, uln=13), "aptt": lab("aptt", None, x_uln=1.0)}, FAIL),
    ("coagulation", {"inr": lab("inr", 1.1), "pt": lab("pt", 21, uln=13), "aptt": lab("aptt", None, x_uln=1.0)}, FAIL),
    # urine protein: < 2+, or 24-h <= 1 g
    ("urine_protein", {"urine_protein": lab("urine_protein", 1)}, PASS),
    (
        "urine_protein",
        {"urine_protein": lab("urine_protein", 2), "urine_protein_24h": lab("urine_protein_24h", 1.0)},
        PASS,
    ),
    (
        "urine_protein",
        {"urine_protein": lab("urine_protein", 3), "urine_protein_24h": lab("urine_protein_24h", 1.2)},
        FAIL,
    ),
    ("urine_protein", {"urine_protein": lab("urine_protein", 2)}, UNCERTAIN),
    # thyroid: TSH <= ULN, else normal FT3/FT4
    ("thyroid_function", {"tsh": lab("tsh", 4.2, uln=4.2)}, PASS),
    (
        "thyroid_function",
        {
            "tsh": lab("tsh", 6, uln=4.2),
            "ft3": lab("ft3", None, status="normal"),
            "ft4": lab("ft4", None, status="normal"),
        },
        PASS,
    ),
    (
        "thyroid_function",
        {
            "tsh": lab("tsh", 6, uln=4.2),
            "ft3": lab("ft3", None, status="normal"),
            "ft4": lab("ft4", None, status="abnormal"),
        },
        FAIL,
    ),
    ("thyroid_function", {"tsh": lab("tsh", 6, uln=4.2)}, UNCERTAIN),
    # recent anticancer therapy within 4 weeks (28 days)
    ("recent_anticancer_therapy", {"recent_therapy": event("yes", 28)}, FAIL),
    ("recent_anticancer_therapy", {"recent_therapy": event("yes", 29)}, PASS),
    ("recent_anticancer_therapy", {"recent_therapy": event("no")}, PASS),
    ("recent_anticancer_therapy", {"recent_therapy": event("yes")}, UNCERTAIN),
    (
        "recent_anticancer_therapy",
        {"recent_therapy": event("yes"), "recent_therapy_when": fact({"days_ago": 10})},
        FAIL,
    ),
    ("recent_anticancer_therapy", {"recent_therapy": event("no", None) | {"confidence": 0.5}}, UNCERTAIN),
    # planned surgery / radiotherapy
    ("planned_local_therapy", {"planned_local_therapy": fact("yes")}, FAIL),
    ("planned_local_therapy", {"planned_local_therapy": fact("no")}, PASS),
    ("planned_local_therapy", {"planned_local_therapy": fact("unknown")}, UNCERTAIN),
    # immunosuppressants: prednisolone <= 10 mg/day allowed, inhaled/nasal allowed
    (
        "immunosuppressants",
        {"immunosuppressants": drugs(drug("prednisolone", ["corticosteroid"], 10, "oral", 10))},
        PASS,
    ),
    (
        "immunosuppressants",
        {"immunosuppressants": drugs(drug("dexamethasone", ["corticosteroid"], 4, "oral", 26.7))},
        FAIL,
    ),
    (
        "immunosuppressants",
        {"immunosuppressants": drugs(drug("budesonide", ["corticosteroid"], None, "inhaled"))},
        PASS,
    ),
    ("immunosuppressants", {"immunosuppressants": drugs(drug("tacrolimus", ["immunosuppressant"], 2))}, FAIL),
    ("immunosuppressants", {"immunosuppressants": drugs(drug("prednisone", ["corticosteroid"]))}, UNCERTAIN),
    ("immunosuppressants", {"immunosuppressants": drugs(answer="no")}, PASS),
    # infection within 4 weeks, fever > 38.5 C
    ("infection", {"infection": event("no"), "fever": fact({"answer": "no", "celsius": None})}, PASS),
    ("infection", {"infection": event("yes", 20), "fever": fact({"answer": "no", "celsius": None})}, FAIL),
    ("infection", {"infection": event("no"), "fever": fact({"answer": "yes", "celsius": 38.5})}, PASS),
    ("infection", {"infection": event("no"), "fever": fact({"answer": "yes", "celsius": 38.6})}, FAIL),
    # hypertension > 140/90
    ("hypertension", {"blood_pressure": fact({"systolic": 140, "diastolic": 90})}, PASS),
    ("hypertension", {"blood_pressure": fact({"systolic": 141, "diastolic": 80})}, FAIL),
    ("hypertension", {"blood_pressure": fact({"systolic": 130, "diastolic": 91})}, FAIL),
    ("hypertension", {"hypertension": fact("no")}, PASS),
    ("hypertension", {"hypertension": fact("yes")}, PENDING),
    # bleeding (3 months), thrombosis (6 months), anticoagulants and antiplatelet doses
    (
        "bleeding_thrombosis",
        {"bleeding": event("no"), "thrombosis": event("no"), "anticoagulants": drugs(answer="no")},
        PASS,
    ),
    (
        "bleeding_thrombosis",
        {"bleeding": event("yes", 60), "thrombosis": event("no"), "anticoagulants": drugs(answer="no")},
        FAIL,
    ),
    (
        "bleeding_thrombosis",
        {"bleeding": event("yes", 100), "thrombosis": event("no"), "anticoagulants": drugs(answer="no")},
        PASS,
    ),
    (
        "bleeding_thrombosis",
        {"bleeding": event("no"), "thrombosis": event("yes", 150), "anticoagulants": drugs(answer="no")},
        FAIL,
    ),
    (
        "bleeding_thrombosis",
        {"bleeding": event("no"), "thrombosis": event("yes", 400), "anticoagulants": drugs(answer="no")},
        PASS,
    ),
    (
        "bleeding_thrombosis",
        {
            "bleeding": event("no"),
            "thrombosis": event("no"),
            "anticoagulants": drugs(drug("aspirin", ["antiplatelet"], 100)),
        },
        PASS,
    ),
    (
        "bleeding_thrombosis",
        {
            "bleeding": event("no"),
            "thrombosis": event("no"),
            "anticoagulants": drugs(drug("aspirin", ["antiplatelet"], 300)),
        },
        FAIL,
    ),
    (
        "bleeding_thrombosis",
        {
            "bleeding": event("no"),
            "thrombosis": event("no"),
            "anticoagulants": drugs(drug("clopidogrel", ["antiplatelet"], 75)),
        },
        FAIL,
    ),
    (
        "bleeding_thrombosis",
        {
            "bleeding": event("no"),
            "thrombosis": event("no"),
            "anticoagulants": drugs(drug("warfarin", ["anticoagulant"], 3)),
        },
        FAIL,
    ),
    (
        "bleeding_thrombosis",
        {
            "bleeding": event("no"),
            "thrombosis": event("no"),
            "anticoagulants": drugs(drug("rivaroxaban", ["anticoagulant"], 20)),
        },
        UNCERTAIN,
    ),
    # cardiac: events within 6 months, LVEF >= 50, QTcF <= 450 men / 470 women
    (
        "cardiac",
        {"cardiac_events": event("no"), "lvef": lab("lvef", 50), "qtcf": lab("qtcf", 450), "sex": fact("male")},
        PASS,
    ),
    (
        "cardiac",
        {"cardiac_events": event("no"), "lvef": lab("lvef", 49), "qtcf": lab("qtcf", 420), "sex": fact("male")},
        FAIL,
    ),
    (
        "cardiac",
        {"cardiac_events": event("no"), "lvef": lab("lvef", 60), "qtcf": lab("qtcf", 460), "sex": fact("male")},
        FAIL,
    ),
    (
        "cardiac",
        {"cardiac_events": event("no"), "lvef": lab("lvef", 60), "qtcf": lab("qtcf", 460), "sex": fact("female")},
        PASS,
    ),
    (
        "cardiac",
        {"cardiac_events": event("no"), "lvef": lab("lvef", 60), "qtcf": lab("qtcf", 471), "sex": fact("female")},
        FAIL,
    ),
    ("cardiac", {"cardiac_events": event("no"), "lvef": lab("lvef", 60), "qtcf": lab("qtcf", 460)}, UNCERTAIN),
    ("cardiac", {"cardiac_events": event("yes", 100)}, FAIL),
    ("cardiac", {"cardiac_events": event("yes", 1826)}, PENDING),  # old MI; echo and ECG at the site
    # other malignancy within 3 years, with exceptions
    ("other_malignancy", {"other_malignancy": fact({"answer": "no"})}, PASS),
    (
        "other_malignancy",
        {
            "other_malignancy": fact(
                {"answer": "yes", "cancer": "basal cell carcinoma", "exception": True, "days_ago": 200}
            )
        },
        PASS,
    ),
    (
        "other_malignancy",
        {"other_malignancy": fact({"answer": "yes", "cancer": "breast cancer", "exception": False, "days_ago": 700})},
        FAIL,
    ),
    (
        "other_malignancy",
        {"other_malignancy": fact({"answer": "yes", "cancer": "breast cancer", "exception": False, "days_ago": 1200})},
        PASS,
    ),
    (
        "other_malignancy",
        {"other_malignancy": fact({"answer": "yes", "cancer": "thyroid cancer", "exception": False, "days_ago": None})},
        UNCERTAIN,
    ),
    # drug allergy
    ("drug_allergy", {"drug_allergy": fact("yes")}, FAIL),
    ("drug_allergy", {"drug_allergy": fact("no")}, PASS),
    # viral: HIV; active HBV needs HBsAg+ AND DNA >= 500; HCV needs Ab+ AND RNA detectable
    ("viral_infection", {"viral": fact({"answer": "no"})}, PASS),
    ("viral_infection", {"viral": fact({"answer": "yes", "hiv": "positive"})}, FAIL),
    ("viral_infection", {"viral": fact({"answer": "yes", "hbsag": "positive", "hbv_dna_iu_ml": 500})}, FAIL),
    ("viral_infection", {"viral": fact({"answer": "yes", "hbsag": "positive", "hbv_dna_iu_ml": 499})}, PASS),
    ("viral_infection", {"viral": fact({"answer": "yes", "hbsag": "positive"})}, UNCERTAIN),
    ("viral_infection", {"viral": fact({"answer": "yes", "hcv_ab": "positive", "hcv_rna": "undetectable"})}, PASS),
    ("viral_infection", {"viral": fact({"answer": "yes", "hcv_ab": "positive", "hcv_rna": "detectable"})}, FAIL),
    # other serious condition: investigator judgement
    ("other_serious_condition", {"other_serious_condition": fact("yes")}, UNCERTAIN),
    ("other_serious_condition", {"other_serious_condition": fact("no")}, PASS),
    # pregnancy and contraception
    ("pregnancy_contraception", {"sex": fact("female"), "can_become_pregnant": fact("no")}, NOT_APPLICABLE),
    (
        "pregnancy_contraception",
        {"sex": fact("female"), "can_become_pregnant": fact("yes"), "pregnant": fact("yes")},
        FAIL,
    ),
    (
        "pregnancy_contraception",
        {
            "sex": fact("female"),
            "can_become_pregnant": fact("yes"),
            "pregnant": fact("no"),
            "contraception_female": fact("yes"),
        },
        PENDING,
    ),
    (
        "pregnancy_contraception",
        {
            "sex": fact("female"),
            "can_become_pregnant": fact("yes"),
            "pregnant": fact("no"),
            "contraception_female": fact("no"),
        },
        FAIL,
    ),
    ("pregnancy_contraception", {"sex": fact("male"), "contraception_male": fact("yes")}, PASS),
    ("pregnancy_contraception", {"sex": fact("male"), "contraception_male": fact("no")}, FAIL),
    # consent and compliance
    ("consent_compliance", {"consent_compliance": fact("yes")}, PASS),
    ("consent_compliance", {"consent_compliance": fact("no")}, FAIL),
    ("consent_compliance", {"consent_compliance": fact("yes", confidence=0.5)}, UNCERTAIN),
]


@pytest.mark.parametrize("criterion_id,facts,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_boundaries(criterion_id, facts, expected):
    result = score(criterion_id, facts)
    assert result.verdict == expected, result.reason
    assert result.reason.text()  # every verdict carries a reason staff can read


def test_self_reported_no_progression_goes_to_review_but_physician_fails():
    facts = {"prior_tki": drugs(drug("anlotinib", ["tki"])), "tki_progression": fact("no")}
    assert score("prior_tki", facts, role="patient").verdict == UNCERTAIN
    assert score("prior_tki", facts, role="physician").verdict == FAIL


def test_liver_limit_relaxed_to_five_times_uln_with_liver_metastases():
    base = {"bilirubin": lab("bilirubin", 10, uln=21), "alt": lab("alt", None, x_uln=1.0)}
    high = {**base, "ast": lab("ast", None, x_uln=4.0)}
    assert score("liver_function", {**high, "liver_mets": fact("no")}).verdict == FAIL
    assert score("liver_function", {**high, "liver_mets": fact("yes")}).verdict == PASS
    unknown = score("liver_function", high)
    assert unknown.verdict == UNCERTAIN and unknown.flags.get("liver_needs_mets")
    dx = {"diagnosis": fact({"sarcoma": True, "extent": "metastatic", "liver_mets": True})}
    assert score("liver_function", {**high, **dx}).verdict == PASS
    assert score("liver_function", {**base, "ast": lab("ast", None, x_uln=2.5)}).verdict == PASS
    assert (
        score("liver_function", {**base, "ast": lab("ast", None, x_uln=5.1), "liver_mets": fact("yes")}).verdict == FAIL
    )
    assert (
        score("liver_function", {**base, "ast": lab("ast", 35), "bilirubin": lab("bilirubin", 1.6, x_uln=1.6)}).verdict
        == FAIL
    )


def test_lab_uln_default_is_named_in_the_reason():
    result = score("liver_function", {"bilirubin": lab("bilirubin", 10), "ast": lab("ast", 30), "alt": lab("alt", 30)})
    assert result.verdict == PASS
    assert "default ULN" in result.reason.text()


class TestRenal:
    """Creatinine <= 1.5 x ULN, or Cockcroft-Gault >= 60 ml/min (adults only)."""

    def test_creatinine_within_limit_passes(self):
        assert score("renal_function", {"creatinine": lab("creatinine", 100, "umol/L", uln=100)}).verdict == PASS
        assert score("renal_function", {"creatinine": lab("creatinine", 150, "umol/L", uln=100)}).verdict == PASS

    def test_high_creatinine_rescued_by_cockcroft_gault(self):
        # 40-year-old man, 90 kg, creatinine 1.6 mg/dL (141.4 umol/L): (140-40)*90/(72*1.6) = 78 ml/min
        facts = {
            "creatinine": lab("creatinine", 141.44, "umol/L", uln=88.4),
            "age": fact(40),
            "weight_kg": fact(90),
            "sex": fact("male"),
        }
        result = score("renal_function", facts)
        assert result.verdict == PASS and "78 ml/min" in result.reason.text()

    def test_high_creatinine_and_low_clearance_fails_women_times_085(self):
        # 65-year-old woman, 55 kg, creatinine 2.0 mg/dL: (75*55)/(72*2)*0.85 = 24 ml/min
        facts = {
            "creatinine": lab("creatinine", 176.8, "umol/L", uln=88.4),
            "age": fact(65),
            "weight_kg": fact(55),
            "sex": fact("female"),
        }
        result = score("renal_function", facts)
        assert result.verdict == FAIL and "24 ml/min" in result.reason.text()

    def test_minors_are_not_judged_by_cockcroft_gault(self):
        facts = {
            "creatinine": lab("creatinine", 176.8, "umol/L", uln=88.4),
            "age": fact(15),
            "weight_kg": fact(50),
            "sex": fact("male"),
        }
        result = score("renal_function", facts)
        assert result.verdict == UNCERTAIN and "not valid under 18" in result.reason.text()

    def test_missing_weight_asks_for_it(self):
        facts = {"creatinine": lab("creatinine", 176.8, "umol/L", uln=88.4), "age": fact(40), "sex": fact("male")}
        result = score("renal_function", facts)
        assert result.verdict == UNCERTAIN and result.flags.get("renal_needs_weight") is True

    def test_measured_clearance_is_enough(self):
        assert score("renal_function", {"crcl": lab("crcl", 60)}).verdict == PASS


def test_patients_get_pending_for_site_only_criteria():
    for criterion_id in (
        "life_expectancy",
        "measurable_disease",
        "renal_function",
        "liver_function",
        "coagulation",
        "urine_protein",
        "thyroid_function",
    ):
        assert score(criterion_id, {}, role="patient").verdict == PENDING, criterion_id


def test_unclear_and_hedged_answers_are_never_pass_or_fail():
    for criterion_id, name in (("drug_allergy", "drug_allergy"), ("planned_local_therapy", "planned_local_therapy")):
        assert score(criterion_id, {name: fact(None, unclear=True)}).verdict == UNCERTAIN
        assert score(criterion_id, {name: fact("no", confidence=0.4)}).verdict == UNCERTAIN
