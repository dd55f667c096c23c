"""The mechanism gaps NCT05689021 exposed, closed in the generic rules and data.

Each gap is closed in a rule type, a parser or the shared vocabulary (never in
code naming this trial), used in bot/trials/NCT05689021.yaml, checked by the
trial schema (a wrong value is refused with file:line: field: problem) and
scored here as verdicts for given answers.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.check import check_answers
from bot.outcome import PASS, PENDING
from bot.rules import Context, evaluate
from bot.trial import TrialFileError, get_trial, load_trial

FILE = Path(__file__).parent.parent / "bot" / "trials" / "NCT05689021.yaml"
TODAY = date(2026, 11, 25)


@pytest.fixture
def trial(monkeypatch):
    monkeypatch.setenv("TRIAL_FILE", str(FILE))
    return get_trial()


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
