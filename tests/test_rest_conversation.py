"""Whole conversations through the running servers' REST channel, checked in the staff export."""

import json

import pytest
from servers import Servers, converse, latest_model

from scripts import PATIENT_ANSWERS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    model = latest_model()
    if model is None:
        pytest.fail("no trained model in models/: run `make train` (make test does it)")
    running = Servers(tmp_path_factory.mktemp("servers"), model).start()
    yield running
    running.stop()


def by_conversation(servers, sender):
    return next(s for s in servers.export() if s["conversation_id"] == sender)


def test_patient_full_screening_over_rest(servers):
    last = converse(servers, "rest-patient", ["hi", "I'm the patient", "I agree"], PATIENT_ANSWERS)
    assert any("study team will contact you" in text for text in last)
    screening = by_conversation(servers, "rest-patient")
    assert screening["role"] == "patient"
    assert screening["outcome"] == "likely_eligible", screening
    assert screening["criteria"]["age"] == {**screening["criteria"]["age"], "verdict": "pass", "value": 45}
    assert screening["criteria"]["renal_function"]["verdict"] == "pending"
    assert screening["completed_at"]


def test_physician_quick_screen_over_rest(servers):
    summary = (
        "62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, PLT 210, Hb 128 g/L, "
        "Cr 0.9 mg/dL, 72 kg, BP 150/95"
    )
    last = converse(servers, "rest-doctor", ["hello", "I'm a doctor", "yes I agree", summary], [])
    screening = by_conversation(servers, "rest-doctor")
    assert screening["criteria"]["age"]["value"] == 62
    assert screening["criteria"]["hypertension"]["verdict"] == "fail"
    assert screening["outcome"] == "not_eligible"
    assert any("blood pressure" in text.lower() for text in last)


def test_a_message_after_the_end_gets_an_answer_not_try_again(servers):
    summary = "58F, synovial sarcoma lung mets, PD on apatinib, ECOG 1, BP 160/100"
    converse(servers, "rest-after-end", ["hello", "I'm a doctor", "yes I agree", summary], [])
    said = [m.get("text", "") for m in servers.send("rest-after-end", "ANC 3.1, PLT 210, Hb 128 g/L")]
    assert any("This check is finished" in text for text in said), said
    assert not any("try again" in text for text in said)


def test_consent_refused_over_rest_stores_nothing_about_health(servers):
    converse(servers, "rest-refuser", ["hi", "for my mother", "no I don't agree"], [])
    screening = by_conversation(servers, "rest-refuser")
    assert screening["outcome"] == "declined" and screening["criteria"] == {}


def test_delete_my_data_over_rest_erases_the_lead_and_the_conversation(servers):
    import sqlite3

    converse(servers, "rest-eraser", ["hi", "I'm the patient", "I agree", "I'm 45"], [])
    assert any(s["conversation_id"] == "rest-eraser" for s in servers.export())
    asked = servers.send("rest-eraser", "delete my data")
    assert any("can't be undone" in m.get("text", "") for m in asked)  # a confirmation first, nothing deleted yet
    assert any(s["conversation_id"] == "rest-eraser" for s in servers.export())
    said = [m.get("text", "") for m in servers.send("rest-eraser", asked[-1]["buttons"][0]["payload"])]
    assert any("deleted everything" in text for text in said)
    assert not any(s["conversation_id"] == "rest-eraser" for s in servers.export())
    with sqlite3.connect(servers.workdir / "tracker.db") as db:
        left = db.execute("select count(*) from events where sender_id = ?", ("rest-eraser",)).fetchone()[0]
    assert left == 0
    # The next message starts a new conversation from the introduction.
    again = [m.get("text", "") for m in servers.send("rest-eraser", "hi")]
    assert any("pre-screening assistant" in text for text in again)


def test_start_over_and_stop_over_rest(servers):
    converse(servers, "rest-restart", ["hi", "I'm the patient", "I agree", "I'm 45"], [])
    servers.send("rest-restart", "start over")
    said = [m.get("text", "") for m in servers.send("rest-restart", "Yes, start over")]
    assert any("start again" in text for text in said) and any("Who is answering" in text for text in said)
    converse(servers, "rest-restart", ["I'm a doctor"], [])
    said = [m.get("text", "") for m in servers.send("rest-restart", "I agree")]
    assert any("case summary" in text for text in said)  # the new screening is a physician's
    servers.send("rest-restart", "stop")
    said = [m.get("text", "") for m in servers.send("rest-restart", "yes")]
    assert any("stopped" in text for text in said)
    outcomes = sorted(s["outcome"] for s in servers.export() if s["conversation_id"] == "rest-restart")
    assert outcomes == ["incomplete", "incomplete"]  # the abandoned attempt is kept, then the stopped one


