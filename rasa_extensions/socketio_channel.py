"""Rasa's socket.io channel, bound to the chat page's sessions (credentials.yml).

- a connection needs an Origin the chat page is served from (CHAT_ORIGINS)
  and a valid socket token from the chat page (web/chat/session_tokens.py:
  signature, expiry, audience) whose session is still live on the server
  (bot/store/chat_sessions.py: not idle, not expired, not cleared, not
  erased); anything else is refused;
- the session is checked again before every message: once it has ended
  (the browser cleared the chat, the person deleted their data, it expired)
  the socket gets ``session_ended`` and is disconnected, and the message is
  not processed. The page then starts a new conversation;
- the conversation (Rasa sender id) is the token's, kept in the socket
  session: a session_id or sender the browser sends is ignored;
- on session_request the socket joins its conversation's room and gets the
  conversation so far ("history"), so a page reload shows the whole
  conversation;
- messages are checked like the REST channel's (rasa_extensions/channels.py):
  text only, control characters removed, cut to MAX_MESSAGE_CHARS; a turn's
  replies are sent once it is complete; a failed turn gets only "please try
  again", logged by error type without the text;
- limits per conversation (CHAT_BURST_MESSAGES, CHAT_MESSAGES_PER_MINUTE) and
  per client address (CHAT_ADDRESS_BURST_MESSAGES,
  CHAT_ADDRESS_MESSAGES_PER_MINUTE; CHAT_CONNECTIONS_PER_ADDRESS open sockets),
  the address from web/chat/clients.py (CHAT_TRUST_PROXY): a flood is asked
  to slow down without reaching the NLU, across any number of fresh sessions;
- python-socketio's and engine.io's own log lines quote packets: their
  informational lines are dropped and each warning or error (a malformed
  frame, say) is one line without the packet, at most ten a minute.

Bot replies are SocketIOOutput's "bot_uttered" events ({text, quick_replies});
"turn_end" follows the last of a turn, "user_echo" tells the browser's other tabs
what was typed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from socketio import AsyncServer

from bot import safe_logging
from bot.env import env_int
from bot.local_secrets import secret
from bot.store import LeadStoreError
from bot.store.chat_sessions import ChatSessions
from rasa_extensions.channels import TRY_AGAIN, clean_message, take_turn
from rasa_extensions.rate_limit import SLOW_DOWN, MessageRateLimiter, limiter_from_env
from web.chat.clients import client_address
from web.chat.session_tokens import SocketClaims, claims_of
from web.chat.settings import chat_origins

logger = logging.getLogger(__name__)
throttle = safe_logging.Throttle(per_minute=10)
HISTORY_LIMIT = 500  # messages replayed on a reload; a screening has far fewer
DEFAULT_CONNECTIONS_PER_ADDRESS = 20
SESSION_ENDED = "session_ended"


class BufferedSocketIOOutput(SocketIOOutput):
    """SocketIOOutput that holds a turn's messages until :meth:`flush`."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.pending: list[tuple[str, Any]] = []

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.pending.append((socket_id, response))

    async def flush(self) -> None:
        for room, message in self.pending:
            await self.sio.emit(self.bot_message_evt, message, room=room)
        self.pending.clear()


class QuietSocketLogger:
    """The logger python-socketio and engine.io are given. Their info lines
    quote every packet (what people type): dropped. A warning, an error or an
    exception is one line, its message template without the arguments (a
    namespace or event name is whatever the client sent) and the exception's
    type, at most ten lines a minute."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.level = logging.WARNING

    def setLevel(self, level: int) -> None:  # the logging.Logger interface
        self.level = level

    def addHandler(self, handler: logging.Handler) -> None:  # the logging.Logger interface
        pass

    def debug(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    info = debug

    def _line(self, level: int, message: Any, exc_info: bool = False) -> None:
        import sys

        error = sys.exc_info()[0] if exc_info else None
        text = str(message).replace("%s", "…").replace("%d", "…").splitlines()[0][:200]
        if error is not None:
            text += f" ({error.__name__})"
        throttle.log(logger, level, f"{self.name}:{text}", "%s: %s", self.name, text)

    def warning(self, message: Any, *_args: Any, **_kwargs: Any) -> None:
        self._line(logging.WARNING, message)

    def error(self, message: Any, *_args: Any, **_kwargs: Any) -> None:
        self._line(logging.ERROR, message)

    def exception(self, message: Any, *_args: Any, **_kwargs: Any) -> None:
        self._line(logging.ERROR, message, exc_info=True)


class ConnectionCounter:
    """Open sockets per client address (in memory, per Rasa replica). Each is
    remembered by its socket id, and ids whose socket is gone (``alive`` says
    so) are dropped before counting, so a connection that ended without a
    disconnect event (a malformed frame, a crash) never counts for ever."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def open(self, address: str, sid: str, alive: Callable[[str], bool]) -> bool:
        with self._lock:
            sids = {s for s in self._open.get(address, set()) if alive(s)}
            if self.limit and len(sids) >= self.limit:
                self._open[address] = sids
                return False
            sids.add(sid)
            self._open[address] = sids
            return True

    def close(self, address: str, sid: str) -> None:
        with self._lock:
            sids = self._open.get(address, set())
            sids.discard(sid)
            if not sids:
                self._open.pop(address, None)


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


