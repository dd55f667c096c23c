"""The patient chat page in real headless Chromium, against the real chat, Rasa and action servers.

Each test opens the page in a fresh browser context, as a new patient would.
Screenshots go to test-artifacts/screenshots/ (ignored by git).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jwt
import pytest
from web_servers import ROOT, shared_web_servers

from scripts import PATIENT_ANSWERS, reply_for

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 30_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
PHYSICIAN_SUMMARY = (
    "62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, PLT 210, Hb 128 g/L, "
    "Cr 0.9 mg/dL, 72 kg, BP 150/95"
)
MARKUP = "<img src=x onerror=alert(1)>"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        message = (
            "Debian's chromium is needed for the browser tests: run scripts/system_deps.sh "
            "(or: sudo apt-get install -y chromium chromium-driver)"
        )
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def servers(chromium, pytestconfig, tmp_path_factory):
    return shared_web_servers(pytestconfig, tmp_path_factory)


class Patient:
    """One person at one browser: the page, what it showed, and what went wrong in it."""

    def __init__(self, browser, servers, viewport=DESKTOP, **context_options):
        self.servers = servers
        self.context = browser.new_context(viewport=viewport, reduced_motion="reduce", **context_options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.dialogs: list = []
        self.errors: list = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.clicked = self.typed = 0

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self) -> list:
        """Open the chat page; returns the bot's first messages (the greeting, or the history)."""
        self.page.goto(self.servers.chat_url + "/")
        return self.wait_for_turn(0)

    def bot_texts(self) -> list:
        return self.page.locator("#log .msg-bot .msg-text").all_text_contents()

    def user_texts(self) -> list:
        return self.page.locator("#log .msg-user .msg-text").all_text_contents()

    def wait_for_turn(self, bot_messages_before: int) -> list:
        """Wait until the bot has said more and its turn is over (the typing indicator is gone)."""
        self.page.wait_for_function(
            """n => document.querySelectorAll('#log .msg-bot').length > n
                   && document.getElementById('typing').textContent === ''""",
            arg=bot_messages_before,
            timeout=TIMEOUT_MS,
        )
        return self.bot_texts()[bot_messages_before:]

    def choice(self, label: str):
        return self.page.locator("#quick-replies").get_by_role(
            "button", name=re.compile(rf"^{re.escape(label)}$", re.IGNORECASE)
        )

    def click_or_type(self, answer: str) -> list:
        before = len(self.bot_texts())
        button = self.choice(answer)
        if button.count():
            button.first.click()
            self.clicked += 1
        else:
            self.page.locator("#message").fill(answer)
            self.page.locator("#message").press("Enter")
            self.typed += 1
        return self.wait_for_turn(before)

    def conversation_id(self) -> str:
        token = self.page.evaluate("async () => (await (await fetch('/api/session')).json()).token")
        return jwt.decode(token, options={"verify_signature": False})["sub"]

    def screening(self) -> dict:
        conversation = self.conversation_id()
        return next(s for s in self.servers.export() if s["conversation_id"] == conversation)

    def no_horizontal_scroll(self) -> bool:
        return self.page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def patient(chromium, servers):
    opened = []

    def open_patient(**options) -> Patient:
        person = Patient(chromium, servers, **options)
        opened.append(person)
        return person

    yield open_patient
    for person in opened:
        person.close()


def answer_until_done(person: Patient, said: list, answers: list, by_keyboard: bool = False, max_turns: int = 60):
    for _ in range(max_turns):
        answer = reply_for(said, answers)
        if answer is None:
            return said
        said = keyboard_answer(person, answer) if by_keyboard else person.click_or_type(answer)
    raise AssertionError(f"the screening did not end: {said}")


# ---------------------------------------------------------------- whole screenings


