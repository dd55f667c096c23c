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
  min. A locked key is refused without looking at the password. Wrong
  second-factor codes count the same way.
- Second factor (TOTP, RFC 6238, pyotp): enrolled from the command line
  (the secret and its ``otpauth://`` URI are shown once), with 10 single-use
  recovery codes (only their SHA-256 is kept). A password that is right
  opens a 5-minute challenge (5 tries) for the 6-digit code; a code works
  once (the last time step used is kept). Required by default:
  ``STAFF_REQUIRE_TOTP=0`` lets accounts without one log in with the
  password alone, for local testing only; an enrolled account always needs
  its code.
- A language preference per account (the dashboard's texts).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.store.errors import InvalidInput, NotFound
from bot.store.leads import LeadStore
from bot.store.records import LANGUAGES, utc_now
from bot.store.sql import Database

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
LOCK_AFTER = 5  # failures in a row before a key is locked
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
FAILURES_FORGOTTEN = timedelta(hours=1)  # a quiet hour clears the counter
SEEN_EVERY = timedelta(seconds=60)  # how often last_seen_at is written
TOTP_ISSUER = "NCT05617859 pre-screening"
TOTP_STEP = 30  # seconds (RFC 6238 default, what authenticator apps use)
CHALLENGE_TTL = timedelta(minutes=5)  # between the password and the code
CHALLENGE_TRIES = 5
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
_RECOVERY_LENGTH = 16  # 16 of 31 symbols: 79 bits

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


def totp_required() -> bool:
    """STAFF_REQUIRE_TOTP (default on): every account needs a second factor."""
    raw = os.environ.get("STAFF_REQUIRE_TOTP", "").strip().lower()
    if not raw or raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"STAFF_REQUIRE_TOTP must be 1 or 0, got {raw!r}")


def check_language(language: str) -> str:
    value = (language or "").strip().lower()
    if value not in LANGUAGES:
        raise InvalidInput(f"unknown language {language!r} (one of: {', '.join(LANGUAGES)})")
    return value


def _code_hash(code: str) -> str:
    return hashlib.sha256(_normal_code(code).encode()).hexdigest()


def _normal_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _totp_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step a 6-digit code belongs to (now, or one step either
    side for clock drift), if it was not used before; else None."""
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    current = int(now.timestamp()) // TOTP_STEP
    found = None
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and (last_step is None or step > last_step):
            found = found if found is not None else step
    return found


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
    language: str = "en"
    second_factor: bool = False

    @property
    def label(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True)
class LoginResult:
    """``token`` on success; ``challenge`` when the password was right and
    the second factor is next; otherwise why not, and for a lock how long."""

    token: str | None = None
    user: StaffUser | None = None
    locked_for: int = 0  # seconds
    challenge: str | None = None
    no_second_factor: bool = False  # required, but the account has none enrolled
    challenge_gone: bool = False  # expired, used up or unknown: log in again
    recovery_codes_left: int | None = None  # after logging in with one

    @property
    def ok(self) -> bool:
        return self.token is not None

    @property
    def needs_code(self) -> bool:
        return self.challenge is not None


@dataclass(frozen=True)
class Enrolment:
    """What an administrator hands to the staff member, once."""

    secret: str
    uri: str
    recovery_codes: list


class StaffAccounts:
    def __init__(
        self,
        store: LeadStore | None = None,
        *,
        idle_minutes: float | None = None,
        max_hours: float | None = None,
        require_totp: bool | None = None,
    ):
        self.store = store or LeadStore()
        self.require_totp = totp_required() if require_totp is None else bool(require_totp)
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
            "u.password_changed_at, u.disabled_at, u.language, u.totp_enrolled_at, "
            "(SELECT count(*) FROM staff_sessions s WHERE s.username = u.username "
            " AND s.expires_at > ?) AS sessions, "
            "(SELECT count(*) FROM staff_recovery_codes c WHERE c.username = u.username "
            " AND c.used_at IS NULL) AS recovery_codes "
            "FROM staff_users u ORDER BY u.username"
        )
        rows = self.store.run(lambda db: db.query(sql, [utc_now()]), write=False)
        for r in rows:
            r["sessions"] = int(r["sessions"])
            r["recovery_codes"] = int(r["recovery_codes"])
        return rows

    def get_user(self, username: str) -> dict | None:
        name = (username or "").strip().lower()
        return next((u for u in self.list_users() if u["username"] == name), None)

    def set_language(self, username: str, language: str, *, by: str) -> str:
        """The language of the dashboard for this account."""
        name, language = check_username(username), check_language(language)

        def run(db: Database) -> None:
            if db.execute("UPDATE staff_users SET language = ? WHERE username = ?", [language, name]).rowcount != 1:
                raise NotFound(f"no staff account {name!r}")
            self.store.audit(db, by, "user-language", name, f"language={language}")

        self.store.run(run, write=True)
        return language

    # -- second factor -------------------------------------------------------
    def enrol_totp(self, username: str, *, by: str) -> Enrolment:
        """A new TOTP secret and new recovery codes for the account (the old
        ones stop working, its sessions end). Show the result once."""
        name = check_username(username)
        secret = pyotp.random_base32()
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        now = utc_now()

        def run(db: Database) -> None:
            if (
                db.execute(
                    "UPDATE staff_users SET totp_secret = ?, totp_enrolled_at = ?, totp_last_step = NULL "
                    "WHERE username = ?",
                    [secret, now, name],
                ).rowcount
                != 1
            ):
                raise NotFound(f"no staff account {name!r}")
            _replace_codes(db, name, codes, now)
            db.execute("DELETE FROM staff_sessions WHERE username = ?", [name])
            db.execute("DELETE FROM login_challenges WHERE username = ?", [name])
            self.store.audit(db, by, "user-totp", name, f"second factor enrolled, {len(codes)} recovery codes")

        self.store.run(run, write=True)
        uri = pyotp.TOTP(secret, interval=TOTP_STEP).provisioning_uri(name=name, issuer_name=TOTP_ISSUER)
        return Enrolment(secret=secret, uri=uri, recovery_codes=codes)

    def remove_totp(self, username: str, *, by: str) -> None:
        """Take the second factor away (the account then logs in only where
        STAFF_REQUIRE_TOTP=0); its sessions end."""
        name = check_username(username)

        def run(db: Database) -> None:
            if (
                db.execute(
                    "UPDATE staff_users SET totp_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL "
                    "WHERE username = ?",
                    [name],
                ).rowcount
                != 1
            ):
                raise NotFound(f"no staff account {name!r}")
            db.execute("DELETE FROM staff_recovery_codes WHERE username = ?", [name])
            db.execute("DELETE FROM staff_sessions WHERE username = ?", [name])
            self.store.audit(db, by, "user-totp-remove", name, "second factor removed, sessions ended")

        self.store.run(run, write=True)

    def new_recovery_codes(self, username: str, *, by: str) -> list[str]:
        """A fresh set of recovery codes (the old ones stop working)."""
        name = check_username(username)
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]

        def run(db: Database) -> None:
            if db.scalar("SELECT totp_secret FROM staff_users WHERE username = ?", [name]) is None:
                raise NotFound(f"staff account {name!r} does not exist or has no second factor; enrol one first")
            _replace_codes(db, name, codes, utc_now())
            self.store.audit(db, by, "user-recovery-codes", name, f"{len(codes)} new recovery codes")

        self.store.run(run, write=True)
        return codes

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
                    "SELECT password_hash, display_name, disabled_at, totp_secret, language "
                    "FROM staff_users WHERE username = ?",
                    [name],
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

        if _hasher.check_needs_rehash(stored_hash):
            new_hash = _hasher.hash(password)
            self.store.run(
                lambda db: db.execute("UPDATE staff_users SET password_hash = ? WHERE username = ?", [new_hash, name]),
                write=True,
            )
        has_totp, language = row[3] is not None, row[4] or "en"
        if has_totp:
            challenge = secrets.token_urlsafe(32)

            def ask(db: Database) -> None:
                db.execute("DELETE FROM login_challenges WHERE username = ? OR expires_at <= ?", [name, _iso(now)])
                db.insert(
                    "login_challenges",
                    {
                        "token_hash": _token_hash(challenge),
                        "username": name,
                        "created_at": _iso(now),
                        "expires_at": _iso(now + CHALLENGE_TTL),
                        "attempts": 0,
                    },
                )
                self.store.audit(db, name, "login-password-ok", None, f"second factor asked, from {client[:64]}")

            self.store.run(ask, write=True)
            return LoginResult(challenge=challenge, user=StaffUser(name, row[1] or "", "", language, True))
        if self.require_totp:
            self.store.record_audit(name, "login-refused", None, f"no second factor enrolled, from {client[:64]}")
            return LoginResult(no_second_factor=True)
        return self._start_session(name, row[1] or "", language, False, keys, now, client, "password only")

    def second_factor(self, challenge: str, code: str, *, client: str = "unknown") -> LoginResult:
        """Finish a login with a 6-digit TOTP code or a recovery code."""
        now = _now()
        digest = _token_hash(challenge or "")
        found = self.store.run(
            lambda db: db.one(
                "SELECT c.username, c.expires_at, c.attempts, u.display_name, u.totp_secret, u.totp_last_step, "
                "u.language, u.disabled_at FROM login_challenges c JOIN staff_users u ON u.username = c.username "
                "WHERE c.token_hash = ?",
                [digest],
            ),
            write=False,
        )
        if found is None or _parse(found[1]) <= now or found[4] is None or found[7] is not None:
            return LoginResult(challenge_gone=True)
        name, _, attempts, display, secret, last_step, language, _ = found
        keys = [f"user:{name}", f"addr:{client[:64]}"]
        locked = self.store.run(lambda db: _locked_for(db, keys, now), write=False)
        if locked:
            self.store.record_audit(name, "login-refused", None, f"locked for {locked}s")
            return LoginResult(locked_for=locked, challenge=challenge)
        typed = _normal_code(code)
        step = _totp_step(secret, typed, now, last_step) if re.fullmatch(r"[0-9]{6}", typed) else None

        def check(db: Database) -> tuple[str, int] | None:
            if step is not None:
                if (
                    db.execute(
                        "UPDATE staff_users SET totp_last_step = ? WHERE username = ? "
                        "AND (totp_last_step IS NULL OR totp_last_step < ?)",
                        [step, name, step],
                    ).rowcount
                    == 1
                ):
                    return "totp", -1
                return None  # used a moment ago by another request
            if len(typed) == _RECOVERY_LENGTH:
                used = db.execute(
                    "UPDATE staff_recovery_codes SET used_at = ? WHERE username = ? AND code_hash = ? "
                    "AND used_at IS NULL",
                    [_iso(now), name, _code_hash(typed)],
                ).rowcount
                if used == 1:
                    left = db.scalar(
                        "SELECT count(*) FROM staff_recovery_codes WHERE username = ? AND used_at IS NULL", [name]
                    )
                    return "recovery code", int(left)
            return None

        accepted = self.store.run(check, write=True)
        if accepted is None:

            def fail(db: Database) -> int:
                for key in keys:
                    _count_failure(db, key, now)
                if attempts + 1 >= CHALLENGE_TRIES:
                    db.execute("DELETE FROM login_challenges WHERE token_hash = ?", [digest])
                else:
                    db.execute("UPDATE login_challenges SET attempts = attempts + 1 WHERE token_hash = ?", [digest])
                self.store.audit(db, name, "login-failed", None, f"wrong second-factor code, from {client[:64]}")
                return _locked_for(db, keys, now)

            locked = self.store.run(fail, write=True)
            gone = attempts + 1 >= CHALLENGE_TRIES
            return LoginResult(locked_for=locked, challenge=None if gone else challenge, challenge_gone=gone)
        how, left = accepted
        self.store.run(lambda db: db.execute("DELETE FROM login_challenges WHERE token_hash = ?", [digest]), write=True)
        detail = how if left < 0 else f"{how}, {left} left"
        result = self._start_session(name, display or "", language or "en", True, keys, now, client, detail)
        return LoginResult(token=result.token, user=result.user, recovery_codes_left=None if left < 0 else left)

    def _start_session(
        self,
        name: str,
        display: str,
        language: str,
        second_factor: bool,
        keys: list[str],
        now: datetime,
        client: str,
        how: str,
    ) -> LoginResult:
        token = secrets.token_urlsafe(32)
        expires = now + self.max_age

        def start(db: Database) -> None:
            db.execute(f"DELETE FROM login_failures WHERE key IN ({', '.join('?' * len(keys))})", keys)
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
            self.store.audit(db, name, "login", None, f"from {client[:64]}, {how}")

        self.store.run(start, write=True)
        return LoginResult(token=token, user=StaffUser(name, display, _iso(expires), language, second_factor))

    def session(self, token: str) -> StaffUser | None:
        """The user of a live session, or None (unknown, idle too long, expired)."""
        if not token or len(token) > 200:
            return None
        digest, now = _token_hash(token), _now()
        row = self.store.run(
            lambda db: db.one(
                "SELECT s.username, u.display_name, s.last_seen_at, s.expires_at, u.disabled_at, u.language, "
                "u.totp_secret IS NOT NULL FROM staff_sessions s JOIN staff_users u ON u.username = s.username "
                "WHERE s.token_hash = ?",
                [digest],
            ),
            write=False,
        )
        if row is None:
            return None
        username, display, last_seen, expires, disabled, language, second_factor = row
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
        return StaffUser(username, display or "", expires, language or "en", bool(second_factor))

    def end_session(self, token: str, *, reason: str = "logout") -> None:
        digest = _token_hash(token or "")

        def run(db: Database) -> None:
            username = db.scalar("SELECT username FROM staff_sessions WHERE token_hash = ?", [digest])
            if username is not None:
                db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", [digest])
                self.store.audit(db, username, "logout" if reason == "logout" else "session-expired", None)

        self.store.run(run, write=True)


def _replace_codes(db: Database, name: str, codes: list[str], now: str) -> None:
    db.execute("DELETE FROM staff_recovery_codes WHERE username = ?", [name])
    db.insert_all(
        "staff_recovery_codes",
        [{"username": name, "code_hash": _code_hash(c), "created_at": now, "used_at": None} for c in codes],
    )


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
