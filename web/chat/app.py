"""The chat page server (Flask): the trial page and the browser's session.

GET /             the hospital's trial page with the chat widget
GET /api/session  the browser's session: its cookie is looked up in the
                  server-side sessions (bot/store/chat_sessions.py); a live
                  one goes on, anything else (no cookie, an unknown, expired
                  or ended one) gets a new session and a new cookie. Returns a
                  short-lived socket token for its conversation, plus where
                  the Rasa server is. 429 when this address started too many
                  sessions this hour.
DELETE /api/session  "Clear this chat": the session ends on the server and
                  the cookie is removed; this browser starts a new conversation

The cookie is HttpOnly, SameSite=Strict and, unless CHAT_COOKIE_SECURE=0
(plain-HTTP local use: `make run` sets it for loopback), Secure with the
``__Host-`` prefix.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, jsonify, render_template, request

from bot import safe_logging
from bot.local_secrets import secret
from bot.messages import reach as messages_reach
from bot.store import LeadStoreError
from bot.store.chat_sessions import ChatSessions, TooManySessions, max_age_seconds
from bot.trial import Trial, get_trial
from web.chat import i18n
from web.chat import session_tokens as tokens
from web.chat.clients import address_key, client_address
from web.chat.security import add_security_headers, content_security_policy
from web.chat.settings import env_flag, max_message_chars, rasa_url

HERE = Path(__file__).resolve().parent
SOCKET_CLIENT = HERE / "static" / "vendor" / "socket.io.min.js"
logger = logging.getLogger(__name__)
throttle = safe_logging.Throttle(per_minute=10)


@dataclass(frozen=True)
class ChatSettings:
    rasa_url: str
    session_secret: str
    cookie_max_age: int
    cookie_secure: bool
    max_message_chars: int

    @classmethod
    def from_env(cls) -> ChatSettings:
        return cls(
            rasa_url=rasa_url(),
            session_secret=secret("CHAT_SESSION_SECRET"),
            cookie_max_age=max_age_seconds(),
            cookie_secure=env_flag("CHAT_COOKIE_SECURE", True),
            max_message_chars=max_message_chars(),
        )

    @property
    def cookie_name(self) -> str:
        # __Host- cookies must be Secure, and then no subdomain can plant one.
        return "__Host-chat_session" if self.cookie_secure else "chat_session"


def page_context(trial: Trial, language: str = "en") -> dict:
    info = trial.context(language)
    reach = messages_reach(info, language)
    retention = int(os.environ.get("RETENTION_DAYS") or info.get("retention_days", 365))
    site = info.get("site") or info.get("sponsor") or ""
    summary = info.get("summary") or ""
    return {
        "trial": info,
        "trial_id": trial.id,
        "title": info.get("title") or trial.id,
        "summary": summary,
        "site": site,
        "contact": info["contact"],
        "retention_days": retention,
        "reach": reach,
    }


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def create_app(settings: ChatSettings | None = None, sessions: ChatSessions | None = None) -> Flask:
    settings = settings or ChatSettings.from_env()
    sessions = sessions or ChatSessions(max_age=settings.cookie_max_age)
    app = Flask(__name__)
    pages = {language: page_context(get_trial(), language) for language in i18n.LANGUAGES}
    csp = content_security_policy(settings.rasa_url)

    def this_address_key() -> str:
        address = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"))
        return address_key(settings.session_secret, address)

    def set_cookie(response, token: str) -> None:
        response.set_cookie(
            settings.cookie_name,
            token,
            max_age=settings.cookie_max_age,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=settings.cookie_secure,
        )

    def store_down(error: Exception):
        logger.error("the session store is unavailable (%s)", type(error).__name__)
        response = jsonify(error="the chat is not available right now; please try again in a few minutes")
        response.status_code = 503
        response.headers["Retry-After"] = "30"
        return _no_store(response)

    @app.get("/")
    def index():
        asked = request.args.get("lang")
        language = i18n.choose(asked, request.cookies.get(i18n.COOKIE), request.headers.get("Accept-Language"))
        context = pages[language]
        response = app.make_response(
            render_template(
                "index.html",
                max_message_chars=settings.max_message_chars,
                session_hours=max(1, round(settings.cookie_max_age / 3600)),
                tx=lambda key, **params: i18n.text(language, key, **params),
                script_texts_json=json.dumps(i18n.script_texts(language), ensure_ascii=False),
                language=language,
                language_chosen=asked in i18n.LANGUAGES,
                languages=i18n.LANGUAGES,
                **context,
            )
        )
        if asked in i18n.LANGUAGES:
            response.set_cookie(
                i18n.COOKIE, asked, max_age=365 * 24 * 3600, path="/", secure=settings.cookie_secure, samesite="Lax"
            )
        response.headers["Vary"] = "Accept-Language, Cookie"
        return response

    @app.get("/api/session")
    def session():
        try:
            current = sessions.resume(request.cookies.get(settings.cookie_name))
            new_token = None
            if current is None:
                new_token, current = sessions.start(this_address_key())
        except TooManySessions as refused:
            throttle.log(logger, logging.WARNING, "sessions", "refused a new chat session: too many from one address")
            response = jsonify(error="too many new chats from your network; please try again later")
            response.status_code = 429
            response.headers["Retry-After"] = str(refused.retry_after)
            return _no_store(response)
        except LeadStoreError as error:
            return store_down(error)
        response = jsonify(
            token=tokens.socket_token(settings.session_secret, current.conversation_id, current.session_id),
            socket_url=settings.rasa_url,
            max_message_chars=settings.max_message_chars,
        )
        if new_token is not None:
            set_cookie(response, new_token)
        return _no_store(response)

    @app.delete("/api/session")
    def forget():
        # The session ends on the server (its cookie and socket tokens are
        # refused from now on); the answers stay with the study team. A
        # cross-site page cannot send a DELETE without a CORS preflight,
        # which this server never grants.
        try:
            sessions.end(request.cookies.get(settings.cookie_name))
        except LeadStoreError as error:
            return store_down(error)
        response = jsonify(forgotten=True)
        response.delete_cookie(
            settings.cookie_name, path="/", httponly=True, samesite="Strict", secure=settings.cookie_secure
        )
        return _no_store(response)

    @app.after_request
    def secure_headers(response):
        return add_security_headers(response, csp)

    return app
