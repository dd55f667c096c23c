"""Two Rasa replicas and two action-server replicas sharing PostgreSQL (the
conversations and the leads) and Redis (the conversation locks), all on
loopback, configured by environment variables alone (docs/deployment.md).

Screenings alternate their turns between the replicas; every one completes
with the right outcome and every answer is exported exactly once. Then one
replica is killed in the middle and the conversations go on on the other.
"""

from __future__ import annotations

import os
import secrets
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
from local_services import Postgres, Redis, ServiceUnavailable, need
from servers import Servers, latest_model

from scripts import PATIENT_ANSWERS, reply_for

pytestmark = pytest.mark.slow

OPENING = {
    "patient": ["hi", "I'm the patient", "I agree"],
    "caregiver": ["hello", "I'm asking for my father", "yes I agree"],
    "physician": ["hello", "I'm a doctor", "yes I agree"],
}
CAREGIVER_ANSWERS = [(k, v.replace("I'm 45", "he is 61").replace("my lungs", "his lungs")) for k, v in PATIENT_ANSWERS]
SUMMARY = (
    "62M, UPS thigh with lung mets, PD on anlotinib, ECOG 1, ANC 3.1, PLT 210, Hb 128 g/L, "
    "Cr 0.9 mg/dL, 72 kg, BP 150/95"
)
# (conversation id, role, scripted answers, first answer, expected outcome)
SCREENINGS = [
    ("replica-patient-1", "patient", PATIENT_ANSWERS, None, "likely_eligible"),
    ("replica-patient-2", "patient", PATIENT_ANSWERS, None, "likely_eligible"),
    ("replica-caregiver", "caregiver", CAREGIVER_ANSWERS, None, "likely_eligible"),
    ("replica-too-old", "patient", [("how old", "I'm 80")] + PATIENT_ANSWERS, None, "not_eligible"),
    ("replica-physician", "physician", [], SUMMARY, "not_eligible"),
]


@pytest.fixture(scope="module")
def shared_stores():
    try:
        pg, redis = Postgres(), Redis()
    except ServiceUnavailable as exc:
        need("PostgreSQL and Redis", str(exc))
    with pg, redis:
        yield {
            "TRACKER_DB": pg.create_database("tracker"),
            "LEAD_DB": pg.create_database("leads"),
            "LOCK_STORE_URL": redis.url,
        }


@pytest.fixture(scope="module")
def replicas(shared_stores, tmp_path_factory):
    model = latest_model()
    if model is None:
        pytest.fail("no trained model in models/: run `make train` (make test does it)")
    started = []
    # Every replica gets the same internal secrets (docs/deployment.md).
    keys = {name: secrets.token_urlsafe(32) for name in ("ACTION_SERVER_TOKEN", "REST_TOKEN", "CHAT_SESSION_SECRET")}
    try:
        for name in ("a", "b"):  # one after the other: the first creates the tables
            replica = Servers(tmp_path_factory.mktemp(f"replica-{name}"), model, **shared_stores, **keys)
            started.append(replica.start())
        yield started
    finally:
        for replica in started:
            replica.stop()


class Screening:
    """One scripted conversation whose turns go to replica (turn + offset) % 2."""

    def __init__(self, sender, role, answers, first, expected, offset):
        self.sender, self.role, self.answers, self.expected = sender, role, answers, expected
        self.queue = list(OPENING[role]) + ([first] if first else [])
        self.offset, self.turn, self.said, self.sent, self.done = offset, 0, [], [], False

    def next_message(self):
        if self.queue:
            return self.queue.pop(0)
        return reply_for(self.said, self.answers)

    def step(self, live):
        message = self.next_message()
        if message is None:
            self.done = True
            return
        replica = live[(self.turn + self.offset) % len(live)]
        self.said = [m.get("text", "") for m in replica.send(self.sender, message)]
        assert self.said, (self.sender, message)
        self.sent.append(message)
        self.turn += 1


def run_rounds(screenings, live, rounds=None):
    """Every unfinished screening takes one turn per round, all at once."""
    done_rounds = 0
    with ThreadPoolExecutor(max_workers=len(screenings)) as pool:
        while any(not s.done for s in screenings) and (rounds is None or done_rounds < rounds):
            list(pool.map(lambda s: None if s.done else s.step(live), screenings))
            done_rounds += 1
            assert done_rounds < 80, "the screenings did not end"


def test_screenings_alternate_replicas_and_survive_one_being_killed(replicas):
    a, b = replicas
    screenings = [Screening(*spec, offset=i) for i, spec in enumerate(SCREENINGS)]
    run_rounds(screenings, [a, b], rounds=6)  # both replicas serve every conversation
    assert all(s.turn >= 6 or s.done for s in screenings)

    # Kill replica a (Rasa and its action server) between two rounds.
    for process in (a.rasa, a.actions):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    run_rounds(screenings, [b])

    exported = {}
    for record in b.export():
        assert record["conversation_id"] not in exported, "a screening exported twice"
        exported[record["conversation_id"]] = record
    for s in screenings:
        record = exported[s.sender]
        assert record["outcome"] == s.expected, (s.sender, record["outcome"], s.said)
        assert record["role"] == s.role
        if s.expected == "likely_eligible":
            assert record["completed_at"] and record["contact"]["phone"]
    assert exported["replica-too-old"]["criteria"]["age"]["value"] == 80
    assert exported["replica-caregiver"]["criteria"]["age"]["value"] == 61
    assert exported["replica-physician"]["criteria"]["hypertension"]["verdict"] == "fail"

    # Every message was stored once: the transcript holds each one exactly as often as sent.
    from bot.store import LeadStore

    store = LeadStore(b.env["LEAD_DB"])
    for s in screenings:
        said_by_person = [
            t["text"] for t in store.find_by_conversation(s.sender)["transcript"] if t["speaker"] == "user"
        ]
        assert said_by_person == s.sent[: len(said_by_person)] and len(said_by_person) >= len(s.sent) - 1, s.sender