def test_a_patient_completes_a_screening_by_clicking_and_typing(patient):
    person = patient()
    said = person.open()
    assert any("pre-screening assistant" in text for text in said)
    assert person.user_texts() == []  # the page opened the conversation; the patient said nothing yet
    person.click_or_type("I'm the patient")
    said = person.click_or_type("I agree")
    assert any("How old are you" in text for text in said)
    last = answer_until_done(person, said, PATIENT_ANSWERS)
    assert any("study team will contact you" in text for text in last)
    assert person.clicked >= 10 and person.typed >= 5  # both ways of answering were used
    assert person.no_horizontal_scroll()
    person.screenshot("desktop-screening-finished")
    screening = person.screening()
    assert screening["role"] == "patient" and screening["outcome"] == "likely_eligible", screening
    assert screening["criteria"]["age"]["value"] == 45
    assert person.dialogs == [] and person.errors == []


def keyboard_answer(person: Patient, answer: str) -> list:
    """Answer with the keyboard only: Shift+Tab back to a matching answer button, else type."""
    page = person.page
    before = len(person.bot_texts())
    assert page.evaluate("() => document.activeElement.id") == "message"  # focus came back to the text box
    if person.choice(answer).count():
        for _ in range(12):
            page.keyboard.press("Shift+Tab")
            focused = page.evaluate("() => document.activeElement.textContent")
            if focused.lower() == answer.lower():
                break
        else:
            raise AssertionError(f"Shift+Tab never reached the {answer!r} button")
        page.keyboard.press("Enter")
    else:
        page.keyboard.type(answer)
        page.keyboard.press("Enter")
    return person.wait_for_turn(before)


def test_a_patient_completes_a_screening_with_the_keyboard_only(patient):
    person = patient()
    person.open()
    page = person.page
    for _ in range(8):  # from the top of the page: skip link, the conversation, then the answer buttons
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent") == "I'm the patient":
            break
    else:
        raise AssertionError("Tab never reached the first answer button")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")  # the keyboard focus is visible
    before = len(person.bot_texts())
    page.keyboard.press("Enter")
    person.wait_for_turn(before)
    assert person.user_texts() == ["I'm the patient"]
    # Shift+Enter is a new line, Enter sends.
    said = keyboard_answer(person, "I agree")
    assert any("How old are you" in text for text in said)
    page.keyboard.type("I'm")
    page.keyboard.press("Shift+Enter")
    assert page.locator("#message").input_value() == "I'm\n" and person.user_texts()[-1] == "I agree"
    page.locator("#message").fill("")
    last = answer_until_done(person, said, PATIENT_ANSWERS, by_keyboard=True)
    assert any("study team will contact you" in text for text in last)
    assert person.screening()["outcome"] == "likely_eligible"
    assert person.dialogs == [] and person.errors == []


def test_a_physician_pastes_a_long_case_summary(patient):
    person = patient()
    person.open()
    person.click_or_type("I'm a doctor")
    said = person.click_or_type("I agree")
    assert any("case summary" in text for text in said)
    # Several lines, as pasted from a referral letter: kept whole, sent as one message.
    pasted = PHYSICIAN_SUMMARY.replace(", PD", ",\nPD").replace(", ANC", ",\nANC").replace(", BP", ",\nBP")
    box = person.page.locator("#message")
    box.fill(pasted)
    assert person.page.locator("#message-count").text_content().startswith(f"{len(pasted)} of 2,000")
    before = len(person.bot_texts())
    person.page.locator("#send").click()
    said = person.wait_for_turn(before)
    assert person.user_texts()[-1] == pasted
    assert any("blood pressure" in text.lower() for text in said), said
    screening = person.screening()
    assert screening["criteria"]["age"]["value"] == 62
    assert screening["criteria"]["hypertension"]["verdict"] == "fail"
    assert screening["outcome"] == "not_eligible"
    # Longer than the limit: the counter says so and only the first 2,000 characters are sent.
    box.fill("Further notes. " * 200)
    assert "only the first 2,000 will be sent" in person.page.locator("#message-count").text_content()
    assert person.dialogs == [] and person.errors == []


# ---------------------------------------------------------------- reload, markup, privacy


