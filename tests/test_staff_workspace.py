"""The coordinator's workspace on the dashboard (issue 15), through Flask's
HTTP client: the second factor at login, every new action (needs a login, a
CSRF token, leaves an audit row), search, filters that refuse bad input
with a 400, the call list and the filtered exports, the readable lead page,
what a decision says, the printable summary, the language preference, an
audit row for every request, and every text from the language files."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyotp
import pytest
import test_staff_dashboard as dashboard
from test_staff_dashboard import PASSWORD, csrf, login
from test_store import make_record

from bot.store import LeadStore
from bot.store.accounts import StaffAccounts
from web.staff.app import create_app

STAFF = Path(__file__).resolve().parents[1] / "web" / "staff"
TOMORROW = (datetime.now(timezone.utc) + timedelta(days=1)).date()
store, app, client, logged_in = dashboard.store, dashboard.app, dashboard.client, dashboard.logged_in


def person(name, phone, consented=True):
    return {
        "consented": consented,
        "name": name,
        "phone": phone,
        "email": None,
        "preferred_time": "after 6 pm",
        "callback_requested": False,
    }


@pytest.fixture
def leads(store):
    """Three leads: two who agreed to be called, one who did not."""
    found = {
        "li": make_record("conv-li", contact=person("Li Wei", "+8613800138000"), days_ago=1),
        "wang": make_record("conv-wang", contact=person("=HYPERLINK(\"x\")", "+8613912345678"), days_ago=2),
        "anon": make_record("conv-anon", consented_contact=False, days_ago=3),
    }
    for record in found.values():
        store.save_screening(record)
    StaffAccounts(store, require_totp=False).create_user("bob", "another long passphrase", by="test")
    return found


def audit_actions(store, actor="alice"):
    return [a for a in store.audit_log() if a["actor"] == actor]


def page_of(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --------------------------------------------------------------------------
# The second factor at login
# --------------------------------------------------------------------------
@pytest.fixture
def totp_client(store, monkeypatch):
    monkeypatch.delenv("STAFF_REQUIRE_TOTP", raising=False)  # the default: required
    accounts = StaffAccounts(store)
    accounts.create_user("alice", PASSWORD, by="test")
    accounts.create_user("nofactor", PASSWORD, by="test")
    enrolment = accounts.enrol_totp("alice", by="test")
    return create_app(store).test_client(), enrolment


def test_login_asks_for_the_code_after_the_password(totp_client, store):
    client, enrolment = totp_client
    first = login(client)
    assert first.status_code == 302 and first.headers["Location"].endswith("/login/code")
    assert client.get("/").status_code == 302  # not logged in yet
    page = page_of(client, "/login/code")
    wrong = client.post("/login/code", data={"csrf_token": csrf(page), "code": "000000"})
    assert wrong.status_code == 401 and "not right" in wrong.get_data(as_text=True)
    right = client.post("/login/code", data={"csrf_token": csrf(page), "code": pyotp.TOTP(enrolment.secret).now()})
    assert right.status_code == 302
    assert client.get("/").status_code == 200
    actions = [a["action"] for a in reversed(store.audit_log()) if a["actor"] == "alice"]
    assert actions == ["login-password-ok", "login-failed", "login", "view-leads"]
    assert any(a["action"] == "login" and "totp" in a["detail"] for a in store.audit_log())


def test_a_recovery_code_logs_in_once_and_says_how_many_are_left(totp_client):
    client, enrolment = totp_client
    login(client)
    page = page_of(client, "/login/code")
    response = client.post(
        "/login/code", data={"csrf_token": csrf(page), "code": enrolment.recovery_codes[0]}, follow_redirects=True
    )
    assert "recovery code; 9 left" in response.get_data(as_text=True)


def test_without_a_second_factor_no_login_and_no_code_page_without_a_password(totp_client):
    client, _ = totp_client
    response = login(client, "nofactor")
    assert response.status_code == 403 and "no second factor" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    fresh = totp_client[0].application.test_client()
    assert fresh.get("/login/code").headers["Location"].endswith("/login")


def test_five_wrong_codes_end_the_attempt_and_lock(totp_client):
    client, enrolment = totp_client
    login(client)
    page = page_of(client, "/login/code")
    statuses = [
        client.post("/login/code", data={"csrf_token": csrf(page), "code": "111111"}).status_code for _ in range(5)
    ]
    assert statuses[:4] == [401] * 4 and statuses[4] == 302  # the 5th: back to the password
    assert login(client).status_code == 429  # and the account is locked for a while


# --------------------------------------------------------------------------
# Every new action: a login, a CSRF token, an audit row
# --------------------------------------------------------------------------
def _follow(sid, token):
    return f"/leads/{sid}/follow-up", {
        "follow-csrf_token": token,
        "follow-status": "call_back",
        "follow-owner": "bob",
        "follow-callback": f"{TOMORROW.isoformat()}T09:30",
    }


def _take(sid, token):
    return f"/leads/{sid}/follow-up", {"take-csrf_token": token}


def _call(sid, token):
    return f"/leads/{sid}/calls", {"call-csrf_token": token, "call-result": "no_answer", "call-note": "rang twice"}


def _note(sid, token):
    return f"/leads/{sid}/notes", {"note-csrf_token": token, "note-text": "Prefers WeChat"}


def _changed(kind):
    def check(store, sid):
        record = store.get_screening(sid)
        follow, log = record["follow_up"], record["follow_up_log"]
        return {
            "follow": follow["status"] == "call_back" and follow["owner"] == "bob" and follow["callback_at"],
            "take": follow["owner"] == "alice",
            "call": any(e["kind"] == "call" for e in log),
            "note": any(e["kind"] == "note" for e in log),
        }[kind]

    return check


ACTIONS = [
    ("follow", _follow, "follow-up"),
    ("take", _take, "follow-up"),
    ("call", _call, "call"),
    ("note", _note, "note"),
]


@pytest.mark.parametrize("kind, build, action", ACTIONS)
def test_new_actions_need_a_login(client, leads, store, kind, build, action):
    sid = leads["li"]["screening_id"]
    path, data = build(sid, "no-token")
    response = client.post(path, data=data)
    assert response.status_code in (302, 400) and "/leads/" not in response.headers.get("Location", "")
    assert not _changed(kind)(store, sid)


@pytest.mark.parametrize("kind, build, action", ACTIONS)
def test_new_actions_need_a_valid_csrf_token(logged_in, leads, store, kind, build, action):
    sid = leads["li"]["screening_id"]
    path, data = build(sid, "forged")
    response = logged_in.post(path, data=data)
    assert response.status_code == 400
    assert not _changed(kind)(store, sid)
    assert any(a["action"].startswith("request POST") and "status=400" in a["detail"] for a in audit_actions(store))


@pytest.mark.parametrize("kind, build, action", ACTIONS)
def test_new_actions_change_the_lead_and_are_audited(logged_in, leads, store, kind, build, action):
    sid = leads["li"]["screening_id"]
    page = page_of(logged_in, f"/leads/{sid}")
    path, data = build(sid, csrf(page))
    response = logged_in.post(path, data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/leads/{sid}")
    assert _changed(kind)(store, sid)
    [entry] = [a for a in audit_actions(store) if a["action"] == action]
    assert entry["target"] == sid
    assert "Prefers WeChat" not in json.dumps(store.audit_log()) and "rang twice" not in json.dumps(store.audit_log())
    shown = page_of(logged_in, f"/leads/{sid}")
    assert "Saved:" in shown or "Call saved" in shown or "Note added" in shown


def test_the_callback_is_typed_in_site_time_and_stored_in_utc(logged_in, leads, store):
    sid = leads["li"]["screening_id"]
    path, data = _follow(sid, csrf(page_of(logged_in, f"/leads/{sid}")))
    logged_in.post(path, data=data)
    stored = datetime.fromisoformat(store.get_screening(sid)["follow_up"]["callback_at"])
    day = TOMORROW
    assert stored == datetime(day.year, day.month, day.day, 1, 30, tzinfo=timezone.utc)  # 09:30 in Asia/Shanghai
    assert f"{day.isoformat()} 09:30" in page_of(logged_in, f"/leads/{sid}")


def test_bad_follow_up_input_is_refused_with_a_message(logged_in, leads, store):
    sid = leads["li"]["screening_id"]
    token = csrf(page_of(logged_in, f"/leads/{sid}"))
    for data, message in (
        ({"follow-status": "bogus"}, "does not exist"),
        ({"follow-owner": "mallory"}, "no active staff account"),
        ({"follow-callback": "tomorrow-ish"}, "could not be read"),
        ({"follow-callback": "2099-01-01T09:00"}, "two years"),
    ):
        response = logged_in.post(
            f"/leads/{sid}/follow-up", data={"follow-csrf_token": token, **data}, follow_redirects=True
        )
        assert message in response.get_data(as_text=True), data
    call = logged_in.post(f"/leads/{sid}/calls", data={"call-csrf_token": token}, follow_redirects=True)
    assert "Choose what happened" in call.get_data(as_text=True)
    note = logged_in.post(
        f"/leads/{sid}/notes", data={"note-csrf_token": token, "note-text": " "}, follow_redirects=True
    )
    assert "The note is empty" in note.get_data(as_text=True)
    assert store.get_screening(sid)["follow_up_log"] == []
    assert logged_in.post("/leads/nope/notes", data={"note-csrf_token": token, "note-text": "x"}).status_code == 404


def test_taking_a_lead_from_the_list_returns_to_the_same_list(logged_in, leads, store):
    html = page_of(logged_in, "/?status=to_call&sort=oldest")
    sid = leads["anon"]["screening_id"]
    response = logged_in.post(
        f"/leads/{sid}/follow-up", data={"take-csrf_token": csrf(html, "take"), "next": "/?status=to_call&sort=oldest"}
    )
    assert response.headers["Location"].endswith("/?status=to_call&sort=oldest")
    evil = logged_in.post(
        f"/leads/{sid}/follow-up", data={"take-csrf_token": csrf(html, "take"), "next": "//evil.example/"}
    )
    assert "evil" not in evil.headers["Location"]  # only a path on this site


def test_the_account_language_is_saved_and_audited(logged_in, store):
    page = page_of(logged_in, "/account")
    response = logged_in.post("/account", data={"csrf_token": csrf(page), "language": "klingon"}, follow_redirects=True)
    assert "not available" in response.get_data(as_text=True)
    forged = logged_in.post("/account", data={"csrf_token": "x", "language": "en"})
    assert forged.status_code == 400
    ok = logged_in.post("/account", data={"csrf_token": csrf(page), "language": "en"}, follow_redirects=True)
    assert "Saved." in ok.get_data(as_text=True)
    assert any(a["action"] == "user-language" and a["actor"] == "alice" for a in store.audit_log())


# --------------------------------------------------------------------------
# Finding and reading
# --------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["138 0013 8000", "13800138000", "li wei", "LI WEI", "conv-li"])
def test_search_finds_a_lead_by_phone_name_or_id_and_audits_no_text(logged_in, leads, store, query):
    html = page_of(logged_in, "/?q=" + query.replace(" ", "+"))
    assert "Li Wei" in html and "conv-wang" not in html and "One lead matches" in html
    [entry] = [a for a in audit_actions(store) if a["action"] == "view-leads"]
    assert "search=" in entry["detail"] and query.lower() not in entry["detail"].lower()
    assert "8000" not in entry["detail"] and "wei" not in entry["detail"].lower()


def test_search_by_reference(logged_in, leads):
    from bot.store import reference

    ref = reference(leads["wang"]["screening_id"])
    html = page_of(logged_in, f"/?q={ref}")
    assert f"Ref {ref}" in html and "Li Wei" not in html


def test_the_list_says_why_in_plain_words(logged_in, leads):
    html = visible_text(page_of(logged_in, "/"))
    assert "To check: Prior apatinib/anlotinib" in html
    assert "prior_tki" not in html and "needs_review" not in html


BAD_QUERIES = [
    "page=999999999999999999999",
    "page=0",
    "page=-1",
    "page=abc",
    "page=%EF%BC%91",  # a full-width 1
    "status=maybe",
    "owner=mallory",
    "callback=yesterday",
    "age=old",
    "sort=name",
    "consent=perhaps",
    "outcome=eligible",
    "since=2026-13-01",
    "since=yesterday",
    "since=2026-12-02&until=2026-12-01",
    "q=" + "x" * 101,
]


def test_bad_filters_are_a_400_not_a_500(logged_in, leads):
    for query in BAD_QUERIES:
        response = logged_in.get("/?" + query)
        assert response.status_code == 400, query
        text = response.get_data(as_text=True)
        assert "must" in text or "after" in text or "long" in text, query
    for path in (
        "/review?page=99999999999999",
        "/review?criterion=bogus",
        "/call-list.csv?page=x&status=x",
        "/call-list.csv?sort=phone",
        "/export.csv?owner=mallory",
        "/export.json?since=2026-02-30",
        "/notifications?status=lost",
    ):
        assert logged_in.get(path).status_code == 400, path


def test_filters_narrow_the_list(logged_in, leads, store):
    store.update_follow_up(leads["li"]["screening_id"], by="alice", status="call_back", owner="alice",
                           callback_at=datetime.now(timezone.utc) - timedelta(hours=1))  # fmt: skip
    overdue = page_of(logged_in, "/?callback=overdue")
    assert "Li Wei" in overdue and "conv-anon" not in overdue and 'class="lead-row overdue"' in overdue
    mine = page_of(logged_in, "/?owner=me")
    assert "Li Wei" in mine and "HYPERLINK" not in mine
    assert "Li Wei" not in page_of(logged_in, "/?owner=nobody")
    assert "Li Wei" not in page_of(logged_in, "/?consent=no")
    assert "Li Wei" in page_of(logged_in, "/?age=1d") or "Li Wei" in page_of(logged_in, "/?age=7d")


def test_the_lead_page_leads_with_who_and_what_and_reads_as_words(logged_in, store):
    record = make_record(contact=person("Zhou Xin", "+8613800138000"))
    record["criteria"]["viral_infection"] = {
        "verdict": "uncertain",
        "question": "Have you ever been told you have HIV, hepatitis B or hepatitis C?",
        "answer": "no, I don't have HIV or hepatitis",
        "value": {"hiv": "negative", "hbsag": "negative", "hcv_ab": "negative", "answer": "no"},
        "reason": "hedged answer “no, I don't have HIV or hepatitis”: needs confirmation",
        "confidence": 0.6,
    }
    record["criteria"]["renal_function"] = {
        "verdict": "pass",
        "question": "Creatinine?",
        "answer": "Cr 0.9 mg/dL",
        "value": {"creatinine": {"analyte": "creatinine", "value": 79.56, "unit": "µmol/L", "original": "0.9 mg/dL"}},
        "reason": "creatinine 0.69 x ULN",
        "confidence": 0.95,
    }
    record["review_items"].append({**{k: record["criteria"]["viral_infection"][k] for k in ("question", "answer", "reason")}, "criterion": "viral_infection", "status": "open"})  # fmt: skip
    store.save_screening(record)
    html = page_of(logged_in, f"/leads/{record['screening_id']}")
    text = visible_text(html)
    assert text.index("Who to call") < text.index("What to check") < text.index("Criteria")
    assert "+86 138 0013 8000" in text and 'href="tel:+8613800138000"' in html
    assert (
        "creatinine 0.9 mg/dL (79.6 µmol/L)" in text and "HIV negative, HBsAg negative, HCV antibody negative" in text
    )
    for code in ("prior_tki", "viral_infection", "renal_function", "needs_review", "Parsed value"):
        assert code not in text, code
    assert '{"' not in text and "hedged answer “no, I don" not in text and "low confidence (0.6)" in text
    assert '<details class="section transcript-box">' in html  # the transcript folded away


def test_a_decision_says_what_changed_in_words(logged_in, store):
    criteria = make_record()["criteria"]
    criteria["planned_local_therapy"] = {"verdict": "uncertain", "question": "Planned surgery?", "answer": "maybe", "value": "unknown", "reason": "unsure", "confidence": 0.4}  # fmt: skip
    record = make_record(criteria=criteria)
    store.save_screening(record)
    sid = record["screening_id"]
    first, second = store.open_review_items()
    page = page_of(logged_in, f"/leads/{sid}")
    prefix = f"item{first['id']}"
    response = logged_in.post(
        f"/leads/{sid}/items/{first['id']}/resolve",
        data={f"{prefix}-csrf_token": csrf(page, prefix), f"{prefix}-decision": "pass", f"{prefix}-note": "letter"},
        follow_redirects=True,
    )
    text = visible_text(response.get_data(as_text=True))
    assert "Decision recorded: Prior apatinib/anlotinib" in text
    assert "Outcome unchanged: needs review. 1 answer on this lead is still to check." in text
    assert "needs_review → needs_review" not in text


def test_the_review_queue_is_paged_filtered_and_grouped_by_lead(logged_in, store):
    for n in range(13):
        store.save_screening(make_record(f"conv-q{n}", days_ago=20 - n))
    first = page_of(logged_in, "/review")
    assert "13 answers to check, on 13 leads" in first and first.count('class="review-lead card"') == 10
    assert "Page 1 of 2" in first
    second = page_of(logged_in, "/review?page=2")
    assert second.count('class="review-lead card"') == 3
    only = page_of(logged_in, "/review?criterion=prior_tki&q=conv-q3")
    assert only.count('class="review-lead card"') == 1
    assert any(
        a["action"] == "view-review" and "13 open item(s) on 13 lead(s)" in a["detail"] for a in store.audit_log()
    )


# --------------------------------------------------------------------------
# Exports staff use
# --------------------------------------------------------------------------
def rows_of(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_call_list_has_contact_details_only_with_consent(logged_in, leads, store):
    rows = rows_of(logged_in.get("/call-list.csv"))
    by_ref = {r["Screening id"]: r for r in rows}
    li, anon = by_ref[leads["li"]["screening_id"]], by_ref[leads["anon"]["screening_id"]]
    assert (li["Name"], li["Phone"], li["Best time"]) == ("Li Wei", "'+8613800138000", "after 6 pm")
    assert anon["Name"] == anon["Phone"] == anon["E-mail"] == ""
    assert by_ref[leads["wang"]["screening_id"]]["Name"].startswith("'=")  # no formula
    assert "To check:" in li["Why"]
    [entry] = [a for a in audit_actions(store) if a["action"] == "export-call-list"]
    assert "rows=3" in entry["detail"] and "with contact=2" in entry["detail"] and "Li" not in entry["detail"]


def test_the_call_list_and_exports_honour_the_filters(logged_in, leads, store):
    store.update_follow_up(leads["li"]["screening_id"], by="alice", status="call_back",
                           callback_at=datetime.now(timezone.utc) + timedelta(hours=1))  # fmt: skip
    rows = rows_of(logged_in.get("/call-list.csv?status=call_back"))
    assert [r["Name"] for r in rows] == ["Li Wei"] and rows[0]["Follow-up"] == "call back" and rows[0]["Callback"]
    assert [r["Name"] for r in rows_of(logged_in.get("/call-list.csv?consent=yes&q=wang"))] == []
    exported = rows_of(logged_in.get("/export.csv?status=call_back"))
    assert [r["conversation_id"] for r in exported] == ["conv-li"] and exported[0]["follow_up_status"] == "call_back"
    data = json.loads(logged_in.get("/export.json?consent=no").get_data(as_text=True))
    assert [d["conversation_id"] for d in data] == ["conv-anon"] and data[0]["follow_up"]["status"] == "to_call"
    assert len(json.loads(logged_in.get("/export.json").get_data(as_text=True))) == 3


def test_the_printable_summary_is_one_page_of_what_matters(logged_in, leads, store):
    sid = leads["li"]["screening_id"]
    html = page_of(logged_in, f"/leads/{sid}/summary")
    assert "print.css" in html and "<form" not in html and "+86 138 0013 8000" in html
    assert "Prior apatinib/anlotinib" in html and "prior_tki" not in visible_text(html)
    assert any(a["action"] == "view-lead-summary" and a["target"] == sid for a in audit_actions(store))


# --------------------------------------------------------------------------
# Every request of a staff member is audited
# --------------------------------------------------------------------------
def test_every_request_leaves_an_audit_row(logged_in, leads, store):
    sid = leads["li"]["screening_id"]
    before = len(audit_actions(store))
    paths = ["/", f"/leads/{sid}", f"/leads/{sid}/summary", "/review", "/notifications", "/audit", "/account",
             "/export.csv", "/export.json", "/call-list.csv", "/leads/missing", "/?page=0", "/no-such-page"]  # fmt: skip
    for path in paths:
        logged_in.get(path)
    rows = audit_actions(store)[: len(audit_actions(store)) - before]
    assert len(rows) == len(paths), [r["action"] for r in rows]
    generic = [r for r in rows if r["action"].startswith("request GET")]
    assert {r["detail"].split(",")[0] for r in generic} == {"status=404", "status=400"}
    assert logged_in.get("/static/staff.css").status_code == 200
    assert len(audit_actions(store)) == before + len(paths)  # static files are not staff views


def test_the_audit_never_holds_the_search_text_or_notes(logged_in, leads, store):
    logged_in.get("/?q=Li+Wei")
    logged_in.get("/call-list.csv?q=13800138000")
    logged_in.get("/review?q=Li+Wei")
    text = json.dumps(store.audit_log())
    assert "Li Wei" not in text and "13800138000" not in text


# --------------------------------------------------------------------------
# Every text staff read comes from the language files
# --------------------------------------------------------------------------
def english() -> dict:
    from web.staff.i18n import catalog

    return catalog("en")


KEY_CALLS = re.compile(r"""(?:\bt|\btn|\b_t|\btx|\.n|\bfail\(\d{3},)\(?\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def test_every_text_key_used_exists_in_english():
    known = english()
    groups = {key.rsplit(".", 1)[0] for key in known}
    used = set()
    for path in [*STAFF.glob("*.py"), *(STAFF / "templates").glob("*.html")]:
        used |= set(KEY_CALLS.findall(path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in known and k not in groups)
    assert not missing, missing
    from bot.outcome import OUTCOMES, VERDICTS
    from bot.store.records import CALL_RESULTS, FOLLOW_UP_STATUSES, LANGUAGES
    from web.staff.views import AGES, CALL_LIST_COLUMNS, CALLBACKS, SORTS

    for group, values in (
        ("outcome", OUTCOMES),
        ("verdict", VERDICTS),
        ("follow_up.status", FOLLOW_UP_STATUSES),
        ("call.results", CALL_RESULTS),
        ("role", ("patient", "caregiver", "physician")),
        ("languages", LANGUAGES),
        ("leads.callback", CALLBACKS),
        ("leads.age", AGES),
        ("leads.sort", SORTS),
        ("call_list.columns", CALL_LIST_COLUMNS),
        ("notifications.statuses", ("pending", "sent", "failed")),
        ("notifications.channels", ("email", "webhook")),
        ("decision", ("pass", "fail")),
    ):
        for value in values:
            assert f"{group}.{value}" in known, f"{group}.{value}"


def test_templates_hold_no_literal_text():
    for path in (STAFF / "templates").glob("*.html"):
        source = path.read_text(encoding="utf-8")
        for attribute in re.findall(r'\b(?:aria-label|placeholder|title|alt|value)="([^"]*)"', source):
            if re.search(r"[A-Za-z]{2}", attribute) and "{{" not in attribute:
                assert re.fullmatch(r"[a-z_0-9]+", attribute), f"{path.name}: literal attribute text {attribute!r}"
        text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
        text = re.sub(r"<script\b.*?</script>|<!--.*?-->", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
        words = re.findall(r"[^\W\d_]{2,}", text)
        assert not words, f"{path.name}: literal text {words[:10]}"


def test_a_new_language_file_only_needs_its_keys(tmp_path, monkeypatch):
    from web.staff import i18n

    monkeypatch.setattr(i18n, "I18N_DIR", tmp_path)
    (tmp_path / "en.yaml").write_text((STAFF / "i18n" / "en.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "zh.yaml").write_text("nav:\n  leads: 线索\n", encoding="utf-8")
    i18n._file.cache_clear()
    try:
        texts = i18n.Texts("zh")
        assert i18n.languages() == ["en", "zh"]
        assert texts("nav.leads") == "线索" and texts("nav.review") == "Review queue"  # English where missing
        assert i18n.Texts("fr").language == "en"
    finally:
        i18n._file.cache_clear()


def test_every_language_file_uses_only_keys_english_has():
    known = english()
    from web.staff.i18n import _file, languages

    for language in languages():
        extra = set(_file(language)) - set(known)
        assert not extra, (language, sorted(extra))


def test_the_dashboard_speaks_the_accounts_language(store, monkeypatch, tmp_path):
    """A Chinese file (issue 16) is picked up for an account that prefers Chinese."""
    from web.staff import i18n

    monkeypatch.setattr(i18n, "I18N_DIR", tmp_path)
    (tmp_path / "en.yaml").write_text((STAFF / "i18n" / "en.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "zh.yaml").write_text("leads:\n  title: 线索列表\n", encoding="utf-8")
    i18n._file.cache_clear()
    try:
        accounts = StaffAccounts(store, require_totp=False)
        accounts.create_user("mei", PASSWORD, by="test")
        accounts.set_language("mei", "zh", by="test")
        client = create_app(store).test_client()
        login(client, "mei")
        html = page_of(client, "/")
        assert "<h1>线索列表</h1>" in html and '<html lang="zh">' in html
    finally:
        i18n._file.cache_clear()


def test_seeded_demo_store_renders_every_page(tmp_path, monkeypatch):
    """A small demo store (real conversations through the engine): every page
    and export answers, no code names or JSON on the lead pages."""
    from bot.store.demo import seed

    monkeypatch.setenv("SECRETS_DIR", str(tmp_path / "secrets"))
    monkeypatch.setenv("STAFF_REQUIRE_TOTP", "0")
    demo = LeadStore(tmp_path / "demo.db")
    StaffAccounts(demo, require_totp=False).create_user("alice", PASSWORD, by="test")
    counts = seed(demo, 30, seed=4)
    assert sum(counts.values()) == 30 and len(counts) >= 3
    client = create_app(demo).test_client()
    login(client)
    for path in ("/", "/review", "/?sort=callback", "/?status=call_back", "/call-list.csv", "/export.csv"):
        assert client.get(path).status_code == 200, path
    for row in demo.list_screenings():
        text = visible_text(page_of(client, f"/leads/{row['screening_id']}"))
        assert '{"' not in text and "prior_tki" not in text, row["screening_id"]
