"""The chat page's sessions, on the server (tables ``chat_sessions`` and
``chat_session_starts`` of the lead store's database, so that every chat-page
and Rasa replica sees the same ones).

- A session is created here, never adopted: the browser gets a random token
  (its cookie), the table keeps only the token's SHA-256, a random session id
  (named in the short-lived socket tokens) and the conversation it opens, a
  random ``web-`` id. A cookie value the table does not know starts a new
  session with a new token: a planted or guessed cookie never becomes a
  conversation (no session fixation).
- It ends after ``CHAT_SESSION_IDLE_MINUTES`` (60) without a message or a page
  load, after ``CHAT_COOKIE_MAX_AGE`` seconds (12 h) in any case, when the
  browser clears the chat (:meth:`ChatSessions.end`), and when the
  conversation's data is deleted (``bot.store.leads.end_chat_sessions``, in
  the lead store's erasure and purge). An ended session is deleted: its
  cookie and its socket tokens are refused from then on.
- At most ``CHAT_SESSIONS_PER_HOUR`` (20) sessions start per client address
  in an hour (:class:`TooManySessions`). The address is kept only as a keyed
  hash (``address_key``), for that hour.

Nothing here is health data: ids, hashes and times.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.env import env_int
from bot.store.leads import LeadStore
from bot.store.sql import Database

DEFAULT_IDLE_MINUTES = 60
DEFAULT_MAX_AGE_SECONDS = 12 * 60 * 60
DEFAULT_SESSIONS_PER_HOUR = 20
SEEN_EVERY = timedelta(seconds=60)  # how often last_seen_at is written
STARTS_KEPT = timedelta(hours=1)
CONVERSATION_PREFIX = "web-"
CONVERSATION_ID = re.compile(r"^web-[a-z2-7]{26}$")
SESSION_ID = re.compile(r"^[a-f0-9]{32}$")
_BROWSER_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


class TooManySessions(Exception):
    """This address started its sessions for the hour; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many new chat sessions from one address; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class ChatSession:
    session_id: str
    conversation_id: str
    expires_at: str


def idle_minutes() -> int:
    return env_int("CHAT_SESSION_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)


def max_age_seconds() -> int:
    return env_int("CHAT_COOKIE_MAX_AGE", DEFAULT_MAX_AGE_SECONDS, minimum=60)


def sessions_per_hour() -> int:
    """0: no limit."""
    return env_int("CHAT_SESSIONS_PER_HOUR", DEFAULT_SESSIONS_PER_HOUR, minimum=0)


def is_browser_token(value: object) -> bool:
    return isinstance(value, str) and bool(_BROWSER_TOKEN.match(value))


def new_conversation_id() -> str:
    """A Rasa sender id for the chat page: ``web-`` and 128 random bits in base32."""
    return CONVERSATION_PREFIX + base64.b32encode(secrets.token_bytes(16)).decode().lower().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


class ChatSessions:
    def __init__(
        self,
        store: LeadStore | None = None,
        *,
        idle: int | None = None,
        max_age: int | None = None,
        per_hour: int | None = None,
        clock=_now,
    ):
        self.store = store or LeadStore(lock_timeout=5)
        self.idle = timedelta(minutes=idle if idle is not None else idle_minutes())
        self.max_age = timedelta(seconds=max_age if max_age is not None else max_age_seconds())
        self.per_hour = per_hour if per_hour is not None else sessions_per_hour()
        self.clock = clock

    def start(self, address_key: str) -> tuple[str, ChatSession]:
        """A new session for a browser at this address: (its cookie token, the
        session). Raises :class:`TooManySessions` past the hourly limit."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session = ChatSession(secrets.token_hex(16), new_conversation_id(), _iso(now + self.max_age))

        def run(db: Database) -> None:
            since = _iso(now - STARTS_KEPT)
            db.execute("DELETE FROM chat_session_starts WHERE at < ?", [since])
            db.execute(
                "DELETE FROM chat_sessions WHERE expires_at <= ? OR last_seen_at <= ?",
                [_iso(now), _iso(now - self.idle)],
            )
            if self.per_hour:
                started = db.query(
                    "SELECT at FROM chat_session_starts WHERE address_key = ? AND at >= ? ORDER BY at",
                    [address_key, since],
                )
                if len(started) >= self.per_hour:
                    oldest = datetime.fromisoformat(started[0]["at"])
                    raise TooManySessions(max(1, int((oldest + STARTS_KEPT - now).total_seconds()) + 1))
            db.insert("chat_session_starts", {"address_key": address_key, "at": _iso(now)})
            db.insert(
                "chat_sessions",
                {
                    "session_id": session.session_id,
                    "token_hash": _hash(token),
                    "conversation_id": session.conversation_id,
                    "created_at": _iso(now),
                    "last_seen_at": _iso(now),
                    "expires_at": session.expires_at,
                },
            )

        self.store.run(run, write=True)
        return token, session

    def resume(self, token: str | None) -> ChatSession | None:
        """The live session of a browser's cookie token (and it is seen now),
        or None: unknown, malformed, idle too long or expired."""
        if not is_browser_token(token):
            return None
        row = self.store.run(
            lambda db: db.one(
                "SELECT session_id, conversation_id, last_seen_at, expires_at FROM chat_sessions WHERE token_hash = ?",
                [_hash(token)],
            ),
            write=False,
        )
        return self._live(row)

    def live(self, session_id: str, conversation_id: str) -> bool:
        """True while this session (as named in a socket token) is live and is
        that conversation's; a message on it counts as activity."""
        if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
            return False
        row = self.store.run(
            lambda db: db.one(
                "SELECT session_id, conversation_id, last_seen_at, expires_at FROM chat_sessions WHERE session_id = ?",
                [session_id],
            ),
            write=False,
        )
        session = self._live(row)
        return session is not None and session.conversation_id == conversation_id

    def end(self, token: str | None) -> bool:
        """The browser clears its chat: the session ends (True if there was one)."""
        if not is_browser_token(token):
            return False
        return bool(
            self.store.run(
                lambda db: db.execute("DELETE FROM chat_sessions WHERE token_hash = ?", [_hash(token)]).rowcount,
                write=True,
            )
        )

    def _live(self, row: tuple | None) -> ChatSession | None:
        if row is None:
            return None
        session_id, conversation, last_seen, expires = row
        now = self.clock()
        if datetime.fromisoformat(expires) <= now or datetime.fromisoformat(last_seen) + self.idle <= now:
            self.store.run(
                lambda db: db.execute("DELETE FROM chat_sessions WHERE session_id = ?", [session_id]), write=True
            )
            return None
        if now - datetime.fromisoformat(last_seen) >= SEEN_EVERY:
            self.store.run(
                lambda db: db.execute(
                    "UPDATE chat_sessions SET last_seen_at = ? WHERE session_id = ?", [_iso(now), session_id]
                ),
                write=True,
            )
        return ChatSession(session_id, conversation, expires)
