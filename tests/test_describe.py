"""bot/describe.py: stored answer values as staff read them, never JSON,
never an exception; criterion names and sources from the trial files; review
reasons worded honestly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import describe
from bot.describe import criterion_name, criterion_source, describe_entry, plain_reason, short_reason, trial_for

LAB_CREATININE = {
    "analyte": "creatinine",
    "value": 79.56,
    "unit": "µmol/L",
    "original": "0.9 mg/dL",
    "uln": None,
    "x_uln": None,
    "status": None,
    "comparator": None,
}


@pytest.mark.parametrize(
    "value, fact, expected",
    [
        ("yes", None, "yes"),
        ("no", None, "no"),
        ("unknown", None, "doesn't know"),
        (True, None, "yes"),
        (45, "age", "45 years"),
        (72.0, "weight_kg", "72 kg"),
        ("weekday mornings", None, "weekday mornings"),
        (LAB_CREATININE, None, "creatinine 0.9 mg/dL (79.6 µmol/L)"),
        (
            {"analyte": "creatinine", "value": 106.0, "unit": "µmol/L", "original": "106", "uln": 115.0, "x_uln": 0.92},
            None,
            "creatinine 106 µmol/L (ULN 115 µmol/L; 0.92 × ULN)",
        ),
        ({"analyte": "anc", "value": 3.1, "unit": "×10⁹/L", "original": "3.1"}, None, "ANC 3.1 ×10⁹/L"),
        ({"analyte": "alt", "value": None, "unit": None, "x_uln": 2.0, "comparator": None}, None, "ALT 2 × ULN"),
        ({"analyte": "urine_protein", "value": None, "status": "normal"}, None, "urine protein (dipstick) normal"),
        ({"analyte": "lvef", "value": 55.0, "unit": "%"}, None, "LVEF 55 %"),
        (
            {"answer": "yes", "drugs": [{"name": "aspirin", "daily_dose_mg": 100.0, "route": "oral", "days_ago": None}]},
            None,
            "aspirin 100 mg/day",
        ),
        (
            {
                "answer": "yes",
                "drugs": [
                    {"name": "dexamethasone", "daily_dose_mg": 4.0, "prednisolone_equivalent_mg": 26.7, "route": "oral"}
                ],
            },
            None,
            "dexamethasone 4 mg/day (26.7 mg/day prednisolone equivalent)",
        ),
        (
            {"answer": "yes", "drugs": [{"name": "budesonide", "route": "inhaled", "status": "current"}]},
            None,
            "budesonide inhaled (still taking it)",
        ),
        ({"answer": "no", "drugs": [], "negated_drugs": ["apatinib"], "progression": None}, None, "no; not taken: apatinib"),
        (
            {"answer": "yes", "drugs": [{"name": "anlotinib"}], "progression": True},
            None,
            "anlotinib; progressed on it",
        ),
        (
            {"answer": "yes", "days_ago": 61, "term": "myocardial_infarction", "terms": ["myocardial_infarction"]},
            None,
            "heart attack, 61 days ago (about 2 months)",
        ),
        (
            {"answer": "yes", "days_ago": 10, "term": "chemotherapy", "terms": ["chemotherapy"], "approximate": True},
            None,
            "chemotherapy, about 10 days ago",
        ),
        ({"answer": "no", "days_ago": None, "term": None, "terms": []}, None, "no"),
        ({"answer": "no", "days_ago": 120, "term": None, "terms": []}, None, "no (for the last 120 days)"),
        ({"answer": "yes", "days_ago": -7, "term": "surgery", "terms": ["surgery"]}, None, "surgery, in 7 days (planned)"),
        ({"days_ago": 55, "date": "2026-10-01", "approximate": True}, None, "2026-10-01, about 55 days ago"),
        ({"ecog": 1, "self_report": False}, None, "ECOG 1"),
        ({"ecog": 0, "self_report": True}, None, "ECOG 0 (from the person's own description)"),
        ({"systolic": 150, "diastolic": 95}, None, "150/95 mmHg"),
        (
            {"hiv": "negative", "hbsag": "positive", "hbv_dna_iu_ml": 20.0, "hbv_dna_comparator": "<", "hcv_ab": None},
            None,
            "HIV negative, HBsAg positive, HBV DNA <20 IU/mL",
        ),
        ({"hiv": None, "hbsag": "negative", "hbv_dna_iu_ml": 0.0, "hcv_rna": "undetectable"}, None, "HBsAg negative, HBV DNA undetectable, HCV RNA undetectable"),
        ({"answer": "no"}, None, "no"),
        (
            {"sarcoma": True, "subtype": "osteosarcoma", "site": "bone", "extent": "metastatic", "liver_mets": None},
            None,
            "osteosarcoma (bone), has spread",
        ),
        ({"sarcoma": True, "subtype": None, "extent": "confirmed_by_patient", "answer": "yes"}, None, "sarcoma, has spread or cannot be operated on (the person said yes)"),
        ({"answer": "no", "cancer": None, "exception": False, "days_ago": None}, None, "no"),
        (
            {"answer": "yes", "cancer": "basal_cell_carcinoma", "exception": True, "days_ago": 400},
            None,
            "basal cell carcinoma, 400 days ago (about 13 months) (an exception the registry allows)",
        ),
        ({"answer": "yes", "celsius": 38.9}, None, "38.9 °C"),
        ({"answer": "no", "celsius": None}, None, "no"),
        (
            {"bleeding": {"answer": "no", "days_ago": None, "term": None, "terms": []}, "anticoagulants": {"answer": "yes", "drugs": [{"name": "aspirin", "daily_dose_mg": 100.0}]}},
            None,
            "serious bleeding: no; anticoagulant/antiplatelet: aspirin 100 mg/day",
        ),
        ({"sex": "male", "contraception_male": "yes"}, None, "sex: male; contraception: yes"),
        (
            {"anc": {"analyte": "anc", "value": 3.1, "unit": "×10⁹/L", "original": "3.1"}, "hb": {"analyte": "hb", "value": 128.0, "unit": "g/L", "original": "128 g/L"}},
            None,
            "ANC 3.1 ×10⁹/L; haemoglobin 128 g/L",
        ),
    ],
)  # fmt: skip
def test_values_read_as_a_person_writes_them(value, fact, expected):
    assert describe.describe(value, fact=fact) == expected


def test_unknown_shapes_fall_back_to_the_verbatim_evidence_never_json():
    odd = {"gizmo": {"nested": {"deeper": [1, {"x": object()}]}}}
    assert describe.describe(odd, evidence="my own  words") == "my own words"
    text = describe.describe({"brand_new_key": {"weird": {"a": 1}}}, evidence=None)
    assert "{" not in text and '"' not in text
    assert describe.describe(float("nan")) == "nan"  # a number, not an error


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    ["answer", "drugs", "analyte", "value", "days_ago", "term", "terms", "ecog", "hiv", "x"]
                )
                | st.text(max_size=8),
                children,
                max_size=5,
            )
        ),
        max_leaves=12,
    ),
    st.none() | st.text(max_size=30),
)
def test_describe_never_raises_and_never_returns_json(value, evidence):
    text = describe.describe(value, evidence=evidence)
    assert isinstance(text, str) and len(text) <= describe.MAX_CHARS
    if isinstance(value, (dict, list)) and value and text:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        assert not isinstance(parsed, (dict, list)), text


def test_every_value_the_engine_records_is_described_without_json():
    """A real screening through the engine: each stored value reads as text."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from bot.screening.record import build_record
    from bot.screening.state import ScreeningState
    from bot.screening.turns import answer_current, start
    from bot.trial import get_trial
    from scripts import PATIENT_ANSWERS, PHYSICIAN_ANSWERS, reply_for

    trial = get_trial()
    for role, answers, first in (
        ("patient", PATIENT_ANSWERS, None),
        ("physician", PHYSICIAN_ANSWERS, "62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, PLT 210, Hb 128 g/L, Cr 0.9 mg/dL, 72 kg"),
    ):  # fmt: skip
        state = ScreeningState.new(trial.id, "c", role)
        question = start(trial, state, date(2026, 11, 25))
        for _ in range(80):
            if question is None:
                break
            reply = first if question.step_id == "summary" else reply_for([question.text], answers)
            applied, question = answer_current(trial, state, reply or "not sure", date(2026, 11, 25))
            state = applied.state
        for cid, entry in build_record(trial, state)["criteria"].items():
            text = describe_entry(entry, cid)
            if entry["value"] is not None:
                assert text and "{" not in text and '"' not in text, (cid, entry["value"], text)


