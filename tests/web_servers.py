"""The real Rasa + action servers (tests/servers.py) plus the chat page, on free ports.

The chat page and the Rasa server share a session secret and the allowed
origins, as `make run` gives them. Every process runs in its own process group
and stop() ends them all; shared_web_servers() starts one set per pytest run.
"""

from __future__ import annotations

import http.cookiejar
import json
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from servers import ROOT, Servers, free_port, latest_model, wait_for


def build_web_files() -> None:
    """The chat page's socket.io client (a no-op when it is up to date)."""
    result = subprocess.run(["bash", str(ROOT / "scripts" / "build_web.sh")], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"scripts/build_web.sh failed:\n{result.stdout}\n{result.stderr}")


class WebServers(Servers):
    def __init__(self, workdir: Path, model: Path):
        super().__init__(workdir, model)
        self.chat_port = free_port()
        self.chat_url = f"http://127.0.0.1:{self.chat_port}"
        self.rasa_url = f"http://127.0.0.1:{self.rasa_port}"
        self.origin = self.chat_url
        self.env.update(
            {
                "BIND_HOST": "127.0.0.1",
                "CHAT_PORT": str(self.chat_port),
                "RASA_URL": self.rasa_url,
                "CHAT_SESSION_SECRET": secrets.token_urlsafe(32),
                "CHAT_ORIGINS": f"{self.chat_url},http://localhost:{self.chat_port}",
                "CHAT_COOKIE_SECURE": "0",  # plain HTTP on loopback, as `make run` sets it
                # Every test's browsers come from 127.0.0.1: no hourly limit on new
                # sessions here (tests/test_probes.py checks it with the defaults).
                "CHAT_SESSIONS_PER_HOUR": "0",
                "SECRETS_DIR": str(workdir / "secrets"),
                "PYTHONPATH": str(ROOT),
            }
        )
        self.chat: subprocess.Popen | None = None

    def start(self) -> WebServers:
        build_web_files()
        try:
            # The chat page starts in a second; let it do so while Rasa loads.
            self.chat = self._spawn("chat", [sys.executable, "-m", "web.chat"])
            super().start()
            wait_for(f"{self.chat_url}/", 60, self.chat, self.workdir / "chat.log")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stop(self.chat)
        super().stop()

    def browser_session(self) -> BrowserSession:
        return BrowserSession(self.chat_url)


class BrowserSession:
    """What one browser holds: the session cookie, and the socket tokens it gets with it."""

    def __init__(self, chat_url: str):
        self.chat_url = chat_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def session(self) -> dict:
        with self.opener.open(f"{self.chat_url}/api/session", timeout=10) as response:
            return json.loads(response.read())

    def token(self) -> str:
        return self.session()["token"]

    def cookie(self) -> str | None:
        """The session cookie's value, as an eavesdropper or a shared computer's next user would copy it."""
        return next((c.value for c in self.cookies if c.name.endswith("chat_session")), None)

    def forget(self) -> None:
        """ "Clear this chat from this browser"."""
        request = urllib.request.Request(f"{self.chat_url}/api/session", method="DELETE")
        with self.opener.open(request, timeout=10) as response:
            assert response.status == 200

    @classmethod
    def with_cookie(cls, chat_url: str, value: str) -> BrowserSession:
        """Another browser that was given (or guessed) a cookie value."""
        browser = cls(chat_url)
        host = urllib.parse.urlsplit(chat_url).hostname
        browser.cookies.set_cookie(
            http.cookiejar.Cookie(
                0, "chat_session", value, None, False, host, False, False, "/", True, False, None, False, None, None, {}
            )
        )
        return browser


def start_web_servers(tmp_path_factory) -> WebServers:
    model = latest_model()
    if model is None:
        pytest.fail("no trained model in models/: run `make train` (make test does it)")
    return WebServers(tmp_path_factory.mktemp("web-servers"), model).start()


_shared: WebServers | None = None


def shared_web_servers(config, tmp_path_factory) -> WebServers:
    """One server set for all chat test modules of a run (Rasa alone takes 30-90 s to
    start); stopped when pytest ends. Every test uses its own browser session, so
    no test sees another's conversation."""
    global _shared
    if _shared is not None and any(
        p is None or p.poll() is not None for p in (_shared.rasa, _shared.actions, _shared.chat)
    ):
        _shared.stop()  # a server died: start afresh
        _shared = None
    if _shared is None:
        _shared = start_web_servers(tmp_path_factory)
        config.add_cleanup(_stop_shared)
    return _shared


def _stop_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None
