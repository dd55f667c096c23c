"""The mechanism gaps NCT05689021 exposed, closed in the generic rules and data.

Each gap is closed in a rule type, a parser or the shared vocabulary (never in
code naming this trial), used in bot/trials/NCT05689021.yaml, checked by the
trial schema (a wrong value is refused with file:line: field: problem) and
scored here as verdicts for given answers.
"""

from __future__ import annotations

import re

import pytest
import test_trial_nct05689021 as second_trial

from bot.check import check_answers
from bot.outcome import PASS, PENDING
from bot.rules import Context, evaluate
from bot.trial import TrialFileError, load_trial

FILE, TODAY = second_trial.FILE, second_trial.TODAY
trial = second_trial.trial  # the fixture loading NCT05689021 through TRIAL_FILE, shared with that module


def _verdict(trial, answers, criterion, role="patient"):
    return check_answers(answers, role=role, today=TODAY, trial=trial)["criteria"][criterion]["verdict"]


def _refused(tmp_path, old: str, new: str) -> str:
    """The loader's message for the trial file with ``old`` replaced by ``new``."""
    text = FILE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(TrialFileError) as raised:
        load_trial(broken)
    return str(raised.value)


# ------------------------------------------- 1. an answer that needs a follow-up
TAXANE = "nct05689021_taxane_lines"
TAXANE_MAP = 'taxane: {"yes": {needs: taxane_lines}, "no": pass, unknown: uncertain}'


@pytest.mark.parametrize(
    ("answers", "verdict"),
    [
        # A yes to "any taxane?" is not a pass while "no more than two lines?" is unanswered.
        ([("taxane", "yes")], "pending"),
        ([("taxane", "yes, docetaxel two years ago")], "pending"),
        ([("taxane", "yes"), ("taxane_lines", "yes, just one course")], "pass"),
        ([("taxane", "yes"), ("taxane_lines", "no, three times")], "fail"),
        ([("taxane", "yes"), ("taxane_lines", "not sure")], "uncertain"),
        ([("taxane", "no")], "pass"),
        ([("taxane", "not sure")], "uncertain"),
    ],
)
def test_a_taxane_is_scored_by_its_number_of_lines_and_waits_for_it(trial, answers, verdict):
    assert _verdict(trial, answers, TAXANE) == verdict


def test_an_answer_that_needs_a_follow_up_is_generic():
    rule = {
        "type": "answer_map",
        "facts": {
            "first": {"yes": {"needs": "second"}, "no": "pass", "unknown": "uncertain"},
            "second": {"yes": "pass", "no": "fail", "unknown": "uncertain"},
        },
        "label": "two-part question",
    }

    def scored(**answers):
        facts = {name: {"value": answer, "confidence": 0.95, "answer": answer} for name, answer in answers.items()}
        return evaluate(rule, Context(facts, {}, "patient", TODAY))

    waiting = scored(first="yes")
    assert waiting.verdict == PENDING and waiting.answered
    assert "follow-up question that decides is not answered yet" in waiting.reason.text("en")
    assert scored(first="yes", second="yes").verdict == PASS
    assert scored(first="no").verdict == PASS


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (
            'taxane: {"yes": {needs: taxane_line}, "no": pass, unknown: uncertain}',
            r"taxane\.yes\.needs: must be another fact of this answer_map .*one of: taxane_lines",
        ),
        (
            'taxane: {"yes": {needs: taxane}, "no": pass, unknown: uncertain}',
            r"taxane\.yes\.needs: must be another fact of this answer_map",
        ),
        (
            'taxane: {"yes": {need: taxane_lines}, "no": pass, unknown: uncertain}',
            r"taxane\.yes\.need: unknown key; known: needs",
        ),
    ],
)
def test_a_follow_up_that_is_not_in_the_map_is_refused(tmp_path, new, message):
    refused = _refused(tmp_path, TAXANE_MAP, new)
    assert re.search(r"broken\.yaml:\d+: .*" + message, refused), refused


# ------------------------------------------------------------ 2. testosterone
CASTRATION = "nct05689021_castration"


@pytest.mark.parametrize(
    ("text", "ng_dl", "comparator"),
    [
        ("testosterone 20 ng/dL", 20, None),
        ("serum testosterone 0.5 nmol/L", 14.42, None),  # 1 nmol/L = 28.84 ng/dL
        ("T 1.73 nM", 49.89, None),
        ("T: <20 ng/dL", 20, "<"),
        ("testosterone <0.1 ng/mL", 10, "<"),
        ("睾酮 0.3 nmol/L", 8.65, None),
    ],
)
def test_testosterone_is_a_lab_in_ng_dl_or_nmol_l(text, ng_dl, comparator):
    from bot.parsing.labs import parse_labs

    value = parse_labs(text)["testosterone"].value
    assert value["unit"] == "ng/dL" and value["value"] == pytest.approx(ng_dl, abs=0.01)
    assert value.get("comparator") == comparator


@pytest.mark.parametrize(
    "text",
    [
        "T 37.5",  # a temperature
        "T2N0M0, Hb 12 g/dL",  # a tumour stage
        "free testosterone 5 pg/mL",  # not the total testosterone
    ],
)
def test_a_capital_t_or_free_testosterone_is_not_read_as_testosterone(text):
    from bot.parsing.labs import parse_labs

    assert "testosterone" not in parse_labs(text)


def test_a_testosterone_without_its_unit_is_not_guessed():
    from bot.parsing.labs import parse_labs

    parsed = parse_labs("testosterone 20")["testosterone"]  # 20 ng/dL is castrate, 20 nmol/L is not
    assert parsed.unclear and "unit needed" in parsed.note


