"""Database access for the lead store: one code path for SQLite and PostgreSQL.

SQL is written once, with ``?`` placeholders, in the subset both databases
speak (``INSERT ... ON CONFLICT``, no ``PRAGMA`` outside this module). A
:class:`Database` wraps one SQLAlchemy connection and hands out plain tuples
and dicts; :func:`transaction` runs a function in one transaction and retries
the whole of it while the database is busy:

- SQLite: ``BEGIN IMMEDIATE`` for writes (writers queue on the file lock),
  ``BEGIN`` for a consistent read snapshot; "database is locked" is retried.
- PostgreSQL: ``BEGIN`` (read committed) for writes, a repeatable-read,
  read-only snapshot for reads; writers that touch the same screening take
  an advisory lock (:meth:`Database.lock`); serialization failures, deadlocks
  and lost connections are retried.

A target is a file path (SQLite) or a URL such as
``postgresql://user:password@host:5432/leads``.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from threading import Lock
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.pool import QueuePool

T = TypeVar("T")
SQLITE, POSTGRESQL = "sqlite", "postgresql"
# Retry these PostgreSQL error classes: serialization failure, deadlock,
# lock not available, and connection exceptions (class 08) / shutdown (57P).
_PG_RETRY_CODES = ("40001", "40P01", "55P03")
_PG_RETRY_CLASSES = ("08", "57")


class Unavailable(Exception):
    """The database could not be opened, or stayed busy (locked,
    unreachable) past the deadline."""


class Broken(Exception):
    """The database answered with an error that a retry will not fix."""


def is_url(target: str | os.PathLike) -> bool:
    return "://" in str(target)


def dialect_of(target: str | os.PathLike) -> str:
    if not is_url(target):
        return SQLITE
    scheme = str(target).split("://", 1)[0].split("+", 1)[0].lower()
    if scheme in ("postgresql", "postgres"):
        return POSTGRESQL
    if scheme == "sqlite":
        return SQLITE
    raise ValueError(f"unsupported database URL scheme {scheme!r} (use a file path for SQLite, or postgresql://...)")


def redact(target: str | os.PathLike) -> str:
    """The target without its password, for messages and logs."""
    text = str(target)
    if not is_url(text) or "@" not in text:
        return text
    scheme, rest = text.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"


# --------------------------------------------------------------------------
# Engines (one per target per process; PostgreSQL connections are pooled)
# --------------------------------------------------------------------------
_engines: dict[tuple, Engine] = {}
_engines_lock = Lock()


def engine_for(target: str | os.PathLike, *, read_only_file: bool = False) -> Engine:
    key = (str(target), read_only_file)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = _make_engine(target, read_only_file)
        return engine


def _make_engine(target: str | os.PathLike, read_only_file: bool) -> Engine:
    if dialect_of(target) == POSTGRESQL:
        url = str(target).replace("postgres://", "postgresql://", 1)
        # AUTOCOMMIT at the driver: transactions are begun explicitly below.
        return create_engine(
            url,
            isolation_level="AUTOCOMMIT",
            pool_pre_ping=True,
            pool_size=4,
            max_overflow=8,
            future=True,
            connect_args={"connect_timeout": 5, "application_name": "prescreening-leads"},
        )
    path = str(target)
    if path.startswith("sqlite:///"):
        path = path[len("sqlite:///") :]

    def connect() -> sqlite3.Connection:
        # isolation_level=None: the driver never begins transactions itself,
        # so BEGIN IMMEDIATE below means what it says. mode=rw does not create
        # a missing file (used for Rasa's tracker database).
        if read_only_file:
            conn = sqlite3.connect(
                f"file:{path}?mode=rw", uri=True, timeout=5, isolation_level=None, check_same_thread=False
            )
        else:
            conn = sqlite3.connect(path, timeout=5, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    # Connections are kept open between operations: opening one and closing
    # the last one (a WAL checkpoint) cost more than the rest of a turn's
    # save. A kept connection is used only while its file is still the one
    # at the path (a deleted or replaced file gets a fresh connection, so
    # nothing is written to an unlinked file); permissions are still checked
    # before every operation (LeadStore.run).
    engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=4, max_overflow=-1, future=True)

    @event.listens_for(engine, "connect")
    def _remember_file(dbapi_conn, record) -> None:
        record.info["file"] = _file_identity(path)

    @event.listens_for(engine, "checkout")
    def _same_file(dbapi_conn, record, proxy) -> None:
        if record.info.get("file") != _file_identity(path) or record.info.get("file") is None:
            raise DisconnectionError("the database file was replaced or removed")

    return engine


_SQLITE_BUSY_MS = 5000


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _forget_engines_after_fork() -> None:
    # A child process must not use, or close, its parent's open connections
    # (SQLite advises against both); the lock may have been held at the fork.
    global _engines_lock
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()
    _engines_lock = Lock()


os.register_at_fork(after_in_child=_forget_engines_after_fork)


def dispose_engines() -> None:
    """Close pooled connections (tests; after a fork)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


