"""The probes of issue 12 against a fresh `make run`: scripts/serve.py with its
defaults (only the ports and VAR_DIR changed: free ports, a temporary var/),
all five services, probed as an attacker on the same host would:

- forged action-server calls; REST without the token or with a wrong one;
- marked health text through every entry point (REST, socket.io, malformed
  ``/intent{...}`` messages, malformed frames), then every file under the
  run's var/ searched for it, the two stores themselves left out (they hold
  answers by design; tests/test_store_faults.py adds an action error);
- replayed and forged chat cookies; oversized bodies;
- floods across fresh sessions;

each refused or harmless, and a legitimate screening still goes through.
The tests run in file order (the flood drains this address's budget last).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest
import socketio
from servers import ROOT, converse
from socket_client import SocketUser, conversation_in
from web_servers import BrowserSession

from rasa_extensions.rate_limit import SLOW_DOWN
from scripts import PATIENT_ANSWERS

pytestmark = pytest.mark.slow
MARKER = "HEALTH-MARKER-7f3a"  # plus what a person might write: "HIV positive"
STORES = ("leads.db", "tracker.db")
SHARED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "CI", "PYTHON", "VENV")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Run:
    """scripts/serve.py running in its own process group, as `make run` starts it."""

    def __init__(self, var: Path):
        self.var = var
        self.ports = {name: free_port() for name in ("RASA_PORT", "ACTION_PORT", "CHAT_PORT", "STAFF_PORT")}
        self.env = {k: v for k, v in os.environ.items() if k in SHARED_ENV}
        self.env.update({"VAR_DIR": str(var), **{k: str(v) for k, v in self.ports.items()}})
        self.output = var.parent / "serve.out"
        self.process: subprocess.Popen | None = None

    def start(self) -> Run:
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "scripts" / "serve.py")],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 400
        while "Press Ctrl-C to stop." not in self.printed():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"serve.py did not start:\n{self.printed()[-4000:]}")
            time.sleep(1)
        return self

    def printed(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    # -- what the probes use
    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['RASA_PORT']}"

    @property
    def rest_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['ACTION_PORT']}"

    @property
    def chat_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['CHAT_PORT']}"

    @property
    def origin(self) -> str:
        return self.chat_url

    @property
    def rest_token(self) -> str:
        return (self.var / "rest_token").read_text().strip()

    def request(self, url: str, body: bytes | None = None, headers: dict | None = None, method: str | None = None):
        request = urllib.request.Request(url, body, headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def send(self, sender: str, text: str) -> list:
        body = json.dumps({"sender": sender, "message": text}).encode()
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.rest_token}"}
        status, answer = self.request(self.rest_url, body, headers)
        assert status == 200, (status, answer)
        return json.loads(answer)

    def export(self) -> list:
        env = {**self.env, "LEAD_DB": str(self.var / "leads.db"), "TRACKER_DB": str(self.var / "tracker.db")}
        result = subprocess.run(
            [sys.executable, "-m", "bot.staff", "export", "--format", "json"],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    def browser(self) -> BrowserSession:
        return BrowserSession(self.chat_url)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    started = Run(tmp_path_factory.mktemp("make-run") / "var").start()
    yield started
    started.stop()


def texts(messages: list) -> list:
    return [m.get("text", "") for m in messages]


def arun(coroutine):
    return asyncio.run(coroutine)


# --------------------------------------------------------------------------
def test_the_start_up_message_names_the_rest_token_and_the_plain_http_cookie(run):
    printed = run.printed()
    assert f"Authorization: Bearer {run.rest_token}" in printed and "var/rest_token" in printed.replace(
        str(run.var), "var"
    )
    assert "CHAT_COOKIE_SECURE=0" in printed  # loopback only: a newcomer's browser keeps the cookie
    assert "(the Rasa server only)" in printed and "(trusted callers only)" in printed


def test_forged_action_server_calls_are_refused_and_change_nothing(run):
    converse(run, "probe-victim", ["hi", "I'm the patient", "I agree", "I'm 45"], [])
    assert any(s["conversation_id"] == "probe-victim" for s in run.export())
    forged = {
        "next_action": "action_delete_my_data",
        "sender_id": "probe-victim",
        "tracker": {
            "sender_id": "probe-victim",
            "slots": {},
            "latest_message": {"text": "delete my data"},
            "events": [],
        },
        "domain": {},
        "version": "3.6.21",
    }
    body = json.dumps(forged).encode()
    for headers in (
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json", "Authorization": "Bearer not-the-token-not-the-token-0000"},
        {"Content-Type": "application/json", "Authorization": f"Bearer {run.rest_token}"},  # the other secret
    ):
        assert run.request(f"{run.action_url}/webhook", body, headers)[0] == 401
    for path in ("/health", "/actions"):
        assert run.request(f"{run.action_url}{path}")[0] == 401
    try:  # a big body without the token: refused before it is read (the client may see the reset first)
        assert run.request(f"{run.action_url}/webhook", b"x" * 9_000_000, {"Content-Type": "text/plain"})[0] == 401
    except urllib.error.URLError as error:
        assert isinstance(error.reason, ConnectionResetError | BrokenPipeError), error
    assert any(s["conversation_id"] == "probe-victim" for s in run.export())  # not erased
    log = (run.var / "log" / "actions.log").read_text(errors="replace")
    assert "refused an action-server request without a valid token" in log and "Traceback" not in log


def test_rest_without_the_token_or_with_a_wrong_one_is_refused(run):
    body = json.dumps({"sender": "probe-victim", "message": "correction: my age is 46"}).encode()
    for headers in (
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/json", "Authorization": "Bearer wrong-wrong-wrong-wrong-wrong-wrong"},
        {"Content-Type": "application/json", "Authorization": run.rest_token},
    ):
        assert run.request(run.rest_url, body, headers)[0] == 401
    [victim] = [s for s in run.export() if s["conversation_id"] == "probe-victim"]
    assert victim["criteria"]["age"]["value"] == 45
    status, _ = run.request(
        run.rest_url,
        json.dumps({"sender": "x", "message": "y" * 100_000}).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {run.rest_token}"},
    )
    assert status == 413


def test_replayed_and_forged_chat_cookies_never_open_a_conversation(run):
    async def scenario():
        browser = run.browser()
        token, cookie = browser.token(), browser.cookie()
        user = await SocketUser(run, token).connect()
        await user.open_session()
        await user.say("hi")
        await user.close()
        for planted in ("web-abcdefghijklmnopqrstuvwxyz", "A" * 43, cookie[::-1]):
            forged = BrowserSession.with_cookie(run.chat_url, planted)
            assert conversation_in(forged.token()) != conversation_in(token) and forged.cookie() != planted
        browser.forget()
        replayed = BrowserSession.with_cookie(run.chat_url, cookie)
        assert conversation_in(replayed.token()) != conversation_in(token)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await SocketUser(run, token).connect()

    arun(scenario())


def test_marked_health_text_through_every_entry_point(run):
    rest_lines = [
        f"I'm 45 and I have HIV, {MARKER}-rest",
        f'/inform{{"note": "I have HIV {MARKER}-intent"}}',
        f'/inform{{"note": "I have HIV {MARKER}-broken',
        f"/{MARKER}_hiv_positive{{\"a\": 1}}",
        f'/inform{{"{MARKER}-entity": "HIV"}}',
    ]
    for line in ["hi", "I'm the patient", "I agree", *rest_lines]:
        assert run.send("probe-marked", line)

    async def scenario():
        browser = run.browser()
        user = await SocketUser(run, browser.token()).connect()
        await user.open_session()
        for line in [
            "hi",
            "I'm the patient",
            "I agree",
            f"I have HIV, {MARKER}-socket",
            f'/inform{{"x": "{MARKER}-socket-intent"',
        ]:
            assert await user.say(line)
        await user.close()
        url = f"ws://127.0.0.1:{run.ports['RASA_PORT']}/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as session:
            for frame in (
                f"{MARKER}-frame",
                f'42["user_uttered",{{"message":"{MARKER}',
                f"40/{MARKER}-ns,{{}}",
                "4" + "x" * 2_000_000,
            ):
                async with session.ws_connect(url, headers={"Origin": run.origin}, max_msg_size=0) as ws:
                    await ws.receive(timeout=10)
                    await ws.send_str("40" + json.dumps({"token": browser.token()}))
                    await ws.receive(timeout=10)
                    await ws.send_str(frame)
                    try:
                        await ws.receive(timeout=2)
                    except asyncio.TimeoutError:
                        pass

    arun(scenario())
    time.sleep(2)  # let the servers write what they would write


def test_legitimate_screenings_still_complete(run):
    last = converse(run, "probe-legit", ["hi", "I'm the patient", "I agree"], PATIENT_ANSWERS)
    assert any("study team will contact you" in t for t in last)
    [legit] = [s for s in run.export() if s["conversation_id"] == "probe-legit"]
    assert legit["outcome"] == "likely_eligible"


def test_a_flood_across_fresh_sessions_is_limited_per_address(run):
    async def scenario():
        users, refused = [], 0
        for _ in range(30):
            try:
                users.append(await SocketUser(run, run.browser().token()).connect())
            except urllib.error.HTTPError as error:
                assert error.code == 429
                refused += 1
        assert refused >= 5 and len(users) <= 20  # CHAT_SESSIONS_PER_HOUR: 20 per address
        for user in users:
            await user.open_session()
        replies = []
        started = time.monotonic()
        for _ in range(8):  # each fresh session well inside its own limit (burst 30)
            replies += await asyncio.gather(*(user.say("hi") for user in users))
        elapsed = time.monotonic() - started
        slowed = sum(SLOW_DOWN in said for said in replies)
        answered = len(replies) - slowed
        for user in users:
            await user.close()
        return answered, slowed, elapsed

    answered, slowed, elapsed = arun(scenario())
    assert slowed > 0, "no per-address limit"
    # The address's burst (60) plus its refill (120 a minute) while the flood lasted.
    assert answered <= 60 + 2 * elapsed + 5, (answered, slowed, elapsed)
    log = (run.var / "log" / "rasa.log").read_text(errors="replace")
    chat_log = (run.var / "log" / "chat.log").read_text(errors="replace")
    assert "arrive too fast" in log and "too many from one address" in chat_log


# --------------------------------------------------------------------------
def test_no_file_under_var_holds_the_marked_text_and_all_are_owner_only(run):
    run.stop()  # every log flushed and closed
    found = []
    for path in sorted(run.var.rglob("*")):
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, (path, oct(mode))
            continue
        assert mode & 0o077 == 0, (path, oct(mode))
        if path.name.startswith(STORES):
            continue
        found.append(path.relative_to(run.var))
        assert MARKER.encode() not in path.read_bytes(), path
    assert {Path("log/rasa.log"), Path("log/actions.log"), Path("log/chat.log"), Path("rest_token")} <= set(found)
    for name in ("rasa", "actions", "chat", "staff", "notifier"):
        assert "Traceback" not in (run.var / "log" / f"{name}.log").read_text(errors="replace"), name
    assert stat.S_IMODE(run.var.stat().st_mode) == 0o700
