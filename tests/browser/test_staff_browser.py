"""The staff dashboard in real headless Chromium (Debian's package, driven by
Playwright): log in, open a lead, resolve a review item; markup from a
patient stays text; nothing without a login."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from local_services import free_port, need
from test_store import make_record

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "browser test passphrase"
XSS = "<img src=x onerror=alert(1)> and <script>alert(2)</script>"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dashboard():
    """`python -m web.staff` on a free port, with one account and one lead."""
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
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.staff",
            "user",
            "add",
            "carol",
            "--password-stdin",
            "--display-name",
            "Carol Study-Nurse",
        ],
        input=PASSWORD + "\n",
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    from bot.store import LeadStore

    record = make_record("browser-lead")
    record["criteria"]["prior_tki"]["answer"] = XSS
    record["review_items"][0]["answer"] = XSS
    LeadStore(work / "leads.db").save_screening(record)
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
    yield {"url": url, "record": record, "db": work / "leads.db"}
    process.terminate()
    process.wait(10)


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


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def test_unauthenticated_visit_lands_on_the_login_page(dashboard, page):
    page.goto(dashboard["url"] + f"/leads/{dashboard['record']['screening_id']}")
    assert page.url.startswith(dashboard["url"] + "/login")
    assert page.get_by_role("heading", name="Log in").is_visible()
    assert "Ann Example" not in page.content()


def test_staff_member_logs_in_opens_a_lead_and_resolves_an_item(dashboard, page):
    from bot.store import LeadStore

    page.goto(dashboard["url"] + "/")
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("The user name or the password is wrong.").is_visible()
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Screenings").wait_for()
    assert page.get_by_text("Carol Study-Nurse").is_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-leads-desktop.png"), full_page=True)

    page.get_by_role("link", name=f"Open screening {dashboard['record']['screening_id']}").click()
    page.get_by_role("heading", name="Open review items (1)").wait_for()
    # The patient's markup is on the page as text: no image, no script, no dialog.
    assert page.get_by_text(XSS).first.is_visible()
    assert page.locator("main img").count() == 0
    assert page.dialogs == []
    page.screenshot(path=str(ARTIFACTS / "staff-lead-desktop.png"), full_page=True)

    page.get_by_label("Pass: the criterion is met").check()
    page.get_by_label("Why (kept with the decision)").fill("Confirmed anlotinib with the referrer")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Outcome: needs_review → likely_eligible").wait_for()
    assert page.get_by_role("heading", name="Open review items (0)").is_visible()
    record = LeadStore(dashboard["db"]).get_screening(dashboard["record"]["screening_id"])
    assert record["outcome"] == "likely_eligible"
    assert record["review_items"][0]["resolved_by"] == "carol"

    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()
    page.goto(dashboard["url"] + "/review")
    assert page.url.startswith(dashboard["url"] + "/login")


def test_dashboard_fits_a_phone_screen(dashboard, browser):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(dashboard["url"] + "/login")
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Screenings").wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-leads-phone.png"), full_page=True)
    # Wide tables scroll inside themselves; the page itself does not.
    too_wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                     && !e.closest('table'))
        .map(e => e.tagName + '.' + e.className)""")
    assert too_wide == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