def test_a_reload_keeps_the_conversation_and_continues_it(patient):
    person = patient()
    person.open()
    person.click_or_type("I'm the patient")
    shown = person.bot_texts()
    person.page.reload()
    person.wait_for_turn(0)
    assert person.bot_texts() == shown  # the same conversation, not a second greeting
    assert person.user_texts() == ["I'm the patient"]
    assert person.choice("I agree").count() == 1 and person.choice("I'm a doctor").count() == 0
    said = person.click_or_type("I agree")
    assert any("How old are you" in text for text in said)
    assert person.dialogs == [] and person.errors == []


def test_markup_is_shown_as_text_and_never_runs(patient):
    person = patient()
    person.open()
    person.click_or_type("I'm the patient")
    person.click_or_type("I agree")
    said = person.click_or_type(MARKUP)
    assert said  # answered (asked again, as an unclear age)
    assert person.user_texts()[-1] == MARKUP
    assert person.page.locator("#log img").count() == 0
    person.page.reload()  # the stored history is shown as text too
    person.wait_for_turn(0)
    assert MARKUP in person.user_texts() and person.page.locator("#log img").count() == 0
    assert person.dialogs == [] and person.errors == []


def test_delete_my_data_erases_the_screening_and_a_reload_starts_afresh(patient):
    person = patient()
    person.open()
    person.click_or_type("I'm the patient")
    person.click_or_type("I agree")
    person.click_or_type("I'm 45")
    conversation = person.conversation_id()
    assert any(s["conversation_id"] == conversation for s in person.servers.export())
    page = person.page
    page.get_by_role("button", name="Delete my data", exact=True).click()
    before = len(person.bot_texts())
    page.get_by_role("button", name="Yes, delete my data").click()
    said = person.wait_for_turn(before)
    assert any("deleted everything" in text for text in said)
    assert not any(s["conversation_id"] == conversation for s in person.servers.export())
    page.reload()
    said = person.wait_for_turn(0)
    assert person.user_texts() == [] and any("pre-screening assistant" in text for text in said)


def test_clearing_the_chat_from_the_browser_keeps_the_answers_for_the_study_team(patient):
    person = patient()
    person.open()
    person.click_or_type("I'm the patient")
    person.click_or_type("I agree")
    person.click_or_type("I'm 45")
    first = person.conversation_id()
    with person.page.expect_navigation():
        person.page.get_by_role("button", name="Clear this chat from this browser").click()
    person.wait_for_turn(0)
    assert person.user_texts() == [] and person.conversation_id() != first
    assert any(s["conversation_id"] == first for s in person.servers.export())


# ---------------------------------------------------------------- small screens and zoom


