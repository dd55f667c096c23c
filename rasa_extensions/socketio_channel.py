"""Rasa's socket.io channel, bound to the chat page's sessions (credentials.yml).

- a connection needs a valid socket token from the chat page (web/chat/
  session_tokens.py: signature, expiry, audience) and an Origin the chat page is
  served from (CHAT_ORIGINS); anything else is refused;
- the conversation (Rasa sender id) is the token's, kept in the socket session:
  a session_id or sender the browser sends is ignored, so one browser can never
  read or write another's conversation;
- on session_request the socket joins its conversation's room and gets the
  conversation so far ("history": the user's texts and the bot's texts and
  buttons), so a page reload shows the whole conversation;
- messages are checked like the REST channel's (rasa_extensions/channels.py):
  text only, control characters removed, cut to MAX_MESSAGE_CHARS; a failed
  turn gets the same polite "please try again", logged without the text;
- a conversation sending faster than a person answers (rasa_extensions/
  rate_limit.py: CHAT_BURST_MESSAGES at once, CHAT_MESSAGES_PER_MINUTE after)
  is asked to slow down, and those messages never reach the NLU.

Bot replies are SocketIOOutput's "bot_uttered" events ({text, quick_replies});
"turn_end" follows the last of a turn, "user_echo" tells the browser's other tabs
what was typed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from socketio import AsyncServer

from bot.local_secrets import secret
from rasa_extensions.channels import TRY_AGAIN, clean_message
from rasa_extensions.rate_limit import SLOW_DOWN, limiter_from_env
from web.chat.session_tokens import conversation_of
from web.chat.settings import chat_origins

logger = logging.getLogger(__name__)
HISTORY_LIMIT = 500  # messages replayed on a reload; a screening has far fewer


class CountingSocketIOOutput(SocketIOOutput):
    """SocketIOOutput that remembers whether the turn said anything."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)


def history_messages(events: Iterable[Any], limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """A conversation's messages as the page shows them (split like SocketIOOutput does)."""
    messages: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered):
            text = event.text or ""
            if text and not text.startswith("/"):  # "/intent" payloads are not words anyone typed
                messages.append({"sender": "user", "text": text})
        elif isinstance(event, BotUttered) and event.text:
            parts = [part for part in event.text.strip().split("\n\n") if part] or [event.text]
            buttons = (event.data or {}).get("buttons") or []
            for index, part in enumerate(parts):
                message: dict[str, Any] = {"sender": "bot", "text": part}
                if index == len(parts) - 1 and buttons:
                    message["quick_replies"] = [
                        {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")}
                        for b in buttons
                    ]
                messages.append(message)
    return messages[-limit:]


class SessionSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: str | None = None,
        socketio_path: str | None = "/socket.io",
        session_secret: str | None = None,
        origins: Iterable[str] | None = None,
    ) -> None:
        super().__init__(
            user_message_evt, bot_message_evt, namespace, session_persistence=True, socketio_path=socketio_path
        )
        self.session_secret = session_secret or secret("CHAT_SESSION_SECRET")
        self.origins = tuple(origins) if origins is not None else chat_origins()
        self.app: Sanic | None = None
        self.limiter = limiter_from_env()
        self._limit_logged_at = float("-inf")

    def conversation_for(self, auth: Any) -> str | None:
        """The conversation a connection's auth payload ({"token": ...}) entitles it to, if any."""
        token = auth.get("token") if isinstance(auth, dict) else None
        return conversation_of(self.session_secret, token)

    def origin_allowed(self, environ: dict[str, Any]) -> bool:
        return environ.get("HTTP_ORIGIN") in self.origins

    async def conversation_history(self, conversation: str) -> list[dict[str, Any]]:
        agent = getattr(self.app.ctx, "agent", None) if self.app else None
        if agent is None or agent.tracker_store is None:
            return []
        tracker = await agent.tracker_store.retrieve_full_tracker(conversation)
        return history_messages(tracker.events) if tracker else []

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Origins are checked by engine.io (a wrong Origin is refused before any
        # socket.io traffic) and again on connect (a missing Origin too).
        # WebSocket only: no long-polling, which would need sticky sessions.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=list(self.origins), transports=["websocket"])
        self.sio = sio
        namespace = self.namespace
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)

        @webhook.listener("after_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app  # its agent holds the tracker store the history comes from

        @webhook.route("/", methods=["GET"])
        async def health(_: Any) -> Any:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not self.origin_allowed(environ):
                logger.info("refused a socket.io connection from an origin that is not the chat page")
                return False
            conversation = self.conversation_for(auth)
            if conversation is None:
                logger.info("refused a socket.io connection without a valid session token")
                return False
            await sio.save_session(sid, {"conversation": conversation}, namespace=namespace)
            await sio.enter_room(sid, conversation, namespace=namespace)
            return True

        async def conversation_of_socket(sid: str) -> str | None:
            try:
                return (await sio.get_session(sid, namespace=namespace)).get("conversation")
            except KeyError:  # not connected (any more)
                return None

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, _data: Any = None) -> None:
            conversation = await conversation_of_socket(sid)
            if conversation is None:
                return
            await sio.emit("session_confirm", conversation, room=sid, namespace=namespace)
            try:
                history = await self.conversation_history(conversation)
            except Exception as error:  # noqa: BLE001 - a reload without history beats no chat
                logger.error("could not read a conversation's history (%s)", type(error).__name__)
                history = []
            await sio.emit("history", history, room=sid, namespace=namespace)

        async def slow_down(sid: str) -> None:
            now = time.monotonic()
            if now - self._limit_logged_at > 60:  # one line a minute, not one per flooded message
                self._limit_logged_at = now
                logger.warning("a chat conversation is sending messages too fast; asked to slow down")
            await sio.emit(self.bot_message_evt, {"text": SLOW_DOWN}, room=sid, namespace=namespace)
            await sio.emit("turn_end", room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            conversation = await conversation_of_socket(sid)
            if conversation is None:
                return
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str):
                logger.info("ignored a socket.io message that is not text")
                return
            if not self.limiter.allow(conversation):
                await slow_down(sid)
                return
            text = clean_message(text)
            if not text.startswith("/"):  # other tabs of the same browser show what was typed here
                await sio.emit("user_echo", {"text": text}, room=conversation, skip_sid=sid, namespace=namespace)
            output = CountingSocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(text, output, conversation, input_channel=self.name())
            try:
                await on_new_message(message)
            except Exception as error:  # noqa: BLE001 - never silence, never log the text
                logger.error("a turn failed (%s); the person was asked to try again", type(error).__name__)
            if not output.sent:
                await output.send_text_message(conversation, TRY_AGAIN)
            # The turn is over: pages stop their typing indicator now rather than guess.
            await sio.emit("turn_end", room=conversation, namespace=namespace)

        return webhook
