"""The zh templates of bot/data/reasons.yaml: one beside every en one, filled
from the same parameters, in Chinese, and rendering for the reasons the rules give."""

import re

import jinja2
import jinja2.meta
import pytest
import yaml
from test_rules import CASES, fact, lab, score

from bot import reasons
from bot.reasons import Reason

RAW = yaml.safe_load(reasons.REASONS_FILE.read_text(encoding="utf-8"))
KEYS = sorted(RAW)
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LETTER = re.compile(r"[A-Za-z]")


def literal(template: str) -> str:
    """The template's own words: its text outside {{ }} and {% %}."""
    return _JINJA.sub("", template)


def has_words(key: str) -> bool:
    return bool(_LETTER.search(literal(RAW[key]["en"])))


def variables(template: str) -> set:
    environment = jinja2.Environment()
    environment.filters.update(num=str, quote=str, term=str)  # bot.reasons' filters, so the templates parse
    return jinja2.meta.find_undeclared_variables(environment.parse(template))


def blocks(template: str) -> list:
    """The {% %} tags, in order: zh may reorder {{ }} but keeps the same control structure."""
    return [" ".join(tag.split()) for tag in re.findall(r"\{%.*?%\}", template, re.S)]


def test_every_key_has_a_zh_template():
    missing = [key for key in KEYS if not isinstance(RAW[key].get("zh"), str) or not RAW[key]["zh"].strip()]
    assert not missing, missing


@pytest.mark.parametrize("key", KEYS)
def test_zh_uses_the_same_parameters_as_en(key):
    assert variables(RAW[key]["zh"]) == variables(RAW[key]["en"])


@pytest.mark.parametrize("key", KEYS)
def test_zh_keeps_the_control_structure_of_en(key):
    assert blocks(RAW[key]["zh"]) == blocks(RAW[key]["en"])


@pytest.mark.parametrize("key", KEYS)
def test_zh_is_written_in_chinese_with_full_width_punctuation(key):
    words = literal(RAW[key]["zh"])
    if has_words(key):
        assert _CJK.search(words), f"{key}: no Chinese in {RAW[key]['zh']!r}"
    assert not re.search(r"[,;:()]", words), f"{key}: half-width punctuation in {words!r}"


def reason_keys(reason) -> set:
    """The key of a reason and of every reason nested in its parameters."""
    found = set()

    def walk(value):
        if isinstance(value, Reason):
            found.add(value.key)
            walk(value.params)
        elif isinstance(value, dict):
            if set(value) == {"key", "params"} and isinstance(value["key"], str):
                found.add(value["key"])
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(reason)
    return found


def assert_reads_in_chinese(reason: Reason):
    text = reason.text("zh")
    assert text.strip(), reason
    if any(has_words(key) for key in reason_keys(reason)):
        assert _CJK.search(text), f"English-only zh text for {reason}: {text!r}"
    return text


@pytest.mark.parametrize("criterion_id,facts,expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_reasons_the_rules_give_render_in_chinese(criterion_id, facts, expected):
    # The same cases test_rules.test_boundaries scores, read by Chinese staff.
    result = score(criterion_id, facts)
    assert result.reason.text("en")
    assert_reads_in_chinese(result.reason)


def test_the_reasons_of_test_reasons_render_in_chinese():
    params = {"label": {"en": "Age", "zh": "年龄"}, "value": 45, "unit": "", "min": 10, "max": 70}
    assert Reason("number_within", params).text("zh") == "年龄 45，在10-70以内"
    inner = Reason("lab_pending", {"label": "ANC", "still": ""}).to_dict()
    joined = Reason("joined", {"parts": [inner, Reason("bp_at_site", {}).to_dict()]})
    assert joined.text("zh") == "ANC：需在研究中心检测；需在研究中心测量血压"
    text = Reason("answer_not_understood", {"answer": "x" * 200, "note": ""}).text("zh")
    assert text.startswith("未能理解回答：\u201c") and text.endswith("\u2026\u201d")
    assert assert_reads_in_chinese(Reason("bp_at_site", {})) == "需在研究中心测量血压"


def test_renal_reasons_in_chinese_keep_the_numbers():
    facts = {
        "creatinine": lab("creatinine", 141.44, "umol/L", uln=88.4),
        "age": fact(40),
        "weight_kg": fact(90),
        "sex": fact("male"),
    }
    text = assert_reads_in_chinese(score("renal_function", facts).reason)
    assert "78 ml/min" in text and "Cockcroft-Gault" in text
    minor = {**facts, "age": fact(15), "weight_kg": fact(50)}
    assert "18岁以下" in assert_reads_in_chinese(score("renal_function", minor).reason)