@pytest.mark.parametrize(
    ("answers", "verdict", "role"),
    [
        ([("castration", "yes"), ("testosterone_lab", "testosterone 20 ng/dL")], "pass", "physician"),
        ([("castration", "yes"), ("testosterone_lab", "0.5 nmol/L")], "pass", "physician"),
        ([("castration", "yes"), ("testosterone_lab", "testosterone 2.1 nmol/L")], "fail", "physician"),  # 60.6
        ([("castration", "yes"), ("testosterone_lab", "testosterone 80 ng/dL")], "fail", "physician"),
        ([("castration", "yes"), ("testosterone_lab", "testosterone 20")], "uncertain", "physician"),
        ([("castration", "yes"), ("testosterone_lab", "about 50 ng/dL")], "uncertain", "physician"),
        ([("castration", "yes"), ("testosterone_lab", "not available")], "pending", "physician"),
        ([("castration", "no"), ("testosterone_lab", "20 ng/dL")], "fail", "physician"),
        # Patients are not asked for the level: the site checks it.
        ([("castration", "yes, Lupron every 3 months")], "pending", "patient"),
        ([("castration", "no, I stopped the injections")], "fail", "patient"),
    ],
)
def test_castration_is_checked_against_a_testosterone_of_50_ng_dl(trial, answers, verdict, role):
    assert _verdict(trial, answers, CASTRATION, role) == verdict


def test_a_lab_step_expecting_an_unknown_analyte_is_refused(tmp_path):
    refused = _refused(tmp_path, "expects: [testosterone]", "expects: [testosteron]")
    assert re.search(r"broken\.yaml:\d+: steps\.testosterone_lab\.expects\.0: unknown analyte 'testosteron'", refused)


# ------------------------------------------- 4. a Cockcroft-Gault clearance only
CLEARANCE = "nct05689021_creatinine_clearance"


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        ("CrCl 62 ml/min", "pass"),
        ("CrCl 40 ml/min", "fail"),
        # An eGFR (MDRD/CKD-EPI) is not the Cockcroft-Gault clearance the registry asks for.
        ("eGFR 60", "uncertain"),
        ("eGFR 60 ml/min/1.73m2", "uncertain"),
        ("GFR 30", "uncertain"),
        # From a review: named or measured as an eGFR without the word "eGFR" in front of the value.
        ("eGFR (CKD-EPI) 60 mL/min/1.73m2", "uncertain"),
        ("CKD-EPI 60", "uncertain"),
        ("MDRD 60", "uncertain"),
        ("肾小球滤过率 60", "uncertain"),
        ("60 mL/min/1.73m2", "uncertain"),
        # Creatinine alone: the site calculates the clearance.
        ("creatinine 1.0 mg/dL", "pending"),
    ],
)
def test_only_a_cockcroft_gault_clearance_counts(trial, answer, verdict):
    assert _verdict(trial, [("renal_labs", answer)], CLEARANCE, "physician") == verdict


def test_an_egfr_is_marked_as_one_when_filed_as_the_clearance():
    from bot.parsing.labs import parse_labs

    assert parse_labs("eGFR 60")["crcl"].value["method"] == "egfr"
    assert "method" not in parse_labs("CrCl 60 ml/min")["crcl"].value


def _clearance(value, method=None):
    lab = {"analyte": "crcl", "value": value, "unit": "mL/min", "original": str(value), "comparator": None}
    if method:
        lab["method"] = method
    return {"value": lab, "confidence": 0.8, "answer": str(value)}


def test_accept_egfr_is_a_parameter_of_the_generic_lab_check_and_renal_rule():
    check = {"analyte": "crcl", "min": 45, "label": "CrCl"}
    facts = {"crcl": _clearance(60, "egfr")}
    ctx = Context(facts, {}, "physician", TODAY)
    # By default an eGFR counts as the clearance (the first trial's behaviour); false refuses it.
    assert evaluate({"type": "labs", "checks": [check]}, ctx).verdict == PASS
    refused = evaluate({"type": "labs", "checks": [{**check, "accept_egfr": False}]}, ctx)
    assert refused.verdict == "uncertain" and "not a Cockcroft-Gault clearance" in refused.reason.text("en")
    measured = Context({"crcl": _clearance(60)}, {}, "physician", TODAY)
    assert evaluate({"type": "labs", "checks": [{**check, "accept_egfr": False}]}, measured).verdict == PASS

    renal = {
        "type": "renal",
        "creatinine_fact": "creatinine",
        "clearance_fact": "crcl",
        "weight_fact": "weight_kg",
        "age_fact": "age",
        "sex_fact": "sex",
        "creatinine_max_x_uln": 1.5,
        "crcl_min_ml_min": 50,
    }
    assert evaluate(renal, ctx).verdict == PASS
    assert evaluate({**renal, "accept_egfr": False}, ctx).verdict == "uncertain"


def test_accept_egfr_must_be_true_or_false(tmp_path):
    refused = _refused(tmp_path, "accept_egfr: false}", "accept_egfr: no-thanks}")
    assert re.search(r"broken\.yaml:\d+: criteria\.\d+\.rule\.checks\.0\.accept_egfr: must be true or false", refused)


def test_follow_ups_that_need_each_other_are_refused(tmp_path):
    old = 'taxane_lines: {"yes": pass, "no": fail, unknown: uncertain}'
    text = FILE.read_text(encoding="utf-8")
    assert text.count(old) == 1
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace(old, 'taxane_lines: {"yes": {needs: taxane}, "no": fail, unknown: uncertain}'), encoding="utf-8"
    )
    with pytest.raises(TrialFileError, match=r"broken\.yaml:\d+: .*taxane_lines\.yes\.needs: a follow-up that needs"):
        load_trial(broken)