def _post(servers, body: bytes, headers: dict | None = None):
    status, text, _ = servers.post(servers.rest_url, body, servers.rest_headers if headers is None else headers)
    return status, text


def test_rest_needs_the_token_and_refuses_without_reading_the_body(servers):
    body = json.dumps({"sender": "rest-intruder", "message": "correction: my age is 46"}).encode()
    token = servers.env["REST_TOKEN"]
    for headers in (
        {"Content-Type": "application/json"},
        {"Content-Type": "text/plain"},  # what a cross-site form could send without a preflight
        {"Content-Type": "application/json", "Authorization": "Bearer wrong-token-wrong-token-wrong-token"},
        {"Content-Type": "application/json", "Authorization": f"Basic {token}"},
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}x"},
    ):
        status, text, response_headers = servers.post(servers.rest_url, body, headers)
        assert status == 401 and response_headers.get("WWW-Authenticate") == "Bearer", (headers, status, text)
    status, _, _ = servers.post(servers.rest_url.rsplit("/", 1)[0] + "/", None, {}, method="GET")
    assert status == 401  # the channel's health URL too
    assert not any(s["conversation_id"] == "rest-intruder" for s in servers.export())
    log = servers.log("rasa")
    assert log.count("refused a REST request without a valid token") >= 5
    assert "Traceback" not in log.split("refused a REST request")[-1][:2000]
    assert token not in log


def test_a_body_over_the_limit_is_refused_with_413_and_a_long_message_is_cut(servers):
    from rasa_extensions.channels import rest_body_limit

    limit = rest_body_limit()
    assert 4_000 < limit < 32_000  # a few KB
    huge = json.dumps({"sender": "rest-huge", "message": "x" * 100_000}).encode()
    status, _ = _post(servers, huge)
    assert status == 413
    status, _, _ = servers.post(servers.rest_url, b"x" * 200_000, {"Content-Type": "text/plain"})
    assert status == 401  # no token: refused before the size matters
    # Every character escaped (\\uXXXX) still fits: 2,000 Chinese characters are one message.
    chinese = json.dumps({"sender": "rest-long", "message": "骨" * 2000}, ensure_ascii=True).encode()
    assert len(chinese) > 12_000
    status, text = _post(servers, chinese)
    assert status == 200 and json.loads(text), text


def test_malformed_requests_get_a_clear_400(servers):
    for body in (
        b"{not json",
        b'["a list"]',
        b'{"message": "hi"}',
        b'{"sender": "x"}',
        b'{"sender": 5, "message": "hi"}',
        b'{"sender": "x", "message": {"a": 1}}',
    ):
        status, text = _post(servers, body)
        assert status == 400, (body, status, text)
    assert not any(s["conversation_id"] == "default" for s in servers.export())


def test_rest_cannot_read_or_write_a_chat_page_conversation(servers):
    for sender in ("web-abcdefghijklmnopqrstuvwxyz", "WEB-abc", " web-x"):
        status, text = _post(servers, json.dumps({"sender": sender, "message": "hi"}).encode())
        assert status == 403, (sender, status, text)
    assert not any(s["conversation_id"].lower().strip().startswith("web-") for s in servers.export())


def test_hostile_messages_are_answered_and_stored_as_text(servers):
    converse(servers, "rest-hostile", ["hi", "I'm the patient", "I agree"], [])
    for text in (
        "<script>alert(1)</script>",
        "'; DROP TABLE screenings;--",
        "😀🙃" * 20,
        "\u202eevil\x00\x07",
        "مرحبا كم عمري",
        "x" * 3_000,
    ):
        said = servers.send("rest-hostile", text)
        assert said, text  # always some answer, never a crash
    screening = by_conversation(servers, "rest-hostile")
    assert screening["criteria"]["age"]["verdict"] == "uncertain"
    assert len(screening["criteria"]["age"]["answer"]) <= 2000
    assert servers.send("rest-hostile", "45")  # still alive and answering


def test_action_server_down_mid_screening_asks_to_try_again_then_continues(servers):
    converse(servers, "rest-outage", ["hi", "I'm the patient", "I agree", "I'm 45"], [])
    servers.stop_actions()
    try:
        said = [m.get("text", "") for m in servers.send("rest-outage", "yes, osteosarcoma that spread to my lungs")]
        assert any("try again" in text for text in said), said
    finally:
        servers.start_actions()
    said = [m.get("text", "") for m in servers.send("rest-outage", "yes, osteosarcoma that spread to my lungs")]
    assert any("apatinib" in text for text in said), said  # the answer is taken and the next question asked
    screening = by_conversation(servers, "rest-outage")
    assert screening["criteria"]["age"]["value"] == 45 and screening["criteria"]["diagnosis"]["verdict"] == "pass"