# --------------------------------------------------------------------------
# One connection
# --------------------------------------------------------------------------
def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Database:
    """Plain SQL on one connection, the same for SQLite and PostgreSQL."""

    def __init__(self, conn: Connection, dialect: str):
        self.conn = conn
        self.dialect = dialect

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == POSTGRESQL

    def _sql(self, sql: str) -> str:
        # psycopg2 uses %s placeholders (and %% for a literal %).
        return sql.replace("%", "%%").replace("?", "%s") if self.is_postgresql else sql

    def execute(self, sql: str, params: Sequence | None = None):
        return self.conn.exec_driver_sql(self._sql(sql), tuple(params or ()))

    def execute_many(self, sql: str, rows: Sequence[Sequence]) -> None:
        if rows:
            self.conn.exec_driver_sql(self._sql(sql), [tuple(r) for r in rows])

    def query(self, sql: str, params: Sequence | None = None) -> list[dict]:
        return [dict(r) for r in self.execute(sql, params).mappings()]

    def one(self, sql: str, params: Sequence | None = None) -> tuple | None:
        row = self.execute(sql, params).fetchone()
        return None if row is None else tuple(row)

    def scalar(self, sql: str, params: Sequence | None = None) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def has_table(self, name: str) -> bool:
        return inspect(self.conn).has_table(name)

    def columns(self, table: str) -> set[str]:
        if not self.has_table(table):
            return set()
        return {c["name"] for c in inspect(self.conn).get_columns(table)}

    # -- row helpers ---------------------------------------------------------
    @staticmethod
    def _insert_sql(table: str, columns: Sequence[str]) -> str:
        cols = ", ".join(_quote(c) for c in columns)
        return f"INSERT INTO {_quote(table)} ({cols}) VALUES ({placeholders(len(columns))})"

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        self.execute(self._insert_sql(table, list(row)), list(row.values()))

    def insert_all(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            columns = list(rows[0])
            self.execute_many(self._insert_sql(table, columns), [[r[c] for c in columns] for r in rows])

    def insert_ignore(self, table: str, row: Mapping[str, Any]) -> bool:
        """Insert unless a unique key already holds such a row; True if inserted."""
        sql = self._insert_sql(table, list(row)) + " ON CONFLICT DO NOTHING"
        return self.execute(sql, list(row.values())).rowcount == 1

    def upsert(self, table: str, row: Mapping[str, Any], key: str | Sequence[str]) -> None:
        keys = [key] if isinstance(key, str) else list(key)
        updates = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in row if c not in keys)
        sql = (
            self._insert_sql(table, list(row))
            + f" ON CONFLICT ({', '.join(_quote(k) for k in keys)}) DO UPDATE SET {updates}"
        )
        self.execute(sql, list(row.values()))

    def lock(self, name: str) -> None:
        """Serialise writers on ``name`` until the transaction ends. SQLite
        needs nothing: BEGIN IMMEDIATE already admits one writer at a time."""
        if self.is_postgresql:
            self.execute("SELECT pg_advisory_xact_lock(?)", [zlib.crc32(name.encode())])


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------
# Transactions with retry
# --------------------------------------------------------------------------
def _retryable(exc: BaseException, dialect: str) -> bool:
    orig = getattr(exc, "orig", exc)
    if dialect == SQLITE:
        msg = str(orig).lower()
        return isinstance(orig, sqlite3.OperationalError) and ("locked" in msg or "busy" in msg)
    code = getattr(orig, "pgcode", None) or ""
    if code:
        return code in _PG_RETRY_CODES or code[:2] in _PG_RETRY_CLASSES
    # No error code: the connection itself failed (refused, reset, server gone).
    return isinstance(exc, (OperationalError, InterfaceError)) or bool(getattr(exc, "connection_invalidated", False))


def _begin(db: Database, write: bool) -> None:
    if db.is_postgresql:
        db.execute("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    else:
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")


def transaction(
    engine: Engine,
    dialect: str,
    fn: Callable[[Database], T],
    *,
    write: bool,
    timeout: float,
    commit: bool = True,
    prepare: Callable[[Database], None] | None = None,
) -> T:
    """Run ``fn(db)`` in one transaction, retrying all of it while the
    database is busy, until ``timeout`` seconds have passed (then
    :class:`Unavailable`). ``prepare(db)`` runs first on each new connection,
    outside the transaction. ``commit=False`` rolls back (dry runs)."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        conn = None
        try:
            try:
                conn = engine.connect()
            except DBAPIError as exc:
                if dialect == SQLITE or time.monotonic() + delay > deadline:
                    raise Unavailable(_message(exc)) from exc
                raise
            db = Database(conn, dialect)
            if dialect == SQLITE:
                # Each connection starts with the full busy timeout; a retry waits only what is left.
                remaining_ms = int(max(0.05, min(deadline - time.monotonic(), 5.0)) * 1000)
                if remaining_ms < _SQLITE_BUSY_MS - 100:
                    db.execute(f"PRAGMA busy_timeout = {remaining_ms}")
                    conn.info["busy_ms"] = remaining_ms
                elif conn.info.get("busy_ms"):
                    db.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
                    conn.info.pop("busy_ms")
            if prepare is not None:
                prepare(db)
            _begin(db, write)
            try:
                result = fn(db)
                db.execute("COMMIT" if commit else "ROLLBACK")
            except BaseException:
                _rollback(db)
                raise
            return result
        except DBAPIError as exc:
            if not _retryable(exc, dialect):
                raise Broken(_message(exc)) from exc
            if time.monotonic() + delay > deadline:
                raise Unavailable(_message(exc)) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)
        finally:
            if conn is not None:
                conn.close()


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _rollback(db: Database) -> None:
    try:
        db.execute("ROLLBACK")
    except Exception:  # noqa: BLE001 - the connection may be gone; nothing was committed
        pass


def create_private_file(path: Path) -> None:
    """Create an SQLite file readable by its owner only (health data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass
