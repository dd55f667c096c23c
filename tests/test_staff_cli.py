"""Staff command line (python -m bot.staff), run as a subprocess like staff do."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.store import CSV_BASE_COLUMNS, LeadStore

ROOT = Path(__file__).resolve().parent.parent


def ts(days_ago: float = 0.0, minutes: int = 0) -> str:
    when = datetime.now(timezone.utc) - timedelta(days=days_ago) + timedelta(minutes=minutes)
    return when.isoformat(timespec="seconds")


def make_record(
    conversation_id: str, *, outcome: str = "needs_review", days_ago: float = 0.0, answer: str = "not sure which pill"
) -> dict:
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
            "verdict": "uncertain" if outcome == "needs_review" else "pass",
            "question": "Apatinib or anlotinib before?",
            "answer": answer,
            "value": None,
            "reason": "drug not named",
            "confidence": 0.4,
        },
    }
    if outcome == "not_eligible":
        criteria["hypertension"] = {
            "verdict": "fail",
            "question": "Blood pressure?",
            "answer": "160/100",
            "value": [160, 100],
            "reason": "> 140/90",
            "confidence": 0.9,
        }
    return {
        "screening_id": uuid.uuid4().hex,
        "conversation_id": conversation_id,
        "trial_id": "NCT05617859",
        "role": "physician",
        "outcome": outcome,
        "started_at": ts(days_ago),
        "completed_at": ts(days_ago, 5),
        "contact": {
            "consented": True,
            "name": "Dr. Zhang",
            "phone": "+86 371 1234",
            "email": None,
            "preferred_time": None,
            "callback_requested": True,
        },
        "criteria": criteria,
        "review_items": [
            {"criterion": c, "question": v["question"], "answer": v["answer"], "reason": v["reason"], "status": "open"}
            for c, v in criteria.items()
            if v["verdict"] == "uncertain"
        ],
        "pending": ["coagulation"],
        "transcript": [{"at": ts(days_ago), "speaker": "user", "text": "45 y/o, " + answer}],
    }


@pytest.fixture
def env(tmp_path) -> dict:
    e = {k: v for k, v in os.environ.items() if k not in ("RETENTION_DAYS", "LEAD_DB_LOCK_TIMEOUT")}
    e.update(
        LEAD_DB=str(tmp_path / "leads.db"),
        TRACKER_DB=str(tmp_path / "tracker.db"),
        USER="tester",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return e


@pytest.fixture
def lead(env) -> LeadStore:
    return LeadStore(env["LEAD_DB"], tracker_db=env["TRACKER_DB"])


@pytest.fixture
def seeded(lead) -> dict:
    recs = {
        "review": make_record("conv-review", days_ago=3, answer="<script>alert(1)</script>"),
        "fail": make_record("conv-fail", outcome="not_eligible", days_ago=2),
        "likely": make_record("conv-likely", outcome="likely_eligible", days_ago=1),
    }
    for r in recs.values():
        lead.save_screening(r)
    return recs


def run(env: dict, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.staff", *args],
        cwd=ROOT,
        env=env,
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=60,
    )


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def fails(proc: subprocess.CompletedProcess, *fragments: str, code: int | None = None) -> str:
    assert proc.returncode != 0, proc.stdout
    if code is not None:
        assert proc.returncode == code
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for f in fragments:
        assert f in lines[0], lines[0]
    return lines[0]


def audit(env: dict) -> list[dict]:
    return LeadStore(env["LEAD_DB"]).audit_log()


# --------------------------------------------------------------------------
def test_help_for_every_command(env):
    out = ok(run(env, "--help"))
    for command in ("list", "show", "review", "resolve", "export", "purge", "delete"):
        assert command in out
    for command, option in (
        ("list", "--outcome"),
        ("show", "--html"),
        ("review", "--by"),
        ("resolve", "--decision"),
        ("export", "--format"),
        ("purge", "--older-than"),
        ("delete", "--by"),
    ):
        assert option in ok(run(env, command, "--help"))
    fails(run(env), "COMMAND", code=2)
    fails(run(env, "frobnicate"), "invalid choice", code=2)


def test_export_json_on_missing_database_prints_empty_array(env):
    out = ok(run(env, "export", "--format", "json"))
    assert json.loads(out) == [] and out.strip() == "[]"
    assert not Path(env["LEAD_DB"]).exists()
    header = next(csv.reader(io.StringIO(ok(run(env, "export", "--format", "csv")))))
    assert header[: len(CSV_BASE_COLUMNS)] == list(CSV_BASE_COLUMNS)
    assert header == next(csv.reader(io.StringIO(LeadStore(env["LEAD_DB"]).export("csv"))))


def test_export_json_on_empty_database_prints_empty_array(env, lead):
    lead.migrate()
    assert ok(run(env, "export", "--format", "json")).strip() == "[]"


def test_export_json_and_csv(env, seeded, tmp_path):
    data = json.loads(ok(run(env, "export", "--format", "json")))
    assert {d["conversation_id"] for d in data} == {"conv-review", "conv-fail", "conv-likely"}
    review = next(d for d in data if d["conversation_id"] == "conv-review")
    assert review["criteria"]["prior_tki"]["answer"] == "<script>alert(1)</script>"
    assert review["review_items"][0]["status"] == "open"
    for d in data:
        assert {
            "screening_id",
            "conversation_id",
            "role",
            "outcome",
            "started_at",
            "completed_at",
            "criteria",
            "review_items",
        } <= set(d)

    table = list(csv.DictReader(io.StringIO(ok(run(env, "export", "--format", "csv")))))
    assert len(table) == 3
    assert {r["outcome"] for r in table} == {"needs_review", "not_eligible", "likely_eligible"}

    target = tmp_path / "out" / "leads.csv"
    target.parent.mkdir()
    proc = run(env, "export", "--format", "csv", "--output", str(target), "--by", "ana")
    ok(proc)
    assert len(list(csv.DictReader(target.open()))) == 3
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    exports = [a for a in audit(env) if a["action"] == "export"]
    assert [a["actor"] for a in exports] == ["ana", "tester", "tester"]

    fails(run(env, "export", "--format", "xml"), "invalid choice", code=2)
    fails(run(env, "export"), "--format", code=2)
    fails(run(env, "export", "--format", "json", "--output", str(tmp_path / "no" / "x.json")), "No such file")


def test_list_with_filters(env, seeded):
    out = ok(run(env, "list"))
    assert out.index("conv-likely") < out.index("conv-fail") < out.index("conv-review")
    assert "3 screening(s)" in out
    out = ok(run(env, "list", "--outcome", "not_eligible"))
    assert "conv-fail" in out and "conv-review" not in out
    out = ok(run(env, "list", "--review", "open"))
    assert "conv-review" in out and "conv-fail" not in out
    out = ok(run(env, "list", "--review", "none", "--limit", "1"))
    assert "conv-likely" in out and "1 screening(s)" in out
    day = (datetime.now(timezone.utc) - timedelta(days=2)).date().isoformat()
    out = ok(run(env, "list", "--since", day, "--until", day))
    assert "conv-fail" in out and "conv-likely" not in out and "conv-review" not in out
    assert "No screenings." in ok(run(env, "list", "--since", "2999-01-01"))


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("list", "--since", "2024-13-01"), "invalid date"),
        (("list", "--until", "yesterday"), "invalid date"),
        (("list", "--outcome", "eligible"), "invalid choice"),
        (("list", "--review", "closed"), "invalid choice"),
        (("list", "--limit", "0"), ">= 1"),
        (("list", "--since", "2024-05-02", "--until", "2024-05-01"), "after --until"),
    ],
)
def test_list_bad_input(env, args, fragment):
    fails(run(env, *args), fragment, code=2)


def test_list_on_missing_database(env):
    assert "No screenings." in ok(run(env, "list"))
    assert "No open review items." in ok(run(env, "review"))


def test_show_by_screening_or_conversation_id(env, seeded):
    sid = seeded["fail"]["screening_id"]
    for ident in (sid, "conv-fail"):
        out = ok(run(env, "show", ident))
        assert sid in out and "Not eligible" in out and "Blood pressure" in out and "hypertension" not in out
        assert "160/100" in out and "Dr. Zhang" in out and "Clotting tests" in out
    shows = [a for a in audit(env) if a["action"] == "show"]
    assert len(shows) == 2 and all(a["target"] == sid and a["actor"] == "tester" for a in shows)

    html_out = ok(run(env, "show", "conv-review", "--html", "--by", "ana"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_out and "<script>" not in html_out
    assert audit(env)[0]["actor"] == "ana"
    fails(run(env, "show", "no-such-thing"), "no screening", "no-such-thing", code=1)
    fails(run(env, "show"), "ID", code=2)


def test_review_and_resolve(env, seeded):
    out = ok(run(env, "review"))
    assert "prior_tki" in out and "<script>alert(1)</script>" in out and "1 open item(s)" in out
    [item] = LeadStore(env["LEAD_DB"]).open_review_items()

    out = ok(
        run(
            env,
            "resolve",
            str(item["id"]),
            "--decision",
            "pass",
            "--note",
            "referral letter: anlotinib 2023",
            "--by",
            "dr. li",
        )
    )
    assert "needs_review -> likely_eligible" in out
    rec = LeadStore(env["LEAD_DB"]).get_screening(seeded["review"]["screening_id"])
    assert rec["outcome"] == "likely_eligible"
    assert rec["review_items"][0]["note"] == "referral letter: anlotinib 2023"
    assert "No open review items." in ok(run(env, "review"))
    assert any(a["action"] == "resolve" and a["actor"] == "dr. li" for a in audit(env))

    fails(
        run(env, "resolve", str(item["id"]), "--decision", "fail", "--note", "x", "--by", "y"),
        "already resolved",
        code=1,
    )
    fails(run(env, "resolve", "999", "--decision", "pass", "--note", "x", "--by", "y"), "no review item 999", code=1)
    fails(
        run(env, "resolve", str(item["id"]), "--decision", "maybe", "--note", "x", "--by", "y"),
        "invalid choice",
        code=2,
    )
    fails(run(env, "resolve", "abc", "--decision", "pass", "--note", "x", "--by", "y"), "whole number", code=2)
    fails(run(env, "resolve", str(item["id"]), "--decision", "pass", "--note", "x"), "--by", code=2)
    fails(run(env, "resolve", str(item["id"]), "--decision", "pass", "--note", " ", "--by", "y"), "--note", code=2)


def _tracker(env: dict, events: list[tuple[str, float]]) -> Path:
    path = Path(env["TRACKER_DB"])
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT NOT NULL, "
        "type_name TEXT, timestamp FLOAT, data TEXT)"
    )
    conn.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, '{}')", events)
    conn.commit()
    conn.close()
    return path


def test_purge(env, lead):
    lead.save_screening(make_record("ancient", days_ago=400))
    lead.save_screening(make_record("recent", days_ago=5))
    tracker = _tracker(env, [("ancient", time.time() - 400 * 86400), ("recent", time.time())])

    fails(run(env, "purge"), "--yes", "1 screening(s)", code=2)  # stdin is not a terminal
    assert len(lead.list_screenings()) == 2

    out = ok(run(env, "purge", "--yes", "--by", "ops"))  # default retention: 365 days
    assert "Deleted 1 screening(s)" in out and "1 tracker event(s)" in out
    assert [r["conversation_id"] for r in lead.list_screenings()] == ["recent"]
    conn = sqlite3.connect(tracker)
    assert [r[0] for r in conn.execute("SELECT sender_id FROM events")] == ["recent"]
    conn.close()
    assert any(a["action"] == "purge" and a["actor"] == "ops" for a in audit(env))

    out = ok(run(env, "purge", "--older-than", "1", "--yes"))
    assert "Deleted 1 screening(s)" in out and lead.list_screenings() == []
    fails(run(env, "purge", "--older-than", "soon", "--yes"), "whole number", code=2)
    fails(run(env, "purge", "--older-than", "-3", "--yes"), code=2)


def test_purge_respects_retention_days_env(env, lead):
    lead.save_screening(make_record("forty", days_ago=40))
    ok(run(env, "purge", "--yes"))
    assert len(lead.list_screenings()) == 1
    ok(run({**env, "RETENTION_DAYS": "30"}, "purge", "--yes"))
    assert lead.list_screenings() == []
    fails(run({**env, "RETENTION_DAYS": "a year"}, "purge", "--yes"), "RETENTION_DAYS", code=1)


def test_delete_conversation(env, seeded, lead):
    _tracker(env, [("conv-review", time.time()), ("conv-fail", time.time())])
    out = ok(run(env, "delete", "conv-review", "--by", "dpo"))
    assert "1 screening(s)" in out and "1 tracker event(s)" in out
    assert lead.find_by_conversation("conv-review") is None
    assert lead.find_by_conversation("conv-fail") is not None
    [entry] = [a for a in audit(env) if a["action"] == "delete"]
    assert entry["target"] == "conv-review" and entry["actor"] == "dpo"
    assert "alert" not in json.dumps(audit(env)) and "Zhang" not in json.dumps(audit(env))

    fails(run(env, "delete", "conv-review", "--by", "dpo"), "no data found", code=1)
    fails(run(env, "delete", "conv-fail"), "--by", code=2)
    fails(run(env, "delete", "conv-fail", "--by", "  "), "--by", code=2)


def test_locked_database_gives_a_clear_error(env, lead):
    lead.migrate()
    conn = sqlite3.connect(env["LEAD_DB"], isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        proc = run(
            {**env, "LEAD_DB_LOCK_TIMEOUT": "0.3"}, "resolve", "1", "--decision", "pass", "--note", "x", "--by", "y"
        )
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    fails(proc, "locked", code=1)


def test_corrupt_database_gives_a_clear_error(env):
    Path(env["LEAD_DB"]).write_text("this is not a database, just text " * 100)
    fails(run(env, "list"), "not a database", code=1)


# --------------------------------------------------------------------------
# Staff accounts and the audit log
# --------------------------------------------------------------------------
def test_user_accounts_are_made_and_managed_from_the_command_line(env, lead):
    out = ok(
        run(
            env,
            "user",
            "add",
            "alice",
            "--password-stdin",
            "--display-name",
            "Alice Chen",
            "--by",
            "admin",
            input="a long staff passphrase\n",
        )
    )
    assert "Created staff account 'alice'" in out
    secret = second_factor_secret(out)
    listing = ok(run(env, "user", "list"))
    assert "alice" in listing and "Alice Chen" in listing and "active" in listing
    assert "TOTP, 10 recovery codes" in listing
    assert "passphrase" not in listing and "argon2" not in listing and secret not in listing
    from bot.store.accounts import StaffAccounts

    accounts = StaffAccounts(lead)
    token = log_in(accounts, "alice", "a long staff passphrase", secret)
    ok(run(env, "user", "passwd", "alice", "--password-stdin", input="another long passphrase\n"))
    assert accounts.session(token) is None  # the password change ended the session
    ok(run(env, "user", "disable", "alice"))
    assert "disabled" in ok(run(env, "user", "list"))
    assert not accounts.login("alice", "another long passphrase").needs_code
    ok(run(env, "user", "enable", "alice"))
    assert accounts.login("alice", "another long passphrase").needs_code


def second_factor_secret(out: str) -> str:
    import re

    match = re.search(r"secret: ([A-Z2-7]{32})", out)
    assert match and "otpauth://totp/" in out, out
    return match.group(1)


def log_in(accounts, name: str, password: str, secret: str, steps: int = 0) -> str:
    import pyotp

    from bot.store import accounts as accounts_module

    first = accounts.login(name, password)
    assert first.needs_code, first
    code = pyotp.TOTP(secret).at(accounts_module._now(), counter_offset=steps)
    result = accounts.second_factor(first.challenge, code)
    assert result.ok, result
    return result.token


def test_second_factor_recovery_codes_and_language_from_the_command_line(env, lead):
    import re

    from bot.store.accounts import StaffAccounts

    out = ok(run(env, "user", "add", "bob", "--password-stdin", "--language", "zh", input="a long staff passphrase\n"))
    first_secret = second_factor_secret(out)
    codes = re.findall(r"^    ([2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){3})$", out, re.M)
    assert len(codes) == 10 and "shown only now" in out
    assert not any(first_secret in json.dumps(a) or codes[0] in json.dumps(a) for a in audit(env))
    accounts = StaffAccounts(lead)
    assert accounts.login("bob", "a long staff passphrase").user.language == "zh"
    again = ok(run(env, "user", "totp", "bob"))  # a new phone: a new secret, new codes
    secret = second_factor_secret(again)
    assert secret != first_secret
    log_in(accounts, "bob", "a long staff passphrase", secret)
    fresh = ok(run(env, "user", "recovery-codes", "bob"))
    assert len(re.findall(r"^    [2-9A-Z]{4}-", fresh, re.M)) == 10
    assert "language" in ok(run(env, "user", "language", "bob", "en"))
    assert accounts.login("bob", "a long staff passphrase").user.language == "en"
    fails(run(env, "user", "language", "bob", "fr"), code=2)
    removed = ok(run(env, "user", "totp", "bob", "--remove"))
    assert "removed" in removed and accounts.login("bob", "a long staff passphrase").no_second_factor
    no_totp = ok(run(env, "user", "add", "carol", "--password-stdin", "--no-totp", input="a long staff passphrase\n"))
    assert "STAFF_REQUIRE_TOTP=0" in no_totp and "secret:" not in no_totp
    actions = [a["action"] for a in audit(env)]
    for action in ("user-add", "user-totp", "user-recovery-codes", "user-language", "user-totp-remove"):
        assert action in actions, action


def test_seed_demo_fills_only_an_empty_or_demo_store(env, lead, seeded):
    fails(run(env, "seed-demo", "--count", "3"), "not demo data")
    demo_env = {**env, "LEAD_DB": str(Path(env["LEAD_DB"]).with_name("demo.db"))}
    out = ok(run(demo_env, "seed-demo", "--count", "12", "--seed", "3"))
    assert "Added 12 demo screenings" in out and "made up" in out
    demo = LeadStore(demo_env["LEAD_DB"])
    rows = demo.list_screenings()
    assert len(rows) == 12 and all(r["conversation_id"].startswith("demo-") for r in rows)
    ok(run(demo_env, "seed-demo", "--count", "2"))  # more demo data on demo data: fine
    assert len(demo.list_screenings()) == 14
    assert any(a["action"] == "seed-demo" for a in demo.audit_log())


def test_every_command_that_shows_data_is_audited(env, seeded):
    ok(run(env, "list", "--outcome", "needs_review", "--by", "nurse-li"))
    ok(run(env, "notifications", "--by", "nurse-li"))
    ok(run(env, "audit", "--by", "nurse-li"))
    ok(run(env, "user", "list", "--by", "nurse-li"))
    ok(run(env, "review", "--by", "nurse-li"))
    actions = {a["action"]: a["detail"] for a in audit(env) if a["actor"] == "nurse-li"}
    assert {"list", "notifications", "view-audit", "user-list", "review"} <= set(actions)
    assert "outcome=needs_review" in actions["list"]


def test_export_carries_follow_up_and_language(env, seeded, lead):
    from bot.store.accounts import StaffAccounts

    StaffAccounts(lead, require_totp=False).create_user("alice", "a long staff passphrase", by="test")
    sid = seeded["review"]["screening_id"]
    lead.update_follow_up(sid, by="alice", status="call_back", owner="alice")
    lead.add_note(sid, "note", by="alice")
    data = {d["screening_id"]: d for d in json.loads(ok(run(env, "export", "--format", "json")))}
    assert data[sid]["follow_up"] == {"status": "call_back", "owner": "alice", "notes": 1, "callback_at": None}
    assert all(d["language"] == "en" for d in data.values())
    rows = {r["screening_id"]: r for r in csv.DictReader(io.StringIO(ok(run(env, "export", "--format", "csv"))))}
    assert (rows[sid]["follow_up_status"], rows[sid]["follow_up_owner"], rows[sid]["follow_up_notes"]) == (
        "call_back",
        "alice",
        "1",
    )


def test_user_command_bad_input_is_a_clear_error(env):
    fails(run(env, "user", "add", "bob", "--password-stdin", input="short\n"), "at least 12")
    fails(run(env, "user", "add", "Bob Smith", "--password-stdin", input="a long staff passphrase\n"), "user name")
    fails(run(env, "user", "add", "bob", input=""), "--password-stdin", code=2)  # no terminal to ask
    fails(
        run(env, "user", "passwd", "nobody", "--password-stdin", input="a long staff passphrase\n"), "no staff account"
    )
    fails(run(env, "user"), code=2)
    assert "No staff accounts" in ok(run(env, "user", "list"))


def test_audit_command_lists_who_did_what_without_health_data(env, seeded):
    ok(run(env, "show", seeded["review"]["screening_id"], "--by", "nurse-li"))
    ok(run(env, "export", "--format", "csv", "--by", "nurse-li"))
    out = ok(run(env, "audit", "--actor", "nurse-li"))
    assert "show" in out and "export" in out and "nurse-li" in out
    assert "<script>" not in out and "not sure which pill" not in out
    assert ok(run(env, "audit", "--action", "nothing-like-this")).strip() == "No audit entries."
    fails(run(env, "audit", "--limit", "0"), code=2)


def test_notify_retry_every_keeps_sending_what_becomes_due(env, seeded, lead):
    from test_notify import Receiver, free_port

    receiver = Receiver(free_port())  # down at first: the notification waits in the outbox
    env = {**env, "NOTIFY_WEBHOOK_URL": receiver.url}
    lead.enqueue_notifications(seeded["likely"]["screening_id"], ["webhook"], ["likely_eligible"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.staff", "notify-retry", "--every", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while lead.list_notifications()[0]["attempts"] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        [row] = lead.list_notifications()
        assert row["attempts"] == 1 and row["status"] == "pending" and row["last_error"]
        # The receiver comes up; the worker sends once the back-off has passed.
        receiver.start()
        lead.run(
            lambda db: db.execute("UPDATE notifications SET next_attempt_at = ?", ["2000-01-01T00:00:00+00:00"]),
            write=True,
        )
        while lead.list_notifications()[0]["status"] != "sent" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert lead.list_notifications()[0]["status"] == "sent"
        assert receiver.posts and receiver.posts[0][2]["lead_id"] == seeded["likely"]["screening_id"]
        assert proc.poll() is None  # still running: a worker, not a one-off
    finally:
        proc.terminate()
        proc.wait(10)
        receiver.stop()
