"""Staff notifications (bot/notify.py): a local SMTP server (aiosmtpd), a local
webhook receiver (http.server), a receiver that is down, the back-off, the
staff commands and the chat action."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from test_store import make_record

from bot import notify
from bot.store import LeadStore

ROOT = Path(__file__).resolve().parents[1]
HEALTH_TEXT = (
    "Ann Example",
    "+86 371 0000",
    "ann@example.org",
    "I'm 45",
    "apatinib",
    "some pill",
    "drug not named",
    "no recent labs",
    "prior_tki",
    "blood_counts",
)
NOTIFY_VARS = (
    "NOTIFY_SMTP_HOST",
    "NOTIFY_SMTP_PORT",
    "NOTIFY_SMTP_USER",
    "NOTIFY_SMTP_PASSWORD",
    "NOTIFY_SMTP_STARTTLS",
    "NOTIFY_FROM",
    "NOTIFY_TO",
    "NOTIFY_WEBHOOK_URL",
    "DASHBOARD_URL",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    for name in NOTIFY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEAD_DB", str(tmp_path / "leads.db"))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("DASHBOARD_URL", "https://staff.example.org/dash")
    return tmp_path


@pytest.fixture
def lead() -> LeadStore:
    return LeadStore()


class MailBox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("NOTIFY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NOTIFY_SMTP_PORT", str(port))
    monkeypatch.setenv("NOTIFY_FROM", "bot@example.org")
    monkeypatch.setenv("NOTIFY_TO", "study@example.org, nurse@example.org")
    yield box
    controller.stop()


class Receiver:
    """A tiny webhook receiver; start() may be called after it was down."""

    def __init__(self, port: int):
        self.port, self.posts, self.server = port, [], None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?token=secret"

    def start(self) -> Receiver:
        posts = self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                posts.append((self.path, self.headers.get("Content-Type"), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def receiver(monkeypatch):
    r = Receiver(free_port())
    monkeypatch.setenv("NOTIFY_WEBHOOK_URL", r.url)
    yield r
    r.stop()


def saved(lead: LeadStore, outcome: str = "needs_review", **kw) -> str:
    record = make_record(outcome=outcome, **kw)
    lead.save_screening(record)
    return record["screening_id"]


def staff(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()}
    return subprocess.run(
        [sys.executable, "-m", "bot.staff", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


# --------------------------------------------------------------------------
def test_email_to_a_local_smtp_server_once_with_id_outcome_link_only(lead, smtp):
    sid = saved(lead, "needs_review")
    notify.notify_finished(sid)
    notify.notify_finished(sid)  # finishing twice never notifies twice
    lead.save_screening(make_record(screening_id=sid, outcome="needs_review"))
    notify.notify_finished(sid)
    assert len(smtp.envelopes) == 1
    mail = smtp.envelopes[0]
    assert sorted(mail.rcpt_tos) == ["nurse@example.org", "study@example.org"]
    assert mail.mail_from == "bot@example.org"
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    text = parsed["Subject"] + "\n" + parsed.get_content()
    assert sid in text and "needs_review" in text
    assert f"https://staff.example.org/dash/leads/{sid}" in text
    for fragment in HEALTH_TEXT:
        assert fragment not in text
    [row] = lead.list_notifications()
    assert (row["channel"], row["status"], row["attempts"]) == ("email", "sent", 1)
    assert row["sent_at"] and row["last_error"] is None


def test_webhook_gets_one_json_post(lead, receiver):
    receiver.start()
    sid = saved(
        lead,
        "likely_eligible",
        criteria={
            "age": {
                "verdict": "pass",
                "question": "How old are you?",
                "answer": "I'm 45",
                "value": 45,
                "reason": "18-75",
                "confidence": 0.98,
            }
        },
    )
    notify.notify_finished(sid)
    notify.notify_finished(sid)
    assert len(receiver.posts) == 1
    path, content_type, body = receiver.posts[0]
    assert path == "/hook?token=secret" and content_type == "application/json"
    assert body["lead_id"] == sid and body["outcome"] == "likely_eligible"
    assert body["link"] == f"https://staff.example.org/dash/leads/{sid}"
    assert set(body) == {"lead_id", "outcome", "link", "text"}
    for fragment in HEALTH_TEXT:
        assert fragment not in json.dumps(body)
    assert [r["status"] for r in lead.list_notifications()] == ["sent"]


def test_both_channels_one_row_each(lead, smtp, receiver):
    receiver.start()
    sid = saved(lead)
    notify.notify_finished(sid)
    rows = lead.list_notifications()
    assert sorted((r["channel"], r["status"]) for r in rows) == [("email", "sent"), ("webhook", "sent")]
    assert len(smtp.envelopes) == 1 and len(receiver.posts) == 1


def test_receiver_down_stays_pending_then_notify_retry_delivers(lead, receiver):
    sid = saved(lead)
    before = datetime.now(timezone.utc)
    started = time.monotonic()
    notify.notify_finished(sid)
    assert time.monotonic() - started < 2.5
    [row] = lead.list_notifications()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert datetime.fromisoformat(row["next_attempt_at"]) > before
    assert "refused" in row["last_error"].lower() and "secret" not in row["last_error"]

    # Not due yet: notify-retry sends nothing.
    receiver.start()
    proc = staff("notify-retry")
    assert proc.returncode == 0, proc.stderr
    assert receiver.posts == [] and lead.list_notifications()[0]["attempts"] == 1

    out = staff("notifications", "--status", "pending")
    assert out.returncode == 0 and sid in out.stdout and "pending" in out.stdout

    # Time passes (the row is due), the receiver is up: delivered once.
    conn = sqlite3.connect(os.environ["LEAD_DB"])
    conn.execute("UPDATE notifications SET next_attempt_at = '2000-01-01T00:00:00+00:00'")
    conn.commit()
    conn.close()
    proc = staff("notify-retry")
    assert proc.returncode == 0, proc.stderr
    assert "Sent 1" in proc.stdout
    assert len(receiver.posts) == 1 and receiver.posts[0][2]["lead_id"] == sid
    [row] = lead.list_notifications()
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("sent", 2, None)
    assert staff("notify-retry").returncode == 0
    assert len(receiver.posts) == 1
    assert "No notifications." in staff("notifications", "--status", "failed").stdout
    assert sid in staff("notifications", "--status", "sent").stdout


def test_back_off_then_failed_and_still_listed(lead, receiver):
    sid = saved(lead)
    t0 = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert notify.enqueue(sid, now=t0) == ["webhook"]
    assert notify.enqueue(sid, now=t0) == []
    now, delays = t0, []
    for _ in range(5):
        assert notify.send_due(now=now, timeout=1)["retry"] == 1
        assert notify.send_due(now=now, timeout=1) == {
            "sent": 0,
            "retry": 0,
            "failed": 0,
            "skipped": 0,
        }  # not due again yet
        nxt = datetime.fromisoformat(lead.list_notifications()[0]["next_attempt_at"])
        delays.append(nxt - now)
        now = nxt
    assert delays == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    ]
    assert notify.send_due(now=now, timeout=1)["failed"] == 1
    [row] = lead.list_notifications()
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("failed", 6, None)
    assert row["last_error"] and len(row["last_error"]) <= 200
    assert notify.send_due(now=now + timedelta(days=30), timeout=1)["sent"] == 0
    out = staff("notifications", "--status", "failed")
    assert out.returncode == 0 and sid in out.stdout and "failed" in out.stdout
    assert receiver.posts == []


@pytest.mark.parametrize("outcome", ["not_eligible", "declined", "incomplete"])
def test_other_outcomes_queue_nothing(lead, smtp, receiver, outcome):
    receiver.start()
    sid = saved(lead, outcome, finished=outcome != "incomplete")
    notify.notify_finished(sid)
    assert lead.list_notifications() == []
    assert smtp.envelopes == [] and receiver.posts == []


def test_no_channel_configured_queues_nothing(lead, caplog):
    sid = saved(lead)
    monkey_flag = notify._logged_unconfigured
    notify._logged_unconfigured = False
    try:
        with caplog.at_level("INFO", logger="bot.notify"):
            notify.notify_finished(sid)
            notify.notify_finished(sid)
    finally:
        notify._logged_unconfigured = monkey_flag
    assert lead.list_notifications() == []
    infos = [r for r in caplog.records if r.name == "bot.notify"]
    assert len(infos) == 1 and infos[0].levelname == "INFO"
    assert "No notifications." in staff("notifications").stdout


def test_unknown_screening_and_broken_store_never_raise(lead, receiver, monkeypatch):
    notify.notify_finished("no-such-screening")
    assert lead.list_notifications() == []
    monkeypatch.setenv("LEAD_DB", "/proc/definitely/not/writable.db")
    notify.notify_finished("whatever")  # logged, not raised


def test_erasing_the_conversation_removes_its_notifications(lead, receiver):
    sid = saved(lead, conversation_id="conv-erase")
    notify.notify_finished(sid)
    assert len(lead.list_notifications()) == 1
    lead.delete_conversation("conv-erase", by="dpo")
    assert lead.list_notifications() == []


def test_finish_action_notifies_once_and_never_fails_the_reply(lead, receiver):
    """The chat action: a whole scripted screening, receiver down, then up."""
    from test_actions import open_chat

    from scripts import PATIENT_ANSWERS, reply_for

    chat = open_chat("notify-user")
    for _ in range(60):
        answer = reply_for(chat.texts, PATIENT_ANSWERS)
        if "Li Wei" in (answer or ""):
            break
        chat.send(answer or "no")
    started = time.monotonic()
    chat.send(answer)  # the last answer: the screening ends, staff are told
    assert time.monotonic() - started < 3
    assert any("reference number" in text for text in chat.texts)  # the closing messages were still sent
    sid = chat.conversation.screening.screening_id
    assert lead.get_screening(sid)["outcome"] in notify.NOTIFY_OUTCOMES
    [row] = lead.list_notifications()
    assert (row["screening_id"], row["status"], row["attempts"]) == (sid, "pending", 1)

    receiver.start()
    chat.send("thanks")  # a message after the end queues nothing new
    assert len(lead.list_notifications()) == 1
    later = datetime.now(timezone.utc) + timedelta(minutes=2)
    assert notify.send_due(now=later)["sent"] == 1
    assert len(receiver.posts) == 1 and receiver.posts[0][2]["lead_id"] == sid
