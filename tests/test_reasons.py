"""bot.reasons: structured reasons rendered from bot/data/reasons.yaml."""

import json
import re

import pytest

from bot import reasons
from bot.reasons import Reason, ReasonsFileError


def test_a_reason_renders_its_params_and_serialises():
    reason = Reason("number_within", {"label": "Age", "value": 45, "unit": "years", "min": 10, "max": 70})
    assert reason.text() == "Age 45 years is within 10-70 years"
    assert json.loads(json.dumps(reason.to_dict())) == {"key": "number_within", "params": reason.params}


def test_a_label_given_per_language_is_resolved_and_a_plain_one_used_as_is():
    label = {"en": "Age", "zh": "年龄"}
    params = {"label": label, "value": 45, "unit": "", "min": 10, "max": 70}
    assert Reason("number_within", params).text("en").startswith("Age 45")
    # The zh template, filled with the zh label.
    assert Reason("number_within", params).text("zh").startswith("年龄 45")


def test_nested_reasons_and_lists_render_in_the_same_language():
    inner = Reason("lab_pending", {"label": "ANC", "still": ""}).to_dict()
    joined = Reason("joined", {"parts": [inner, Reason("bp_at_site", {}).to_dict()]})
    assert joined.text() == "ANC: to be measured at the site; blood pressure to be measured at the site"


def test_the_persons_words_are_quoted_and_shortened():
    text = Reason("answer_not_understood", {"answer": "x" * 200, "note": ""}).text()
    assert text.startswith("answer not understood: \u201c") and text.endswith("\u2026\u201d")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        Reason("bp_at_site", {}).text("fr")


def test_the_templates_file_refuses_unknown_languages_and_accepts_zh(tmp_path, monkeypatch):
    good = tmp_path / "good.yaml"
    good.write_text("bp_at_site: {en: 'to be measured', zh: '到现场测量'}\n", encoding="utf-8")
    monkeypatch.setenv("REASONS_FILE", str(good))
    assert Reason("bp_at_site", {}).text("zh") == "到现场测量"
    bad = tmp_path / "bad.yaml"
    bad.write_text("bp_at_site: {en: 'x', fr: 'y'}\n", encoding="utf-8")
    monkeypatch.setenv("REASONS_FILE", str(bad))
    with pytest.raises(ReasonsFileError, match="unknown language 'fr'"):
        Reason("bp_at_site", {}).text()


def test_every_key_the_rules_use_has_a_template():
    from pathlib import Path

    source = (Path(reasons.__file__).parent / "rules.py").read_text(encoding="utf-8")
    used = set(re.findall(r'(?:evaluation|unanswered|reason)\(\s*(?:[A-Z_]+,\s*)?"([a-z_]+)"', source))
    used |= set(re.findall(r'need_detail\(\s*"([a-z_]+)"', source))
    missing = used - set(reasons.templates())
    assert not missing, missing


def test_no_english_literal_reason_is_built_in_the_rules():
    from pathlib import Path

    source = (Path(reasons.__file__).parent / "rules.py").read_text(encoding="utf-8")
    assert not re.search(r'Evaluation\([A-Z_]+,\s*f?"', source)
