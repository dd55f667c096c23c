"""The lead store's tables, created and migrated by code.

``meta.schema_version`` counts the applied entries of :data:`MIGRATIONS` (an
ordered list; never reorder or edit a released one, append a new one). Each
migration is a list of statements in the SQL both SQLite and PostgreSQL
speak; ``{id}`` stands for an auto-numbered primary key and ``{real}`` for a
floating-point column. An entry of a migration may also be a function
``f(db)`` (a data back-fill in Python, for what the two dialects would write
differently in SQL). Migrations run inside one transaction, under the write
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

# The whole conversation state (bot/dialogue, bot/screening) as the action server last saved
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


def _backfill_search_keys(db: Database) -> None:
    """Fill the search columns of screenings saved before M005 (from their contact JSON)."""
    import json

    from bot.store.records import search_keys

    for sid, contact in list(db.execute("SELECT screening_id, contact FROM screenings WHERE contact IS NOT NULL")):
        try:
            contact = json.loads(contact)
        except ValueError:
            continue
        name, phone = search_keys(contact)
        consented = 1 if isinstance(contact, dict) and contact.get("consented") else 0
        db.execute(
            "UPDATE screenings SET search_name = ?, search_phone = ?, contact_consented = ? WHERE screening_id = ?",
            [name, phone, consented, sid],
        )


# The coordinator's follow-up of each lead (issue 15): a status, an owner (a
# staff account), a callback time, and a log of calls, notes and changes;
# the screening's language (DESIGN.md); search keys for the person's name
# and phone (lower-cased name without spaces, phone digits; only for leads
# who consented to be contacted, as their contact details are).
M005_FOLLOW_UP = [
    "ALTER TABLE screenings ADD COLUMN language TEXT NOT NULL DEFAULT 'en'",
    "ALTER TABLE screenings ADD COLUMN follow_status TEXT NOT NULL DEFAULT 'to_call'",
    "ALTER TABLE screenings ADD COLUMN follow_owner TEXT",
    "ALTER TABLE screenings ADD COLUMN callback_at TEXT",  # UTC, sortable form (records.sortable)
    "ALTER TABLE screenings ADD COLUMN follow_updated_at TEXT",
    "ALTER TABLE screenings ADD COLUMN search_name TEXT",
    "ALTER TABLE screenings ADD COLUMN search_phone TEXT",
    "ALTER TABLE screenings ADD COLUMN contact_consented INTEGER NOT NULL DEFAULT 0",
    "CREATE INDEX screenings_follow_status ON screenings(follow_status)",
    "CREATE INDEX screenings_callback ON screenings(callback_at)",
    """CREATE TABLE follow_up_log (
        id           {id},
        screening_id TEXT NOT NULL REFERENCES screenings(screening_id) ON DELETE CASCADE,
        at           TEXT NOT NULL,
        "by"         TEXT NOT NULL,
        kind         TEXT NOT NULL,   -- note | call | status | owner | callback
        result       TEXT,            -- a call's result
        old          TEXT,
        new          TEXT,
        text         TEXT             -- a note (may hold health data: goes with the lead)
    )""",
    "CREATE INDEX follow_up_log_screening ON follow_up_log(screening_id)",
    _backfill_search_keys,
]

# Staff accounts: a language preference, a TOTP second factor (the secret,
# when it was enrolled, the last time step used so a code works once),
# single-use recovery codes (only their SHA-256 is kept) and the short-lived
# challenge between the password and the code.
M006_STAFF_SECOND_FACTOR = [
    "ALTER TABLE staff_users ADD COLUMN language TEXT NOT NULL DEFAULT 'en'",
    "ALTER TABLE staff_users ADD COLUMN totp_secret TEXT",
    "ALTER TABLE staff_users ADD COLUMN totp_enrolled_at TEXT",
    "ALTER TABLE staff_users ADD COLUMN totp_last_step BIGINT",
    """CREATE TABLE staff_recovery_codes (
        username   TEXT NOT NULL REFERENCES staff_users(username) ON DELETE CASCADE,
        code_hash  TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used_at    TEXT,
        PRIMARY KEY (username, code_hash)
    )""",
    """CREATE TABLE login_challenges (
        token_hash TEXT PRIMARY KEY,
        username   TEXT NOT NULL REFERENCES staff_users(username) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0
    )""",
]

# The chat page's sessions (bot/store/chat_sessions.py): the browser holds a
# random token, the table only its SHA-256, the conversation it opens and when
# it ends (idle and absolute). Revoked sessions are deleted. Session starts are
# counted per client address (a keyed hash, never the address) for an hour.
M007_CHAT_SESSIONS = [
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

# M008: a reason is stored as its template key and parameters beside the English
# sentence, so staff read it in their own language (bot/reasons.py renders it).
# Rows saved before M008 have no key and show the English sentence.
M008_REASON_KEYS = [
    "ALTER TABLE answers ADD COLUMN reason_key TEXT",
    "ALTER TABLE answers ADD COLUMN reason_params TEXT",  # JSON
    "ALTER TABLE review_items ADD COLUMN reason_key TEXT",
    "ALTER TABLE review_items ADD COLUMN reason_params TEXT",  # JSON
]

# Ordered; meta.schema_version == number of applied entries.
MIGRATIONS: list[list] = [
    M001_INITIAL,
    M002_NOTIFICATIONS,
    M003_STAFF_ACCOUNTS,
    M004_SCREENING_STATES,
    M005_FOLLOW_UP,
    M006_STAFF_SECOND_FACTOR,
    M007_CHAT_SESSIONS,
    M008_REASON_KEYS,
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
            if callable(statement):
                statement(db)
            else:
                db.execute(statement.format(**types))
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(len(MIGRATIONS))],
    )
    return len(MIGRATIONS)
