"""Rasa's REST channel with input checks (same URL: POST /webhooks/rest/webhook).

- a request without a text `sender` or `message` is refused with 400 instead of
  landing in Rasa's shared "default" conversation;
- the chat page's conversations (sender ids starting with "web-", derived from
  a browser's session cookie) are refused with 403: only that browser, through
  the socket.io channel, may read or write them;
- messages are cut to MAX_MESSAGE_CHARS (documented in README) and control
  characters removed before they reach the NLU, so a pasted 100,000-character
  text cannot slow every other conversation down;
- when a turn fails (the action server is down, say) the person gets a polite
  "please try again" instead of silence, and the error is logged without the
  message text (Rasa's own handler would log the text: it may be health data).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic.exceptions import SanicException
from sanic.request import Request

MAX_MESSAGE_CHARS = int(os.environ.get("MAX_MESSAGE_CHARS", "2000"))
MAX_SENDER_CHARS = 128
TRY_AGAIN = "Sorry, I couldn't process that just now. Please try again in a moment."
logger = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


WEB_SESSION_PREFIX = "web-"  # web/chat/session_tokens.py


class BadInput(SanicException):
    status_code = 400


class NotYours(SanicException):
    status_code = 403


def clean_message(text: str) -> str:
    return _CONTROL.sub("", text)[:MAX_MESSAGE_CHARS]


class SafeRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    @staticmethod
    def _body(req: Request) -> dict:
        body = req.json
        if not isinstance(body, dict):
            raise BadInput('send a JSON object: {"sender": "...", "message": "..."}')
        return body

    async def _extract_sender(self, req: Request) -> str | None:
        sender = self._body(req).get("sender")
        if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
            raise BadInput(f'"sender" must be a non-empty text of at most {MAX_SENDER_CHARS} characters')
        if sender.strip().lower().startswith(WEB_SESSION_PREFIX):
            raise NotYours("this conversation belongs to a chat page session; use another sender id")
        return sender

    def _extract_message(self, req: Request) -> str | None:
        message = self._body(req).get("message")
        if not isinstance(message, str):
            raise BadInput('"message" must be text')
        return clean_message(message)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]):
        async def answered(message: UserMessage) -> None:
            try:
                await on_new_message(message)
            except Exception as error:  # noqa: BLE001 - never silence, never log the text
                logger.error("a turn failed (%s); the person was asked to try again", type(error).__name__)
            output = message.output_channel
            if isinstance(output, CollectingOutputChannel) and not output.messages:
                await output.send_text_message(message.sender_id, TRY_AGAIN)

        return super().blueprint(answered)
