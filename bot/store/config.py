"""Where the lead store and Rasa's conversation store live, and how long data
is kept: read from the environment at call time.

``LEAD_DB`` and ``TRACKER_DB`` are each a file path (SQLite; relative paths
are under the project root) or a PostgreSQL URL
(``postgresql://user:password@host:5432/name``).
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.env import SettingsError, env_float, env_int
from bot.store.errors import InvalidInput
from bot.store.sql import is_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LEAD_DB = "var/leads.db"
DEFAULT_TRACKER_DB = "var/tracker.db"
DEFAULT_RETENTION_DAYS = 365
DEFAULT_LOCK_TIMEOUT = 30.0


def _env_target(name: str, default: str) -> str | Path:
    raw = (os.environ.get(name) or default).strip()
    if is_url(raw):
        return raw
    path = Path(raw).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def lead_db_path() -> str | Path:
    """The lead database: a Path (SQLite) or a URL string."""
    return _env_target("LEAD_DB", DEFAULT_LEAD_DB)


def tracker_db_path() -> str | Path:
    """Rasa's conversation store: a Path (SQLite) or a URL string."""
    return _env_target("TRACKER_DB", DEFAULT_TRACKER_DB)


def retention_days() -> int:
    try:
        return env_int("RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    except SettingsError as error:
        raise InvalidInput(str(error)) from None


def lock_timeout_from_env() -> float:
    try:
        return env_float("LEAD_DB_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)
    except SettingsError as error:
        raise InvalidInput(str(error)) from None
