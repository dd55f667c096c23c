"""The coordinator's side of the lead store: follow-up (status, owner,
callback, calls, notes), search, the list's filters and sorts, the review
queue by lead, the export's follow_up and language, CSV formulas, and the
migration of an older database. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
import test_store
from test_store import count, make_record

from bot.store import NOBODY, InvalidInput, LeadStore, NotFound, csv_cell, reference
from bot.store.accounts import StaffAccounts

NOW = datetime.now(timezone.utc)
# The store's fixtures, on SQLite and PostgreSQL (pytest finds fixtures by module attribute).
db_path, lead = test_store.db_path, test_store.lead


@pytest.fixture
def staffed(lead):
    accounts = StaffAccounts(lead, require_totp=False)
    accounts.create_user("alice", "a long staff passphrase", display_name="Alice Chen", by="test")
    accounts.create_user("bob", "another long passphrase", by="test")
    return lead


def person(name: str, phone: str | None, consented: bool = True) -> dict:
    return {
        "consented": consented,
        "name": name,
        "phone": phone,
        "email": None,
        "preferred_time": "mornings",
        "callback_requested": False,
    }


# --------------------------------------------------------------------------
# Follow-up
# --------------------------------------------------------------------------
def test_a_new_lead_is_to_call_with_nobody_and_no_callback(lead):
    rec = make_record()
    lead.save_screening(rec)
    got = lead.get_screening(rec["screening_id"])
    assert got["follow_up"] == {"status": "to_call", "owner": None, "notes": 0, "callback_at": None, "updated_at": None}
    assert got["follow_up_log"] == [] and got["language"] == "en"


def test_status_owner_and_callback_change_are_logged_and_audited(staffed):
    rec = make_record()
    staffed.save_screening(rec)
    sid = rec["screening_id"]
    callback = (NOW + timedelta(days=1)).replace(microsecond=0)
    result = staffed.update_follow_up(sid, by="alice", status="call_back", owner="bob", callback_at=callback)
    assert [c["kind"] for c in result["changes"]] == ["status", "owner", "callback"]
    follow = staffed.get_screening(sid)["follow_up"]
    assert follow["status"] == "call_back" and follow["owner"] == "bob"
    assert datetime.fromisoformat(follow["callback_at"]) == callback
    log = staffed.follow_up_log(sid)
    assert {e["kind"] for e in log} == {"status", "owner", "callback"} and all(e["by"] == "alice" for e in log)
    [entry] = [a for a in staffed.audit_log() if a["action"] == "follow-up"]
    assert (entry["actor"], entry["target"]) == ("alice", sid)
    assert "status to_call -> call_back" in entry["detail"] and "owner - -> bob" in entry["detail"]
    # The same values again change nothing and log nothing.
    assert staffed.update_follow_up(sid, by="alice", status="call_back", owner="bob")["changes"] == []
    assert len(staffed.follow_up_log(sid)) == 3
    # Clearing.
    staffed.update_follow_up(sid, by="bob", owner=None, callback_at=None)
    follow = staffed.get_screening(sid)["follow_up"]
    assert follow["owner"] is None and follow["callback_at"] is None


def test_follow_up_refuses_unknown_statuses_owners_leads_and_far_callbacks(staffed):
    rec = make_record()
    staffed.save_screening(rec)
    sid = rec["screening_id"]
    with pytest.raises(InvalidInput, match="follow-up status"):
        staffed.update_follow_up(sid, by="alice", status="maybe")
    with pytest.raises(InvalidInput, match="no active staff account"):
        staffed.update_follow_up(sid, by="alice", owner="mallory")
    with pytest.raises(InvalidInput, match="two years"):
        staffed.update_follow_up(sid, by="alice", callback_at=NOW + timedelta(days=3000))
    with pytest.raises(NotFound):
        staffed.update_follow_up("no-such-lead", by="alice", status="closed")
    with pytest.raises(InvalidInput, match="who"):
        staffed.update_follow_up(sid, by=" ", status="closed")
    StaffAccounts(staffed, require_totp=False).set_disabled("bob", True, by="test")
    with pytest.raises(InvalidInput, match="no active staff account"):
        staffed.update_follow_up(sid, by="alice", owner="bob")
    assert staffed.follow_up_log(sid) == []


def test_a_call_is_logged_with_its_result_and_moves_the_status(staffed):
    rec = make_record()
    staffed.save_screening(rec)
    sid = rec["screening_id"]
    staffed.log_call(sid, by="alice", result="no_answer")
    assert staffed.get_screening(sid)["follow_up"]["status"] == "no_answer"
    due = NOW + timedelta(hours=3)
    staffed.log_call(sid, by="bob", result="reached", note="Call after her scan on Friday", callback_at=due)
    follow = staffed.get_screening(sid)["follow_up"]
    assert follow["status"] == "call_back" and follow["notes"] == 1
    staffed.log_call(sid, by="bob", result="reached", status="visit_booked")
    staffed.log_call(sid, by="bob", result="wrong_number")
    assert staffed.get_screening(sid)["follow_up"]["status"] == "closed"
    calls = [e for e in staffed.follow_up_log(sid) if e["kind"] == "call"]
    assert [c["result"] for c in calls] == ["wrong_number", "reached", "reached", "no_answer"]
    assert calls[2]["text"] == "Call after her scan on Friday"
    audit = [a for a in staffed.audit_log() if a["action"] == "call"]
    assert len(audit) == 4 and "Friday" not in json.dumps(audit)  # the note's length, never its text
    with pytest.raises(InvalidInput, match="call result"):
        staffed.log_call(sid, by="bob", result="busy")


def test_notes_are_kept_with_the_lead_and_audited_by_length(staffed):
    rec = make_record()
    staffed.save_screening(rec)
    sid = rec["screening_id"]
    staffed.add_note(sid, "  Daughter speaks English; patient prefers Mandarin.  ", by="alice")
    [note] = staffed.follow_up_log(sid)
    assert note["text"] == "Daughter speaks English; patient prefers Mandarin." and note["kind"] == "note"
    assert staffed.get_screening(sid)["follow_up"]["notes"] == 1
    [entry] = [a for a in staffed.audit_log() if a["action"] == "note"]
    assert entry["detail"] == "50 characters" and "Mandarin" not in json.dumps(staffed.audit_log())
    for bad in ("", "   ", "x" * 4001):
        with pytest.raises(InvalidInput):
            staffed.add_note(sid, bad, by="alice")


def test_the_bot_saving_again_keeps_the_follow_up(staffed):
    rec = make_record()
    staffed.save_screening(rec)
    staffed.update_follow_up(rec["screening_id"], by="alice", status="call_back", owner="alice")
    staffed.add_note(rec["screening_id"], "keep me", by="alice")
    staffed.save_screening(rec)
    got = staffed.get_screening(rec["screening_id"])
    assert got["follow_up"]["status"] == "call_back" and got["follow_up"]["owner"] == "alice"
    assert got["follow_up"]["notes"] == 1


def test_erasure_takes_the_follow_up_log_with_it(staffed, tmp_path):
    rec = make_record()
    staffed.save_screening(rec)
    staffed.add_note(rec["screening_id"], "Phone +86 371 0000, call after 5", by="alice")
    counts = staffed.delete_conversation(rec["conversation_id"], "alice", tmp_path / "none.db")
    assert counts["follow_up_log"] == 1
    assert count(staffed, "follow_up_log") == 0
    [entry] = [a for a in staffed.audit_log() if a["action"] == "delete"]
    assert "follow_up_log=1" in entry["detail"] and "+86" not in entry["detail"]


# --------------------------------------------------------------------------
# Search, filters, sorts
# --------------------------------------------------------------------------
@pytest.fixture
def people(staffed):
    rows = {
        "li": make_record("conv-li", contact=person("Li Wei", "+8613800138000"), days_ago=1),
        "wang": make_record(
            "conv-wang", contact=person("王芳", "+8613912345678"), days_ago=3, outcome="likely_eligible"
        ),
        "ann": make_record("conv-ann", contact=person("Ann Example", "+86 371 5555 1234"), days_ago=10),
        "anon": make_record("conv-anon", consented_contact=False, days_ago=20, outcome="not_eligible"),
    }
    for r in rows.values():
        staffed.save_screening(r)
    return rows


def ids(rows) -> set[str]:
    return {r["conversation_id"] for r in rows}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("li wei", {"conv-li"}),
        ("LIWEI", {"conv-li"}),
        ("王", {"conv-wang"}),
        ("ann", {"conv-ann"}),
        ("138 0013 8000", {"conv-li"}),
        ("13800138000", {"conv-li"}),
        ("5555-1234", {"conv-ann"}),
        ("conv-anon", {"conv-anon"}),
        ("%", set()),
        ("_", set()),
        ("nobody like this", set()),
    ],
)
def test_search_finds_names_phones_and_ids(people, staffed, query, expected):
    assert ids(staffed.list_screenings(search=query)) == expected


def test_search_by_reference_and_screening_id(people, staffed):
    sid = people["ann"]["screening_id"]
    for query in (reference(sid), reference(sid).lower().replace("-", ""), sid[:10], sid):
        assert sid in {r["screening_id"] for r in staffed.list_screenings(search=query)}, query


def test_no_consent_no_name_to_find(people, staffed):
    """Contact details are kept only with consent, and so are the search keys."""
    anon = people["anon"]
    assert ids(staffed.list_screenings(search="Ann Example")) == {"conv-ann"}
    row = staffed.run(
        lambda db: db.query(
            "SELECT search_name, search_phone, contact_consented FROM screenings WHERE screening_id = ?",
            [anon["screening_id"]],
        ),
        write=False,
    )[0]
    assert row == {"search_name": None, "search_phone": None, "contact_consented": 0}


def test_filters_by_status_owner_callback_consent_and_age(people, staffed):
    li, ann = people["li"]["screening_id"], people["ann"]["screening_id"]
    staffed.update_follow_up(li, by="alice", status="call_back", owner="alice", callback_at=NOW - timedelta(hours=2))
    staffed.update_follow_up(ann, by="alice", status="call_back", owner="bob", callback_at=NOW + timedelta(hours=30))
    assert ids(staffed.list_screenings(follow_status="call_back")) == {"conv-li", "conv-ann"}
    assert ids(staffed.list_screenings(owner="alice")) == {"conv-li"}
    assert ids(staffed.list_screenings(owner=NOBODY)) == {"conv-wang", "conv-anon"}
    assert ids(staffed.list_screenings(callback_to=NOW)) == {"conv-li"}  # overdue
    assert ids(staffed.list_screenings(callback_from=NOW)) == {"conv-ann"}
    assert ids(staffed.list_screenings(callback_set=False)) == {"conv-wang", "conv-anon"}
    assert ids(staffed.list_screenings(consented=False)) == {"conv-anon"}
    assert ids(staffed.list_screenings(since=NOW - timedelta(days=5))) == {"conv-li", "conv-wang"}
    assert ids(staffed.list_screenings(until=NOW - timedelta(days=5))) == {"conv-ann", "conv-anon"}
    assert staffed.count_matching(follow_status="call_back", owner="bob") == 1
    by_status = staffed.count_screenings(by="follow_status")
    assert by_status["call_back"] == 2 and by_status["to_call"] == 2 and by_status["closed"] == 0
    with pytest.raises(InvalidInput):
        staffed.list_screenings(follow_status="whatever")
    with pytest.raises(InvalidInput):
        staffed.count_screenings(by="owner")


def test_sorts_put_overdue_callbacks_first(people, staffed):
    li, ann = people["li"]["screening_id"], people["ann"]["screening_id"]
    staffed.update_follow_up(ann, by="alice", callback_at=NOW - timedelta(days=1))
    staffed.update_follow_up(li, by="alice", callback_at=NOW + timedelta(days=1))
    order = [r["conversation_id"] for r in staffed.list_screenings(sort="callback")]
    assert order[:2] == ["conv-ann", "conv-li"]
    assert [r["conversation_id"] for r in staffed.list_screenings(sort="oldest")][0] == "conv-anon"
    assert [r["conversation_id"] for r in staffed.list_screenings()][0] == "conv-li"
    with pytest.raises(InvalidInput, match="sort"):
        staffed.list_screenings(sort="name; DROP TABLE screenings")


def test_list_details_give_what_the_one_line_why_needs(people, staffed):
    staffed.log_call(people["li"]["screening_id"], by="alice", result="no_answer")
    rows = {r["conversation_id"]: r for r in staffed.list_screenings(details=True)}
    li = rows["conv-li"]
    assert [i["criterion"] for i in li["open_items"]] == ["prior_tki"]
    assert li["open_items"][0]["confidence"] == 0.4
    assert li["last_call"]["result"] == "no_answer" and li["pending"] == ["blood_counts"]
    assert li["reference"] == reference(li["screening_id"]) and li["follow_up"]["status"] == "no_answer"
    assert rows["conv-wang"]["failed"] == [] and rows["conv-wang"]["first_not_asked"] is None


# --------------------------------------------------------------------------
# Review queue by lead
# --------------------------------------------------------------------------
def uncertain(question: str) -> dict:
    return {
        "verdict": "uncertain",
        "question": question,
        "answer": "not sure",
        "value": None,
        "reason": "unsure",
        "confidence": 0.4,
    }


def test_review_queue_is_grouped_by_lead_filtered_and_paged(staffed):
    for n in range(5):
        criteria = (
            {"prior_tki": uncertain("Apatinib?"), "viral_infection": uncertain("HIV?")}
            if n % 2
            else {"prior_tki": uncertain("Apatinib?")}
        )
        staffed.save_screening(make_record(f"conv-{n}", criteria=criteria, days_ago=10 - n))  # fmt: skip
    queue = staffed.review_queue(limit=2)
    assert (queue["total_leads"], queue["total_items"]) == (5, 7)
    assert [lead["conversation_id"] for lead in queue["leads"]] == ["conv-0", "conv-1"]  # oldest first
    assert [len(lead["items"]) for lead in queue["leads"]] == [1, 2]
    assert queue["criteria"] == {"prior_tki": 5, "viral_infection": 2}
    page3 = staffed.review_queue(limit=2, offset=4)
    assert [lead["conversation_id"] for lead in page3["leads"]] == ["conv-4"]
    viral = staffed.review_queue(criterion="viral_infection")
    assert (viral["total_leads"], viral["total_items"]) == (2, 2)
    assert all(lead["other_open"] == 1 and len(lead["items"]) == 1 for lead in viral["leads"])
    assert staffed.review_queue(search="conv-3")["total_leads"] == 1


def test_a_decision_says_what_is_left(staffed):
    rec = make_record(criteria={"prior_tki": uncertain("Apatinib?"), "viral_infection": uncertain("HIV?")})
    staffed.save_screening(rec)
    first, second = staffed.open_review_items()
    result = staffed.resolve_review_item(first["id"], "pass", "ok", "alice")
    assert (result["old_outcome"], result["new_outcome"], result["open_left"]) == ("needs_review", "needs_review", 1)
    result = staffed.resolve_review_item(second["id"], "pass", "ok", "alice")
    assert (result["new_outcome"], result["open_left"]) == ("likely_eligible", 0)


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
def test_export_carries_follow_up_and_language_in_both_formats(staffed):
    rec = make_record()
    rec["language"] = "zh"
    staffed.save_screening(rec)
    sid = rec["screening_id"]
    staffed.update_follow_up(sid, by="alice", status="visit_booked", owner="alice")
    staffed.add_note(sid, "bring scans", by="alice")
    [out] = json.loads(staffed.export("json"))
    assert out["language"] == "zh"
    assert out["follow_up"] == {"status": "visit_booked", "owner": "alice", "notes": 1, "callback_at": None}
    [row] = list(csv.DictReader(io.StringIO(staffed.export("csv"))))
    assert (row["language"], row["follow_up_status"], row["follow_up_owner"], row["follow_up_notes"]) == (
        "zh",
        "visit_booked",
        "alice",
        "1",
    )
    assert row["name"] == "Ann Example" and row["prior_tki_answer"] == "some pill, not sure which"
    assert row["reference"] == reference(sid)


def test_export_of_chosen_leads_and_contact_only_with_consent(staffed):
    shown = make_record("conv-shown")
    hidden = make_record("conv-hidden", consented_contact=False)
    staffed.save_screening(shown)
    staffed.save_screening(hidden)
    rows = list(csv.DictReader(io.StringIO(staffed.export("csv", screening_ids=[hidden["screening_id"]]))))
    assert [r["conversation_id"] for r in rows] == ["conv-hidden"]
    assert rows[0]["contact_consented"] == "no" and rows[0]["name"] == rows[0]["phone"] == ""
    assert json.loads(staffed.export("json", screening_ids=[])) == []


def test_unknown_language_is_refused_and_regional_codes_read(lead):
    rec = make_record()
    rec["language"] = "klingon"
    with pytest.raises(InvalidInput, match="language"):
        lead.save_screening(rec)
    rec["language"] = "zh-CN"
    lead.save_screening(rec)
    assert lead.get_screening(rec["screening_id"])["language"] == "zh"


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+cmd",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\n=1",
        " =1",
        "   +1",
        "\u3000=1",
        "\u00a0@x",
        "\u200b=1",
        "\ufeff=1",
        "＝1+1",
        "＋1",
        "－1",
        "＠x",
        "﹦1",
        "﹢1",
        "﹣1",
        "\u22121",
        "\x00=1",
        "\x1b=1",
        "=cmd|' /C calc'!A0",
    ],
)
def test_every_formula_form_is_neutralised(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Li Wei", "45", "a=b", "O'Brien", "王芳", "", "normal, then =1", " leading space"])
def test_ordinary_text_is_left_alone(text):
    assert csv_cell(text) == text


def test_csv_export_neutralises_patient_text_in_every_column(lead):
    rec = make_record(contact=person(" =HYPERLINK(\"http://x\")", "+8613800138000"))
    rec["criteria"]["prior_tki"]["answer"] = "＝1+1"
    lead.save_screening(rec)
    [row] = list(csv.DictReader(io.StringIO(lead.export("csv"))))
    assert row["name"].startswith("' =") and row["prior_tki_answer"] == "'＝1+1"
    assert row["phone"] == "'+8613800138000"  # a spreadsheet would read +86... as a formula too


# --------------------------------------------------------------------------
# Migration from the previous schema
# --------------------------------------------------------------------------
def test_a_version_4_database_is_migrated_and_its_search_keys_filled(tmp_path):
    from bot.store import schema
    from bot.store.sql import Database

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    db = Database.__new__(Database)
    db.dialect = "sqlite"
    for statements in schema.MIGRATIONS[:4]:
        for statement in statements:
            conn.execute(statement.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    contact = json.dumps({"consented": True, "name": "Li Wei", "phone": "+8613800138000"})
    conn.execute(
        "INSERT INTO screenings (screening_id, conversation_id, outcome, started_at, started_utc, contact, "
        "created_at, updated_at) VALUES ('abc12345', 'conv-old', 'needs_review', '2026-11-01T00:00:00+00:00', "
        "'2026-11-01T00:00:00.000000Z', ?, 'x', 'x')",
        [contact],
    )
    conn.commit()
    conn.close()
    store = LeadStore(path)
    assert store.migrate() == schema.SCHEMA_VERSION
    [row] = store.list_screenings(search="138 0013 8000")
    assert row["conversation_id"] == "conv-old" and row["follow_up"]["status"] == "to_call"
    assert row["language"] == "en"
    assert store.list_screenings(search="li wei") and store.count_matching(consented=True) == 1
