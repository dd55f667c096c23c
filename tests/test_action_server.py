"""actions/server.py: the action server answers only the Rasa server (the shared
ACTION_SERVER_TOKEN), sends no CORS headers, and an action's error reaches
neither the log nor the response with the person's text. Fast: the Sanic app
is driven in-process (tests/asgi.py); tests/test_probes.py repeats the forged
calls against the real servers."""

from __future__ import annotations

import asyncio
import logging

import pytest
from asgi import AsgiClient
from sanic import Sanic

from actions import server
from bot.local_secrets import bearer_matches

TOKEN = "t" * 43
GOOD = {"Authorization": f"Bearer {TOKEN}"}
MARKER = "HEALTH-MARKER-HIV-positive"
Sanic.test_mode = True  # several apps named "rasa_sdk" in one process


def tracker(text: str) -> dict:
    return {
        "sender_id": "rest-someone",
        "slots": {},
        "latest_message": {"text": text, "intent": {"name": "inform"}, "entities": []},
        "events": [{"event": "user", "text": text}],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }


def call(name: str, text: str = "hello") -> dict:
    return {
        "next_action": name,
        "sender_id": "rest-someone",
        "tracker": tracker(text),
        "domain": {},
        "version": "3.6.21",
    }


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch):
    from bot.safe_logging import Throttle

    monkeypatch.setattr(server, "throttle", Throttle(per_minute=10))


def test_the_bearer_check_takes_exactly_the_token():
    assert bearer_matches(f"Bearer {TOKEN}", TOKEN) and bearer_matches(f"bearer  {TOKEN} ", TOKEN)
    for header in (None, "", TOKEN, f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", "Bearer"):
        assert not bearer_matches(header, TOKEN), header
    assert not bearer_matches("Bearer ", "")  # an empty configured token admits nobody
    assert not bearer_matches("Bearer " + "x" * 5000, TOKEN)


def test_a_short_token_is_refused_at_start():
    with pytest.raises(server.SecretError):
        server.build_app("short", "raising_actions")


def test_every_request_without_the_token_is_refused_and_logged_once(caplog):
    async def scenario():
        async with AsgiClient(server.build_app(TOKEN, "raising_actions")) as client:
            results = []
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
                for method, path in (("GET", "/health"), ("GET", "/actions"), ("POST", "/webhook")):
                    body = b"" if method == "GET" else str(call("action_that_works")).encode()
                    results.append(await client.request(method, path, body=body, headers=headers))
            return results

    with caplog.at_level(logging.WARNING, logger="actions.server"):
        results = run(scenario())
    assert [status for status, _, _ in results] == [401] * 9
    assert all(h.get("www-authenticate") == "Bearer" for _, _, h in results)
    refused = [r for r in caplog.records if "refused an action-server request" in r.getMessage()]
    assert len(refused) == 9  # one line per refused request (up to ten a minute)


def test_a_flood_of_refused_requests_logs_ten_lines_a_minute(caplog):
    async def scenario():
        async with AsgiClient(server.build_app(TOKEN, "raising_actions")) as client:
            return [await client.request("GET", "/health") for _ in range(50)]

    with caplog.at_level(logging.WARNING, logger="actions.server"):
        statuses = [status for status, _, _ in run(scenario())]
    assert statuses == [401] * 50
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 10


def test_with_the_token_the_actions_run_and_no_origin_is_allowed():
    async def scenario():
        async with AsgiClient(server.build_app(TOKEN, "raising_actions")) as client:
            health = await client.request("GET", "/health", headers={**GOOD, "Origin": "http://evil.example"})
            ran = await client.json("POST", "/webhook", call("action_that_works"), headers=GOOD)
            return health, ran

    (status, body, headers), (ran_status, ran_body, _) = run(scenario())
    assert status == 200 and '"ok"' in body
    assert not any(name.startswith("access-control-") for name in headers), headers
    assert ran_status == 200 and "fine" in ran_body


def test_an_action_error_is_logged_by_type_and_answered_without_the_text(caplog):
    async def scenario():
        async with AsgiClient(server.build_app(TOKEN, "raising_actions")) as client:
            return await client.json("POST", "/webhook", call("action_that_fails", MARKER), headers=GOOD)

    with caplog.at_level(logging.DEBUG):
        status, body, _ = run(scenario())
    assert status == 500 and MARKER not in body
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "an action failed (ValueError)" in logged
    assert MARKER not in logged and "Traceback" not in logged
