"""A tiny ASGI client for Sanic apps (the action server, the REST channel's
blueprint) in fast tests: no port, no process. sanic-testing is not in the
pinned tree; Sanic 21.12 apps are ASGI applications, so requests are driven
through ``app(scope, receive, send)`` after the lifespan start-up.

    async with AsgiClient(app) as client:
        status, body, headers = await client.request("POST", "/webhook", body=b"{}")
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class AsgiClient:
    def __init__(self, app: Any):
        self.app = app
        self._lifespan: asyncio.Task | None = None
        self._to_app: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self) -> AsgiClient:
        from_app: asyncio.Queue = asyncio.Queue()

        async def receive():
            return await self._to_app.get()

        async def send(message):
            await from_app.put(message)

        self._lifespan = asyncio.ensure_future(
            self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        )
        await self._to_app.put({"type": "lifespan.startup"})
        started = await asyncio.wait_for(from_app.get(), 30)
        if started["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"the app did not start: {started}")
        return self

    async def __aexit__(self, *exc) -> None:
        await self._to_app.put({"type": "lifespan.shutdown"})
        if self._lifespan is not None:
            try:
                await asyncio.wait_for(self._lifespan, 10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._lifespan.cancel()
            except AttributeError:
                pass  # Sanic 21.12 handles the end of the lifespan scope as a request without one

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        client: str = "127.0.0.1",
    ) -> tuple[int, str, dict[str, str]]:
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        raw_headers += [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
        path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": raw_headers,
            "client": (client, 50000),
            "server": ("testserver", 80),
        }
        chunks = [body]

        async def receive():
            if chunks:
                return {"type": "http.request", "body": chunks.pop(), "more_body": False}
            await asyncio.sleep(3600)  # the client never disconnects first
            return {"type": "http.disconnect"}

        result: dict[str, Any] = {"status": None, "body": b"", "headers": {}}

        async def send(message):
            if message["type"] == "http.response.start":
                result["status"] = message["status"]
                result["headers"] = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                result["body"] += message.get("body", b"")

        await asyncio.wait_for(self.app(scope, receive, send), 60)
        return result["status"], result["body"].decode("utf-8", "replace"), result["headers"]

    async def json(self, method: str, path: str, payload: Any, headers: dict[str, str] | None = None):
        return await self.request(
            method,
            path,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
