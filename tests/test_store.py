"""Lead store (bot/store.py): persistence, review queue, retention, erasure,
export and concurrency. Every test uses its own database under tmp_path."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import re
import sqlite3
import stat
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import store
from bot.outcome import OUTCOMES
from bot.store import AlreadyResolved, InvalidInput, LeadStore, LeadStoreError, LeadStoreUnavailable, NotFound
from bot.store.sql import engine_for, transaction


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def ts(days_ago: float = 0.0, minutes: int = 0) -> str:
    when = datetime.now(timezone.utc) - timedelta(days=days_ago) + timedelta(minutes=minutes)
    return when.isoformat(timespec="seconds")


def make_record(
    conversation_id: str = "conv-1",
    *,
    screening_id: str | None = None,
    outcome: str = "needs_review",
    days_ago: float = 0.0,
    finished: bool = True,
    criteria: dict | None = None,
    contact: dict | None = None,
    consented_contact: bool = True,
) -> dict:
    if criteria is None:
        criteria = {
            "age": {
                "verdict": "pass",
                "question": "How old are you?",
                "answer": "I'm 45",
                "value": 45,
                "reason": "18-75",
                "confidence": 0.98,
            },
            "prior_tki": {
                "verdict": "uncertain",
                "question": "Did you take apatinib or anlotinib?",
                "answer": "some pill, not sure which",
                "value": None,
                "reason": "drug not named",
                "confidence": 0.4,
            },
            "blood_counts": {
                "verdict": "pending",
                "question": None,
                "answer": None,
                "value": None,
                "reason": "no recent labs",
                "confidence": None,
            },
        }
    review_items = [
        {
            "criterion": cid,
            "question": c["question"] or "",
            "answer": c["answer"] or "",
            "reason": c["reason"],
            "status": "open",
        }
        for cid, c in criteria.items()
        if c["verdict"] == "uncertain"
    ]
    if contact is None:
        contact = {
            "consented": consented_contact,
            "name": "Ann Example",
            "phone": "+86 371 0000",
            "email": "ann@example.org",
            "preferred_time": "mornings",
            "callback_requested": True,
        }
    return {
        "screening_id": screening_id or uuid.uuid4().hex,
        "conversation_id": conversation_id,
        "trial_id": "NCT05617859",
        "role": "patient",
        "outcome": outcome,
        "started_at": ts(days_ago),
        "completed_at": ts(days_ago, minutes=10) if finished else None,
        "contact": contact,
        "criteria": criteria,
        "review_items": review_items,
        "pending": [c for c, v in criteria.items() if v["verdict"] == "pending"],
        "transcript": [
            {"at": ts(days_ago), "speaker": "bot", "text": "How old are you?"},
            {"at": ts(days_ago), "speaker": "user", "text": "I'm 45"},
        ],
    }


def rows(where: Path | LeadStore, sql: str, params=()) -> list[tuple]:
    """Rows of an SQLite file, or of a store's database (SQLite or PostgreSQL)."""
    if isinstance(where, LeadStore):
        return transaction(
            engine_for(where.target),
            where.dialect,
            lambda db: [tuple(r) for r in db.execute(sql, params).fetchall()],
            write=False,
            timeout=5,
        )
    conn = sqlite3.connect(where)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def count(where: Path | LeadStore, table: str, where_sql: str = "1=1", params=()) -> int:
    return rows(where, f"SELECT count(*) FROM {table} WHERE {where_sql}", params)[0][0]


