"""The chat page server (web/chat) with Flask's test client, and the socket channel's checks."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import jwt
import pytest

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
def client():
    return create_app(settings()).test_client()


@pytest.fixture(scope="module")
def channel():
    from rasa_extensions.socketio_channel import SessionSocketIOInput

    return SessionSocketIOInput(session_secret=SECRET, origins=[ORIGIN])


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


def test_a_secure_rasa_url_is_allowed_over_wss():
    csp = (
        create_app(settings(rasa_url="https://chat.example.org"))
        .test_client()
        .get("/")
        .headers["Content-Security-Policy"]
    )
    assert "connect-src 'self' https://chat.example.org wss://chat.example.org" in csp


# ---------------------------------------------------------------- sessions


def test_the_session_cookie_is_set_once_and_keeps_the_conversation(client):
    first = client.get("/api/session")
    cookie = cookie_of(first)
    for attribute in ("HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/"):
        assert attribute in cookie
    assert "Secure" not in cookie
    assert first.headers["Cache-Control"] == "no-store"
    body = first.get_json()
    assert body["socket_url"] == "http://localhost:5005" and body["max_message_chars"] == 2000
    conversation = tokens.conversation_of(SECRET, body["token"])
    assert tokens.CONVERSATION_ID.match(conversation)
    assert conversation == tokens.conversation_id(SECRET, session_cookie_value(first))

    second = client.get("/api/session")  # the test client sends the cookie back
    assert second.headers.getlist("Set-Cookie") == []
    assert tokens.conversation_of(SECRET, second.get_json()["token"]) == conversation


def test_another_browser_or_a_forged_cookie_gets_a_new_conversation():
    app = create_app(settings())
    one, two = app.test_client(), app.test_client()
    first = tokens.conversation_of(SECRET, one.get("/api/session").get_json()["token"])
    other = tokens.conversation_of(SECRET, two.get("/api/session").get_json()["token"])
    assert first != other
    forged = app.test_client()
    forged.set_cookie("chat_session", "web-abc")
    response = forged.get("/api/session")
    assert session_cookie_value(response) != "web-abc"  # not a token we could have made: replaced


def test_forgetting_the_session_starts_a_new_conversation(client):
    before = tokens.conversation_of(SECRET, client.get("/api/session").get_json()["token"])
    response = client.delete("/api/session")
    assert response.status_code == 200 and "Max-Age=0" in cookie_of(response)
    after = tokens.conversation_of(SECRET, client.get("/api/session").get_json()["token"])
    assert after != before


def test_a_secure_cookie_uses_the_host_prefix():
    response = create_app(settings(cookie_secure=True)).test_client().get("/api/session")
    cookie = cookie_of(response)
    assert cookie.startswith("__Host-chat_session=") and "Secure" in cookie


def test_conversation_ids_reveal_nothing_of_the_cookie():
    browser_token = tokens.new_browser_token()
    conversation = tokens.conversation_id(SECRET, browser_token)
    assert tokens.CONVERSATION_ID.match(conversation)
    assert conversation == tokens.conversation_id(SECRET, browser_token)
    assert conversation != tokens.conversation_id(OTHER_SECRET, browser_token)
    assert browser_token[:8].lower() not in conversation


# ---------------------------------------------------------------- the socket channel's checks


def test_the_channel_accepts_a_token_of_the_chat_page(channel):
    conversation = tokens.conversation_id(SECRET, tokens.new_browser_token())
    assert channel.conversation_for({"token": tokens.socket_token(SECRET, conversation)}) == conversation


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
    conversation = tokens.conversation_id(SECRET, tokens.new_browser_token())
    good = tokens.socket_token(SECRET, conversation)
    header, payload, signature = good.split(".")
    other = tokens.socket_token(SECRET, tokens.conversation_id(SECRET, tokens.new_browser_token()))
    now = int(time.time())
    claims = {"sub": conversation, "aud": tokens.AUDIENCE, "iss": tokens.ISSUER, "iat": now, "exp": now + 600}
    refused = {
        "signature swapped onto another payload": f"{header}.{other.split('.')[1]}.{signature}",
        "signed with another secret": tokens.socket_token(OTHER_SECRET, conversation),
        "expired": tokens.socket_token(SECRET, conversation, now=time.time() - 3600),
        "another audience": jwt.encode({**claims, "aud": "dashboard"}, SECRET, algorithm="HS256"),
        "another issuer": jwt.encode({**claims, "iss": "someone"}, SECRET, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET, algorithm="HS256"),
        "not one of our conversation ids": jwt.encode({**claims, "sub": "rest-patient"}, SECRET, algorithm="HS256"),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
    }
    for why, token in refused.items():
        assert channel.conversation_for({"token": token}) is None, why


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
