"""Who is who on the chat socket.

A browser holds a random token in an HttpOnly cookie; the chat page looks it
up in the server-side sessions (bot/store/chat_sessions.py), which give its
session id and its conversation (the Rasa sender id, random, not derived from
the cookie, so the ids staff see can never be turned back into a cookie). To
open the socket the page gets a short-lived JWT naming both; the Rasa
server's socket.io channel checks the signature, then that the session is
still live, and takes the sender id from it, never from what the browser
sends.

Standard library and PyJWT only: the Rasa server imports this module.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHM = "HS256"
AUDIENCE = "socketio"
ISSUER = "web.chat"
TOKEN_SECONDS = 600
CONVERSATION_ID = re.compile(r"^web-[a-z2-7]{26}$")
SESSION_ID = re.compile(r"^[a-f0-9]{32}$")


@dataclass(frozen=True)
class SocketClaims:
    conversation: str
    session_id: str


def socket_token(
    secret: str, conversation: str, session_id: str, lifetime: int = TOKEN_SECONDS, now: float | None = None
) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": conversation,
        "sid": session_id,
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + lifetime,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def claims_of(secret: str, token: Any) -> SocketClaims | None:
    """The conversation and session a socket token was issued for; None if it
    is not one of ours, is malformed or has expired (whether the session is
    still live is the session store's question)."""
    if not isinstance(token, str) or not token or len(token) > 1024:
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["sub", "sid", "aud", "iss", "exp"]},
        )
    except jwt.PyJWTError:
        return None
    subject, session_id = claims.get("sub"), claims.get("sid")
    if not (isinstance(subject, str) and CONVERSATION_ID.match(subject)):
        return None
    if not (isinstance(session_id, str) and SESSION_ID.match(session_id)):
        return None
    return SocketClaims(subject, session_id)


def conversation_of(secret: str, token: Any) -> str | None:
    claims = claims_of(secret, token)
    return claims.conversation if claims else None
