"""Staff accounts of the dashboard: named users with argon2 password hashes,
server-side sessions that expire, and failed-login counters that slow down
guessing. Kept in the lead store's database (tables ``staff_users``,
``staff_sessions``, ``login_failures``).

- Passwords: at least 12 characters, not the user name, not a run of one
  character; hashed with argon2id (argon2-cffi); never stored or logged.
- Sessions: a random token goes to the browser; only its SHA-256 is stored.
  A session ends after ``STAFF_SESSION_IDLE_MINUTES`` (30) without use, after
  ``STAFF_SESSION_MAX_HOURS`` (12) in any case, at logout, and when the
  password changes or the account is disabled.
- Failed logins: counted per user name and per client address; from the 5th
  failure in a row that key is locked for 30 s, doubling each time up to 15
  min. A locked key is refused without looking at the password.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.store.errors import InvalidInput, NotFound
from bot.store.leads import LeadStore
from bot.store.records import utc_now
from bot.store.sql import Database

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
LOCK_AFTER = 5  # failures in a row before a key is locked
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
FAILURES_FORGOTTEN = timedelta(hours=1)  # a quiet hour clears the counter
SEEN_EVERY = timedelta(seconds=60)  # how often last_seen_at is written

_hasher = PasswordHasher()
# Verified for unknown user names, so that they take as long as known ones.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def _minutes_from_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise InvalidInput(f"{name} must be more than 0, got {raw!r}")
    return value


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def check_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not USERNAME.match(name):
        raise InvalidInput(
            "a user name is 2-64 characters: lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str, username: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password must have at most {MAX_PASSWORD} characters")
    if password.strip().lower() == username.lower() or username.lower() in password.lower():
        raise InvalidInput("the password must not contain the user name")
    if len(set(password)) < 4:
        raise InvalidInput("the password needs more different characters")


@dataclass(frozen=True)
class StaffUser:
    username: str
    display_name: str
    session_expires_at: str

    @property
    def label(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True)
class LoginResult:
    """``token`` on success; otherwise why not, and for a lock how long."""

    token: str | None = None
    user: StaffUser | None = None
    locked_for: int = 0  # seconds

    @property
    def ok(self) -> bool:
        return self.token is not None


class StaffAccounts:
    def __init__(
        self, store: LeadStore | None = None, *, idle_minutes: float | None = None, max_hours: float | None = None
    ):
        self.store = store or LeadStore()
        self.idle = timedelta(
            minutes=idle_minutes if idle_minutes is not None else _minutes_from_env("STAFF_SESSION_IDLE_MINUTES", 30)
        )
        self.max_age = timedelta(
            hours=max_hours if max_hours is not None else _minutes_from_env("STAFF_SESSION_MAX_HOURS", 12)
        )

    # -- accounts ------------------------------------------------------------
    def create_user(self, username: str, password: str, *, display_name: str = "", by: str) -> str:
        name = check_username(username)
        check_password(password, name)
        hashed = _hasher.hash(password)
        now = utc_now()

        def run(db: Database) -> None:
            inserted = db.insert_ignore(
                "staff_users",
                {
                    "username": name,
                    "display_name": (display_name or "").strip()[:200],
                    "password_hash": hashed,
                    "created_at": now,
                    "created_by": by,
                    "password_changed_at": now,
                    "disabled_at": None,
                },
            )
            if not inserted:
                raise InvalidInput(f"a staff account {name!r} exists already")
            self.store.audit(db, by, "user-add", name)

        self.store.run(run, write=True)
        return name

    def set_password(self, username: str, password: str, *, by: str) -> None:
        name = check_username(username)
        check_password(password, name)
        hashed = _hasher.hash(password)

        def run(db: Database) -> None:
            if (
                db.execute(
                    "UPDATE staff_users SET password_hash = ?, password_changed_at = ? WHERE username = ?",
                    [hashed, utc_now(), name],
                ).rowcount
                != 1
            ):
                raise NotFound(f"no staff account {name!r}")
            db.execute("DELETE FROM staff_sessions WHERE username = ?", [name])
            db.execute("DELETE FROM login_failures WHERE key = ?", [f"user:{name}"])
            self.store.audit(db, by, "user-passwd", name, "sessions ended")

        self.store.run(run, write=True)

    def set_disabled(self, username: str, disabled: bool, *, by: str) -> None:
        name = check_username(username)

        def run(db: Database) -> None:
            if (
                db.execute(
                    "UPDATE staff_users SET disabled_at = ? WHERE username = ?", [utc_now() if disabled else None, name]
                ).rowcount
                != 1
            ):
                raise NotFound(f"no staff account {name!r}")
            if disabled:
                db.execute("DELETE FROM staff_sessions WHERE username = ?", [name])
            self.store.audit(db, by, "user-disable" if disabled else "user-enable", name)

        self.store.run(run, write=True)

    def list_users(self) -> list[dict]:
        sql = (
            "SELECT u.username, u.display_name, u.created_at, u.created_by, "
            "u.password_changed_at, u.disabled_at, "
            "(SELECT count(*) FROM staff_sessions s WHERE s.username = u.username "
            " AND s.expires_at > ?) AS sessions "
            "FROM staff_users u ORDER BY u.username"
        )
        rows = self.store.run(lambda db: db.query(sql, [utc_now()]), write=False)
        for r in rows:
            r["sessions"] = int(r["sessions"])
        return rows

    def has_users(self) -> bool:
        return bool(
            self.store.run(
                lambda db: db.scalar("SELECT count(*) FROM staff_users WHERE disabled_at IS NULL"), write=False
            )
        )

    # -- logging in ----------------------------------------------------------
    def login(self, username: str, password: str, *, client: str = "unknown") -> LoginResult:
        """Check a password; on success start a session (returns its token)."""
        name = (username or "").strip().lower()[:64]
        keys = [f"user:{name}", f"addr:{client[:64]}"]
        now = _now()
        locked = self.store.run(lambda db: _locked_for(db, keys, now), write=False)
        if locked:
            self.store.record_audit(name or "-", "login-refused", None, f"locked for {locked}s")
            return LoginResult(locked_for=locked)
        row = (
            self.store.run(
                lambda db: db.one(
                    "SELECT password_hash, display_name, disabled_at FROM staff_users WHERE username = ?", [name]
                ),
                write=False,
            )
            if USERNAME.match(name)
            else None
        )
        stored_hash = row[0] if row else _DUMMY_HASH
        try:
            good = _hasher.verify(stored_hash, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            good = False
        if not good or row is None or row[2] is not None:

            def fail(db: Database) -> int:
                for key in keys:
                    _count_failure(db, key, now)
                self.store.audit(db, name or "-", "login-failed", None, f"from {client[:64]}")
                return _locked_for(db, keys, now)

            return LoginResult(locked_for=self.store.run(fail, write=True))

        token = secrets.token_urlsafe(32)
        expires = now + self.max_age
        rehash = _hasher.check_needs_rehash(stored_hash)
        new_hash = _hasher.hash(password) if rehash else None

        def start(db: Database) -> None:
            db.execute("DELETE FROM login_failures WHERE key IN (?, ?)", keys)
            db.execute("DELETE FROM staff_sessions WHERE expires_at <= ?", [_iso(now)])
            db.insert(
                "staff_sessions",
                {
                    "token_hash": _token_hash(token),
                    "username": name,
                    "created_at": _iso(now),
                    "last_seen_at": _iso(now),
                    "expires_at": _iso(expires),
                },
            )
            if new_hash:
                db.execute("UPDATE staff_users SET password_hash = ? WHERE username = ?", [new_hash, name])
            self.store.audit(db, name, "login", None, f"from {client[:64]}")

        self.store.run(start, write=True)
        return LoginResult(token=token, user=StaffUser(name, row[1] or "", _iso(expires)))

    def session(self, token: str) -> StaffUser | None:
        """The user of a live session, or None (unknown, idle too long, expired)."""
        if not token or len(token) > 200:
            return None
        digest, now = _token_hash(token), _now()
        row = self.store.run(
            lambda db: db.one(
                "SELECT s.username, u.display_name, s.last_seen_at, s.expires_at, u.disabled_at "
                "FROM staff_sessions s JOIN staff_users u ON u.username = s.username "
                "WHERE s.token_hash = ?",
                [digest],
            ),
            write=False,
        )
        if row is None:
            return None
        username, display, last_seen, expires, disabled = row
        if disabled is not None or _parse(expires) <= now or _parse(last_seen) + self.idle <= now:
            self.end_session(token, reason="expired")
            return None
        if now - _parse(last_seen) >= SEEN_EVERY:
            self.store.run(
                lambda db: db.execute(
                    "UPDATE staff_sessions SET last_seen_at = ? WHERE token_hash = ?", [_iso(now), digest]
                ),
                write=True,
            )
        return StaffUser(username, display or "", expires)

    def end_session(self, token: str, *, reason: str = "logout") -> None:
        digest = _token_hash(token or "")

        def run(db: Database) -> None:
            username = db.scalar("SELECT username FROM staff_sessions WHERE token_hash = ?", [digest])
            if username is not None:
                db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", [digest])
                self.store.audit(db, username, "logout" if reason == "logout" else "session-expired", None)

        self.store.run(run, write=True)


def _count_failure(db: Database, key: str, now: datetime) -> None:
    row = db.one("SELECT failures, last_at FROM login_failures WHERE key = ?", [key])
    failures = 1
    if row is not None and _parse(row[1]) + FAILURES_FORGOTTEN > now:
        failures = int(row[0]) + 1
    locked_until = None
    if failures >= LOCK_AFTER:
        lock = min(LONGEST_LOCK, FIRST_LOCK * (2 ** (failures - LOCK_AFTER)))
        locked_until = _iso(now + lock)
    db.upsert(
        "login_failures",
        {"key": key, "failures": failures, "last_at": _iso(now), "locked_until": locked_until},
        key="key",
    )


def _locked_for(db: Database, keys: list[str], now: datetime) -> int:
    """Seconds until every key is free again (0: not locked)."""
    longest = 0
    for key in keys:
        until = db.scalar("SELECT locked_until FROM login_failures WHERE key = ?", [key])
        if until:
            longest = max(longest, int((_parse(until) - now).total_seconds() + 0.999))
    return max(0, longest)