def make_tracker(path: Path, events: list[tuple[str, float]]) -> None:
    """A tiny stand-in for Rasa's SQLTrackerStore database."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
        "type_name VARCHAR(255), timestamp FLOAT, intent_name TEXT, action_name TEXT, "
        "data TEXT)"
    )
    conn.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, '{}')", events)
    conn.commit()
    conn.close()


@pytest.fixture
def db_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "sub" / "leads.db"
    monkeypatch.setenv("LEAD_DB", str(path))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    monkeypatch.delenv("LEAD_DB_LOCK_TIMEOUT", raising=False)
    return path


@pytest.fixture
def sqlite_lead(db_path) -> LeadStore:
    return LeadStore()


@pytest.fixture(params=["sqlite", "postgresql"])
def lead(request, db_path, monkeypatch) -> LeadStore:
    """The same tests on both databases the lead store supports."""
    if request.param == "postgresql":
        monkeypatch.setenv("LEAD_DB", request.getfixturevalue("postgres_url"))
    return LeadStore()


# --------------------------------------------------------------------------
# File, pragmas, schema
# --------------------------------------------------------------------------
def test_database_file_is_owner_only_in_wal_mode_with_schema(sqlite_lead, db_path):
    sqlite_lead.migrate()
    assert db_path.exists()  # parent directory created
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert rows(db_path, "PRAGMA journal_mode")[0][0] == "wal"
    tables = {r[0] for r in rows(db_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"meta", "screenings", "answers", "review_items", "transcript", "outcome_history", "audit"} <= tables
    assert rows(db_path, "SELECT value FROM meta WHERE key='schema_version'") == [(str(len(store.MIGRATIONS)),)]


def test_migrating_twice_is_a_no_op(db_path):
    LeadStore().migrate()
    schema = rows(db_path, "SELECT sql FROM sqlite_master ORDER BY name")
    assert LeadStore().migrate() == len(store.MIGRATIONS)
    assert rows(db_path, "SELECT sql FROM sqlite_master ORDER BY name") == schema
    assert count(db_path, "meta") == 1


def test_newer_schema_is_refused(sqlite_lead, db_path):
    sqlite_lead.migrate()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(LeadStoreError, match="newer than this code supports"):
        LeadStore().list_screenings()


def test_existing_world_readable_file_is_tightened(db_path):
    db_path.parent.mkdir(parents=True)
    db_path.touch(mode=0o644)
    os.chmod(db_path, 0o644)
    LeadStore().migrate()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_paths_and_retention_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("LEAD_DB", raising=False)
    monkeypatch.delenv("TRACKER_DB", raising=False)
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    root = store.PROJECT_ROOT
    assert store.lead_db_path() == root / "var" / "leads.db"
    assert store.tracker_db_path() == root / "var" / "tracker.db"
    assert store.retention_days() == 365
    monkeypatch.setenv("LEAD_DB", "elsewhere/x.db")
    assert store.lead_db_path() == root / "elsewhere" / "x.db"
    monkeypatch.setenv("RETENTION_DAYS", "30")
    assert store.retention_days() == 30
    monkeypatch.setenv("RETENTION_DAYS", "soon")
    with pytest.raises(InvalidInput):
        store.retention_days()


# --------------------------------------------------------------------------
# Saving and reading
# --------------------------------------------------------------------------
def test_save_and_get_round_trip(lead):
    rec = make_record()
    assert lead.save_screening(rec) == "needs_review"
    got = lead.get_screening(rec["screening_id"])
    for key in (
        "screening_id",
        "conversation_id",
        "trial_id",
        "role",
        "outcome",
        "started_at",
        "completed_at",
        "contact",
        "pending",
        "transcript",
    ):
        assert got[key] == rec[key], key
    assert got["criteria"] == rec["criteria"]
    assert list(got["criteria"]) == list(rec["criteria"])  # order kept
    [item] = got["review_items"]
    assert item["criterion"] == "prior_tki" and item["status"] == "open"
    assert isinstance(item["id"], int) and item["decision"] is None
    assert [(h["old"], h["new"]) for h in got["outcome_history"]] == [(None, "needs_review")]


def test_module_level_functions_use_the_environment(db_path):
    rec = make_record()
    store.save_screening(rec)
    assert store.get_screening(rec["screening_id"])["screening_id"] == rec["screening_id"]
    assert store.find_by_conversation("conv-1")["screening_id"] == rec["screening_id"]
    assert len(store.list_screenings()) == 1
    assert len(store.open_review_items()) == 1
    assert db_path.exists()


def test_saving_the_same_record_twice_stores_it_once(lead, db_path):
    rec = make_record()
    lead.save_screening(rec)
    lead.save_screening(rec)
    assert count(lead, "screenings") == 1
    assert count(lead, "answers") == 3
    assert count(lead, "review_items") == 1
    assert count(lead, "transcript") == 2
    assert count(lead, "outcome_history") == 1  # the outcome did not change


def test_resaving_after_more_answers_replaces_them(lead, db_path):
    rec = make_record(
        finished=False,
        outcome="incomplete",
        criteria={
            "age": {
                "verdict": "pass",
                "question": "Age?",
                "answer": "45",
                "value": 45,
                "reason": "ok",
                "confidence": 1.0,
            }
        },
    )
    lead.save_screening(rec)
    more = make_record(
        screening_id=rec["screening_id"],
        outcome="not_eligible",
        criteria={
            "age": {
                "verdict": "pass",
                "question": "Age?",
                "answer": "45",
                "value": 45,
                "reason": "ok",
                "confidence": 1.0,
            },
            "hypertension": {
                "verdict": "fail",
                "question": "Blood pressure?",
                "answer": "160/100",
                "value": {"systolic": 160, "diastolic": 100},
                "reason": "> 140/90",
                "confidence": 0.9,
            },
        },
    )
    lead.save_screening(more)
    got = lead.get_screening(rec["screening_id"])
    assert got["outcome"] == "not_eligible"
    assert got["criteria"]["hypertension"]["value"] == {"systolic": 160, "diastolic": 100}
    assert count(lead, "answers") == 2
    assert [(h["old"], h["new"]) for h in got["outcome_history"]] == [
        (None, "incomplete"),
        ("incomplete", "not_eligible"),
    ]


def test_open_item_no_longer_uncertain_is_removed(lead, db_path):
    rec = make_record()
    lead.save_screening(rec)
    settled = json.loads(json.dumps(rec))
    settled["criteria"]["prior_tki"].update(verdict="pass", answer="anlotinib", reason="named")
    settled["review_items"] = []
    settled["outcome"] = "likely_eligible"
    lead.save_screening(settled)
    assert count(lead, "review_items") == 0
    assert lead.open_review_items() == []


def test_open_item_is_updated_in_place_when_still_uncertain(lead):
    rec = make_record()
    lead.save_screening(rec)
    [before] = lead.open_review_items()
    rec["criteria"]["prior_tki"]["answer"] = "a yellow pill"
    rec["review_items"][0]["answer"] = "a yellow pill"
    lead.save_screening(rec)
    [after] = lead.open_review_items()
    assert after["id"] == before["id"] and after["answer"] == "a yellow pill"


def test_review_items_and_pending_checks_are_what_the_record_says(lead):
    """Screening.record() decides both in one place; the store never re-derives them from verdicts."""
    rec = make_record()
    rec["review_items"] = []
    rec["pending"] = []
    lead.save_screening(rec)
    assert lead.open_review_items() == []
    got = lead.get_screening(rec["screening_id"])
    assert got["pending"] == [] and got["criteria"]["blood_counts"]["verdict"] == "pending"
    [row] = lead.list_screenings()
    assert row["pending_count"] == 0 and row["open_review_items"] == 0


def test_resolved_item_survives_resave_and_keeps_its_decision(lead, db_path):
    rec = make_record()
    lead.save_screening(rec)
    [item] = lead.open_review_items()
    lead.resolve_review_item(item["id"], "pass", "checked the chart: anlotinib", "dr. li")
    lead.save_screening(rec)  # the bot saves again, still finding it uncertain
    got = lead.get_screening(rec["screening_id"])
    [kept] = got["review_items"]
    assert (kept["id"], kept["status"], kept["decision"], kept["note"], kept["resolved_by"]) == (
        item["id"],
        "resolved",
        "pass",
        "checked the chart: anlotinib",
        "dr. li",
    )
    assert got["criteria"]["prior_tki"]["verdict"] == "pass"  # the staff decision still counts
    assert got["outcome"] == "likely_eligible"
    assert lead.open_review_items() == []
    assert count(lead, "screenings") == 1


def test_find_by_conversation_returns_the_newest_screening(lead):
    old = make_record("conv-x", days_ago=2)
    new = make_record("conv-x", days_ago=1)
    lead.save_screening(new)
    lead.save_screening(old)
    assert lead.find_by_conversation("conv-x")["screening_id"] == new["screening_id"]
    assert lead.find_by_conversation("nobody") is None
    assert lead.get_screening("0" * 32) is None


def test_list_screenings_filters_and_order(lead):
    a = make_record("a", outcome="needs_review", days_ago=10)
    b = make_record(
        "b",
        outcome="not_eligible",
        days_ago=5,
        criteria={
            "age": {
                "verdict": "fail",
                "question": "Age?",
                "answer": "80",
                "value": 80,
                "reason": "> 75",
                "confidence": 1.0,
            }
        },
    )
    c = make_record(
        "c",
        outcome="likely_eligible",
        days_ago=1,
        criteria={
            "age": {
                "verdict": "pass",
                "question": "Age?",
                "answer": "40",
                "value": 40,
                "reason": "ok",
                "confidence": 1.0,
            }
        },
    )
    for r in (a, b, c):
        lead.save_screening(r)

    def ids(rows):
        return [r["conversation_id"] for r in rows]

    assert ids(lead.list_screenings()) == ["c", "b", "a"]
    assert ids(lead.list_screenings(outcome="not_eligible")) == ["b"]
    assert ids(lead.list_screenings(review_status="open")) == ["a"]
    assert ids(lead.list_screenings(review_status="none")) == ["c", "b"]

    def day(n):
        return (datetime.now(timezone.utc) - timedelta(days=n)).date()

    assert ids(lead.list_screenings(since=day(5))) == ["c", "b"]
    assert ids(lead.list_screenings(until=day(5))) == ["b", "a"]
    assert ids(lead.list_screenings(since=day(5).isoformat(), until=day(5).isoformat())) == ["b"]
    assert ids(lead.list_screenings(limit=1)) == ["c"]
    row = lead.list_screenings(outcome="needs_review")[0]
    assert (row["fail_count"], row["uncertain_count"], row["pending_count"], row["open_review_items"]) == (0, 1, 1, 1)
    with pytest.raises(InvalidInput):
        lead.list_screenings(outcome="eligible")
    with pytest.raises(InvalidInput):
        lead.list_screenings(review_status="closed")
    with pytest.raises(InvalidInput):
        lead.list_screenings(since="2024-02-30")


def test_contact_details_without_consent_are_not_kept(lead, db_path):
    rec = make_record(consented_contact=False)
    rec["contact"]["callback_requested"] = True
    lead.save_screening(rec)
    # The wish to be called back is kept (staff must know), the details are not.
    assert lead.get_screening(rec["screening_id"])["contact"] == {"consented": False, "callback_requested": True}
    if lead.path is not None:  # SQLite: nowhere in the file
        raw = lead.path.read_bytes()
    else:
        raw = json.dumps(
            [rows(lead, f"SELECT * FROM {t}") for t in ("screenings", "answers", "transcript", "audit")]
        ).encode()
    assert b"Ann Example" not in raw and b"ann@example.org" not in raw


def test_declined_screening_stores_no_health_answers(lead, db_path):
    rec = make_record(outcome="declined", contact={"consented": False})
    lead.save_screening(rec)
    got = lead.get_screening(rec["screening_id"])
    assert got["outcome"] == "declined"
    assert got["criteria"] == {} and got["review_items"] == [] and got["transcript"] == []
    assert count(lead, "answers") == 0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"screening_id": ""}, "screening_id"),
        ({"conversation_id": None}, "conversation_id"),
        ({"outcome": "eligible"}, "unknown outcome"),
        ({"started_at": "yesterday"}, "ISO-8601"),
        ({"criteria": {"age": {"verdict": "yes"}}}, "unknown verdict"),
        ({"criteria": {"age": {"verdict": "pass", "value": float("nan")}}}, "JSON"),
        ({"criteria": {"age": {"verdict": "pass", "value": object()}}}, "JSON"),
        ({"criteria": {"age": {"verdict": "pass", "confidence": "high"}}}, "confidence"),
        ({"transcript": ["hello"]}, "transcript"),
    ],
)
def test_malformed_records_are_rejected(lead, change, message):
    rec = make_record()
    rec.update(change)
    with pytest.raises(InvalidInput, match=message):
        lead.save_screening(rec)
    assert lead.list_screenings() == []


# --------------------------------------------------------------------------
# Review queue
# --------------------------------------------------------------------------
def test_resolve_recomputes_outcome_and_records_history_and_audit(lead, db_path):
    rec = make_record()
    lead.save_screening(rec)
    [item] = lead.open_review_items()
    assert item["conversation_id"] == "conv-1" and item["question"].startswith("Did you take")
    result = lead.resolve_review_item(item["id"], "pass", "confirmed anlotinib", "dr. li")
    assert result == {
        "item_id": item["id"],
        "screening_id": rec["screening_id"],
        "criterion": "prior_tki",
        "decision": "pass",
        "old_outcome": "needs_review",
        "new_outcome": "likely_eligible",
        "open_left": 0,
        "trial_id": "NCT05617859",
    }
    got = lead.get_screening(rec["screening_id"])
    assert got["criteria"]["prior_tki"]["verdict"] == "pass"
    assert got["criteria"]["prior_tki"]["answer"] == "some pill, not sure which"
    assert got["outcome"] == "likely_eligible"
    assert got["outcome_history"][-1]["old"] == "needs_review"
    assert got["outcome_history"][-1]["new"] == "likely_eligible"
    assert got["outcome_history"][-1]["by"] == "dr. li"
    [resolved] = got["review_items"]
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    [audit] = lead.audit_log(action="resolve")
    assert (audit["actor"], audit["action"], audit["target"]) == ("dr. li", "resolve", rec["screening_id"])
    assert "anlotinib" not in json.dumps(audit) and "prior_tki" not in json.dumps(audit)


def test_resolve_fail_makes_not_eligible(lead):
    rec = make_record()
    lead.save_screening(rec)
    [item] = lead.open_review_items()
    assert lead.resolve_review_item(item["id"], "fail", "never took a TKI", "dr. li")["new_outcome"] == "not_eligible"


def test_resolve_on_unfinished_screening_stays_incomplete(lead):
    rec = make_record(outcome="incomplete", finished=False)
    lead.save_screening(rec)
    [item] = lead.open_review_items()
    assert lead.resolve_review_item(item["id"], "pass", "ok", "sam")["new_outcome"] == "incomplete"


def test_resolve_errors(lead):
    rec = make_record()
    lead.save_screening(rec)
    [item] = lead.open_review_items()
    with pytest.raises(NotFound, match="no review item 999"):
        lead.resolve_review_item(999, "pass", "x", "sam")
    with pytest.raises(InvalidInput, match="decision"):
        lead.resolve_review_item(item["id"], "maybe", "x", "sam")
    with pytest.raises(InvalidInput):
        lead.resolve_review_item(item["id"], "pass", "x", "  ")
    with pytest.raises(InvalidInput):
        lead.resolve_review_item("abc", "pass", "x", "sam")
    lead.resolve_review_item(item["id"], "pass", "x", "sam")
    with pytest.raises(AlreadyResolved, match="already resolved"):
        lead.resolve_review_item(item["id"], "fail", "y", "kim")
    assert lead.get_screening(rec["screening_id"])["outcome"] == "likely_eligible"


# --------------------------------------------------------------------------
# Retention and erasure
# --------------------------------------------------------------------------
def test_purge_deletes_old_screenings_in_both_databases(lead, db_path, tmp_path):
    old = make_record("old-conv", days_ago=400)
    new = make_record("new-conv", days_ago=10)
    lead.save_screening(old)
    lead.save_screening(new)
    tracker = tmp_path / "tracker.db"
    now = time.time()
    make_tracker(
        tracker,
        [
            ("old-conv", now - 400 * 86400),
            ("old-conv", now - 399 * 86400),
            ("new-conv", now - 10 * 86400),
            ("orphan", now - 500 * 86400),
            ("recent-orphan", now - 86400),
        ],
    )
    preview = lead.purge(dry_run=True)
    assert preview["screenings"] == 1 and preview["tracker_events"] == 3
    assert count(lead, "screenings") == 2 and count(tracker, "events") == 5

    counts = lead.purge()  # RETENTION_DAYS default: 365
    assert counts["screenings"] == 1 and counts["answers"] == 3 and counts["transcript"] == 2
    assert counts["review_items"] == 1 and counts["tracker_events"] == 3
    assert lead.get_screening(old["screening_id"]) is None
    assert lead.get_screening(new["screening_id"]) is not None
    assert sorted(r[0] for r in rows(tracker, "SELECT sender_id FROM events")) == ["new-conv", "recent-orphan"]
    for table in ("answers", "review_items", "transcript", "outcome_history"):
        assert count(lead, table, "screening_id = ?", [old["screening_id"]]) == 0
    [audit] = [a for a in lead.audit_log() if a["action"] == "purge"]
    assert "screenings=1" in audit["detail"]


def test_purge_uses_retention_days_and_explicit_tracker(lead, monkeypatch, tmp_path):
    lead.save_screening(make_record("c1", days_ago=40))
    monkeypatch.setenv("RETENTION_DAYS", "30")
    other = tmp_path / "other-tracker.db"
    make_tracker(other, [("c1", time.time())])
    counts = lead.purge(tracker_db=other)
    assert counts["screenings"] == 1 and counts["tracker_events"] == 1
    assert count(other, "events") == 0


def test_purge_skips_missing_tracker_file_or_table(lead, tmp_path):
    lead.save_screening(make_record("c1", days_ago=40))
    assert lead.purge(30, tracker_db=tmp_path / "missing.db")["tracker_events"] == 0
    assert not (tmp_path / "missing.db").exists()
    lead.save_screening(make_record("c2", days_ago=40))
    no_table = tmp_path / "empty.db"
    sqlite3.connect(no_table).close()
    assert lead.purge(30, tracker_db=no_table)["screenings"] == 1
    with pytest.raises(InvalidInput):
        lead.purge(-1)


def test_delete_conversation_erases_everything_and_audits_counts_only(lead, db_path, tmp_path):
    victim = make_record("erase-me")
    victim["criteria"]["prior_tki"]["answer"] = "HIV positive, on anlotinib"
    keep = make_record("keep-me")
    lead.save_screening(victim)
    lead.save_screening(make_record("erase-me", days_ago=3))
    lead.save_screening(keep)
    [item] = [i for i in lead.open_review_items() if i["screening_id"] == victim["screening_id"]]
    lead.resolve_review_item(item["id"], "pass", "Ann Example: chart says fine", "dr. li")
    tracker = tmp_path / "tracker.db"
    make_tracker(tracker, [("erase-me", time.time()), ("erase-me", time.time()), ("keep-me", time.time())])

    counts = lead.delete_conversation("erase-me", by="dpo")
    assert counts["screenings"] == 2 and counts["tracker_events"] == 2
    assert lead.find_by_conversation("erase-me") is None
    assert lead.find_by_conversation("keep-me")["screening_id"] == keep["screening_id"]
    assert [r[0] for r in rows(tracker, "SELECT sender_id FROM events")] == ["keep-me"]
    for table in ("answers", "review_items", "transcript", "outcome_history"):
        for sid in (victim["screening_id"],):
            assert count(lead, table, "screening_id = ?", [sid]) == 0
    audit = lead.audit_log()
    delete = [a for a in audit if a["action"] == "delete"]
    assert len(delete) == 1 and delete[0]["target"] == "erase-me" and delete[0]["actor"] == "dpo"
    assert "screenings=2" in delete[0]["detail"]
    text = json.dumps(audit)
    for health_or_personal in ("HIV", "anlotinib", "Ann Example", "prior_tki", "pass", "fail"):
        assert health_or_personal not in text.replace("screenings=", "")
    with pytest.raises(InvalidInput):
        lead.delete_conversation("keep-me", by="")


def test_record_audit(lead):
    lead.record_audit("sam", "show", "abc", "viewed")
    [a] = lead.audit_log()
    assert (a["actor"], a["action"], a["target"], a["detail"]) == ("sam", "show", "abc", "viewed")
    assert datetime.fromisoformat(a["at"]).tzinfo is not None


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
def test_export_json_matches_the_design_contract(lead):
    rec = make_record()
    lead.save_screening(rec)
    [out] = json.loads(lead.export("json"))
    required = {
        "screening_id",
        "conversation_id",
        "role",
        "outcome",
        "started_at",
        "completed_at",
        "criteria",
        "review_items",
    }
    assert required <= set(out)
    assert out["screening_id"] == rec["screening_id"]
    assert out["conversation_id"] == "conv-1" and out["role"] == "patient"
    assert out["outcome"] in OUTCOMES
    assert out["completed_at"] == rec["completed_at"]
    assert out["criteria"]["age"]["verdict"] == "pass"
    assert out["criteria"]["age"]["answer"] == "I'm 45"
    assert out["criteria"]["age"]["value"] == 45
    assert out["criteria"]["age"]["reason"] == "18-75"
    for c in out["criteria"].values():
        assert {"verdict", "answer", "value", "reason"} <= set(c)
    [item] = out["review_items"]
    assert {"criterion", "question", "answer", "reason", "status"} <= set(item)
    assert item["status"] == "open" and item["criterion"] == "prior_tki"
    assert "transcript" not in out
    assert "transcript" in json.loads(lead.export("json", include_transcript=True))[0]


def test_export_of_empty_store(lead):
    assert json.loads(lead.export("json")) == []
    header = next(csv.reader(io.StringIO(lead.export("csv"))))
    assert header[: len(store.CSV_BASE_COLUMNS)] == list(store.CSV_BASE_COLUMNS)
    with pytest.raises(InvalidInput, match="format"):
        lead.export("xml")


def test_export_csv_one_row_per_screening(lead):
    lead.save_screening(make_record("a", days_ago=2))
    lead.save_screening(
        make_record(
            "=cmd|' /C calc'!A0",
            outcome="not_eligible",
            criteria={
                "age": {
                    "verdict": "fail",
                    "question": "Age?",
                    "answer": "80",
                    "value": 80,
                    "reason": "> 75",
                    "confidence": 1.0,
                },
                "custom_extra": {
                    "verdict": "pass",
                    "question": "?",
                    "answer": "y",
                    "value": True,
                    "reason": "ok",
                    "confidence": None,
                },
            },
        )
    )
    table = list(csv.DictReader(io.StringIO(lead.export("csv"))))
    assert len(table) == 2
    first, second = table
    assert (
        first["conversation_id"],
        first["outcome"],
        first["fail_count"],
        first["uncertain_count"],
        first["pending_count"],
        first["open_review_items"],
    ) == ("a", "needs_review", "0", "1", "1", "1")
    assert first["age"] == "pass" and first["prior_tki"] == "uncertain"
    assert first["blood_counts"] == "pending" and first["cardiac"] == ""
    assert second["age"] == "fail" and second["fail_count"] == "1"
    assert second["custom_extra"] == "pass"
    assert second["conversation_id"].startswith("'=")  # no spreadsheet formula


NASTY = [
    "<script>alert(1)</script>",
    "'; DROP TABLE screenings; --",
    "Robert\"); DELETE FROM answers WHERE (\"1\"=\"1",
    "x" * 10_000,
    "emoji 🩺 and 中文 and \u202eRTL and a NUL-free \x1b[31mANSI",
    "  leading and trailing spaces  \n second line\r\n",
]


def test_markup_sql_and_long_answers_are_stored_and_exported_verbatim(lead, db_path):
    criteria = {
        f"c{i}": {"verdict": "uncertain", "question": q, "answer": q, "value": q, "reason": q, "confidence": None}
        for i, q in enumerate(NASTY)
    }
    rec = make_record(criteria=criteria)
    rec["transcript"] = [{"at": ts(), "speaker": "user", "text": q} for q in NASTY]
    lead.save_screening(rec)
    got = lead.get_screening(rec["screening_id"])
    assert [c["answer"] for c in got["criteria"].values()] == NASTY
    assert [c["value"] for c in got["criteria"].values()] == NASTY
    assert [t["text"] for t in got["transcript"]] == NASTY
    assert sorted(i["answer"] for i in got["review_items"]) == sorted(NASTY)
    [out] = json.loads(lead.export("json"))
    assert [c["answer"] for c in out["criteria"].values()] == NASTY
    assert count(lead, "screenings") == 1  # the SQL did nothing


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer=st.text(max_size=300),
    value=st.none()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.lists(st.integers()),
)
def test_any_answer_round_trips(answer, value):
    with tempfile.TemporaryDirectory() as tmp:
        lead = LeadStore(Path(tmp) / "leads.db")
        rec = make_record(
            criteria={
                "age": {
                    "verdict": "uncertain",
                    "question": "Age?",
                    "answer": answer,
                    "value": value,
                    "reason": "?",
                    "confidence": None,
                }
            }
        )
        lead.save_screening(rec)
        got = lead.get_screening(rec["screening_id"])["criteria"]["age"]
        # NUL is the one character kept out (PostgreSQL text cannot hold it).
        assert got["answer"] == answer.replace("\x00", "\ufffd") and got["value"] == value
        assert json.loads(lead.export("json"))[0]["criteria"]["age"]["answer"] == got["answer"]


# --------------------------------------------------------------------------
# Concurrency and locking
# --------------------------------------------------------------------------
def _save_many(path: str, prefix: str, n: int) -> None:
    lead = LeadStore(path, lock_timeout=30)
    for i in range(n):
        lead.save_screening(make_record(f"{prefix}-{i}"))


def test_two_processes_saving_concurrently(db_path):
    # No migrate() first: both processes also race to create the database.
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_save_many, args=(str(db_path), p, 50)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    assert count(db_path, "screenings") == 100
    assert count(db_path, "answers") == 300
    assert count(db_path, "review_items") == 100


def _hold_write_lock(path: Path, seconds: float, started: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    started.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def test_save_waits_for_a_held_write_lock(sqlite_lead, db_path):
    sqlite_lead.migrate()
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, 1.0, started))
    holder.start()
    started.wait(5)
    rec = make_record()
    t0 = time.monotonic()
    sqlite_lead.save_screening(rec)
    elapsed = time.monotonic() - t0
    holder.join()
    assert elapsed >= 0.8
    assert count(sqlite_lead, "screenings") == 1
    assert count(sqlite_lead, "outcome_history") == 1  # written exactly once


def test_save_gives_up_with_a_clear_error_when_locked_too_long(db_path):
    lead = LeadStore(lock_timeout=0.4)
    lead.migrate()
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, 1.5, started))
    holder.start()
    started.wait(5)
    t0 = time.monotonic()
    with pytest.raises(LeadStoreUnavailable, match="locked"):
        lead.save_screening(make_record())
    assert time.monotonic() - t0 < 1.4
    holder.join()
    assert count(db_path, "screenings") == 0


def test_lock_timeout_from_environment(db_path, monkeypatch):
    monkeypatch.setenv("LEAD_DB_LOCK_TIMEOUT", "2.5")
    assert LeadStore().lock_timeout == 2.5
    monkeypatch.setenv("LEAD_DB_LOCK_TIMEOUT", "soon")
    with pytest.raises(InvalidInput):
        LeadStore()


# --------------------------------------------------------------------------
# PostgreSQL: several writers (action-server replicas), locks, outages
# --------------------------------------------------------------------------
def test_two_processes_saving_concurrently_on_postgresql(postgres_url):
    ctx = multiprocessing.get_context("spawn")  # no pooled connection shared across a fork
    procs = [ctx.Process(target=_save_many, args=(postgres_url, p, 50)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    lead = LeadStore(postgres_url)
    assert count(lead, "screenings") == 100
    assert count(lead, "answers") == 300
    assert count(lead, "review_items") == 100


def _save_same(url: str, record: dict, n: int) -> None:
    lead = LeadStore(url, lock_timeout=30)
    for _ in range(n):
        lead.save_screening(record)


def test_replicas_saving_the_same_screening_keep_one_copy_on_postgresql(postgres_url):
    # Two replicas finishing the same turn (a retried request): one screening,
    # one review item, one history row, never a unique-key error.
    record = make_record()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_save_same, args=(postgres_url, record, 20)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    lead = LeadStore(postgres_url)
    assert count(lead, "screenings") == 1
    assert count(lead, "review_items") == 1
    assert count(lead, "outcome_history") == 1


def _hold_table_lock(url: str, seconds: float, started: threading.Event) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("LOCK TABLE screenings IN EXCLUSIVE MODE")
        started.set()
        time.sleep(seconds)
    conn.commit()
    conn.close()


def test_save_waits_for_a_held_lock_on_postgresql(postgres_url):
    lead = LeadStore(postgres_url)
    lead.migrate()
    started = threading.Event()
    holder = threading.Thread(target=_hold_table_lock, args=(postgres_url, 1.0, started))
    holder.start()
    started.wait(5)
    t0 = time.monotonic()
    lead.save_screening(make_record())
    elapsed = time.monotonic() - t0
    holder.join()
    assert elapsed >= 0.8
    assert count(lead, "screenings") == 1 and count(lead, "outcome_history") == 1


def test_unreachable_postgresql_is_a_clear_error_without_the_password():
    from local_services import free_port

    url = f"postgresql://leads:s3cret-pw@127.0.0.1:{free_port()}/leads"  # nothing listens
    lead = LeadStore(url, lock_timeout=1.0)
    t0 = time.monotonic()
    with pytest.raises(LeadStoreUnavailable) as caught:
        lead.save_screening(make_record())
    assert time.monotonic() - t0 < 10
    assert "s3cret-pw" not in str(caught.value) and "127.0.0.1" in str(caught.value)
    assert "s3cret-pw" not in repr(lead)


# --------------------------------------------------------------------------
# Screening states (the action server's working copy, by revision)
# --------------------------------------------------------------------------
def test_states_are_kept_by_revision_newest_few_only(lead):
    rec = make_record()
    for n in range(8):
        lead.save_screening(rec, state={"n": n, "screening_id": rec["screening_id"]}, revision=f"r{n}")
    assert lead.load_state(rec["screening_id"], "r7")["n"] == 7
    assert lead.load_state(rec["screening_id"], "r6")["n"] == 6
    from bot.store.leads import STATES_KEPT

    assert count(lead, "screening_states") == STATES_KEPT == 3  # no more kept than needed
    # A revision no longer kept: the newest state rather than nothing.
    assert lead.load_state(rec["screening_id"], "r0")["n"] == 7
    assert lead.load_state("no-such-screening", "r1") is None
    with pytest.raises(InvalidInput):
        lead.save_screening(rec, state={"n": 1})


def test_states_go_with_the_conversation_and_declined_ones_are_never_kept(lead):
    rec = make_record("erase-state")
    lead.save_screening(rec, state={"facts": {"age": 45}}, revision="a")
    declined = make_record("refuser", outcome="declined", contact={"consented": False})
    lead.save_screening(declined, state={"facts": {}}, revision="b")
    assert lead.load_state(declined["screening_id"], "b") is None
    lead.delete_conversation("erase-state", by="dpo")
    assert lead.load_state(rec["screening_id"], "a") is None
    assert count(lead, "screening_states") == 0


# --------------------------------------------------------------------------
# Every write of the action server is audited (ids and counts only)
# --------------------------------------------------------------------------
def test_every_save_and_the_erasure_are_audited_with_the_process_actor_and_counts_only(lead, monkeypatch):
    from bot.store import leads as leads_module

    monkeypatch.setattr(leads_module, "_process_actor", "action-server")
    store_of_action_server = LeadStore(lead.target)
    rec = make_record("conv-audit", contact={"name": "Ann Example", "phone": "138 0013 8000"})
    store_of_action_server.save_screening(rec, state={"screening_id": rec["screening_id"], "x": "HIV"}, revision="r1")
    store_of_action_server.save_screening(rec)
    saves = store_of_action_server.audit_log(action="save-screening")
    assert len(saves) == 2 and {a["actor"] for a in saves} == {"action-server"}
    assert {a["target"] for a in saves} == {rec["screening_id"]}
    assert "state=none" in saves[0]["detail"] and "state=kept" in saves[1]["detail"]  # newest first
    assert all(re.fullmatch(r"answers=\d+, review_items=\d+, transcript=\d+, state=\w+", a["detail"]) for a in saves)
    store_of_action_server.delete_conversation("conv-audit", by="participant")
    [erased] = store_of_action_server.audit_log(action="delete")
    assert erased["actor"] == "action-server" and erased["target"] == "conv-audit"
    assert erased["detail"].startswith("requested by participant;") and "screenings=1" in erased["detail"]
    text = json.dumps(store_of_action_server.audit_log())
    for private in ("Ann Example", "138 0013 8000", "HIV", "anlotinib", "I'm 45", "prior_tki", "uncertain"):
        assert private not in text
    # A staff member's erasure keeps the staff member as the actor (the CLI and the dashboard set no process actor).
    monkeypatch.setattr(leads_module, "_process_actor", None)
    staff_store = LeadStore(lead.target)
    staff_store.save_screening(make_record("conv-staff"))
    staff_store.delete_conversation("conv-staff", by="dpo")
    assert [a["actor"] for a in staff_store.audit_log(action="delete")][0] == "dpo"
    assert staff_store.audit_log(action="save-screening")[0]["actor"] == "bot"


# --------------------------------------------------------------------------
# A turn's save writes what changed, and what it stores is still the record
# --------------------------------------------------------------------------
def test_saving_turn_after_turn_appends_the_transcript_and_updates_only_changed_answers(lead):
    record = make_record("conv-turns")
    sid = record["screening_id"]
    lead.save_screening(record)

    # next turn: one more exchange, one verdict changed, one criterion gone
    record["transcript"] = [*record["transcript"], {"at": ts(), "speaker": "bot", "text": "Which medicine?"}]
    record["criteria"]["prior_tki"] = {**record["criteria"]["prior_tki"], "verdict": "pass", "reason": "named"}
    record["review_items"] = []
    del record["criteria"]["blood_counts"]
    record["pending"] = []
    lead.save_screening(record)
    got = lead.get_screening(sid)
    assert [t["text"] for t in got["transcript"]] == ["How old are you?", "I'm 45", "Which medicine?"]
    assert got["criteria"]["prior_tki"]["verdict"] == "pass" and got["criteria"]["prior_tki"]["reason"] == "named"
    assert set(got["criteria"]) == {"age", "prior_tki"} and got["review_items"] == []
    assert rows(lead, "SELECT seq FROM transcript WHERE screening_id = ? ORDER BY seq", [sid]) == [(0,), (1,), (2,)]

    # the stored turns are kept as they are (appended to, not rewritten): mark one and save the next turn
    transaction(
        engine_for(lead.target),
        lead.dialect,
        lambda db: db.execute("UPDATE transcript SET at = 'kept' WHERE screening_id = ? AND seq = 0", [sid]),
        write=True,
        timeout=5,
    )
    record["transcript"] = [*record["transcript"], {"at": ts(), "speaker": "user", "text": "anlotinib"}]
    lead.save_screening(record)
    assert rows(lead, "SELECT at FROM transcript WHERE screening_id = ? AND seq = 0", [sid]) == [("kept",)]
    assert len(lead.get_screening(sid)["transcript"]) == 4

    # a transcript that is not a continuation of the stored one replaces it
    record["transcript"] = [{"at": ts(), "speaker": "bot", "text": "Hello again"}]
    lead.save_screening(record)
    got = lead.get_screening(sid)
    assert [t["text"] for t in got["transcript"]] == ["Hello again"]


def test_a_kept_connection_never_writes_to_a_removed_file(db_path):
    """Connections stay open between operations; one whose file was deleted
    or replaced must not be reused (its writes would go to an unlinked file)."""
    lead = LeadStore()
    lead.save_screening(make_record("c-before", screening_id="s-before"))
    db_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    lead = LeadStore()
    lead.save_screening(make_record("c-after", screening_id="s-after"))
    conn = sqlite3.connect(db_path)
    try:
        ids = [row[0] for row in conn.execute("SELECT screening_id FROM screenings")]
    finally:
        conn.close()
    assert ids == ["s-after"]
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_connections_are_kept_between_operations(db_path):
    lead = LeadStore()
    lead.migrate()
    engine = engine_for(str(db_path))
    opened = engine.pool.checkedin()
    for n in range(5):
        lead.save_screening(make_record(f"c-{n}", screening_id=f"s-{n}"))
    assert engine.pool.checkedin() == opened >= 1
