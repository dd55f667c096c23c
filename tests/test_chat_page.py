"""The chat page server (web/chat) with Flask's test client, and the socket channel's checks."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import jwt
import pytest

from bot.store import LeadStore
from bot.store.chat_sessions import ChatSessions
from web.chat import session_tokens as tokens
from web.chat.app import ChatSettings, create_app

SECRET = "s" * 43
OTHER_SECRET = "o" * 43
ORIGIN = "http://localhost:8080"


def settings(**changes) -> ChatSettings:
    values = dict(
        rasa_url="http://localhost:5005",
        session_secret=SECRET,
        cookie_max_age=43200,
        cookie_secure=False,
        max_message_chars=2000,
    )
    values.update(changes)
    return ChatSettings(**values)


@pytest.fixture
def sessions(tmp_path):
    return ChatSessions(LeadStore(tmp_path / "leads.db"), idle=60, max_age=43200, per_hour=20)


@pytest.fixture
def client(sessions):
    return create_app(settings(), sessions).test_client()


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    from rasa_extensions.socketio_channel import SessionSocketIOInput

    store = LeadStore(tmp_path_factory.mktemp("channel") / "leads.db")
    return SessionSocketIOInput(session_secret=SECRET, origins=[ORIGIN], sessions=ChatSessions(store))


def conversation(response) -> str:
    return tokens.conversation_of(SECRET, response.get_json()["token"])


class PageParts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self.inline, self.ids, self.tags = [], [], {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids[attrs["id"]] = (tag, attrs)
        if tag == "script":
            self.scripts.append(attrs.get("src"))
        if tag == "style" or "style" in attrs or any(name.startswith("on") for name in attrs):
            self.inline.append((tag, attrs))


def parse(html: str) -> PageParts:
    parts = PageParts()
    parts.feed(html)
    return parts


def cookie_of(response) -> str:
    headers = response.headers.getlist("Set-Cookie")
    assert len(headers) == 1, headers
    return headers[0]


def session_cookie_value(response) -> str:
    return re.match(r"chat_session=([^;]+)", cookie_of(response)).group(1)


# ---------------------------------------------------------------- the page


def test_the_page_describes_the_study_and_has_a_labelled_chat(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Lenvatinib for Advanced Bone and Soft Tissue Sarcoma" in html
    assert "about 60 people aged 10" in html  # the plain summary from the trial file
    assert "Henan Cancer Hospital" in html and "NCT05617859" in html
    parts = parse(html)
    assert parts.ids["log"][1]["role"] == "log" and parts.ids["log"][1]["aria-live"] == "polite"
    assert parts.ids["message"][0] == "textarea" and '<label for="message"' in html
    assert parts.ids["quick-replies"][1]["role"] == "group" and parts.ids["quick-replies"][1].get("aria-label")
    assert parts.ids["typing"][1]["role"] == "status"
    assert parts.ids["delete-data"][0] == "button" and "delete my data" in html
    assert "365 days" in html  # retention, as the bot says in its consent question


def test_the_page_runs_only_its_own_scripts_and_styles(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "connect-src 'self' http://localhost:5005 ws://localhost:5005",
        "require-trusted-types-for 'script'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    parts = parse(response.get_data(as_text=True))
    assert parts.scripts == ["/static/vendor/socket.io.min.js", "/static/chat.js"]
    assert parts.inline == []  # no <style>, style= or on...= attributes
    assert client.get("/static/chat.js").status_code == 200
    assert "innerHTML" not in client.get("/static/chat.js").get_data(as_text=True)


def test_a_secure_rasa_url_is_allowed_over_wss(sessions):
    csp = (
        create_app(settings(rasa_url="https://chat.example.org"), sessions)
        .test_client()
        .get("/")
        .headers["Content-Security-Policy"]
    )
    assert "connect-src 'self' https://chat.example.org wss://chat.example.org" in csp


# ---------------------------------------------------------------- sessions


def test_the_session_cookie_is_set_once_and_keeps_the_conversation(client, sessions):
    first = client.get("/api/session")
    cookie = cookie_of(first)
    for attribute in ("HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/"):
        assert attribute in cookie
    assert "Secure" not in cookie  # settings(cookie_secure=False): plain-HTTP local use
    assert first.headers["Cache-Control"] == "no-store"
    body = first.get_json()
    assert body["socket_url"] == "http://localhost:5005" and body["max_message_chars"] == 2000
    claims = tokens.claims_of(SECRET, body["token"])
    assert tokens.CONVERSATION_ID.match(claims.conversation)
    assert sessions.resume(session_cookie_value(first)).conversation_id == claims.conversation  # made on the server

    second = client.get("/api/session")  # the test client sends the cookie back
    assert second.headers.getlist("Set-Cookie") == []
    assert tokens.claims_of(SECRET, second.get_json()["token"]) == claims


def test_the_cookie_is_secure_by_default(monkeypatch, sessions):
    monkeypatch.delenv("CHAT_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("CHAT_SESSION_SECRET", SECRET)
    assert ChatSettings.from_env().cookie_secure is True
    monkeypatch.setenv("CHAT_COOKIE_SECURE", "0")
    assert ChatSettings.from_env().cookie_secure is False
    monkeypatch.setenv("CHAT_COOKIE_SECURE", "maybe")
    with pytest.raises(ValueError, match="CHAT_COOKIE_SECURE"):
        ChatSettings.from_env()


def test_another_browser_or_a_forged_cookie_gets_a_new_conversation(sessions):
    app = create_app(settings(), sessions)
    one, two = app.test_client(), app.test_client()
    first, other = conversation(one.get("/api/session")), conversation(two.get("/api/session"))
    assert first != other
    # "A" * 43 has the form of our tokens but was never issued: refused too (no session fixation).
    for planted in ("web-abc", "A" * 43, "x" * 5000):
        forged = app.test_client()
        forged.set_cookie("chat_session", planted)
        response = forged.get("/api/session")
        # Not a session the server made: a new one with a new cookie, never the planted value.
        assert session_cookie_value(response) != planted
        assert conversation(response) not in (first, other)


def test_clearing_the_chat_ends_the_session_on_the_server(client, sessions):
    first = client.get("/api/session")
    old_cookie, before = session_cookie_value(first), conversation(first)
    response = client.delete("/api/session")
    assert response.status_code == 200 and "Max-Age=0" in cookie_of(response)
    assert sessions.resume(old_cookie) is None
    replayed = create_app(settings(), sessions).test_client()  # someone who copied the old cookie
    replayed.set_cookie("chat_session", old_cookie)
    again = replayed.get("/api/session")
    assert conversation(again) != before and session_cookie_value(again) != old_cookie
    after = conversation(client.get("/api/session"))
    assert after != before


def test_sessions_end_when_idle_and_after_their_lifetime(tmp_path):
    from datetime import datetime, timedelta, timezone

    now = [datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)]
    sessions = ChatSessions(LeadStore(tmp_path / "leads.db"), idle=60, max_age=3 * 3600, clock=lambda: now[0])
    token, session = sessions.start("address")
    now[0] += timedelta(minutes=59)
    assert sessions.resume(token) == session  # and it was seen now
    now[0] += timedelta(minutes=59)
    assert sessions.live(session.session_id, session.conversation_id)
    now[0] += timedelta(minutes=61)
    assert sessions.resume(token) is None  # an hour without a message or a page load
    token, session = sessions.start("address")
    for _ in range(5):  # busy all along (2.5 h), but not longer than its lifetime (3 h)
        now[0] += timedelta(minutes=30)
        assert sessions.live(session.session_id, session.conversation_id)
    now[0] += timedelta(minutes=31)
    assert not sessions.live(session.session_id, session.conversation_id)
    assert sessions.resume(token) is None


def test_too_many_new_sessions_from_one_address_get_429(sessions, monkeypatch):
    app = create_app(settings(), ChatSessions(sessions.store, per_hour=3))
    statuses = []
    for _ in range(5):
        statuses.append(app.test_client().get("/api/session", environ_base={"REMOTE_ADDR": "198.51.100.7"}))
    assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 0 and statuses[-1].headers.getlist("Set-Cookie") == []
    # Another address is not affected; a forwarded address is ignored unless a proxy is trusted.
    other = app.test_client().get("/api/session", environ_base={"REMOTE_ADDR": "198.51.100.8"})
    assert other.status_code == 200
    spoofed = app.test_client().get(
        "/api/session", environ_base={"REMOTE_ADDR": "198.51.100.7"}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert spoofed.status_code == 429
    monkeypatch.setenv("CHAT_TRUST_PROXY", "1")
    proxied = app.test_client().get(
        "/api/session", environ_base={"REMOTE_ADDR": "198.51.100.7"}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert proxied.status_code == 200  # behind our proxy, each client counts on its own
    # Clearing a chat does not give a session back: starts are counted, not sessions.
    app.test_client().delete("/api/session", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert app.test_client().get("/api/session", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 429


def test_the_store_keeps_no_address_and_erasure_ends_the_session(sessions):
    import sqlite3

    app = create_app(settings(), sessions)
    client = app.test_client()
    first = client.get("/api/session", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    with sqlite3.connect(sessions.store.path) as db:
        dump = "\n".join(db.iterdump())
    assert "198.51.100.7" not in dump and session_cookie_value(first) not in dump
    conversation_id = conversation(first)
    counts = sessions.store.delete_conversation(conversation_id, by="participant")
    assert counts["chat_sessions"] == 1
    again = client.get("/api/session")  # the same browser, after "delete my data"
    assert conversation(again) != conversation_id and again.headers.getlist("Set-Cookie")


def test_a_secure_cookie_uses_the_host_prefix(sessions):
    response = create_app(settings(cookie_secure=True), sessions).test_client().get("/api/session")
    cookie = cookie_of(response)
    assert cookie.startswith("__Host-chat_session=") and "Secure" in cookie


def test_conversation_ids_are_random_and_reveal_nothing_of_the_cookie(sessions):
    token, session = sessions.start("a")
    other_token, other = sessions.start("a")
    assert tokens.CONVERSATION_ID.match(session.conversation_id) and session.conversation_id != other.conversation_id
    assert token[:8].lower() not in session.conversation_id


def test_client_addresses_trust_only_configured_proxies():
    from web.chat.clients import address_key, client_address

    assert client_address("198.51.100.7", "203.0.113.9", proxies=0) == "198.51.100.7"
    assert client_address("10.0.0.2", "203.0.113.9", proxies=1) == "203.0.113.9"
    assert (
        client_address("10.0.0.2", "1.1.1.1, 203.0.113.9", proxies=1) == "203.0.113.9"
    )  # the left one is the client's own claim
    assert client_address("10.0.0.2", "203.0.113.9, 10.0.0.3", proxies=2) == "203.0.113.9"
    assert client_address("10.0.0.2", "203.0.113.9", proxies=2) == "10.0.0.2"  # too few hops: the peer
    assert client_address("2001:db8:1:2:3:4:5:6", None, proxies=0) == "2001:db8:1:2::/64"
    assert client_address("::ffff:198.51.100.7", None, proxies=0) == "198.51.100.7"
    key = address_key(SECRET, "198.51.100.7")
    assert key != address_key(OTHER_SECRET, "198.51.100.7") and re.fullmatch(r"[0-9a-f]{32}", key)


# ---------------------------------------------------------------- the socket channel's checks


SESSION = "0123456789abcdef0123456789abcdef"


def new_conversation() -> str:
    from bot.store.chat_sessions import new_conversation_id

    return new_conversation_id()


def test_the_channel_accepts_a_token_of_the_chat_page(channel):
    conversation_id = new_conversation()
    claims = channel.claims_for({"token": tokens.socket_token(SECRET, conversation_id, SESSION)})
    assert claims == tokens.SocketClaims(conversation_id, SESSION)


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "just a string",
        {},
        {"token": None},
        {"token": 42},
        {"token": ""},
        {"token": "a.b.c"},
        {"token": "x" * 5000},
    ],
)
def test_the_channel_refuses_missing_or_malformed_tokens(channel, auth):
    assert channel.conversation_for(auth) is None


def test_the_channel_refuses_tampered_foreign_expired_or_misdirected_tokens(channel):
    conversation = new_conversation()
    good = tokens.socket_token(SECRET, conversation, SESSION)
    header, payload, signature = good.split(".")
    other = tokens.socket_token(SECRET, new_conversation(), SESSION)
    now = int(time.time())
    claims = {
        "sub": conversation,
        "sid": SESSION,
        "aud": tokens.AUDIENCE,
        "iss": tokens.ISSUER,
        "iat": now,
        "exp": now + 600,
    }
    refused = {
        "signature swapped onto another payload": f"{header}.{other.split('.')[1]}.{signature}",
        "signed with another secret": tokens.socket_token(OTHER_SECRET, conversation, SESSION),
        "expired": tokens.socket_token(SECRET, conversation, SESSION, now=time.time() - 3600),
        "no session": jwt.encode({k: v for k, v in claims.items() if k != "sid"}, SECRET, algorithm="HS256"),
        "a malformed session": jwt.encode({**claims, "sid": "../x"}, SECRET, algorithm="HS256"),
        "another audience": jwt.encode({**claims, "aud": "dashboard"}, SECRET, algorithm="HS256"),
        "another issuer": jwt.encode({**claims, "iss": "someone"}, SECRET, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"),
        "not one of our conversation ids": jwt.encode({**claims, "sub": "rest-patient"}, SECRET, algorithm="HS256"),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
    }
    for why, token in refused.items():
        assert channel.claims_for({"token": token}) is None, why


def test_the_channel_accepts_only_the_chat_page_origins(channel):
    assert channel.origin_allowed({"HTTP_ORIGIN": ORIGIN})
    for environ in (
        {},
        {"HTTP_ORIGIN": "http://evil.example"},
        {"HTTP_ORIGIN": ORIGIN + ".evil.example"},
        {"HTTP_ORIGIN": "null"},
    ):
        assert not channel.origin_allowed(environ)


def test_default_origins_follow_the_chat_port(monkeypatch):
    from web.chat.settings import chat_origins

    monkeypatch.delenv("CHAT_ORIGINS", raising=False)
    monkeypatch.setenv("CHAT_PORT", "9090")
    assert chat_origins() == ("http://localhost:9090", "http://127.0.0.1:9090")
    monkeypatch.setenv("CHAT_ORIGINS", " https://trial.example.org/ , http://localhost:9090")
    assert chat_origins() == ("https://trial.example.org", "http://localhost:9090")


def test_the_history_holds_what_was_typed_and_said_with_the_last_buttons():
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    from rasa_extensions.socketio_channel import history_messages

    buttons = [{"title": "I agree", "payload": "I agree"}, {"title": "I don't agree", "payload": "I don't agree"}]
    events = [
        UserUttered("/greet"),
        ActionExecuted("action_greet"),
        BotUttered("Hello.\n\nWho is answering?"),
        UserUttered("I'm the patient"),
        BotUttered("Do you agree?", data={"buttons": buttons}),
    ]
    assert history_messages(events) == [
        {"sender": "bot", "text": "Hello."},
        {"sender": "bot", "text": "Who is answering?"},
        {"sender": "user", "text": "I'm the patient"},
        {"sender": "bot", "text": "Do you agree?", "quick_replies": [{"content_type": "text", **b} for b in buttons]},
    ]
    assert len(history_messages([UserUttered(str(i)) for i in range(30)], limit=10)) == 10


# ---------------------------------------------------------------- languages


def test_every_text_of_the_chat_page_is_in_both_languages():
    from web.chat import i18n

    english, chinese = i18n.texts("en"), i18n.texts("zh")
    assert set(english) == set(chinese)
    for key, text in english.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", chinese[key])), key
    script = (i18n.I18N_DIR.parent / "static" / "chat.js").read_text(encoding="utf-8")
    assert not re.search(r"[\u3400-\u9fff]", script)  # no Chinese literal in the code


@pytest.mark.parametrize(
    "header, language",
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("zh-TW", "zh"),
        ("en-US,en;q=0.9", "en"),
        ("en-US,zh;q=0.9", "en"),
        ("fr-FR,fr;q=0.9", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_default_language_follows_the_browser(header, language):
    from web.chat import i18n

    assert i18n.from_accept_language(header) == language
    assert i18n.choose(None, None, header) == language
    assert i18n.choose("en", "zh", header) == "en" and i18n.choose(None, "zh", header) == "zh"


def test_a_chinese_browser_gets_the_chinese_page_and_the_links_switch_it(client):
    import json

    from web.chat import i18n

    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh' in html and i18n.text("zh", "chat.title") in html
    assert "河南省肿瘤医院" in html  # the trial's own Chinese texts
    # No English text of the page is left in the Chinese page.
    english_only = [v for k, v in i18n.texts("en").items() if not k.startswith(("js.", "languages.", "html_lang"))]
    pieces = [max(re.split(r"\{[^}]*\}", v), key=len).strip() for v in english_only]
    left = [p for p in pieces if len(p) > 12 and p in html]
    assert left == [], left
    body = re.search(r'<body data-texts="([^"]*)" data-language="(\w+)" data-language-chosen="(\d)"', html)
    texts = json.loads(body.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&"))
    assert texts["typing"] == i18n.script_texts("zh")["typing"] and body.group(2) == "zh" and body.group(3) == "0"
    switched = client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en' in switched.get_data(as_text=True)
    assert "chat_language=en" in switched.headers.get("Set-Cookie", "")
    assert 'data-language-chosen="1"' in switched.get_data(as_text=True)
    # The cookie keeps the choice over the browser's language.
    again = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="en' in again
