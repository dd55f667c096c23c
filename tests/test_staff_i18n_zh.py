"""The Chinese staff texts (web/staff/i18n/zh.yaml): the same keys and
placeholders as English, and a zh account sees the dashboard in Chinese."""

from __future__ import annotations

import re

import yaml
from test_staff_dashboard import PASSWORD, app, client, login, store  # noqa: F401  (fixtures)

from bot.store.accounts import StaffAccounts
from web.staff.i18n import I18N_DIR, Texts, _flatten

_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|%\([^)]*\)s|\{[^{}]*\}")


def _load(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return _flatten(yaml.safe_load(fh))


def _placeholders(value) -> list[str]:
    return sorted(_PLACEHOLDER.findall(str(value)))


def test_staff_zh_has_the_same_keys_and_placeholders_as_en():
    en, zh = _load(I18N_DIR / "en.yaml"), _load(I18N_DIR / "zh.yaml")
    assert set(zh) == set(en)
    for key, value in en.items():
        assert isinstance(zh[key], str) and zh[key].strip(), key
        assert _placeholders(zh[key]) == _placeholders(value), key


def test_staff_zh_texts_load_as_chinese():
    t = Texts("zh")
    assert t.language == "zh"
    assert t("outcome.likely_eligible") == "可能符合"
    assert t.n("time.days", 3) == "3 天前"
    assert t("pages.of", page=2, pages=5) == "第 2 页，共 5 页"


def test_a_zh_account_sees_the_dashboard_in_chinese(app, client, store):  # noqa: F811
    accounts = StaffAccounts(store)
    accounts.create_user("li", PASSWORD, display_name="李医生", by="test")
    accounts.set_language("li", "zh", by="test")
    response = login(client, "li")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/leads", follow_redirects=True).get_data(as_text=True)
    assert "线索" in page and "退出登录" in page
    assert "Log out" not in page


def test_describe_zh_has_the_same_keys_and_placeholders_as_en():
    from bot.describe import WORDS_DIR

    en, zh = _load(WORDS_DIR / "en.yaml"), _load(WORDS_DIR / "zh.yaml")
    assert set(zh) == set(en)
    for key, value in en.items():
        assert isinstance(zh[key], str) and zh[key].strip(), key
        assert _placeholders(zh[key]) == _placeholders(value), key
