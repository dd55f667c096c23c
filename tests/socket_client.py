"""A socket.io client as the chat page's widget uses the Rasa server's channel
(tests/test_chat_socketio.py, tests/test_probes.py). ``servers`` is anything
with ``rasa_url`` and ``origin`` (the chat page's origin)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import jwt
import socketio

TURN_SECONDS = 60

if not hasattr(aiohttp, "ClientWSTimeout"):
    # python-engineio 4.15's client passes aiohttp>=3.10's ClientWSTimeout(ws_close=...);
    # Rasa 3.6 pins aiohttp 3.9, whose ws_connect takes that close timeout as a number.
    aiohttp.ClientWSTimeout = lambda ws_close=10.0, ws_receive=None: ws_close


def conversation_in(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["sub"]


class SocketUser:
    """One browser tab on the socket: what it is sent, and a way to take turns."""

    def __init__(self, servers: Any, token: str | None, origin: str | None = "chat page"):
        self.servers, self.token = servers, token
        self.origin = servers.origin if origin == "chat page" else origin
        self.bot: list = []
        self.turns_ended = 0
        self._turn_end = asyncio.Event()
        self._history: asyncio.Future = asyncio.get_running_loop().create_future()
        self.confirmed: str | None = None
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("bot_uttered", self.bot.append)
        self.sio.on("turn_end", self._ended)
        self.sio.on("history", self._got_history)
        self.sio.on("session_confirm", self._confirmed)
        self.ended = asyncio.Event()
        self.sio.on("session_ended", lambda *_: self.ended.set())

    def _ended(self, *_args) -> None:
        self.turns_ended += 1
        self._turn_end.set()

    def _got_history(self, items) -> None:
        if not self._history.done():
            self._history.set_result(items)

    def _confirmed(self, conversation) -> None:
        self.confirmed = conversation

    async def connect(self) -> SocketUser:
        await self.sio.connect(
            self.servers.rasa_url,
            transports=["websocket"],
            wait_timeout=15,
            auth={"token": self.token} if self.token is not None else None,
            headers={"Origin": self.origin} if self.origin else {},
        )
        return self

    async def open_session(self, **data) -> list:
        await self.sio.emit("session_request", data)
        return await asyncio.wait_for(self._history, TURN_SECONDS)

    async def say(self, message, **extra) -> list:
        """Send one message and return the bot's texts of that turn."""
        start = len(self.bot)
        self._turn_end.clear()
        await self.sio.emit("user_uttered", {"message": message, **extra})
        await asyncio.wait_for(self._turn_end.wait(), TURN_SECONDS)
        return [m.get("text", "") for m in self.bot[start:]]

    async def close(self) -> None:
        await self.sio.disconnect()
