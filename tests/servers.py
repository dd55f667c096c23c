"""Start the real Rasa server and action server on free ports for end-to-end tests.

Both get their secrets as `make run` gives them: the action server's token
(ACTION_SERVER_TOKEN, sent by the Rasa server through endpoints.yml) and the
REST channel's (REST_TOKEN). ``Servers.send`` and ``Servers.post`` send the
REST token; pass ``ACTION_SERVER_TOKEN=`` / ``REST_TOKEN=`` to share values
between replicas.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts import reply_for

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latest_model() -> Path | None:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def wait_for(url: str, timeout: float, process: subprocess.Popen, log: Path, headers: dict | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


ACTION_SERVER = [sys.executable, "-m", "actions.server"]


class Servers:
    """Rasa + action server sharing a temporary lead store and tracker store.

    ``action_server``: the command that starts the action server (default
    ``python -m actions.server``; tests/fault_action_server.py injects faults)."""

    def __init__(self, workdir: Path, model: Path, action_server: list[str] | None = None, **env: str):
        self.workdir, self.model = workdir, model
        self.rasa_port, self.action_port = free_port(), free_port()
        self.action_server = action_server or ACTION_SERVER
        self.env = {
            **os.environ,
            "LEAD_DB": str(workdir / "leads.db"),
            "TRACKER_DB": str(workdir / "tracker.db"),
            "VAR_DIR": str(workdir),
            "SECRETS_DIR": str(workdir / "secrets"),
            "ACTION_HOST": "127.0.0.1",
            "ACTION_PORT": str(self.action_port),
            "ACTION_SERVER_TOKEN": secrets.token_urlsafe(32),
            "REST_TOKEN": secrets.token_urlsafe(32),
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            **env,
        }
        self.rasa: subprocess.Popen | None = None
        self.actions: subprocess.Popen | None = None

    @property
    def rest_headers(self) -> dict:
        """What a trusted REST caller sends."""
        return {"Content-Type": "application/json", "Authorization": f"Bearer {self.env['REST_TOKEN']}"}

    @property
    def action_headers(self) -> dict:
        """What the Rasa server sends to the action server."""
        return {"Authorization": f"Bearer {self.env['ACTION_SERVER_TOKEN']}"}

    def _spawn(self, name: str, args: list) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")
        return subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_actions(self) -> None:
        self.actions = self._spawn("actions", [*self.action_server, "--port", str(self.action_port)])
        wait_for(
            f"http://127.0.0.1:{self.action_port}/health",
            90,
            self.actions,
            self.workdir / "actions.log",
            headers=self.action_headers,
        )

    def start_rasa(self) -> None:
        self.rasa = self._spawn(
            "rasa",
            [
                str(VENV_BIN / "rasa"),
                "run",
                "--model",
                str(self.model),
                "--port",
                str(self.rasa_port),
                "--interface",
                "127.0.0.1",
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ]
            + (["--debug"] if os.environ.get("RASA_DEBUG") else []),
        )
        wait_for(f"http://127.0.0.1:{self.rasa_port}/", 180, self.rasa, self.workdir / "rasa.log")

    def start(self) -> Servers:
        self.start_actions()
        self.start_rasa()
        return self

    @staticmethod
    def _stop(process: subprocess.Popen | None) -> None:
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_rasa(self) -> None:
        self._stop(self.rasa)

    def stop_actions(self) -> None:
        self._stop(self.actions)

    def stop(self) -> None:
        self.stop_rasa()
        self.stop_actions()

    def log(self, name: str) -> str:
        """What a server wrote so far (name: "rasa" or "actions")."""
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def send(self, sender: str, text: str) -> list:
        """One REST turn, as a trusted caller; the bot's messages."""
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook", body, self.rest_headers
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def post(self, url: str, body: bytes, headers: dict | None = None, method: str = "POST") -> tuple[int, str, dict]:
        """Any request (status, body text, headers); an HTTP error is returned, not raised."""
        request = urllib.request.Request(url, body, headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"

    def export(self) -> list:
        result = subprocess.run(
            [sys.executable, "-m", "bot.staff", "export", "--format", "json"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)


def converse(servers: Servers, sender: str, opening: list, answers: list, max_turns: int = 60) -> list:
    """Say the opening lines, then answer each question from the script until the bot stops asking."""
    said: list = []
    for line in opening:
        said = [m.get("text", "") for m in servers.send(sender, line)]
    for _ in range(max_turns):
        answer = reply_for(said, answers)
        if answer is None:
            return said
        said = [m.get("text", "") for m in servers.send(sender, answer)]
    raise AssertionError(f"conversation did not end: {said}")
