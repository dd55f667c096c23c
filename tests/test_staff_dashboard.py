"""Staff dashboard (web/staff/) through Flask's HTTP test client: login,
refusals, escaping, decisions, export, audit."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from test_store import make_record

from bot.store import LeadStore
from bot.store.accounts import LOCK_AFTER, StaffAccounts
from web.staff.app import create_app

PASSWORD = "a long staff passphrase"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def store(tmp_path, monkeypatch) -> LeadStore:
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path / "secrets"))
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.delenv("STAFF_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("STAFF_REQUIRE_TOTP", "0")  # password only here; the second factor has its own tests
    # Cheap argon2 parameters: these tests are about the dashboard, not the hash (tests/test_staff_accounts.py).
    from argon2 import PasswordHasher

    from bot.store import accounts as accounts_module

    monkeypatch.setattr(accounts_module, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return LeadStore(tmp_path / "leads.db")


@pytest.fixture
def app(store):
    StaffAccounts(store).create_user("alice", PASSWORD, display_name="Alice Chen", by="test")
    return create_app(store)


@pytest.fixture
def client(app):
    return app.test_client()


def csrf(html: str, prefix: str = "") -> str:
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    match = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]+)"', html) or re.search(
        rf'name="{re.escape(name)}" value="([^"]+)"', html
    )
    assert match, f"no {name} in the page"
    return match.group(1)


def login(client, username="alice", password=PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"csrf_token": csrf(page), "username": username, "password": password})


@pytest.fixture
def logged_in(client):
    response = login(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def lead_with_markup(store) -> dict:
    record = make_record("conv-xss")
    record["criteria"]["prior_tki"]["answer"] = XSS
    record["review_items"][0]["answer"] = XSS
    record["transcript"].append({"at": None, "speaker": "user", "text": XSS})
    record["contact"]["name"] = "<b>Ann</b>"
    store.save_screening(record)
    return record


# --------------------------------------------------------------------------
# Nothing without a login
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/review",
        "/notifications",
        "/audit",
        "/export.csv",
        "/export.json",
        "/call-list.csv",
        "/account",
        "/leads/anything",
        "/leads/anything/summary",
        "/?status=to_call&sort=oldest",
    ],
)
def test_every_page_needs_a_login(client, lead_with_markup, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Ann" not in response.get_data(as_text=True)


def test_actions_without_a_login_are_refused(client, lead_with_markup, store):
    item = store.open_review_items()[0]
    url = f"/leads/{item['screening_id']}/items/{item['id']}/resolve"
    response = client.post(url, data={f"item{item['id']}-decision": "pass", f"item{item['id']}-note": "ok"})
    assert response.status_code in (302, 400)
    assert store.get_review_item(item["id"])["status"] == "open"
    assert client.post("/account", data={"language": "zh"}).status_code in (302, 400)
    assert client.post(f"/leads/{item['screening_id']}/erase", data={"erase-confirm": "y"}).status_code in (302, 400)
    assert store.get_screening(item["screening_id"]) is not None
    assert StaffAccounts(store).get_user("alice")["language"] == "en"


def test_wrong_password_and_unknown_user_are_refused(client, lead_with_markup):
    for username, password in (("alice", "not the password"), ("mallory", PASSWORD), ("<script>", "x")):
        response = login(client, username, password)
        assert response.status_code == 401
        assert "wrong" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_without_any_account_the_login_page_says_how_to_create_one(store):
    client = create_app(store).test_client()
    response = client.get("/login")
    assert response.status_code == 503
    assert "python -m bot.staff user add" in response.get_data(as_text=True)


def test_repeated_failures_are_slowed_down(client):
    for _ in range(LOCK_AFTER - 1):
        assert login(client, "alice", "wrong wrong wrong").status_code == 401
    response = login(client, "alice", "wrong wrong wrong")
    assert response.status_code == 429
    assert "Try again in" in response.get_data(as_text=True)
    assert login(client).status_code == 429  # even the right password, while locked


def test_login_form_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


# --------------------------------------------------------------------------
# Logged in
# --------------------------------------------------------------------------
def test_session_cookie_is_secure_httponly_strict(client):
    response = login(client)
    cookie = response.headers["Set-Cookie"]
    assert "staff_session=" in cookie
    for flag in ("Secure", "HttpOnly", "SameSite=Strict"):
        assert flag in cookie


def test_pages_carry_security_headers(logged_in):
    response = logged_in.get("/")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_lead_list_shows_who_to_call_with_counts(logged_in, store, lead_with_markup):
    store.save_screening(make_record("conv-other", outcome="not_eligible", consented_contact=False))
    html = logged_in.get("/").get_data(as_text=True)
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html and "+86 371 0000" in html  # consented: shown, escaped
    assert "no consent to be contacted" in html
    assert ">needs review (1)</option>" in html and ">not eligible (1)</option>" in html
    filtered = logged_in.get("/?outcome=not_eligible").get_data(as_text=True)
    assert "+86 371 0000" not in filtered and "no consent to be contacted" in filtered


def test_bad_filters_get_a_clear_400(logged_in):
    for query in ("outcome=eligible", "since=yesterday", "page=0", "review=maybe", "since=2026-12-02&until=2026-12-01"):
        response = logged_in.get(f"/?{query}")
        assert response.status_code == 400, query
        assert "must" in response.get_data(as_text=True) or "after" in response.get_data(as_text=True)


def test_patient_markup_is_shown_as_text(logged_in, lead_with_markup):
    for path in (f"/leads/{lead_with_markup['screening_id']}", "/review", "/"):
        html = logged_in.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Ann" not in html
    html = logged_in.get(f"/leads/{lead_with_markup['screening_id']}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html


def test_review_items_show_the_registry_wording_of_their_criterion(logged_in, lead_with_markup):
    html = logged_in.get(f"/leads/{lead_with_markup['screening_id']}").get_data(as_text=True)
    assert "Criterion (Inclusion 5)" in html and "apatinib or anlotinib in the past" in html
    assert "Criterion (Inclusion 5)" in logged_in.get("/review").get_data(as_text=True)


def test_another_trials_review_item_is_not_shown_this_trials_wording(logged_in, store):
    record = make_record("conv-other-trial")
    record["trial_id"] = "NCT00000000"
    store.save_screening(record)
    html = logged_in.get(f"/leads/{record['screening_id']}").get_data(as_text=True)
    assert (
        "Your decision<span class=\"visually-hidden\"> Prior tki</span>" in html
        and "Criterion (Inclusion 5)" not in html
    )


def test_unknown_lead_is_a_404(logged_in):
    response = logged_in.get("/leads/no-such-screening")
    assert response.status_code == 404 and "No such lead" in response.get_data(as_text=True)


def test_resolving_an_item_recomputes_the_outcome_and_is_audited(logged_in, store, lead_with_markup):
    sid = lead_with_markup["screening_id"]
    item = store.open_review_items()[0]
    page = logged_in.get(f"/leads/{sid}").get_data(as_text=True)
    response = logged_in.post(
        f"/leads/{sid}/items/{item['id']}/resolve",
        data={
            f"item{item['id']}-csrf_token": csrf(page, f"item{item['id']}"),
            f"item{item['id']}-decision": "pass",
            f"item{item['id']}-note": "Referral letter: 8 months of anlotinib",
        },
    )
    assert response.status_code == 302
    after = logged_in.get(f"/leads/{sid}").get_data(as_text=True)
    assert "Outcome changed: needs review → likely eligible." in after
    record = store.get_screening(sid)
    assert record["outcome"] == "likely_eligible"
    assert record["criteria"]["prior_tki"]["verdict"] == "pass"
    assert [(h["old"], h["new"], h["by"]) for h in record["outcome_history"]][-1] == (
        "needs_review",
        "likely_eligible",
        "alice",
    )
    assert any(a["action"] == "resolve" and a["actor"] == "alice" and a["target"] == sid for a in store.audit_log())


def test_a_decision_needs_a_note_and_a_valid_token(logged_in, store, lead_with_markup):
    sid = lead_with_markup["screening_id"]
    item = store.open_review_items()[0]
    prefix = f"item{item['id']}"
    page = logged_in.get(f"/leads/{sid}").get_data(as_text=True)
    response = logged_in.post(
        f"/leads/{sid}/items/{item['id']}/resolve",
        data={f"{prefix}-csrf_token": csrf(page, prefix), f"{prefix}-decision": "pass", f"{prefix}-note": "  "},
        follow_redirects=True,
    )
    assert "Say why" in response.get_data(as_text=True)
    forged = logged_in.post(
        f"/leads/{sid}/items/{item['id']}/resolve",
        data={f"{prefix}-csrf_token": "forged", f"{prefix}-decision": "fail", f"{prefix}-note": "x"},
    )
    assert forged.status_code == 400
    assert store.get_review_item(item["id"])["status"] == "open"


def test_review_queue_resolves_and_returns_to_the_queue(logged_in, store, lead_with_markup):
    item = store.open_review_items()[0]
    prefix = f"item{item['id']}"
    page = logged_in.get("/review").get_data(as_text=True)
    assert "1 answer to check, on 1 lead" in page
    response = logged_in.post(
        f"/leads/{item['screening_id']}/items/{item['id']}/resolve",
        data={
            f"{prefix}-csrf_token": csrf(page, prefix),
            f"{prefix}-decision": "fail",
            f"{prefix}-note": "Took a different drug",
            "back": "review",
        },
    )
    assert response.headers["Location"].endswith("/review")
    assert "Nothing to review" in logged_in.get("/review").get_data(as_text=True)
    assert store.get_screening(item["screening_id"])["outcome"] == "not_eligible"


def test_csv_and_json_export_are_downloads_and_audited(logged_in, store, lead_with_markup):
    response = logged_in.get("/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["conversation_id"] for r in rows] == ["conv-xss"]
    data = json.loads(logged_in.get("/export.json").get_data(as_text=True))
    assert data[0]["criteria"]["prior_tki"]["answer"] == XSS
    exports = [a for a in store.audit_log() if a["action"] == "export"]
    assert len(exports) == 2 and all(a["actor"] == "alice" for a in exports)


def _tracker_with(path, sender_ids):
    """A minimal Rasa events table (the columns erasure looks at)."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp REAL, data TEXT)"
        )
        conn.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', 0, '{}')",
            [(s,) for s in sender_ids],
        )


