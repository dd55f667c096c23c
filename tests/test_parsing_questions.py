"""Question-specific readers (bot/parsing/questions.py) and parser families."""

import pytest

from bot.parsing import questions
from bot.parsing.registry import PARSERS


@pytest.mark.parametrize(
    "text,answer",
    [
        ("NKDA", "no"),
        ("no known drug allergies", "no"),
        ("I'm allergic to penicillin, not that one", "no"),
        ("allergy to sulfa only", "no"),
        ("hypersensitivity to lenvatinib", "yes"),
        ("yes, I'm allergic to Lenvima", "yes"),
        ("never taken it", "no"),
    ],
)
def test_allergy_to_the_study_drug(text, answer):
    assert questions.parse_allergy(text, "lenvatinib").value == answer


@pytest.mark.parametrize(
    "text,ongoing",
    [
        ("only hair loss", "no"),
        ("just my hair falling out", "no"),
        ("grade 1 fatigue, rest resolved", "no"),
        ("all resolved to grade ≤1 except alopecia", "no"),
        ("alopecia G2 only", "no"),
        ("grade 2 peripheral neuropathy ongoing", "yes"),
        ("yes, my hands and feet are still numb", "yes"),
    ],
)
def test_side_effects_by_grade_and_the_registry_exception(text, ongoing):
    assert questions.parse_side_effects(text, ("alopecia",), "ongoing").value == ongoing
    resolved = {"no": "yes", "yes": "no"}[ongoing]
    assert questions.parse_side_effects(text, ("alopecia",), "resolved").value == resolved


@pytest.mark.parametrize(
    "text,answer",
    [
        ("I've had a vasectomy", "yes"),
        ("he's 11, no partner", "yes"),
        ("yes, I'm on the pill", "yes"),
        ("no, I won't", "no"),
    ],
)
def test_contraception(text, answer):
    assert questions.parse_contraception(text).value == answer


@pytest.mark.parametrize(
    "text,answer",
    [("bone-only disease, non-measurable", "no"), ("not assessed yet", "unknown"), ("yes, target lesions", "yes")],
)
def test_measurable(text, answer):
    assert questions.parse_measurable(text).value == answer


@pytest.mark.parametrize(
    "text,answer,hedged",
    [
        ("palliative RT to L-spine planned", "yes", False),
        ("the surgeon wants to take out the lung nodules next month", "yes", False),
        ("possible RT, to be discussed at MDT", "yes", True),
        ("no further surgery planned", "no", False),
    ],
)
def test_planned_local_therapy(text, answer, hedged):
    parsed = questions.parse_planned(text)
    assert parsed.value == answer and (parsed.confidence < 0.65) == hedged


@pytest.mark.parametrize("text", ["I can't travel to Zhengzhou regularly", "patient declines"])
def test_not_able_or_not_willing(text):
    assert questions.parse_willing(text).value == "no"


def test_parser_families_take_their_argument_from_the_trial_file():
    assert "allergy:lenvatinib" in PARSERS and "allergy" not in PARSERS and "allergy:" not in PARSERS
    assert "side_effects_resolved:alopecia" in PARSERS and "expectancy:3" in PARSERS
    assert PARSERS["expectancy:3"]("about 2 months", None).value == "no"
    assert PARSERS["expectancy:3"]("approximately 3 months", None).confidence < 0.65