@pytest.mark.parametrize(
    "name, viewport, scale",
    [
        ("phone-375px", PHONE, 3),
        ("desktop-at-200-percent-zoom", {"width": DESKTOP["width"] // 2, "height": DESKTOP["height"] // 2}, 2),
        ("reflow-320px", {"width": 320, "height": 640}, 1),  # 1280 px at 400 % zoom (WCAG 1.4.10)
    ],
)
def test_the_page_fits_small_screens_and_zoom_without_sideways_scrolling(patient, name, viewport, scale):
    person = patient(
        viewport=viewport,
        device_scale_factor=scale,
        is_mobile=viewport["width"] < 400,
        has_touch=viewport["width"] < 400,
    )
    person.open()

    def inside(locator) -> bool:
        box = locator.bounding_box()
        return bool(box) and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5

    for button in person.page.locator("#quick-replies button").all():  # the role choices
        assert inside(button), button.text_content()
    if viewport["width"] < 400:
        # A tap on an answer button must not pop up the on-screen keyboard: the
        # focus goes to the conversation, not to the text box.
        before = len(person.bot_texts())
        person.choice("I'm the patient").tap()
        person.wait_for_turn(before)
        assert person.page.evaluate("() => document.activeElement.id") == "log"
    else:
        person.click_or_type("I'm the patient")
    person.click_or_type("I agree")
    person.click_or_type("x" * 300)  # one long unbroken word must wrap, not widen the page
    assert person.no_horizontal_scroll()
    for selector in ("#log", "#message", "#send", "#delete-data", "#forget"):
        assert inside(person.page.locator(selector)), selector
    person.screenshot(name)
    assert person.dialogs == [] and person.errors == []


def test_after_delete_my_data_the_next_message_starts_a_new_conversation_keeping_the_text(patient):
    person = patient()
    person.open()
    person.click_or_type("I'm the patient")
    person.click_or_type("I agree")
    first = person.conversation_id()
    page = person.page
    page.get_by_role("button", name="Delete my data", exact=True).click()
    before = len(person.bot_texts())
    page.get_by_role("button", name="Yes, delete my data").click()
    said = person.wait_for_turn(before)
    if not any("deleted everything" in text for text in said):  # a confirmation step first
        said = person.click_or_type("Yes, delete my data")
    assert any("deleted everything" in text for text in said)
    page.wait_for_function("() => document.getElementById('connection').dataset.state === 'ended'")
    assert "deleted everything" in " ".join(person.bot_texts())  # still on screen until the person goes on
    page.locator("#message").fill("I'm the patient")
    page.locator("#message").press("Enter")
    # A new conversation: the old one is gone from the screen, the greeting is back, the text is kept.
    page.wait_for_function(
        """() => document.getElementById('connection').dataset.state === 'connected'
               && document.querySelectorAll('#log .msg-user').length === 0
               && document.querySelectorAll('#log .msg-bot').length > 0"""
    )
    assert page.locator("#message").input_value() == "I'm the patient"
    assert person.conversation_id() != first
    before = len(person.bot_texts())
    page.locator("#message").press("Enter")
    said = person.wait_for_turn(before)
    assert any("Before any health question" in text for text in said), said
    assert person.dialogs == [] and person.errors == []


def test_clearing_the_chat_in_one_tab_ends_it_in_the_others(patient, chromium):
    person = patient()
    person.open()
    person.click_or_type("I'm the patient")
    other_tab = person.context.new_page()  # the same browser: the same cookie
    other_tab.goto(person.servers.chat_url + "/")
    other_tab.wait_for_function("() => document.querySelectorAll('#log .msg-user').length === 1")
    with person.page.expect_navigation():
        person.page.get_by_role("button", name="Clear this chat from this browser").click()
    other_tab.locator("#message").fill("I agree")
    other_tab.locator("#message").press("Enter")
    other_tab.wait_for_function("() => document.getElementById('connection').dataset.state === 'ended'")
    # The other tab's conversation went nowhere: its "I agree" was not processed.
    assert not any("How old are you" in t for t in other_tab.locator("#log .msg-bot .msg-text").all_text_contents())
    assert other_tab.locator("#message").input_value() == "I agree"  # kept, not lost


def test_a_chinese_patient_on_a_phone_is_answered_in_chinese_and_sees_the_first_question(patient):
    # The browser's language is Chinese: the page and the assistant speak Chinese from the start.
    phone = {"width": 390, "height": 844}
    person = patient(viewport=phone, locale="zh-CN", is_mobile=True, has_touch=True)
    said = person.open()
    assert person.page.locator("html").get_attribute("lang").startswith("zh")
    assert any(re.search(r"[\u4e00-\u9fff]", text) for text in said), said
    # The first question is on the first screen, without scrolling.
    first_question = person.page.locator("#log .msg-bot").last.bounding_box()
    assert first_question and first_question["y"] + min(first_question["height"], 40) <= phone["height"], first_question
    person.screenshot("zh-phone-first-screen")
    for answer in ("我是患者本人", "同意", "我今年45岁"):
        said = person.click_or_type(answer)
        assert any(re.search(r"[\u4e00-\u9fff]", text) for text in said), (answer, said)
    assert any("题" in text for text in said), said  # "第2题（共约…题）": the age was read, the next question asked
    assert person.no_horizontal_scroll()
    # The newest message is in view after the turn (not only the text box).
    newest = person.page.locator("#log .msg-bot").last.bounding_box()
    assert newest and newest["y"] < phone["height"], newest
    person.screenshot("zh-phone-screening")
    assert person.errors == [], person.errors
