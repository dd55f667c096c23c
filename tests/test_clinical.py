"""Cockcroft-Gault and Fridericia, with hand-computed worked examples."""

import math

import pytest

from bot.clinical import cockcroft_gault, fridericia

# Cr 1.0 mg/dL = 88.4 µmol/L.
CR_1_MG_DL = 88.4


@pytest.mark.parametrize(
    "age, weight, cr_umol, sex, expected",
    [
        # (140-60) x 72 / (72 x 1.0) = 80
        (60, 72, CR_1_MG_DL, "male", 80.0),
        # 80 x 0.85 = 68
        (60, 72, CR_1_MG_DL, "female", 68.0),
        # (140-40) x 60 / (72 x 1.2) = 6000 / 86.4 = 69.444
        (40, 60, 1.2 * CR_1_MG_DL, "male", 69.444),
        # (140-70) x 50 / (72 x 0.8) x 0.85 = 3500 / 57.6 x 0.85 = 51.649
        (70, 50, 0.8 * CR_1_MG_DL, "female", 51.649),
        # (140-18) x 55 / (72 x 0.6) = 6710 / 43.2 = 155.324
        (18, 55, 0.6 * CR_1_MG_DL, "M", 155.324),
        # Cr 80 µmol/L, weight 80 kg: (140-50) x 80 x 88.4 / (72 x 80) = 90 x 88.4 / 72 = 110.5
        (50, 80, 80, "Male", 110.5),
    ],
)
def test_cockcroft_gault_worked_examples(age, weight, cr_umol, sex, expected):
    assert cockcroft_gault(age, weight, cr_umol, sex) == pytest.approx(expected, abs=0.001)


def test_cockcroft_gault_female_is_085_of_male():
    male = cockcroft_gault(55, 68, 95, "male")
    assert cockcroft_gault(55, 68, 95, "female") == pytest.approx(0.85 * male)


@pytest.mark.parametrize("age", [17, 17.9, 10, 0])
def test_cockcroft_gault_rejects_children(age):
    with pytest.raises(ValueError):
        cockcroft_gault(age, 40, 50, "male")


@pytest.mark.parametrize(
    "age, weight, cr, sex",
    [
        (60, 0, 88.4, "male"),
        (60, -70, 88.4, "male"),
        (60, 70, 0, "male"),
        (60, 70, -1, "female"),
        (-5, 70, 88.4, "male"),
        (150, 70, 88.4, "male"),
        (60, float("nan"), 88.4, "male"),
        (60, float("inf"), 88.4, "male"),
        (60, 70, 88.4, "unknown"),
        (60, 70, 88.4, ""),
        (60, True, 88.4, "male"),
        ("60", 70, 88.4, "male"),
        (None, 70, 88.4, "male"),
    ],
)
def test_cockcroft_gault_rejects_bad_inputs(age, weight, cr, sex):
    with pytest.raises(ValueError):
        cockcroft_gault(age, weight, cr, sex)


@pytest.mark.parametrize(
    "qt, hr, rr, expected",
    [
        (400, 60, None, 400.0),  # RR 1 s: no correction
        (400, 75, None, 430.887),  # RR 0.8 s: 400 / 0.8^(1/3) = 400 / 0.928318
        (400, None, 800, 430.887),  # same, RR given in ms
        (360, 100, None, 426.827),  # RR 0.6 s: 360 / 0.843433
        (440, 50, None, 414.056),  # RR 1.2 s: 440 / 1.062659
        (400, None, 1000, 400.0),
    ],
)
def test_fridericia_worked_examples(qt, hr, rr, expected):
    assert fridericia(qt, heart_rate_bpm=hr, rr_ms=rr) == pytest.approx(expected, abs=0.01)


def test_fridericia_matches_definition():
    assert fridericia(420, 90) == pytest.approx(420 / (60 / 90) ** (1 / 3))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"qt_ms": 400},  # neither HR nor RR
        {"qt_ms": 400, "heart_rate_bpm": 60, "rr_ms": 1000},  # both
        {"qt_ms": 0, "heart_rate_bpm": 60},
        {"qt_ms": -400, "heart_rate_bpm": 60},
        {"qt_ms": 400, "heart_rate_bpm": 0},
        {"qt_ms": 400, "rr_ms": -800},
        {"qt_ms": math.nan, "heart_rate_bpm": 60},
    ],
)
def test_fridericia_rejects_bad_inputs(kwargs):
    with pytest.raises(ValueError):
        fridericia(**kwargs)
