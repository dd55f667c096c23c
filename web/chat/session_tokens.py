"""Who is who on the chat socket.

A browser holds a random token in an HttpOnly cookie. Its conversation (the Rasa
sender id) is an HMAC of that token, so the ids staff see can never be turned
back into a cookie. To open the socket the page gets a short-lived JWT naming the
conversation; the Rasa server's socket.io channel checks it and takes the sender
id from it, never from what the browser sends.

Standard library and PyJWT only: the Rasa server imports this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Any

import jwt

ALGORITHM = "HS256"
AUDIENCE = "socketio"
ISSUER = "web.chat"
TOKEN_SECONDS = 600
CONVERSATION_PREFIX = "web-"
CONVERSATION_ID = re.compile(r"^web-[a-z2-7]{26}$")
_BROWSER_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def new_browser_token() -> str:
    return secrets.token_urlsafe(32)


def is_browser_token(value: str | None) -> bool:
    return bool(value) and bool(_BROWSER_TOKEN.match(value))


def conversation_id(secret: str, browser_token: str) -> str:
    """The Rasa sender id of a browser: 130 bits of HMAC-SHA256, base32, lower case."""
    digest = hmac.new(secret.encode(), b"conversation-id\0" + browser_token.encode(), hashlib.sha256).digest()
    return CONVERSATION_PREFIX + base64.b32encode(digest).decode().lower()[:26]


def socket_token(secret: str, conversation: str, lifetime: int = TOKEN_SECONDS, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {"sub": conversation, "aud": AUDIENCE, "iss": ISSUER, "iat": issued, "exp": issued + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def conversation_of(secret: str, token: Any) -> str | None:
    """The conversation a socket token was issued for; None if it is not one of ours or expired."""
    if not isinstance(token, str) or not token or len(token) > 1024:
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "aud", "iss", "exp"]},
        )
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) and CONVERSATION_ID.match(subject) else None
