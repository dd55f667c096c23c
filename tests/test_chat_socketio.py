"""The chat page's socket.io channel (rasa_extensions/socketio_channel.py) against the real servers."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

import aiohttp
import pytest
import socketio
from socket_client import TURN_SECONDS, SocketUser, conversation_in
from web_servers import BrowserSession, shared_web_servers

from rasa_extensions.channels import TRY_AGAIN

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def servers(pytestconfig, tmp_path_factory):
    return shared_web_servers(pytestconfig, tmp_path_factory)


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_connection_without_a_valid_token_is_refused(servers):
    async def scenario():
        for token in (None, "", "not-a-token", servers.browser_session().token() + "x"):
            user = SocketUser(servers, token)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await user.connect()

    run(scenario())


def test_a_connection_from_another_origin_or_none_is_refused(servers):
    async def scenario():
        token = servers.browser_session().token()
        for origin in ("http://evil.example", f"http://127.0.0.1:{servers.rasa_port}", None):
            user = SocketUser(servers, token, origin=origin)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await user.connect()
        allowed = await SocketUser(servers, token).connect()  # the same token from the chat page is fine
        await allowed.close()

    run(scenario())


def test_a_browser_never_sees_or_writes_another_browsers_conversation(servers):
    async def scenario():
        alice_token, bob_token = servers.browser_session().token(), servers.browser_session().token()
        alice_id, bob_id = conversation_in(alice_token), conversation_in(bob_token)
        assert alice_id != bob_id and alice_id.startswith("web-")
        alice = await SocketUser(servers, alice_token).connect()
        bob = await SocketUser(servers, bob_token).connect()
        assert await alice.open_session() == []
        # Bob names Alice's conversation: it is ignored, he stays in his own.
        assert await bob.open_session(session_id=alice_id) == []
        assert bob.confirmed == bob_id
        said = await alice.say("hi")
        assert any("pre-screening assistant" in text for text in said)
        said = await bob.say("hello there", session_id=alice_id, sender=alice_id)
        assert any("pre-screening assistant" in text for text in said)
        await alice.say("I'm the patient")
        alice_texts = [m.get("text") for m in alice.bot]
        bob_texts = [m.get("text") for m in bob.bot]
        assert not any("Before any health question" in (text or "") for text in bob_texts)  # Alice's consent question
        assert len(bob_texts) == len(alice_texts) - 1  # Bob got his own intro + role question only
        await alice.close()
        await bob.close()
        # Stored apart too: each conversation's history holds only its own words.
        again = await SocketUser(servers, alice_token).connect()
        alice_said = [m["text"] for m in await again.open_session() if m["sender"] == "user"]
        assert alice_said == ["hi", "I'm the patient"]
        await again.close()

    run(scenario())


def test_a_reload_gets_the_conversation_so_far_and_continues_it(servers):
    async def scenario():
        browser = servers.browser_session()
        first = await SocketUser(servers, browser.token()).connect()
        assert await first.open_session() == []
        await first.say("hi")
        await first.say("I'm the patient")
        await first.close()
        # A reload: a new socket token from the same cookie, a new connection.
        token = browser.token()
        reloaded = await SocketUser(servers, token).connect()
        history = await reloaded.open_session()
        assert [m["text"] for m in history if m["sender"] == "user"] == ["hi", "I'm the patient"]
        bot_texts = [m["text"] for m in history if m["sender"] == "bot"]
        assert any("pre-screening assistant" in text for text in bot_texts)
        assert "Before any health question" in history[-1]["text"]
        assert [r["title"] for r in history[-1]["quick_replies"]] == ["I agree", "I don't agree"]
        said = await reloaded.say("I agree")
        assert any("How old are you" in text for text in said), said
        await reloaded.close()

    run(scenario())


def test_hostile_and_malformed_messages_are_answered_cleaned_and_never_crash(servers):
    async def scenario():
        browser = servers.browser_session()
        user = await SocketUser(servers, browser.token()).connect()
        await user.open_session()
        for line in ("hi", "I'm the patient", "I agree"):
            await user.say(line)
        for text in (
            "x" * 100_000,
            "😀🙃" * 20,
            "مرحبا كم عمري",
            "\u202eevil\x00\x07",
            "<img src=x onerror=alert(1)>",
            "<script>alert(1)</script>",
        ):
            said = await user.say(text)
            assert said and all(said), text  # always an answer, never a crash
        # Not text: ignored without a turn, and the socket still works.
        ended = user.turns_ended
        for payload in ({"a": 1}, [1, 2], None, 5):
            await user.sio.emit("user_uttered", {"message": payload})
        await user.sio.emit("user_uttered", "not even an object")
        said = await user.say("45")
        assert user.turns_ended == ended + 1 and said
        await user.close()
        again = await SocketUser(servers, browser.token()).connect()
        typed = [m["text"] for m in await again.open_session() if m["sender"] == "user"]
        await again.close()
        assert "x" * 2000 in typed and not any(len(text) > 2000 for text in typed)
        assert "evil" in typed and not any(c in "".join(typed) for c in "\x00\x07\u202e")
        assert "<img src=x onerror=alert(1)>" in typed  # kept as text; the page shows it as text

    run(scenario())


def test_a_failed_turn_asks_to_try_again_without_logging_the_text(servers):
    async def scenario():
        user = await SocketUser(servers, servers.browser_session().token()).connect()
        await user.open_session()
        await user.say("hi")
        servers.stop_actions()
        try:
            said = await user.say("I'm the patient, quokka")
            assert said == [TRY_AGAIN]
        finally:
            servers.start_actions()
        said = await user.say("I'm the patient")
        assert any("Before any health question" in text for text in said), said
        await user.close()

    run(scenario())
    assert "quokka" not in (servers.workdir / "rasa.log").read_text(errors="replace")


def test_the_rasa_http_api_is_not_reachable(servers):
    conversation = conversation_in(servers.browser_session().token())
    request = urllib.request.Request(
        f"{servers.rasa_url}/conversations/{conversation}/tracker", headers={"Origin": servers.origin}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code in (401, 403, 404)


def test_a_flood_from_one_conversation_is_asked_to_slow_down_and_the_chat_recovers(servers):
    from rasa_extensions.rate_limit import SLOW_DOWN

    async def scenario():
        flooder = await SocketUser(servers, servers.browser_session().token()).connect()
        await flooder.open_session()
        for _ in range(80):  # far faster than anyone answers questions
            await flooder.sio.emit("user_uttered", {"message": "hi"})
        for _ in range(TURN_SECONDS * 10):
            if flooder.turns_ended >= 80:
                break
            await asyncio.sleep(0.1)
        texts = [m.get("text", "") for m in flooder.bot]
        slowed = texts.count(SLOW_DOWN)
        assert flooder.turns_ended == 80 and 40 <= slowed <= 80 - 20, slowed  # burst 30 by default
        # Someone else is not slowed by it.
        other = await SocketUser(servers, servers.browser_session().token()).connect()
        await other.open_session()
        assert SLOW_DOWN not in await other.say("hi")
        await other.close()
        await asyncio.sleep(3)  # the bucket refills: a message a second
        said = await flooder.say("I'm the patient")
        assert SLOW_DOWN not in said and any("Before any health question" in t for t in said), said
        await flooder.close()

    run(scenario())
    assert "chat messages arrive too fast" in (servers.workdir / "rasa.log").read_text(errors="replace")


# ---------------------------------------------------------------- sessions end on the server


def test_a_cleared_chat_is_refused_everywhere_its_cookie_and_tokens_went(servers):
    async def scenario():
        browser = servers.browser_session()
        token = browser.token()
        cookie = browser.cookie()
        tab = await SocketUser(servers, token).connect()
        await tab.open_session()
        await tab.say("hi")
        browser.forget()  # "Clear this chat from this browser"
        # The old cookie, copied before: a new conversation, not the old one.
        replayed = BrowserSession.with_cookie(servers.chat_url, cookie)
        assert conversation_in(replayed.token()) != conversation_in(token)
        assert replayed.cookie() != cookie
        # A socket token issued before (still within its ten minutes): refused.
        with pytest.raises(socketio.exceptions.ConnectionError):
            await SocketUser(servers, token).connect()
        # The tab that was still open (another tab of the same browser): ended, nothing processed.
        await tab.sio.emit("user_uttered", {"message": "I'm the patient"})
        await asyncio.wait_for(tab.ended.wait(), TURN_SECONDS)
        await asyncio.sleep(1)
        assert not tab.sio.connected
        assert not any("Before any health question" in (m.get("text") or "") for m in tab.bot)

    run(scenario())


def test_delete_my_data_ends_the_session_and_the_next_load_starts_afresh(servers):
    async def scenario():
        browser = servers.browser_session()
        token = browser.token()
        user = await SocketUser(servers, token).connect()
        await user.open_session()
        for line in ("hi", "I'm the patient", "I agree", "I'm 45"):
            await user.say(line)
        said = await user.say("delete my data")
        if not any("deleted everything" in t for t in said):  # asked to confirm first
            last = user.bot[-1]
            yes = next(r["payload"] for r in last.get("quick_replies", []) if "yes" in r["title"].lower())
            said = await user.say(yes)
        assert any("deleted everything" in t for t in said), said
        await asyncio.wait_for(user.ended.wait(), TURN_SECONDS)
        fresh = browser.token()  # the same browser, the same cookie jar
        assert conversation_in(fresh) != conversation_in(token)
        again = await SocketUser(servers, fresh).connect()
        assert await again.open_session() == []
        await again.close()
        return conversation_in(token)

    erased = run(scenario())
    assert not any(s["conversation_id"] == erased for s in servers.export())


def test_malformed_frames_get_one_line_each_and_the_chat_carries_on(servers):
    import json as json_module

    marker = "HIV-MARKER-malformed"
    frames = [
        "xyz",
        "4{bad",
        "42[",
        f'40/{marker},{{"token":"x"}}',
        f'42/{marker},["user_uttered",{{}}]',
        "9",
        "",
        "42" + "[" * 3000,
        f'42["user_uttered",{{"message":"{marker}"',
        b"\x00\xff",
    ]
    log = servers.workdir / "rasa.log"
    before = log.stat().st_size

    async def scenario():
        token = servers.browser_session().token()
        url = f"ws://127.0.0.1:{servers.rasa_port}/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as session:
            for frame in frames:
                async with session.ws_connect(url, headers={"Origin": servers.origin}) as ws:
                    await ws.receive(timeout=10)  # engine.io open
                    await ws.send_str("40" + json_module.dumps({"token": token}))
                    await ws.receive(timeout=10)  # socket.io connect
                    await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
                    try:
                        await ws.receive(timeout=1)
                    except asyncio.TimeoutError:
                        pass
        user = await SocketUser(servers, servers.browser_session().token()).connect()  # still serving
        await user.open_session()
        assert any("pre-screening assistant" in t for t in await user.say("hi"))
        await user.close()

    run(scenario())
    with open(log, "rb") as handle:
        handle.seek(before)
        written = handle.read().decode("utf-8", "replace")
    assert "Traceback" not in written and marker not in written
    assert len([line for line in written.splitlines() if "malformed" in line or "error (" in line]) <= len(frames)


def test_connections_per_address_are_limited_and_counted_down(servers):
    from rasa_extensions.socketio_channel import DEFAULT_CONNECTIONS_PER_ADDRESS

    async def scenario():
        open_sockets = []
        try:
            for _ in range(DEFAULT_CONNECTIONS_PER_ADDRESS):
                open_sockets.append(await SocketUser(servers, servers.browser_session().token()).connect())
            with pytest.raises(socketio.exceptions.ConnectionError):
                await SocketUser(servers, servers.browser_session().token()).connect()
        finally:
            for user in open_sockets:
                await user.close()
        await asyncio.sleep(1)
        again = await SocketUser(servers, servers.browser_session().token()).connect()  # closed ones count no more
        await again.close()

    run(scenario())
    assert "too many from one address" in (servers.workdir / "rasa.log").read_text(errors="replace")