def _events_of(path, sender_id):
    import sqlite3

    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM events WHERE sender_id = ?", [sender_id]).fetchone()[0]


def test_erasing_a_person_needs_a_tick_then_deletes_both_stores_and_audits_counts_only(
    logged_in, store, lead_with_markup, tmp_path, monkeypatch
):
    sid, conversation = lead_with_markup["screening_id"], lead_with_markup["conversation_id"]
    other = make_record("conv-someone-else")
    store.save_screening(other)
    tracker = tmp_path / "tracker.db"
    _tracker_with(tracker, [conversation, conversation, "conv-someone-else"])
    page = logged_in.get(f"/leads/{sid}").get_data(as_text=True)
    assert "Erase this person&#39;s data" in page or "Erase this person's data" in page

    unticked = logged_in.post(
        f"/leads/{sid}/erase", data={"erase-csrf_token": csrf(page, "erase")}, follow_redirects=True
    )
    assert "Tick the box" in unticked.get_data(as_text=True)
    assert store.get_screening(sid) is not None and _events_of(tracker, conversation) == 2
    forged = logged_in.post(f"/leads/{sid}/erase", data={"erase-csrf_token": "forged", "erase-confirm": "y"})
    assert forged.status_code == 400 and store.get_screening(sid) is not None

    erased = logged_in.post(
        f"/leads/{sid}/erase",
        data={"erase-csrf_token": csrf(page, "erase"), "erase-confirm": "y"},
        follow_redirects=True,
    )
    assert erased.status_code == 200 and "Erased conversation conv-xss" in erased.get_data(as_text=True)
    assert store.get_screening(sid) is None and logged_in.get(f"/leads/{sid}").status_code == 404
    assert _events_of(tracker, conversation) == 0
    assert store.get_screening(other["screening_id"]) is not None  # nobody else's data
    assert _events_of(tracker, "conv-someone-else") == 1
    [entry] = [a for a in store.audit_log() if a["action"] == "delete"]
    assert (entry["actor"], entry["target"]) == ("alice", conversation)
    assert "<b>Ann</b>" not in json.dumps(entry) and "<script>" not in json.dumps(entry)
    assert "answers=" in entry["detail"]  # counts, not content