def test_criterion_names_and_sources_come_from_the_trial_file():
    assert criterion_name("prior_tki", "NCT05617859") == "Prior apatinib/anlotinib"  # its short name
    assert criterion_name("prior_tki", "NCT05617859", "zh") == "既往阿帕替尼/安罗替尼"
    assert criterion_name("age", None) == "Age"
    assert criterion_name("made_up_thing", "NCT05617859") == "Made up thing"
    assert criterion_source("prior_tki", "NCT05617859")["ref"] == "Inclusion 5"
    assert criterion_source("prior_tki", "NCT00000000") is None  # no such trial file: no wording at all
    assert criterion_source("prior_tki", None) is None
    assert trial_for("../../etc/passwd") is None


def test_another_trials_file_gives_its_own_names_and_order(tmp_path, monkeypatch):
    source = Path(describe.__file__).parent / "trials" / "NCT05617859.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["trial"]["id"] = "NCT00000001"
    data["criteria"] = list(reversed(data["criteria"]))
    data["criteria"][0]["name"] = "a renamed first criterion"
    (tmp_path / "NCT00000001.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tmp_path / "NCT05617859.yaml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("TRIAL_FILE", str(tmp_path / "NCT05617859.yaml"))
    other = trial_for("NCT00000001")
    assert other is not None and other.criteria[0].id == data["criteria"][0]["id"]
    assert criterion_name(other.criteria[0].id, "NCT00000001") == "A renamed first criterion"

    from bot.store.records import criterion_order

    assert criterion_order(["NCT00000001"])[:2] == ["age", "diagnosis"]  # the configured trial first
    monkeypatch.setenv("TRIAL_FILE", str(tmp_path / "NCT00000001.yaml"))
    assert criterion_order([])[0] == data["criteria"][0]["id"]


def test_a_clear_self_report_is_not_called_a_hedge():
    reason = "hedged answer “no, I don't have HIV or hepatitis”: needs confirmation"
    honest = plain_reason(reason, "no, I don't have HIV or hepatitis", 0.6)
    assert "hedged" not in honest and "0.6" in honest and "confirm" in honest
    # A real hedge keeps the rule's word.
    hedge = "hedged answer “not that I know of”: needs confirmation"
    assert plain_reason(hedge, "not that I know of", 0.6) == hedge
    assert plain_reason(hedge, "I think so, maybe", 0.5) == hedge
    # Only the hedged part of a combined reason changes.
    both = "no significant bleeding reported (“no”); " + reason
    assert plain_reason(both, "no, I don't have HIV or hepatitis", 0.6).startswith("no significant bleeding reported")


def test_short_reasons_keep_short_quotes_and_cut_long_ones():
    assert short_reason("pregnancy and contraception: answered “not sure”") == (
        "pregnancy and contraception: answered “not sure”"
    )
    long = "answer not understood: “" + "a very long answer that goes on " * 5 + "”"
    text = short_reason(long)
    assert len(text) < 80 and text.endswith("…”")


def test_every_words_file_has_only_keys_english_has():
    folder = Path(describe.__file__).parent / "data" / "describe"
    english = describe._load_yaml(folder / "en.yaml")

    def keys(node, prefix=""):
        for key, value in node.items():
            yield from keys(value, f"{prefix}{key}.") if isinstance(value, dict) else [f"{prefix}{key}"]

    known = set(keys(english))
    for path in folder.glob("*.yaml"):
        extra = set(keys(describe._load_yaml(path))) - known
        assert not extra, f"{path.name}: keys English does not have: {sorted(extra)}"
    assert json.dumps(english)  # plain data


def test_a_malignancy_with_an_odd_cancer_value_never_shows_its_repr():
    # Found by the property test above: {"answer": None, "cancer": [[]]} read back as "[[]]".
    assert describe.describe({"answer": None, "cancer": [[]]}, evidence=None) in ("", "no")
    assert "[" not in describe.describe({"answer": "yes", "cancer": ["melanoma"]}, evidence=None)


def test_fact_names_come_from_the_records_trial():
    """A criterion fed by several questions names its facts in the trial's own
    words (fact_labels), in the reader's language; an unknown trial falls back
    to the generic words."""
    value = {"prior_tki": {"answer": "yes"}, "tki_progression": {"answer": "yes"}}
    assert (
        describe.describe(value, trial_id="NCT05617859") == "prior apatinib/anlotinib: yes; progressed afterwards: yes"
    )
    zh = describe.describe(value, trial_id="NCT05617859", language="zh")
    assert zh.startswith("既往阿帕替尼/安罗替尼") and "之后出现进展" in zh
    assert describe.fact_name("prior_tki", "en", "NO-SUCH-TRIAL") == "prior tki"
