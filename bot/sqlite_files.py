"""Is an SQLite file usable? Checked when a service starts, so that a damaged
lead store or conversation store stops it with one clear line naming the
file, instead of a traceback (or, for the conversation store, Rasa retrying
for ever).

Standard library only: scripts/serve.py checks both stores before it starts
anything; the action server (actions/server.py) and the Rasa server's
tracker store (rasa_extensions/erasing_tracker_store.py) check again on
their own start.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

HEADER = b"SQLite format 3\x00"


class DamagedDatabase(Exception):
    """The file exists but is not a readable SQLite database; the message names it."""


def advice(path: Path | str, what: str, reason: str) -> str:
    return (
        f"{what} {path} is not a usable SQLite database ({reason}). Stop the services, move it "
        f"(and any {Path(path).name}-wal and {Path(path).name}-shm beside it) aside, and restore "
        "it from a backup; nothing was changed"
    )


def check_sqlite_file(path: Path | str, what: str = "database") -> None:
    """Raise :class:`DamagedDatabase` if ``path`` exists, is not empty and is
    not a sound SQLite database (header, then ``PRAGMA quick_check``). A
    missing or empty file is fine: it becomes a new database."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    except OSError as error:
        raise DamagedDatabase(advice(path, what, error.strerror or type(error).__name__)) from None
    if path.is_dir():
        raise DamagedDatabase(advice(path, what, "it is a folder"))
    if size == 0:
        return
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(HEADER))
    except OSError as error:
        raise DamagedDatabase(advice(path, what, error.strerror or type(error).__name__)) from None
    if header != HEADER:
        raise DamagedDatabase(advice(path, what, "it does not start with the SQLite header"))
    try:
        connection = sqlite3.connect(f"file:{os.fspath(path)}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as error:
        raise DamagedDatabase(advice(path, what, str(error))) from None
    try:
        rows = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            return  # another process is writing it: it opens, which is what we check
        raise DamagedDatabase(advice(path, what, str(error))) from None
    except sqlite3.DatabaseError as error:
        raise DamagedDatabase(advice(path, what, str(error))) from None
    finally:
        connection.close()
    problems = [row[0] for row in rows if row and row[0] != "ok"]
    if problems:
        raise DamagedDatabase(advice(path, what, f"quick_check: {problems[0]}"))