def test_every_view_is_audited_without_health_data(logged_in, store, lead_with_markup):
    sid = lead_with_markup["screening_id"]
    for path in ("/", f"/leads/{sid}", "/review", "/notifications", "/audit"):
        assert logged_in.get(path).status_code == 200
    actions = [a["action"] for a in store.audit_log() if a["actor"] == "alice"]
    for action in ("view-leads", "view-lead", "view-review", "view-notifications", "view-audit", "login"):
        assert action in actions
    text = json.dumps(store.audit_log())
    assert "anlotinib" not in text and "Ann" not in text and "<script>" not in text


def test_logout_ends_the_session_on_the_server(logged_in, app):
    page = logged_in.get("/").get_data(as_text=True)
    cookie = logged_in.get_cookie("staff_session", domain="localhost")
    response = logged_in.post("/logout", data={"csrf_token": csrf(page)})
    assert response.status_code == 302
    assert logged_in.get("/").status_code == 302
    # Replaying the old cookie does not bring the session back.
    replay = app.test_client()
    replay.set_cookie("staff_session", cookie.value, domain="localhost")
    assert replay.get("/").status_code == 302


def test_an_expired_session_needs_a_new_login(logged_in, app, monkeypatch):
    from datetime import datetime, timedelta, timezone

    from bot.store import accounts as accounts_module

    later = datetime.now(timezone.utc) + timedelta(hours=1)
    monkeypatch.setattr(accounts_module, "_now", lambda: later)
    assert logged_in.get("/").status_code == 302


def test_failed_notifications_are_visible_and_can_be_retried(logged_in, store, lead_with_markup):
    sid = lead_with_markup["screening_id"]
    store.enqueue_notifications(sid, ["webhook"], ["needs_review"])
    [row] = store.list_notifications()
    store.finish_notification(row["id"], sent=False, now="2026-12-01T00:00:00+00:00", error="connection refused")
    page = logged_in.get("/notifications?status=failed").get_data(as_text=True)
    assert "connection refused" in page and 'class="n-failed"' in page
    response = logged_in.post(
        f"/notifications/{row['id']}/retry", data={"csrf_token": csrf(page)}, follow_redirects=True
    )
    assert response.status_code == 200
    # No channel configured in this test: the retry is queued as pending again.
    assert store.list_notifications()[0]["status"] in ("pending", "sent")
    assert any(a["action"] == "notification-retry" for a in store.audit_log())


def test_health_check_answers_without_login_and_without_data(client, lead_with_markup):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
