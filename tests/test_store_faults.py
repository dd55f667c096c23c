"""Faults of the two stores, through the real servers (issue 12, item 7):

- the Rasa server killed between the lead-store write and the
  conversation-store write: after a restart the screening goes on correctly;
- the disk full under the lead store, then under the conversation store: the
  person is told, nothing is half-written, and once there is room again the
  screening goes on and ends as it should. The disks are small tmpfs
  filesystems mounted for the test (root only; skipped elsewhere, a failure
  in CI) filled to the last byte;
- a damaged database file when a server starts: one line naming the file,
  no traceback;
- the conversation store runs in WAL mode;
- an action that fails with the person's text in its error: "please try
  again", and the text in no file of the run but the stores.

The action server is tests/fault_action_server.py: the real one, with the
faults injected around rasa_sdk's executor.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from pathlib import Path

import pytest
from local_services import need
from servers import ROOT, Servers, latest_model

from rasa_extensions.channels import TRY_AGAIN
from scripts import PATIENT_ANSWERS, reply_for

pytestmark = pytest.mark.slow
OPENING = ["hi", "I'm the patient", "I agree"]
FAULT_SERVER = [sys.executable, str(ROOT / "tests" / "fault_action_server.py")]
CRASH_ANSWER = "I never had a heart attack or heart failure"
ERROR_MARKER = "HEALTH-MARKER-action-error-HIV-positive"
STORE_FILES = ("leads.db", "tracker.db")  # and their -wal / -shm


class Tmpfs:
    """A small tmpfs mounted on a new folder (unmounted on close)."""

    def __init__(self, size_mb: int):
        self.path = Path(tempfile.mkdtemp(prefix="small-disk-"))
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(self.path)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            self.path.rmdir()
            raise PermissionError(result.stderr.strip() or "mount failed")
        self.filler = self.path / "filler"

    def fill(self) -> None:
        """Write until the filesystem has no byte left (big chunks, then single bytes)."""
        for name, size in (("filler", 65536), ("filler-tail", 1)):
            try:
                with open(self.path / name, "ab", buffering=0) as handle:
                    while True:
                        handle.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error

    def free(self) -> None:
        for name in ("filler", "filler-tail"):
            (self.path / name).unlink(missing_ok=True)

    def close(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)
        try:
            self.path.rmdir()
        except OSError:
            pass


@pytest.fixture(scope="module")
def disks():
    try:
        lead_disk, tracker_disk = Tmpfs(24), Tmpfs(24)
    except PermissionError as error:
        need("a tmpfs mount (run as root)", str(error))
    yield lead_disk, tracker_disk
    lead_disk.close()
    tracker_disk.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory, disks):
    model = latest_model()
    if model is None:
        pytest.fail("no trained model in models/: run `make train` (make test does it)")
    lead_disk, tracker_disk = disks
    workdir = tmp_path_factory.mktemp("store-faults")
    running = Servers(
        workdir,
        model,
        action_server=FAULT_SERVER,
        LEAD_DB=str(lead_disk.path / "leads.db"),
        TRACKER_DB=str(tracker_disk.path / "tracker.db"),
        LEAD_DB_LOCK_TIMEOUT="5",
        FAULT_RAISE_MARKER=ERROR_MARKER,
        FAULT_PAUSE_MARKER="heart failure",
        FAULT_PAUSE_FLAG=str(workdir / "paused"),
        FAULT_PAUSE_SECONDS="90",
    ).start()
    yield running
    running.stop()


def texts(messages: list) -> list:
    return [m.get("text", "") for m in messages]


def until(servers, sender: str, question: str) -> list:
    said = []
    for line in OPENING:
        said = texts(servers.send(sender, line))
    for _ in range(60):
        if question in " ".join(said[-1:]).lower():
            return said
        said = texts(servers.send(sender, reply_for(said, PATIENT_ANSWERS)))
    raise AssertionError(f"never asked about {question!r}")


def finish(servers, sender: str, said: list) -> list:
    for _ in range(60):
        answer = reply_for(said, PATIENT_ANSWERS)
        if answer is None:
            return said
        said = texts(servers.send(sender, answer))
    raise AssertionError(f"did not end: {said}")


def screening(servers, sender: str) -> dict:
    [found] = [s for s in servers.export() if s["conversation_id"] == sender]
    return found


def stored(servers, sender: str) -> dict:
    """The screening as stored, read without writing anything (the staff export audits itself)."""
    from bot.store import LeadStore

    return LeadStore(servers.env["LEAD_DB"]).find_by_conversation(sender)


def events(servers, sender: str) -> int:
    with sqlite3.connect(servers.env["TRACKER_DB"]) as db:
        return db.execute("SELECT count(*) FROM events WHERE sender_id = ?", [sender]).fetchone()[0]


def truncate_wal(path: str) -> None:
    """Empty the -wal file, so the next write must grow a file (a full disk then refuses it)."""
    with sqlite3.connect(path, timeout=10) as db:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0, "a reader kept the WAL from being truncated"


def integrity(path: str) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


# --------------------------------------------------------------------------
def test_the_conversation_store_is_in_wal_mode_and_owner_only(servers):
    servers.send("fault-wal", "hi")
    with sqlite3.connect(servers.env["TRACKER_DB"]) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for path in Path(servers.env["TRACKER_DB"]).parent.glob("tracker.db*"):
        assert os.stat(path).st_mode & 0o077 == 0, path


def test_a_crash_between_the_lead_store_and_the_conversation_store_loses_nothing(servers):
    sender = "fault-crash"
    until(servers, sender, "heart attack")
    before = screening(servers, sender)
    errors = []

    def answer() -> None:
        try:
            servers.send(sender, CRASH_ANSWER)
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            errors.append(error)

    sending = threading.Thread(target=answer)
    sending.start()
    flag = Path(servers.env["FAULT_PAUSE_FLAG"])
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert time.monotonic() < deadline, "the action never ran"
        time.sleep(0.1)
    # The answer is in the lead store now; the Rasa server dies before it stores the turn.
    saved = screening(servers, sender)
    assert saved["criteria"]["cardiac"]["answer"] == CRASH_ANSWER
    os.killpg(servers.rasa.pid, 9)
    servers.rasa.wait()
    sending.join(30)
    assert errors, "the person got an answer although the server died"
    assert before["criteria"].get("cardiac", {}).get("answer") != CRASH_ANSWER
    servers.start_rasa()
    # The person sends the answer again (the chat page says to); the screening goes on from there.
    said = texts(servers.send(sender, CRASH_ANSWER))
    assert said and not any("Who is answering" in t for t in said), said
    assert not any("heart attack" in t.lower() for t in said[-1:]), said  # the next question, not the same one
    finish(servers, sender, said)
    done = screening(servers, sender)
    assert done["outcome"] == "likely_eligible", {c: v for c, v in done["criteria"].items() if v["verdict"] != "pass"}
    assert done["criteria"]["cardiac"]["answer"] == CRASH_ANSWER and done["criteria"]["age"]["value"] == 45
    from bot.store import LeadStore

    transcript = [t["text"] for t in LeadStore(servers.env["LEAD_DB"]).find_by_conversation(sender)["transcript"]]
    assert transcript.count(CRASH_ANSWER) == 1  # stored once: the turn that was lost left nothing behind


def test_a_full_disk_under_the_lead_store_tells_the_person_and_writes_nothing_half(servers, disks):
    lead_disk, _ = disks
    sender = "fault-full-leads"
    until(servers, sender, "serious bleeding")
    before = stored(servers, sender)
    truncate_wal(servers.env["LEAD_DB"])
    lead_disk.fill()
    try:
        said = texts(servers.send(sender, "no"))
        assert any("couldn't save your answers" in t for t in said), said
    finally:
        lead_disk.free()
    # Read once there is room (a new reader of a WAL database needs to write its index).
    assert integrity(servers.env["LEAD_DB"]) == "ok"
    assert stored(servers, sender) == before  # nothing of the failed save
    log = servers.log("actions")
    assert "lead store error" in log or "lead store unavailable" in log
    # With room again: the answer given while the disk was full was kept in the
    # conversation, and the screening goes on and ends as it should.
    said = texts(servers.send(sender, "no"))
    finish(servers, sender, said)
    done = screening(servers, sender)
    assert done["outcome"] == "likely_eligible", {c: v for c, v in done["criteria"].items() if v["verdict"] != "pass"}
    assert done["criteria"]["bleeding_thrombosis"]["verdict"] == "pass"


def test_a_full_disk_under_the_conversation_store_asks_to_try_again_and_stores_nothing_half(servers, disks):
    _, tracker_disk = disks
    sender = "fault-full-tracker"
    until(servers, sender, "high blood pressure")
    stored_events = events(servers, sender)
    truncate_wal(servers.env["TRACKER_DB"])
    tracker_disk.fill()
    try:
        said = texts(servers.send(sender, "no"))
        assert said == [TRY_AGAIN]  # only that: not the next question, which was never stored
    finally:
        tracker_disk.free()
    assert integrity(servers.env["TRACKER_DB"]) == "ok"
    assert events(servers, sender) == stored_events  # nothing of the failed turn
    assert "a turn failed (ConversationStoreError)" in servers.log("rasa")
    said = texts(servers.send(sender, "no"))
    assert not any("high blood pressure" in t.lower() for t in said[-1:]), said
    finish(servers, sender, said)
    done = screening(servers, sender)
    assert done["outcome"] == "likely_eligible", {c: v for c, v in done["criteria"].items() if v["verdict"] != "pass"}
    assert done["criteria"]["hypertension"]["verdict"] == "pass"


def test_an_action_error_asks_to_try_again_and_its_text_stays_out_of_every_file(servers):
    sender = "fault-action-error"
    until(servers, sender, "how old")
    said = texts(servers.send(sender, f"I'm 45, {ERROR_MARKER}"))
    assert said == [TRY_AGAIN]
    assert "an action failed (RuntimeError)" in servers.log("actions")
    said = texts(servers.send(sender, "I'm 45"))
    assert any("sarcoma" in t for t in said), said
    for path in files_of_the_run(servers):
        assert ERROR_MARKER.encode() not in path.read_bytes(), path


def files_of_the_run(servers) -> list[Path]:
    """Every file the servers wrote (logs, secrets, flags), the stores themselves left out."""
    found = []
    for folder in {servers.workdir, Path(servers.env["LEAD_DB"]).parent, Path(servers.env["TRACKER_DB"]).parent}:
        for path in folder.rglob("*"):
            if path.is_file() and not path.name.startswith(STORE_FILES) and not path.name.startswith("filler"):
                found.append(path)
    return found


# --------------------------------------------------------------------------
# A damaged database when a server starts
# --------------------------------------------------------------------------
def damaged(path: Path) -> Path:
    path.write_bytes(b"SQLite format 3\0" + b"\xff" * 8000)  # the header, then garbage
    return path


def test_a_damaged_lead_store_stops_the_action_server_naming_the_file(tmp_path):
    bad = damaged(tmp_path / "leads.db")
    env = {**os.environ, "LEAD_DB": str(bad), "ACTION_SERVER_TOKEN": "t" * 40, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "actions.server", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert str(bad) in result.stderr and "restore it from a backup" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_damaged_conversation_store_stops_the_rasa_server_naming_the_file(tmp_path):
    model = latest_model()
    bad = damaged(tmp_path / "tracker.db")
    servers = Servers(tmp_path, model, TRACKER_DB=str(bad))
    servers.rasa = servers._spawn(
        "rasa",
        [
            str(Path(sys.executable).parent / "rasa"),
            "run",
            "--model",
            str(model),
            "--port",
            str(servers.rasa_port),
            "--interface",
            "127.0.0.1",
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
        ],
    )
    try:
        servers.rasa.wait(timeout=240)
    finally:
        servers.stop()
    log = servers.log("rasa")
    assert servers.rasa.returncode != 0
    assert str(bad) in log and "restore it from a backup" in log
    assert "Traceback" not in log
