"""Property tests: no language parser ever raises, whatever the text, and
every result is a well-formed ``Parsed``.
"""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing import contact, demographics, diagnosis, drugs, events, numbers, performance, timing, yes_no
from bot.parsing.types import UNCLEAR, Parsed

TODAY = date(2026, 11, 25)

PARSERS = {
    "number": lambda t, d: numbers.parse_number(t),
    "yes_no": lambda t, d: yes_no.parse_yes_no(t, d),
    "when": lambda t, d: timing.parse_when(t, d),
    "event": lambda t, d: events.parse_event(t, d),
    "event_terms": lambda t, d: events.parse_event(t, d, ["thrombosis", "bleeding"]),
    "age": lambda t, d: demographics.parse_age(t, d),
    "sex": lambda t, d: demographics.parse_sex(t),
    "ecog": lambda t, d: performance.parse_ecog(t),
    "amputation": lambda t, d: performance.parse_amputation(t),
    "diagnosis": lambda t, d: diagnosis.parse_diagnosis(t),
    "diagnosis_answer": lambda t, d: diagnosis.parse_diagnosis_answer(t),
    "malignancy": lambda t, d: diagnosis.parse_other_malignancy(t, d),
    "drugs": lambda t, d: drugs.parse_drugs(t, d),
    "phone": lambda t, d: contact.parse_phone(t),
    "email": lambda t, d: contact.parse_email(t),
    "name": lambda t, d: contact.parse_name(t),
    "preferred_time": lambda t, d: contact.parse_preferred_time(t),
}

# Words the parsers react to, so random text often reaches the deep code paths.
VOCAB = [
    "yes",
    "no",
    "never",
    "not",
    "I think",
    "maybe",
    "ago",
    "days",
    "weeks",
    "months",
    "last",
    "in",
    "March",
    "May",
    "2021",
    "since",
    "the",
    "summer",
    "next",
    "heart attack",
    "chemo",
    "blood clot",
    "aspirin",
    "300",
    "mg",
    "twice",
    "daily",
    "apatinib",
    "艾坦",
    "PD",
    "stable",
    "ECOG",
    "KPS",
    "80",
    "45",
    "born",
    "osteosarcoma",
    "lung",
    "liver",
    "mets",
    "inoperable",
    "breast cancer",
    "basal cell",
    "M",
    "F",
    "62M",
    "forty-five",
    "a hundred and",
    "-",
    "/",
    ",",
    ".",
    "×10^9",
    "@",
    "+86",
    "138 0013 8000",
    "没有",
    "化疗",
    "前",
    "个月",
    "dexamethasone",
    "inhaler",
    "amputation",
    "bed",
    "half",
    "day",
    "x",
    "0",
    "1e9",
]

texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(VOCAB), max_size=14).map(" ".join),
    st.lists(st.one_of(st.sampled_from(VOCAB), st.text(max_size=5)), max_size=10).map("".join),
)
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


def _check(result, text):
    assert isinstance(result, Parsed)
    assert isinstance(result.kind, str) and result.kind
    assert 0.0 <= result.confidence <= 1.0
    assert not result.note.startswith("could not interpret the answer ("), result.note  # internal error
    if result.kind == UNCLEAR:
        assert result.value is None and result.note
    if result.start is not None and result.end is not None:
        assert 0 <= result.start <= result.end <= len(text)


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, today=days)
def test_no_parser_ever_raises(text, today):
    for _name, parse in PARSERS.items():
        _check(parse(text, today), text)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=texts)
def test_parsers_are_deterministic(text):
    for parse in (PARSERS["when"], PARSERS["event"], PARSERS["drugs"], PARSERS["age"]):
        assert parse(text, TODAY) == parse(text, TODAY)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(min_value=0, max_value=120))
def test_plain_ages_round_trip(n):
    r = demographics.parse_age(str(n), TODAY)
    assert r.kind == "age" and r.value == n


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n=st.integers(min_value=1, max_value=400))
def test_days_ago_round_trip(n):
    r = timing.parse_when(f"{n} days ago", TODAY)
    assert r.value["days_ago"] == n and r.value["approximate"] is False
