"""The chat page server (Flask): the trial page and the browser's session.

GET /             the hospital's trial page with the chat widget
GET /api/session  sets the browser's random session cookie once (HttpOnly,
                  SameSite=Strict) and returns a short-lived socket token for its
                  conversation, plus where the Rasa server is
DELETE /api/session  forgets the cookie: this browser starts a new conversation
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, jsonify, render_template, request

from bot.local_secrets import secret
from bot.trial import Trial, get_trial
from web.chat import session_tokens as tokens
from web.chat.security import add_security_headers, content_security_policy
from web.chat.settings import DEFAULT_COOKIE_MAX_AGE, env_flag, env_int, max_message_chars, rasa_url

HERE = Path(__file__).resolve().parent
SOCKET_CLIENT = HERE / "static" / "vendor" / "socket.io.min.js"


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
            cookie_max_age=env_int("CHAT_COOKIE_MAX_AGE", DEFAULT_COOKIE_MAX_AGE),
            cookie_secure=env_flag("CHAT_COOKIE_SECURE"),
            max_message_chars=max_message_chars(),
        )

    @property
    def cookie_name(self) -> str:
        # __Host- cookies must be Secure, and then no subdomain can plant one
        # (which would put a victim into a conversation the planter knows).
        return "__Host-chat_session" if self.cookie_secure else "chat_session"


def page_context(trial: Trial) -> dict:
    info = trial.info
    retention = int(os.environ.get("RETENTION_DAYS") or info.get("retention_days", 365))
    site = info.get("site") or info.get("sponsor") or ""
    summary = info.get("summary") or f"A study of {trial.title} at {site}."
    return {
        "trial": info,
        "trial_id": trial.id,
        "title": trial.title,
        "summary": summary,
        "site": site,
        "contact": trial.contact,
        "retention_days": retention,
    }


def create_app(settings: ChatSettings | None = None) -> Flask:
    settings = settings or ChatSettings.from_env()
    app = Flask(__name__)
    page = page_context(get_trial())
    csp = content_security_policy(settings.rasa_url)

    @app.get("/")
    def index():
        return render_template(
            "index.html",
            max_message_chars=settings.max_message_chars,
            session_hours=max(1, round(settings.cookie_max_age / 3600)),
            **page,
        )

    @app.get("/api/session")
    def session():
        browser_token = request.cookies.get(settings.cookie_name)
        fresh = not tokens.is_browser_token(browser_token)
        if fresh:
            browser_token = tokens.new_browser_token()
        conversation = tokens.conversation_id(settings.session_secret, browser_token)
        response = jsonify(
            token=tokens.socket_token(settings.session_secret, conversation),
            socket_url=settings.rasa_url,
            max_message_chars=settings.max_message_chars,
        )
        response.headers["Cache-Control"] = "no-store"
        if fresh:
            response.set_cookie(
                settings.cookie_name,
                browser_token,
                max_age=settings.cookie_max_age,
                path="/",
                httponly=True,
                samesite="Strict",
                secure=settings.cookie_secure,
            )
        return response

    @app.delete("/api/session")
    def forget():
        # Only this browser forgets the conversation (a shared computer); the
        # answers stay with the study team. Cross-site requests cannot send a
        # DELETE without a CORS preflight, which this server never grants.
        response = jsonify(forgotten=True)
        response.headers["Cache-Control"] = "no-store"
        response.delete_cookie(
            settings.cookie_name, path="/", httponly=True, samesite="Strict", secure=settings.cookie_secure
        )
        return response

    @app.after_request
    def secure_headers(response):
        return add_security_headers(response, csp)

    return app
