"""Property tests: the measurement parsers never raise and keep their invariants.

Fixed seed and bounded example counts keep the run fast and repeatable.
"""

import math

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bot.clinical import cockcroft_gault, fridericia
from bot.parsing import labs
from bot.parsing.cardiac import parse_lvef, parse_qtc
from bot.parsing.labs import parse_lab, parse_labs
from bot.parsing.types import Parsed
from bot.parsing.virology import parse_virology
from bot.parsing.vitals import parse_blood_pressure, parse_height, parse_temperature, parse_weight

FAST = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
PARSERS = (parse_blood_pressure, parse_temperature, parse_weight, parse_height, parse_lvef, parse_qtc, parse_virology)
KINDS = {
    parse_blood_pressure: "blood_pressure",
    parse_temperature: "temperature",
    parse_weight: "weight",
    parse_height: "height",
    parse_lvef: "lvef",
    parse_qtc: "qtcf",
    parse_virology: "virology",
}

# Text that looks like lab reports: names, numbers, units and punctuation mixed.
_TOKENS = st.sampled_from(
    [
        "ANC",
        "PLT",
        "Hb",
        "Cr",
        "CrCl",
        "TBIL",
        "AST",
        "ALT",
        "INR",
        "PT",
        "APTT",
        "TSH",
        "FT3",
        "FT4",
        "HBV DNA",
        "HBsAg",
        "HIV",
        "HCV",
        "RNA",
        "urine protein",
        "LFTs",
        "QTc",
        "QTcF",
        "QT",
        "HR",
        "RR",
        "EF",
        "LVEF",
        "BP",
        "normal",
        "x ULN",
        "ULN",
        "(",
        ")",
        "[",
        "]",
        "/",
        ",",
        ":",
        "<",
        ">",
        "+",
        "-",
        "±",
        "x10^9/L",
        "×10⁹/L",
        "/mm3",
        "g/L",
        "g/dL",
        "mg/dL",
        "µmol/L",
        "umol/L",
        "U/L",
        "IU/mL",
        "copies",
        "s",
        "%",
        "ms",
        "mmHg",
        "kg",
        "lb",
        "cm",
        "°C",
        "F",
        "'",
        '"',
        "e",
        "x",
        "negative",
        "positive",
        "undetectable",
        "no",
        "about",
        "1",
        "0.5",
        "12.8",
        "128",
        "1,500",
        "150000",
        "3,1",
        "5x10^3",
        "1e308",
        "999999999",
        ".",
        " ",
        "  ",
        "\n",
        "😀",
        "\x00",
    ]
)
lab_like = st.lists(_TOKENS, max_size=25).map(" ".join)
any_text = st.one_of(st.text(max_size=300), lab_like)


def _check_parsed(p, text):
    assert isinstance(p, Parsed)
    assert 0.0 <= p.confidence <= 1.0
    if p.start is not None and p.end is not None:
        assert text[p.start : p.end] == p.span
    if p.unclear:
        assert p.value is None and p.note


@seed(20240101)
@FAST
@given(any_text)
def test_parse_labs_returns_dict_of_parsed(text):
    found = parse_labs(text)
    assert isinstance(found, dict)
    for analyte, p in found.items():
        assert analyte in labs.ANALYTES
        _check_parsed(p, text)
        if p.kind == "lab":
            v = p.value
            assert v["analyte"] == analyte
            assert set(v) == {"analyte", "value", "unit", "original", "uln", "x_uln", "status", "comparator"}
            if v["value"] is not None:
                assert math.isfinite(v["value"])
                low, high = labs.SPECS[analyte]["plausible"]
                # x ULN results may compute a value; all others are range-checked.
                if v["x_uln"] is None or v["uln"] is None:
                    assert low <= v["value"] <= high
        else:
            assert p.kind == "unclear"


@seed(20240102)
@FAST
@given(any_text, st.sampled_from(labs.ANALYTES + ("nonsense",)))
def test_parse_lab_never_raises(text, analyte):
    p = parse_lab(text, analyte)
    assert isinstance(p, Parsed)
    assert p.kind in ("lab", "unclear")
    if p.kind == "lab":
        assert p.value["analyte"] == analyte


@seed(20240103)
@FAST
@given(any_text)
def test_other_parsers_never_raise(text):
    for parser in PARSERS:
        p = parser(text)
        _check_parsed(p, text)
        assert p.kind in (KINDS[parser], "unclear")


@seed(20240104)
@FAST
@given(
    st.sampled_from(["ANC", "neutrophils"]),
    st.floats(min_value=0.1, max_value=29.9, allow_nan=False).map(lambda x: round(x, 2)),
    st.sampled_from(["x10^9/L", "×10⁹/L", "G/L", "10^9/L"]),
)
def test_anc_with_unit_round_trips(name, value, unit):
    p = parse_labs(f"{name} {value} {unit}")["anc"]
    assert p.kind == "lab" and p.value["value"] == pytest.approx(value)


@seed(20240105)
@FAST
@given(st.floats(min_value=30, max_value=250, allow_nan=False).map(lambda x: round(x, 1)))
def test_hb_g_dl_and_g_l_agree(g_l):
    a = parse_labs(f"Hb {g_l} g/L")["hb"].value["value"]
    b = parse_labs(f"Hb {round(g_l / 10, 2)} g/dL")["hb"].value["value"]
    assert a == pytest.approx(b, abs=0.1)


@seed(20240106)
@FAST
@given(st.floats(min_value=0.2, max_value=25, allow_nan=False).map(lambda x: round(x, 2)))
def test_creatinine_mg_dl_converts_by_88_4(mg_dl):
    p = parse_labs(f"creatinine {mg_dl} mg/dL")["creatinine"]
    assert p.value["value"] == pytest.approx(mg_dl * 88.4, rel=1e-5)


@seed(20240107)
@FAST
@given(st.integers(min_value=61, max_value=300), st.integers(min_value=30, max_value=200))
def test_blood_pressure_round_trips_or_is_unclear(systolic, diastolic):
    p = parse_blood_pressure(f"BP {systolic}/{diastolic} mmHg")
    if systolic > diastolic:
        assert p.value == {"systolic": systolic, "diastolic": diastolic}
    else:
        assert p.unclear


@seed(20240108)
@FAST
@given(st.floats(min_value=86, max_value=113, allow_nan=False).map(lambda x: round(x, 1)))
def test_fahrenheit_conversion(f):
    p = parse_temperature(f"{f} °F")
    assert p.value == pytest.approx((f - 32) * 5 / 9, abs=0.01)


@seed(20240109)
@FAST
@given(
    st.floats(min_value=18, max_value=120),
    st.floats(min_value=20, max_value=200),
    st.floats(min_value=20, max_value=1500),
    st.floats(min_value=1.01, max_value=5),
)
def test_cockcroft_gault_monotonic_and_sex_ratio(age, weight, cr, factor):
    male = cockcroft_gault(age, weight, cr, "male")
    assert male > 0
    assert cockcroft_gault(age, weight, cr * factor, "male") < male
    assert cockcroft_gault(age, weight, cr, "female") == pytest.approx(0.85 * male)


@seed(20240110)
@FAST
@given(st.floats(min_value=200, max_value=700), st.floats(min_value=20, max_value=250))
def test_fridericia_hr_and_rr_agree(qt, hr):
    assert fridericia(qt, heart_rate_bpm=hr) == pytest.approx(fridericia(qt, rr_ms=60000 / hr))
    # Faster hearts have shorter RR, so the correction lengthens the QT.
    if hr > 60:
        assert fridericia(qt, heart_rate_bpm=hr) > qt