class _PendingTasksAtExit(logging.Filter):
    """When the server stops, asyncio prints two lines for every socket still
    open ("Task was destroyed but it is pending!" and the task): one line
    with their number is enough."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Task was destroyed but it is pending"):
            self.dropped += 1
            return self.dropped == 1
        return True


def _malformed(error: Exception) -> None:
    throttle.log(
        logger,
        logging.WARNING,
        "malformed-frame",
        "closed a socket.io connection after a malformed frame (%s)",
        type(error).__name__,
    )


def quiet_frames(sio: AsyncServer) -> None:
    """engine.io decodes each websocket frame outside its own error handling,
    so a malformed one ends the connection with a traceback in the log (one
    per frame, written by Sanic), and the socket lingers until its ping times
    out. This server's websocket handler is guarded instead: the connection
    is closed at once (its disconnect handlers run) with one line, at most ten
    a minute. The request handler is wrapped too, before the route is made
    (``attach``), for anything else a client can make it raise."""
    websocket = sio.eio._async["websocket"]
    if websocket is not None:

        class GuardedWebSocket(websocket):
            def __init__(self, handler: Callable[[Any], Awaitable[Any]], server: Any) -> None:
                socket = getattr(handler, "__self__", None)

                async def guarded(ws: Any) -> Any:
                    try:
                        return await handler(ws)
                    except Exception as error:  # noqa: BLE001 - whatever a client sends: one line, never a traceback
                        _malformed(error)
                        if socket is not None:
                            await socket.queue.put(None)  # lets its writer task end
                            await socket.close(wait=False, abort=True)
                        return None

                super().__init__(guarded, server)

        sio.eio._async = {**sio.eio._async, "websocket": GuardedWebSocket}

    handle = sio.eio.handle_request

    async def handle_request(request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await handle(request, *args, **kwargs)
        except Exception as error:  # noqa: BLE001 - whatever a client sends: one line, never a traceback
            _malformed(error)
            return response.empty(status=400)

    sio.eio.handle_request = handle_request


def address_limiter_from_env() -> MessageRateLimiter:
    """CHAT_ADDRESS_BURST_MESSAGES (60) and CHAT_ADDRESS_MESSAGES_PER_MINUTE (120; 0: off)."""
    return MessageRateLimiter(
        env_int("CHAT_ADDRESS_BURST_MESSAGES", 60), env_int("CHAT_ADDRESS_MESSAGES_PER_MINUTE", 120, minimum=0)
    )


def connections_from_env() -> ConnectionCounter:
    """CHAT_CONNECTIONS_PER_ADDRESS (20; 0: no limit)."""
    return ConnectionCounter(env_int("CHAT_CONNECTIONS_PER_ADDRESS", DEFAULT_CONNECTIONS_PER_ADDRESS, minimum=0))


def address_of(environ: dict[str, Any]) -> str:
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR")
    return client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"))


# What the chat page may say about a message besides its words: the language the
# person chose, and that they already confirmed a deletion on the page itself.
PAGE_METADATA = {"language": ("en", "zh"), "confirmed": ("delete",)}


def page_metadata(data: Any) -> dict[str, str]:
    """The known, allowed values of a message's metadata; everything else is dropped."""
    raw = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        return {}
    return {key: raw[key] for key, allowed in PAGE_METADATA.items() if raw.get(key) in allowed}


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
        sessions: ChatSessions | None = None,
    ) -> None:
        super().__init__(
            user_message_evt, bot_message_evt, namespace, session_persistence=True, socketio_path=socketio_path
        )
        self.session_secret = session_secret or secret("CHAT_SESSION_SECRET")
        self.origins = tuple(origins) if origins is not None else chat_origins()
        self._sessions = sessions
        self.app: Sanic | None = None
        self.limiter = limiter_from_env()
        self.address_limiter = address_limiter_from_env()
        self.connections = connections_from_env()

    @property
    def sessions(self) -> ChatSessions:
        if self._sessions is None:
            self._sessions = ChatSessions()
        return self._sessions

    def claims_for(self, auth: Any) -> SocketClaims | None:
        """What a connection's auth payload ({"token": ...}) names, if its signature holds."""
        token = auth.get("token") if isinstance(auth, dict) else None
        return claims_of(self.session_secret, token)

    def conversation_for(self, auth: Any) -> str | None:
        claims = self.claims_for(auth)
        return claims.conversation if claims else None

    def origin_allowed(self, environ: dict[str, Any]) -> bool:
        return environ.get("HTTP_ORIGIN") in self.origins

    async def session_live(self, session_id: str, conversation: str) -> bool | None:
        """True/False; None when the session store cannot be read."""
        try:
            return await asyncio.to_thread(self.sessions.live, session_id, conversation)
        except LeadStoreError as error:
            throttle.log(
                logger, logging.ERROR, "store", "the chat session store is unavailable (%s)", type(error).__name__
            )
            return None

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
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=list(self.origins),
            transports=["websocket"],
            logger=QuietSocketLogger("socketio.server"),
            engineio_logger=QuietSocketLogger("engineio.server"),
        )
        self.sio = sio
        quiet_frames(sio)
        if not any(isinstance(f, _PendingTasksAtExit) for f in logging.getLogger("asyncio").filters):
            logging.getLogger("asyncio").addFilter(_PendingTasksAtExit())
        namespace = self.namespace
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)

        @webhook.listener("after_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app  # its agent holds the tracker store the history comes from
            safe_logging.serving()  # from now on, warnings are logged without their text

        @webhook.route("/", methods=["GET"])
        async def health(_: Any) -> Any:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            if not self.origin_allowed(environ):
                throttle.log(logger, logging.INFO, "origin", "refused a socket.io connection from another origin")
                return False
            claims = self.claims_for(auth)
            if claims is None:
                throttle.log(logger, logging.INFO, "token", "refused a socket.io connection without a valid token")
                return False
            address = address_of(environ)
            if not self.connections.open(address, sid, lambda other: sio.manager.is_connected(other, namespace or "/")):
                throttle.log(
                    logger, logging.WARNING, "connections", "refused a socket.io connection: too many from one address"
                )
                return False
            live = await self.session_live(claims.session_id, claims.conversation)
            if not live:
                self.connections.close(address, sid)
                if live is False:
                    throttle.log(logger, logging.INFO, "ended", "refused a socket.io connection of an ended session")
                return False
            await sio.save_session(
                sid,
                {"conversation": claims.conversation, "session_id": claims.session_id, "address": address},
                namespace=namespace,
            )
            await sio.enter_room(sid, claims.conversation, namespace=namespace)
            return True

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: str, *_args: Any) -> None:
            state = await socket_state(sid)
            if state is not None:
                self.connections.close(state["address"], sid)

        async def socket_state(sid: str) -> dict | None:
            try:
                state = await sio.get_session(sid, namespace=namespace)
            except KeyError:  # not connected (any more)
                return None
            return state if state.get("conversation") else None

        async def end_session(sid: str) -> None:
            await sio.emit(SESSION_ENDED, {}, room=sid, namespace=namespace)
            await sio.disconnect(sid, namespace=namespace)

        async def still_live(sid: str, state: dict) -> bool | None:
            live = await self.session_live(state["session_id"], state["conversation"])
            if live is False:
                await end_session(sid)
            return live

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, _data: Any = None) -> None:
            state = await socket_state(sid)
            if state is None or not await still_live(sid, state):
                return
            conversation = state["conversation"]
            await sio.emit("session_confirm", conversation, room=sid, namespace=namespace)
            try:
                history = await self.conversation_history(conversation)
            except Exception as error:  # noqa: BLE001 - a reload without history beats no chat
                logger.error("could not read a conversation's history (%s)", type(error).__name__)
                history = []
            await sio.emit("history", history, room=sid, namespace=namespace)

        async def say_alone(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=namespace)
            await sio.emit("turn_end", room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            state = await socket_state(sid)
            if state is None:
                return
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str):
                throttle.log(logger, logging.INFO, "not-text", "ignored a socket.io message that is not text")
                return
            conversation = state["conversation"]
            # The conversation's own limit first: what it refuses does not count against the address.
            if not self.limiter.allow(conversation) or not self.address_limiter.allow(state["address"]):
                throttle.log(logger, logging.WARNING, "flood", "chat messages arrive too fast; asked to slow down")
                await say_alone(sid, SLOW_DOWN)
                return
            live = await still_live(sid, state)
            if live is None:
                await say_alone(sid, TRY_AGAIN)
                return
            if not live:
                return
            text = clean_message(text)
            if not text.startswith("/"):  # other tabs of the same browser show what was typed here
                await sio.emit("user_echo", {"text": text}, room=conversation, skip_sid=sid, namespace=namespace)
            output = BufferedSocketIOOutput(sio, self.bot_message_evt)
            message = UserMessage(text, output, conversation, input_channel=self.name(), metadata=page_metadata(data))
            instead = await take_turn(on_new_message, message, lambda: bool(output.pending))
            if instead is None:
                await output.flush()
            else:
                await sio.emit(self.bot_message_evt, {"text": instead}, room=conversation, namespace=namespace)
            # The turn is over: pages stop their typing indicator now rather than guess.
            await sio.emit("turn_end", room=conversation, namespace=namespace)
            # "Delete my data" ends the session during the turn: tell the page now.
            if await self.session_live(state["session_id"], conversation) is False:
                await end_session(sid)

        return webhook
