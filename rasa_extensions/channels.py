"""Rasa's REST channel for trusted callers (same URL and payload: POST
/webhooks/rest/webhook ``{"sender": "...", "message": "..."}``).

- every request under /webhooks/rest/ needs ``Authorization: Bearer <token>``
  (``REST_TOKEN``, or the one kept in ``var/rest_token``: bot/local_secrets.py);
  without it: 401 and one log line (at most ten a minute), and the body is
  never read. Browsers use the socket.io channel only;
- a body over :func:`rest_body_limit` bytes (a few KB: a message of
  ``MAX_MESSAGE_CHARS`` characters fits even when every character is escaped)
  is refused with 413 before it is read;
- a request without a text ``sender`` or ``message`` is refused with 400
  instead of landing in Rasa's shared "default" conversation;
- the chat page's conversations (sender ids starting with "web-") are refused
  with 403: only that browser, through the socket.io channel, may use them;
- messages are cut to ``MAX_MESSAGE_CHARS`` and control characters removed
  before they reach the NLU (:func:`clean_message`, both channels);
- a turn's replies are given only once the turn is over and stored: when it
  fails (the action server or a store is down, the disk is full), the person
  gets only :data:`TRY_AGAIN`, never half a turn, and the error is logged by
  type without the message text (:func:`take_turn`). A turn that ends
  without a reply is not a failure: it gets :data:`NO_REPLY`.

Rasa's own REST handler is not used: it logs the message text when a turn
fails or times out, and lets the caller pick the input channel and metadata.
"""

from __future__ import annotations

import logging
import re
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request

from bot import safe_logging
from bot.env import max_message_chars
from bot.local_secrets import bearer_matches, rest_token

MAX_SENDER_CHARS = 128
TRY_AGAIN = "Sorry, I couldn't process that just now. Please try again in a moment."
NO_REPLY = "I'm not sure how to answer that. Could you put it another way, or answer my last question?"
WEB_SESSION_PREFIX = "web-"  # web/chat/session_tokens.py
REST_PREFIX = "webhooks/rest"
logger = logging.getLogger(__name__)
throttle = safe_logging.Throttle(per_minute=10)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class BadInput(SanicException):
    status_code = 400
    quiet = True  # a refused request is not a server error: no traceback in the log


class NotYours(SanicException):
    status_code = 403
    quiet = True


class NoToken(SanicException):
    status_code = 401
    quiet = True


def clean_message(text: str) -> str:
    return _CONTROL.sub("", text)[: max_message_chars()]


def rest_body_limit() -> int:
    """Bytes of one REST request body: 8 per allowed character (JSON escapes
    such as \\ud83d\\ude00) and 1 KB for the rest of the object."""
    return 8 * max_message_chars() + 1024


def refuse_unauthenticated(request: Request, what: str) -> None:
    """Raise 401 (logged once, at most ten lines a minute); the body is never read."""
    throttle.log(logger, logging.WARNING, f"unauthenticated:{what}", "refused a %s request without a valid token", what)
    if request.stream is not None:
        request.stream.request_max_size = 0  # what is left of the body is not read either
    raise NoToken("send Authorization: Bearer <token>")


@dataclass
class _Turn:
    failure: str | None = None


_current_turn: ContextVar[_Turn | None] = ContextVar("current_turn", default=None)


class _FailureWatch(logging.Handler):
    """Rasa carries on after some failures: an action that fails (the action
    server is down, an action raised) is logged with its exception and the
    turn ends without its events; a conversation store that cannot be read or
    written (a full disk) is logged and replaced, for that turn, by an empty
    in-memory one (Rasa's FailSafeTrackerStore). Such a log record, emitted
    while a turn of ours runs (the same asyncio task, so the same context),
    marks that turn as failed."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        turn = _current_turn.get()
        if turn is None or turn.failure is not None:
            return
        if record.exc_info and record.exc_info[0] is not None:
            turn.failure = record.exc_info[0].__name__
        elif record.name == "rasa.core.tracker_store":
            turn.failure = "ConversationStoreError"


_watch = _FailureWatch()


def _watch_rasa_errors() -> None:
    rasa_logger = logging.getLogger("rasa")
    if _watch not in rasa_logger.handlers:
        rasa_logger.addHandler(_watch)


async def take_turn(
    on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage, said: Callable[[], bool]
) -> str | None:
    """Run one turn whose output channel holds its replies until it is over
    (``said()``: whether it holds any). None: give the person those replies.
    Otherwise the one text to give instead: :data:`TRY_AGAIN` when the turn
    failed (an exception, or an action error Rasa logged and carried on
    after; what it had said is dropped, the turn was not completed), logged
    with the error's type, never the text; :data:`NO_REPLY` when it said
    nothing."""
    _watch_rasa_errors()
    turn = _Turn()
    context = _current_turn.set(turn)
    try:
        await on_new_message(message)
    except CancelledError:
        logger.warning("a turn was cancelled (the caller went away or the server is stopping)")
        raise
    except Exception as error:  # noqa: BLE001 - never silence, never log the text
        turn.failure = type(error).__name__
    finally:
        _current_turn.reset(context)
    if turn.failure is not None:
        logger.error("a turn failed (%s); the person was asked to try again", turn.failure)
        return TRY_AGAIN
    if not said():
        logger.warning("a turn ended without a reply; the person was asked to say it another way")
        return NO_REPLY
    return None


class SafeRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def __init__(self, token: str | None = None) -> None:
        self.token = token or rest_token()

    @staticmethod
    def _body(req: Request) -> dict:
        try:
            body = req.json
        except SanicException:
            body = None
        if not isinstance(body, dict):
            raise BadInput('send a JSON object: {"sender": "...", "message": "..."}')
        return body

    def _extract_sender(self, body: dict) -> str:
        sender = body.get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise BadInput(f'"sender" must be a non-empty text of at most {MAX_SENDER_CHARS} characters')
        if sender.strip().lower().startswith(WEB_SESSION_PREFIX):
            raise NotYours("this conversation belongs to a chat page session; use another sender id")
        return sender

    @staticmethod
    def _extract_message(body: dict) -> str:
        message = body.get("message")
        if not isinstance(message, str):
            raise BadInput('"message" must be text')
        return clean_message(message)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        limit = rest_body_limit()

        @webhook.signal("http.routing.after")
        async def authenticate(request: Request, route: Any, kwargs: Any, handler: Any) -> None:
            # Runs for every request, after routing and before the body is read.
            if not str(getattr(route, "path", "")).startswith(REST_PREFIX):
                return
            if not bearer_matches(request.headers.get("authorization"), self.token):
                refuse_unauthenticated(request, "REST")
            if request.stream is not None:
                request.stream.request_max_size = limit

        @webhook.exception(NoToken)
        async def unauthorized(_request: Request, _error: NoToken) -> response.HTTPResponse:
            return response.json(
                {"error": "unauthorized", "message": "send Authorization: Bearer <token>"},
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
            )

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> response.HTTPResponse:
            body = self._body(request)
            sender, text = self._extract_sender(body), self._extract_message(body)
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=self.name())
            instead = await take_turn(on_new_message, message, lambda: bool(collector.messages))
            if instead is not None:
                return response.json([{"recipient_id": sender, "text": instead}])
            return response.json(collector.messages)

        return webhook
