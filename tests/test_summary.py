"""Lead summaries (bot/summary.py): content, consent, escaping."""

from __future__ import annotations

import html
import re

import pytest

from bot.store import LeadStore
from bot.summary import summary_html, summary_text

XSS = "<script>alert(1)</script>"


def record(**changes) -> dict:
    rec = {
        "screening_id": "5f0c" + "0" * 28,
        "conversation_id": "web-123",
        "trial_id": "NCT05617859",
        "role": "caregiver",
        "outcome": "needs_review",
        "started_at": "2024-05-01T10:00:00+00:00",
        "completed_at": "2024-05-01T10:12:00+00:00",
        "contact": {
            "consented": True,
            "name": "Li Wei",
            "phone": "+86 371 6558 8888",
            "email": "li@example.org",
            "preferred_time": "after 5pm",
            "callback_requested": True,
        },
        "criteria": {
            "age": {
                "verdict": "pass",
                "question": "How old is the patient?",
                "answer": "She is 15",
                "value": 15,
                "reason": "10-75 with guardian",
                "confidence": 0.97,
            },
            "prior_tki": {
                "verdict": "uncertain",
                "question": "Apatinib or anlotinib before?",
                "answer": XSS,
                "value": None,
                "reason": "drug not named",
                "confidence": 0.3,
            },
            "hypertension": {
                "verdict": "fail",
                "question": "Blood pressure?",
                "answer": "150/95 on two drugs",
                "value": {"systolic": 150, "diastolic": 95},
                "reason": "above 140/90 despite treatment",
                "confidence": 0.9,
            },
            "blood_counts": {
                "verdict": "pending",
                "question": None,
                "answer": None,
                "value": None,
                "reason": "no recent labs",
                "confidence": None,
            },
        },
        "review_items": [
            {
                "id": 7,
                "criterion": "prior_tki",
                "question": "Apatinib or anlotinib before?",
                "answer": XSS,
                "reason": "drug not named",
                "status": "open",
            }
        ],
        "pending": ["blood_counts", "cardiac"],
        "transcript": [
            {"at": "2024-05-01T10:00:00+00:00", "speaker": "bot", "text": "Hello! Who is answering?"},
            {"at": "2024-05-01T10:01:00+00:00", "speaker": "user", "text": "I'm her mother " + XSS},
        ],
    }
    rec.update(changes)
    return rec


def test_text_summary_shows_everything_staff_need():
    text = summary_text(record())
    for expected in (
        "Needs review",
        "caregiver",
        "2024-05-01T10:00:00+00:00",
        "2024-05-01T10:12:00+00:00",
        "web-123",
        "Li Wei",
        "+86 371 6558 8888",
        "li@example.org",
        "after 5pm",
        "Age",
        "pass",
        "She is 15",
        "15 years",
        "10-75 with guardian",
        "Blood pressure",
        "FAIL",
        "150/95 on two drugs",
        "150/95 mmHg",
        "UNCERTAIN",
        XSS,
        "drug not named",
        "Open review items (1)",
        "#7 Prior apatinib/anlotinib",
        "Pending site checks (2)",
        "- Blood counts",
        "- Heart",
        "Hello! Who is answering?",
        "I'm her mother",
    ):
        assert expected in text, expected


def test_contact_only_with_consent():
    rec = record(
        contact={
            "consented": False,
            "name": "Li Wei",
            "phone": "+86 999 777",
            "email": None,
            "preferred_time": None,
            "callback_requested": False,
        }
    )
    for out in (summary_text(rec), summary_html(rec)):
        assert "Li Wei" not in out and "999 777" not in out
        assert "o consent to be contacted" in out
    assert "no consent" in summary_text(record(contact=None))


def test_html_escapes_every_user_string():
    nasty = '"><img src=x onerror=alert(2)>'
    rec = record(conversation_id=nasty, screening_id=nasty, role=nasty)
    rec["contact"]["name"] = XSS
    rec["criteria"]["age"]["reason"] = XSS
    rec["criteria"]["age"]["value"] = XSS
    rec["criteria"][XSS] = {
        "verdict": "pass",
        "question": "q",
        "answer": "a",
        "value": None,
        "reason": "r",
        "confidence": None,
    }
    rec["pending"].append(XSS)
    out = summary_html(rec, full_document=True)
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert html.escape(nasty) in out
    # Only our own tags are present.
    tags = set(re.findall(r"</?([a-zA-Z0-9]+)", out))
    assert tags <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "section",
        "h2",
        "h3",
        "dl",
        "dt",
        "dd",
        "p",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "ul",
        "li",
    }


def test_html_fragment_has_the_sections():
    out = summary_html(record())
    assert out.startswith('<section class="lead-summary"') and out.endswith("</section>")
    for expected in (
        "Needs review",
        "Li Wei",
        "Criteria",
        "She is 15",
        "Blood pressure",
        "150/95 mmHg",
        "Open review items (1)",
        "Pending site checks (2)",
        "Transcript",
        "Hello! Who is answering?",
        "v-fail",
    ):
        assert expected in out, expected
    assert "<!DOCTYPE html>" in summary_html(record(), full_document=True)


def test_text_summary_neutralises_terminal_escapes():
    rec = record()
    rec["criteria"]["age"]["answer"] = "45\x1b[2J\x1b]0;pwned\x07"
    rec["transcript"][1]["text"] = "bidi \u202e trick"
    text = summary_text(rec)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2J" in text and "\\u202e" in text


def test_resolved_items_are_listed_with_their_decision():
    rec = record(
        review_items=[
            {
                "id": 3,
                "criterion": "prior_tki",
                "question": "q",
                "answer": "a",
                "reason": "r",
                "status": "resolved",
                "decision": "pass",
                "note": "chart checked",
                "resolved_by": "dr. li",
                "resolved_at": "2024-05-02T09:00:00+00:00",
            }
        ]
    )
    text = summary_text(rec)
    assert "Open review items (0)" in text
    assert "#3 Prior apatinib/anlotinib" in text and ": pass by dr. li" in text
    assert "chart checked" in text
    assert "chart checked" in summary_html(rec)


@pytest.mark.parametrize("fn", [summary_text, summary_html])
def test_minimal_and_declined_records(fn):
    out = fn(
        {
            "screening_id": "x",
            "conversation_id": "c",
            "outcome": "declined",
            "started_at": "2024-05-01T10:00:00Z",
            "completed_at": None,
        }
    )
    assert "Declined" in out and "not finished" in out


def test_summary_of_a_stored_record(tmp_path):
    lead = LeadStore(tmp_path / "leads.db")
    rec = record()
    rec["screening_id"] = "ab" * 16
    lead.save_screening(rec)
    stored = lead.get_screening(rec["screening_id"])
    [item] = stored["review_items"]
    text = summary_text(stored)
    assert f"#{item['id']} Prior apatinib" in text and "She is 15" in text
    for code in ("prior_tki", "blood_counts", '"systolic"'):
        assert code not in text and code not in summary_html(stored), code
    assert "&lt;script&gt;" in summary_html(stored)


def test_the_follow_up_is_in_the_summary():
    rec = record(
        follow_up={"status": "call_back", "owner": "alice", "notes": 2, "callback_at": "2026-12-03T01:30:00+00:00"}
    )
    text = summary_text(rec)
    assert "Follow-up" in text and "call back" in text and "alice" in text and "2026-12-03T01:30" in text
    assert "call back" in summary_html(rec)
