"""Where the personas' messages go, and where their results are read back.

- ``LocalTransport``: in-process ``bot.dialogue.flow.handle``, the way the Rasa
  action calls it (a failure costs one "couldn't process" reply, "delete my data"
  forgets the conversation), with the NLU intent left empty unless the persona
  supplies one. Results: ``bot.screening.record.build_record`` of every screening
  the conversation saved, kept the way the lead store keeps them (a restart keeps
  the abandoned one, a confirmed delete removes them all).
- ``RestTransport``: the real Rasa and action servers (tests/servers.py) on free
  ports, each persona a sender id, ``POST /webhooks/rest/webhook`` with
  ``Authorization: Bearer <token>`` when a token is set (REST_TOKEN, or the one the
  servers helper holds). Results: ``python -m bot.staff export --format json``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from conversation_harness.personas import Say

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
ENDINGS = (
    "closing",
    "consent_refused",
    "guardian_declined",
    "stopped",
    "stopped_nothing_saved",
    "deleted",
    "after_end",
)
UNAVAILABLE = "action_unavailable"


def _prefix(template: str) -> str:
    """The literal start of a message template (up to its first placeholder), to spot it in a reply."""
    return template.split("{", 1)[0].strip()[:40].lower()


def message_markers(key: str) -> list[str]:
    from bot.messages import messages

    # long enough to be this message only; a Chinese character says about what two letters say
    # ("您的预筛编号是", 7 characters, had been too short, so Chinese endings went unseen)
    return [p for p in (_prefix(str(text)) for text in messages()[key].values()) if _weight(p) >= 8]


def _weight(text: str) -> int:
    return sum(2 if "\u3400" <= ch <= "\u9fff" else 1 for ch in text)


@dataclass
class BotTurn:
    replies: list
    buttons: list = field(default_factory=list)
    ended: bool = False
    erased: bool = False  # this turn deleted the conversation's data
    errors: list = field(default_factory=list)  # error types of real failures


class LocalTransport:
    name = "local"

    def __init__(self, today: date | None = None):
        from bot.trial import get_trial

        self.trial = get_trial()
        self.today = today or date.today()
        self._records: dict = {}  # conversation id -> {screening id: record}
        self._lock = threading.Lock()

    def start(self) -> LocalTransport:
        return self

    def stop(self) -> None:
        pass

    def sender(self, persona_name: str) -> str:
        return f"converse-{persona_name}"

    def session(self, sender: str) -> LocalSession:
        return LocalSession(self, sender)

    def records(self) -> dict:
        with self._lock:
            return {sender: list(saved.values()) for sender, saved in self._records.items()}

    def _save(self, sender: str, state) -> None:
        from bot.screening.record import build_record

        record = build_record(self.trial, state)
        with self._lock:
            self._records.setdefault(sender, {})[record["screening_id"]] = record

    def _erase(self, sender: str) -> None:
        with self._lock:
            self._records.pop(sender, None)


class LocalSession:
    def __init__(self, transport: LocalTransport, sender: str):
        self.transport, self.sender = transport, sender
        self.conversation = None

    def send(self, say: Say) -> BotTurn:
        from bot.dialogue.conversation import ENDED
        from bot.dialogue.flow import handle
        from bot.dialogue.message import Message
        from bot.messages import render

        transport = self.transport
        try:
            turn = handle(
                self.conversation,
                Message(say.text, say.intent, say.confidence),
                trial=transport.trial,
                today=transport.today,
                conversation_id=self.sender,
            )
        except Exception as error:  # noqa: BLE001 - as the action does: one reply lost, never the conversation
            language = self.conversation.language if self.conversation else "en"
            return BotTurn([render(UNAVAILABLE, transport.trial, None, language)], errors=[type(error).__name__])
        replies = [reply.text for reply in turn.replies]
        buttons = list(turn.replies[-1].buttons) if turn.replies else []
        if turn.effects.erase:
            transport._erase(self.sender)
            self.conversation = None  # the host forgets it: the next message starts afresh
            return BotTurn(replies, buttons, ended=True, erased=True, errors=[])
        if turn.effects.save_also is not None:
            transport._save(self.sender, turn.effects.save_also)
        self.conversation = turn.conversation
        if self.conversation.screening is not None:
            transport._save(self.sender, self.conversation.screening)
        ended = self.conversation.stage == ENDED
        return BotTurn(replies, buttons, ended=ended, errors=[])


def _load_tests_module(name: str):
    """tests/<name>.py as a module (tests/ is not a package; its `scripts` module needs tests/ on the path)."""
    if str(TESTS) not in sys.path:
        sys.path.append(str(TESTS))
    spec = importlib.util.spec_from_file_location(f"converse_tests_{name}", TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rest_token(servers=None, explicit: str | None = None) -> str | None:
    """The bearer token for the REST channel: given, held by the servers helper, or REST_TOKEN."""
    if explicit:
        return explicit
    for attribute in ("rest_token", "token"):
        value = getattr(servers, attribute, None)
        if isinstance(value, str) and value:
            return value
    env = getattr(servers, "env", None) or {}
    return env.get("REST_TOKEN") or os.environ.get("REST_TOKEN") or None


class RestTransport:
    """Starts the servers itself (``RestTransport().start()``) or uses running ones (``servers=``)."""

    name = "rest"

    def __init__(self, servers=None, token: str | None = None, workdir: Path | None = None, timeout: float = 60):
        self.servers, self._own = servers, servers is None
        self._token, self.workdir, self.timeout = token, workdir, timeout
        self._tmp = None
        self.run_id = uuid.uuid4().hex[:6]
        self._markers = {key: message_markers(key) for key in ENDINGS}
        self._unavailable = message_markers(UNAVAILABLE)
        self._deleted = message_markers("deleted")

    def start(self) -> RestTransport:
        if self.servers is None:
            servers_module = _load_tests_module("servers")
            model = servers_module.latest_model()
            if model is None:
                raise RuntimeError("no trained model in models/: run `make train`")
            if self.workdir is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="converse-")
                self.workdir = Path(self._tmp.name)
            self.servers = servers_module.Servers(Path(self.workdir), model).start()
        return self

    def stop(self) -> None:
        if self._own and self.servers is not None:
            self.servers.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def token(self) -> str | None:
        return rest_token(self.servers, self._token)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.servers.rasa_port}/webhooks/rest/webhook"

    def sender(self, persona_name: str) -> str:
        return f"converse-{self.run_id}-{persona_name}"

    def session(self, sender: str) -> RestSession:
        return RestSession(self, sender)

    def post(self, sender: str, text: str) -> list:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(self.url, body, headers)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read())

    def ended(self, replies: list) -> bool:
        lowered = [reply.lower() for reply in replies]
        return any(marker in text for markers in self._markers.values() for marker in markers for text in lowered)

    def records(self) -> dict:
        grouped: dict = {}
        for record in self.servers.export():
            grouped.setdefault(record["conversation_id"], []).append(record)
        return grouped


class RestSession:
    def __init__(self, transport: RestTransport, sender: str):
        self.transport, self.sender = transport, sender
        self.ended = False

    def send(self, say: Say) -> BotTurn:
        transport = self.transport
        try:
            messages = transport.post(self.sender, say.text)
        except urllib.error.HTTPError as error:
            return BotTurn([f"(HTTP {error.code})"], errors=[f"HTTP {error.code}"])
        except (OSError, ValueError) as error:
            return BotTurn([f"({type(error).__name__})"], errors=[type(error).__name__])
        replies = [str(m.get("text") or "") for m in messages if m.get("text")]
        buttons = [b.get("title") or b.get("payload") for b in (messages[-1].get("buttons") or [])] if messages else []
        erased = any(marker in r.lower() for marker in transport._deleted for r in replies)
        # Over once an ending is said; it stays over until the assistant asks something again
        # (a new start after "delete", a screening reopened by a correction), as the stage would say.
        asks = bool(replies) and replies[-1].rstrip().endswith(("?", "？"))
        self.ended = transport.ended(replies) or (self.ended and not asks)
        return BotTurn(replies, buttons, ended=self.ended, erased=erased)
