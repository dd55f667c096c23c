"""The lead store's tables, created and migrated by code.

``meta.schema_version`` counts the applied entries of :data:`MIGRATIONS` (an
ordered list; never reorder or edit a released one, append a new one). Each
migration is a list of statements in the SQL both SQLite and PostgreSQL
speak; ``{id}`` stands for an auto-numbered primary key and ``{real}`` for a
floating-point column. Migrations run inside one transaction, under the write
lock (SQLite) or an advisory lock (PostgreSQL), so two processes starting at
once migrate once.
"""

from __future__ import annotations

from bot.store.sql import Database

_TYPES = {
    "sqlite": {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "real": "REAL"},
    "postgresql": {"id": "BIGSERIAL PRIMARY KEY", "real": "DOUBLE PRECISION"},
}
MIGRATION_LOCK = "lead-store-schema"

M001_INITIAL = [
    """CREATE TABLE screenings (
        screening_id    TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        trial_id        TEXT,
        role            TEXT,
        outcome         TEXT NOT NULL,
        started_at      TEXT NOT NULL,   -- as given
        completed_at    TEXT,            -- as given
        started_utc     TEXT NOT NULL,   -- normalised, for sorting and filters
        contact         TEXT,            -- JSON or NULL
        pending         TEXT NOT NULL DEFAULT '[]',  -- JSON list of criterion ids
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    )""",
    "CREATE INDEX screenings_conversation ON screenings(conversation_id)",
    "CREATE INDEX screenings_started ON screenings(started_utc)",
    "CREATE INDEX screenings_outcome ON screenings(outcome)",
    """CREATE TABLE answers (
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id),
        criterion    TEXT NOT NULL,
        position     INTEGER NOT NULL,
        question     TEXT,
        answer       TEXT,              -- verbatim
        value        TEXT,              -- JSON
        verdict      TEXT NOT NULL,
        reason       TEXT,
        confidence   {real},
        PRIMARY KEY (screening_id, criterion)
    )""",
    """CREATE TABLE review_items (
        id           {id},
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id),
        criterion    TEXT NOT NULL,
        question     TEXT,
        answer       TEXT,
        reason       TEXT,
        status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
        decision     TEXT CHECK (decision IS NULL OR decision IN ('pass', 'fail')),
        note         TEXT,
        resolved_by  TEXT,
        resolved_at  TEXT,
        created_at   TEXT NOT NULL,
        UNIQUE (screening_id, criterion)
    )""",
    "CREATE INDEX review_items_status ON review_items(status)",
    """CREATE TABLE transcript (
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id),
        seq          INTEGER NOT NULL,
        at           TEXT,
        speaker      TEXT NOT NULL,
        text         TEXT NOT NULL,
        PRIMARY KEY (screening_id, seq)
    )""",
    """CREATE TABLE outcome_history (
        id           {id},
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id),
        old          TEXT,
        new          TEXT NOT NULL,
        at           TEXT NOT NULL,
        "by"         TEXT NOT NULL,
        why          TEXT
    )""",
    "CREATE INDEX outcome_history_screening ON outcome_history(screening_id)",
    # Who did what, when. Never health data: ids and counts only.
    """CREATE TABLE audit (
        id     {id},
        at     TEXT NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT
    )""",
]

# Staff-notification outbox (bot/notify.py). Rows go with their screening
# (erasure, purge) through ON DELETE CASCADE.
M002_NOTIFICATIONS = [
    """CREATE TABLE notifications (
        id              {id},
        screening_id    TEXT NOT NULL REFERENCES screenings(screening_id) ON DELETE CASCADE,
        channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
        status          TEXT NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sent', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,            -- UTC ISO 8601, seconds (sortable)
        last_error      TEXT,            -- short; never health data
        created_at      TEXT NOT NULL,
        sent_at         TEXT,
        UNIQUE (screening_id, channel)
    )""",
    "CREATE INDEX notifications_due ON notifications(status, next_attempt_at)",
]

