"""A reason is stored as its template key and parameters (schema M008) and
staff read it in their own language: a zh account sees the Chinese reason of
a real rule's verdict, an en account the English one, the export keeps the
English sentence (DESIGN.md), and rows saved before M008 still show theirs."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from datetime import date

from test_staff_dashboard import PASSWORD, app, client, login, store  # noqa: F401  (fixtures)

from bot.check import check_answers
from bot.reasons import entry_text
from bot.store import LeadStore
from bot.store.accounts import StaffAccounts

TODAY = date(2026, 12, 2)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _record_from(answers: list[tuple[str, str]]) -> dict:
    """A saved screening whose criteria are real verdicts of ``answers``."""
    result = check_answers(answers, today=TODAY)
    criteria = {
        cid: {**entry, "question": f"question for {cid}", "confidence": None}
        for cid, entry in result["criteria"].items()
        if entry["verdict"] != "not_asked"
    }
    review = [
        {
            "criterion": cid,
            "question": c["question"],
            "answer": c["answer"] or "",
            "status": "open",
            **{k: c[k] for k in ("reason", "reason_key", "reason_params")},
        }
        for cid, c in criteria.items()
        if c["verdict"] == "uncertain"
    ]
    return {
        "screening_id": uuid.uuid4().hex,
        "conversation_id": "conv-" + uuid.uuid4().hex[:8],
        "trial_id": "NCT05617859",
        "language": "zh",
        "role": "patient",
        "outcome": result["outcome"],
        "started_at": "2026-12-02T08:00:00+00:00",
        "completed_at": "2026-12-02T08:10:00+00:00",
        "contact": {"consented": True, "name": "王芳", "phone": "+8613800138000"},
        "criteria": criteria,
        "review_items": review,
        "pending": [],
        "transcript": [],
    }


ANSWERS = [("age", "我今年80岁"), ("prior_tki", "好像吃过一种药，名字记不清了")]


def test_the_store_keeps_each_reason_key_and_renders_it_in_the_readers_language(store):  # noqa: F811
    record = _record_from(ANSWERS)
    store.save_screening(record)
    saved = store.get_screening(record["screening_id"])
    age, tki = saved["criteria"]["age"], saved["criteria"]["prior_tki"]
    assert age["verdict"] == "fail" and age["reason_key"] == record["criteria"]["age"]["reason_key"]
    assert age["reason_params"] == record["criteria"]["age"]["reason_params"]
    assert entry_text(age, "en") == age["reason"] and not CJK.search(age["reason"])
    assert CJK.search(entry_text(age, "zh")), entry_text(age, "zh")
    [item] = saved["review_items"]
    assert item["criterion"] == "prior_tki" and tki["verdict"] == "uncertain"
    assert CJK.search(entry_text(item, "zh")) and entry_text(item, "en") == item["reason"]
    # the export is the contract: English sentence, no keys
    [exported] = json.loads(store.export("json", screening_ids=[record["screening_id"]]))
    assert exported["criteria"]["age"]["reason"] == age["reason"]
    assert "reason_key" not in exported["criteria"]["age"]


def test_a_zh_account_reads_the_reason_in_chinese_and_an_en_account_in_english(app, client, store):  # noqa: F811
    record = _record_from(ANSWERS)
    store.save_screening(record)
    english = store.get_screening(record["screening_id"])["criteria"]["age"]["reason"]
    chinese = entry_text(store.get_screening(record["screening_id"])["criteria"]["age"], "zh")
    url = f"/leads/{record['screening_id']}"

    login(client)  # alice, English
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert english.split(":")[0] in page and chinese not in page

    client = app.test_client()  # a second browser
    accounts = StaffAccounts(store)
    accounts.create_user("li", PASSWORD, display_name="李医生", by="test")
    accounts.set_language("li", "zh", by="test")
    login(client, "li")
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "我今年80岁" in page  # the verbatim answer, in the person's language
    assert chinese.split("：")[0] in page, chinese
    assert english not in page


def test_a_reason_saved_before_m008_shows_its_english_sentence(tmp_path):
    from bot.store import schema

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statements in schema.MIGRATIONS[:7]:
        for statement in statements:
            if not callable(statement):
                conn.execute(statement.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '7')")
    conn.execute(
        "INSERT INTO screenings (screening_id, conversation_id, outcome, started_at, started_utc, "
        "created_at, updated_at) VALUES ('abc12345', 'conv-old', 'not_eligible', '2026-11-01T00:00:00+00:00', "
        "'2026-11-01T00:00:00.000000Z', 'x', 'x')"
    )
    conn.execute(
        "INSERT INTO answers (screening_id, criterion, position, verdict, reason) "
        "VALUES ('abc12345', 'age', 0, 'fail', 'age 80: outside 18-75')"
    )
    conn.commit()
    conn.close()
    old = LeadStore(path)
    assert old.migrate() == schema.SCHEMA_VERSION
    age = old.get_screening("abc12345")["criteria"]["age"]
    assert "reason_key" not in age
    assert entry_text(age, "zh") == "age 80: outside 18-75"


def test_an_unknown_or_unfillable_key_falls_back_to_the_stored_sentence():
    assert entry_text({"reason": "kept", "reason_key": "no_such_key", "reason_params": {}}, "zh") == "kept"
    assert entry_text({"reason": "kept", "reason_key": "not_answered", "reason_params": {}}, "zh") == "kept"
    assert entry_text({"reason": "kept", "reason_key": "not_answered", "reason_params": "{bad json"}, "zh") == "kept"
    assert (
        entry_text({"reason": "kept", "reason_key": "not_answered", "reason_params": {"label": "年龄"}}, "xx") == "kept"
    )


def test_a_chinese_doctors_criterion_table_gives_the_reasons_in_chinese():
    from bot.dialogue.endings import criteria_rows
    from bot.screening.state import ScreeningState
    from bot.trial import get_trial

    trial = get_trial()
    result = check_answers([("age", "男，58岁")], today=TODAY, language="zh", role="physician")
    state = ScreeningState.new(trial.id, "conv-zh-doc", "physician", language="zh")
    state.verdicts = {cid: e for cid, e in result["criteria"].items() if e["verdict"] != "not_asked"}
    [age] = [row for row in criteria_rows(trial, state) if row["id"] == "age"]
    assert age["verdict"] == "pass" and CJK.search(age["reason"]) and "years" not in age["reason"], age


def test_codes_and_reference_sources_are_read_in_chinese():
    """Lexicon codes (a sarcoma type, an extent, a drug class) and the default
    ULN's source are shown in the reader's language, not as English codes;
    the stored English sentence is unchanged."""
    answers = [
        ("diagnosis", "UPS with lung metastases"),
        ("renal_labs", "creatinine 70 umol/L"),
        ("anticoagulants", "warfarin 3 mg a day"),
    ]
    result = check_answers(answers, today=TODAY)
    criteria = result["criteria"]
    diagnosis, renal = criteria["diagnosis"], criteria["renal_function"]
    drugs = next(c for c in criteria.values() if "warfarin" in (c.get("reason") or ""))
    zh = entry_text(diagnosis, "zh")
    assert "未分化多形性肉瘤" in zh and "转移" in zh and "metasta" not in zh, zh
    zh = entry_text(renal, "zh")
    assert "成人酶法肌酐常见参考范围" in zh and "typical" not in zh and "sex not known" not in zh, zh
    assert "typical adult enzymatic creatinine range" in renal["reason"]
    zh = entry_text(drugs, "zh")
    assert "华法林" in zh and "anticoagulant" not in zh, zh
