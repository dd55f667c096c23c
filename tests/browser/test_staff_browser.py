"""The staff dashboard in real headless Chromium (Debian's package, driven by
Playwright), the way issue 15 checks it: a store with a few hundred mixed
demo leads; a coordinator logs in (password, then the authenticator code),
finds a named lead by phone, sees why it needs review, resolves it, records
a call, sets a callback, adds a note and downloads today's call list with
phone numbers, at desktop width and at 390 px (no sideways scrolling).
Patient markup stays text; nothing without a login. Screenshots and page
heights go to test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyotp
import pytest
from local_services import free_port, need
from test_store import make_record

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "browser test passphrase"
XSS = "<img src=x onerror=alert(1)> and <script>alert(2)</script>"
DEMO_LEADS = 300
PHONE = "+8613911112222"
MEASURES = ARTIFACTS / "staff-measures.json"

pytestmark = pytest.mark.slow


def _cli(env: dict, *args: str, input: str = "") -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot.staff", *args],
        input=input,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return result.stdout


@pytest.fixture(scope="module")
def dashboard():
    """`python -m web.staff` on a free port over a store of demo leads plus
    two known ones, and staff accounts made as the README says (with TOTP)."""
    if not os.path.exists(CHROMIUM):
        need("Chromium", f"{CHROMIUM} not found")
    work = Path(tempfile.mkdtemp(prefix="staff-browser-"))
    port = free_port()
    env = {
        **os.environ,
        "LEAD_DB": str(work / "leads.db"),
        "TRACKER_DB": str(work / "t.db"),
        "SECRETS_DIR": str(work / "secrets"),
        "STAFF_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("STAFF_COOKIE_SECURE", None)  # the default: Secure cookies (127.0.0.1 counts as secure)
    env.pop("STAFF_REQUIRE_TOTP", None)  # the default: a second factor required
    secrets = {}
    for user, name in (("carol", "Carol Study-Nurse"), ("dan", "Dan Coordinator"), ("erin", "Erin Nurse")):
        out = _cli(env, "user", "add", user, "--password-stdin", "--display-name", name, input=PASSWORD + "\n")
        secrets[user] = re.search(r"secret: ([A-Z2-7]{32})", out).group(1)
    from bot.store import LeadStore
    from bot.store.demo import seed

    store = LeadStore(work / "leads.db")
    started = time.monotonic()
    seed(store, DEMO_LEADS, seed=15)
    seeded_in = time.monotonic() - started
    known = make_record(
        "browser-lead",
        contact={
            "consented": True,
            "name": "Ann Example",
            "phone": PHONE,
            "email": "ann@example.org",
            "preferred_time": "mornings",
            "callback_requested": False,
        },
    )
    known["criteria"]["prior_tki"]["answer"] = XSS
    known["review_items"][0]["answer"] = XSS
    store.save_screening(known)
    log = open(work / "staff.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "web.staff"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/login", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((work / "staff.log").read_text(errors="replace")) from None
            time.sleep(0.2)
    measures: dict = {"demo_leads": DEMO_LEADS + 1, "seed_seconds": round(seeded_in, 1)}
    yield {"url": url, "record": known, "db": work / "leads.db", "secrets": secrets, "measures": measures}
    process.terminate()
    process.wait(10)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    MEASURES.write_text(json.dumps(measures, indent=2))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield chromium
        chromium.close()


def new_page(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    return page


@pytest.fixture
def desktop(browser):
    page = new_page(browser, 1280)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser):
    page = new_page(browser, 390)
    yield page
    page.context.close()


def log_in(page, dashboard, user: str) -> None:
    page.goto(dashboard["url"] + "/")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Your code").wait_for()
    totp = pyotp.TOTP(dashboard["secrets"][user])
    page.get_by_label("Code (or a recovery code)").fill(totp.now())
    page.get_by_role("button", name="Continue").click()
    if page.get_by_text("That code is not right").count():  # this user's code was used a moment ago
        time.sleep(31 - time.time() % 30)
        page.get_by_label("Code (or a recovery code)").fill(totp.now())
        page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Leads").wait_for()


def no_sideways_scroll(page) -> list:
    """Elements sticking out of the viewport (nothing may: no table scrolls either)."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => { const r = e.getBoundingClientRect();
                       return r.width > 0 && r.right > window.innerWidth + 1 && !e.closest('details:not([open])'); })
        .map(e => e.tagName + '.' + e.className).slice(0, 10)""")


def measure(page, dashboard, name: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"staff-{name}-{width}.png"), full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    dashboard["measures"][f"{name}_height_{width}px"] = height
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name


def timed_goto(page, dashboard, path: str, name: str) -> None:
    started = time.monotonic()
    page.goto(dashboard["url"] + path)
    dashboard["measures"][f"{name}_load_seconds"] = round(time.monotonic() - started, 2)


def test_unauthenticated_visit_lands_on_the_login_page(dashboard, desktop):
    desktop.goto(dashboard["url"] + f"/leads/{dashboard['record']['screening_id']}")
    assert desktop.url.startswith(dashboard["url"] + "/login")
    assert desktop.get_by_role("heading", name="Log in").is_visible()
    assert "Ann Example" not in desktop.content()


def test_a_coordinator_works_a_lead_and_exports_todays_call_list(dashboard, desktop):
    from bot.store import LeadStore

    page, started = desktop, time.monotonic()
    page.goto(dashboard["url"] + "/")
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("The user name or the password is wrong.").is_visible()
    log_in(page, dashboard, "carol")
    assert page.get_by_role("banner").get_by_text("Carol Study-Nurse").is_visible()
    assert page.get_by_text(re.compile(r"\d+ leads, showing 1-25")).is_visible()
    measure(page, dashboard, "leads", 1280)

    # Find a named lead by phone, typed the way it is read out.
    page.get_by_label("Find a lead").fill("139 1111 2222")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("One lead matches.").wait_for()
    row = page.locator("tr.lead-row")
    assert row.count() == 1 and "Ann Example" in row.inner_text()
    assert "To check: Prior apatinib/anlotinib" in row.inner_text()
    row.get_by_role("link", name="Ann Example").click()

    # The lead page leads with who to call and what to check; markup stays text.
    page.get_by_role("heading", name="Who to call").wait_for()
    assert page.get_by_role("link", name="+86 139 1111 2222").is_visible()
    check = page.locator("section", has=page.get_by_role("heading", name="What to check"))
    assert "Prior apatinib/anlotinib" in check.inner_text()
    assert page.get_by_text(XSS).first.is_visible() and page.locator("main img").count() == 0
    assert page.dialogs == [] and "prior_tki" not in page.locator("main").inner_text()
    measure(page, dashboard, "lead", 1280)

    # Resolve the review item: the page says what changed, in words.
    page.get_by_label("Pass: the criterion is met").check()
    page.get_by_label("Why (kept with the decision)").fill("Confirmed anlotinib with the referrer")
    page.get_by_role("button", name=re.compile("Record decision")).click()
    page.get_by_text("Outcome changed: needs review → likely eligible.").wait_for()

    # Record a call, set a callback for later today or tomorrow, add a note.
    page.get_by_label("no answer").check()
    page.get_by_role("button", name="Save the call").click()
    page.get_by_text("Call saved: no answer.").wait_for()
    when = datetime.now(timezone.utc).astimezone(timezone(timedelta(hours=8))) + timedelta(hours=1)
    page.get_by_label("Follow-up status", exact=True).select_option("call_back")
    page.get_by_label("Owner", exact=True).select_option("carol")
    page.get_by_label(re.compile(r"^Callback \(")).fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text(re.compile(r"Saved: status called, no answer → call back")).wait_for()
    page.get_by_placeholder("Add a note").fill("Prefers calls after 5 pm; has the CT report.")
    page.get_by_role("button", name="Add the note").click()
    page.get_by_text("Note added.").wait_for()
    assert page.get_by_text("Prefers calls after 5 pm; has the CT report.").is_visible()

    record = LeadStore(dashboard["db"]).get_screening(dashboard["record"]["screening_id"])
    assert record["outcome"] == "likely_eligible" and record["review_items"][0]["resolved_by"] == "carol"
    assert record["follow_up"]["status"] == "call_back" and record["follow_up"]["owner"] == "carol"
    assert record["follow_up"]["notes"] == 1 and record["follow_up"]["callback_at"]

    # Today's callbacks, mine, soonest first: the call list with phone numbers.
    page.goto(dashboard["url"] + "/?owner=me&status=call_back&sort=callback")
    assert "Ann Example" in page.locator("table.leads").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Call list (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(r["Owner"] == "carol" and r["Follow-up"] == "call back" for r in rows)
    ann = next(r for r in rows if r["Name"] == "Ann Example")
    assert ann["Phone"] == "'" + PHONE and ann["Callback"]
    dashboard["measures"]["coordinator_flow_seconds_1280px"] = round(time.monotonic() - started, 1)

    # The review queue: paged and grouped by lead.
    timed_goto(page, dashboard, "/review", "review")
    assert page.get_by_text(re.compile(r"answers to check, on \d+ leads")).is_visible()
    assert page.locator(".review-lead").count() <= 10
    measure(page, dashboard, "review", 1280)
    timed_goto(page, dashboard, "/", "leads")
    timed_goto(page, dashboard, f"/leads/{dashboard['record']['screening_id']}", "lead")

    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()
    page.goto(dashboard["url"] + "/review")
    assert page.url.startswith(dashboard["url"] + "/login")


def test_the_same_work_fits_a_phone(dashboard, phone):
    page, started = phone, time.monotonic()
    log_in(page, dashboard, "dan")
    assert no_sideways_scroll(page) == []
    measure(page, dashboard, "leads", 390)
    page.get_by_label("Find a lead").fill(PHONE)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Ann Example").click()
    page.get_by_role("heading", name="Who to call").wait_for()
    assert no_sideways_scroll(page) == []
    measure(page, dashboard, "lead", 390)
    page.get_by_label("left a message").check()
    page.get_by_label("Note (optional)").fill("Left a voicemail.")
    page.get_by_role("button", name="Save the call").click()
    page.get_by_text("Call saved: left a message.").wait_for()
    page.get_by_role("button", name="Take it").click()
    page.get_by_text("Saved: owner: dan.").wait_for()
    dashboard["measures"]["coordinator_flow_seconds_390px"] = round(time.monotonic() - started, 1)
    for path, name in (("/review", "review"), ("/?status=call_back", "filtered"), ("/audit", "audit")):
        page.goto(dashboard["url"] + path)
        assert no_sideways_scroll(page) == [], path
        measure(page, dashboard, name, 390)
    page.goto(dashboard["url"] + f"/leads/{dashboard['record']['screening_id']}/summary")
    assert no_sideways_scroll(page) == []


def test_the_lead_summary_prints_on_one_page(dashboard, browser):
    page = new_page(browser, 1280)
    try:
        log_in(page, dashboard, "erin")
        from bot.store import LeadStore

        store = LeadStore(dashboard["db"])
        fullest = max(store.list_screenings(outcome="needs_review"), key=lambda r: r["answered_count"])
        for sid in (dashboard["record"]["screening_id"], fullest["screening_id"]):
            page.goto(dashboard["url"] + f"/leads/{sid}/summary")
            page.get_by_role("heading", name="What to check").wait_for()
            pdf = page.pdf(format="A4")
            pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
            assert pages == 1, (sid, pages)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "staff-lead-summary.pdf").write_bytes(pdf)
        dashboard["measures"]["summary_pdf_pages"] = pages
    finally:
        page.context.close()