# Staff accounts of the dashboard (bot/store/accounts.py): argon2 password
# hashes, server-side sessions (only a hash of the cookie's token is kept),
# and failed-login counters that slow down guessing.
M003_STAFF_ACCOUNTS = [
    """CREATE TABLE staff_users (
        username            TEXT PRIMARY KEY,
        display_name        TEXT,
        password_hash       TEXT NOT NULL,
        created_at          TEXT NOT NULL,
        created_by          TEXT NOT NULL,
        password_changed_at TEXT NOT NULL,
        disabled_at         TEXT
    )""",
    """CREATE TABLE staff_sessions (
        token_hash   TEXT PRIMARY KEY,
        username     TEXT NOT NULL REFERENCES staff_users(username) ON DELETE CASCADE,
        created_at   TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        expires_at   TEXT NOT NULL
    )""",
    "CREATE INDEX staff_sessions_user ON staff_sessions(username)",
    """CREATE TABLE login_failures (
        key          TEXT PRIMARY KEY,   -- 'user:<name>' or 'addr:<ip>'
        failures     INTEGER NOT NULL,
        last_at      TEXT NOT NULL,
        locked_until TEXT
    )""",
]

# The whole screening state (bot/engine.py) as the action server last saved
# it, so Rasa's conversation needs to carry only a reference to it
# (actions/adapter.py). Each save is a new revision; the newest few are kept.
M004_SCREENING_STATES = [
    """CREATE TABLE screening_states (
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id) ON DELETE CASCADE,
        revision     TEXT NOT NULL,
        state        TEXT NOT NULL,      -- JSON
        saved_at     TEXT NOT NULL,
        seq          INTEGER NOT NULL,   -- 1, 2, ... per screening: newest = highest
        PRIMARY KEY (screening_id, revision)
    )""",
    "CREATE INDEX screening_states_newest ON screening_states(screening_id, seq)",
]

# The chat page's sessions (bot/store/chat_sessions.py): the browser holds a
# random token, the table only its SHA-256, the conversation it opens and when
# it ends (idle and absolute). Revoked sessions are deleted. Session starts are
# counted per client address (a keyed hash, never the address) for an hour.
M005_CHAT_SESSIONS = [
    """CREATE TABLE chat_sessions (
        session_id      TEXT PRIMARY KEY,   -- random; named in the socket token
        token_hash      TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        last_seen_at    TEXT NOT NULL,
        expires_at      TEXT NOT NULL
    )""",
    "CREATE INDEX chat_sessions_conversation ON chat_sessions(conversation_id)",
    "CREATE INDEX chat_sessions_expires ON chat_sessions(expires_at)",
    """CREATE TABLE chat_session_starts (
        id          {id},
        address_key TEXT NOT NULL,
        at          TEXT NOT NULL
    )""",
    "CREATE INDEX chat_session_starts_address ON chat_session_starts(address_key, at)",
]

# Ordered; meta.schema_version == number of applied entries.
MIGRATIONS: list[list[str]] = [
    M001_INITIAL,
    M002_NOTIFICATIONS,
    M003_STAFF_ACCOUNTS,
    M004_SCREENING_STATES,
    M005_CHAT_SESSIONS,
]
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    if not db.has_table("meta"):
        return 0
    value = db.scalar("SELECT value FROM meta WHERE key = 'schema_version'")
    return int(value) if value is not None else 0


def migrate(db: Database) -> int:
    """Apply the missing migrations (call inside a write transaction)."""
    db.lock(MIGRATION_LOCK)
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    version = schema_version(db)  # re-read under the lock
    if version >= len(MIGRATIONS):
        return version  # another process was first (or the database is newer)
    types = _TYPES[db.dialect]
    for statements in MIGRATIONS[version:]:
        for statement in statements:
            db.execute(statement.format(**types))
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(len(MIGRATIONS))],
    )
    return len(MIGRATIONS)
