"""Secrets shared by the local services, so that a restart keeps every
browser's session and every internal caller still gets in.

``secret("CHAT_SESSION_SECRET")`` returns the environment variable when it is
set; otherwise a random 256-bit value kept in ``var/secrets/<NAME>`` (created
owner-only on first use; the folder ``SECRETS_DIR`` overrides). Several
replicas on several machines must be given the same value in the environment
(docs/deployment.md).

The secrets (each one variable):

- ``CHAT_SESSION_SECRET``: signs the chat page's socket tokens (the chat page
  and the Rasa server's socket.io channel);
- ``STAFF_SECRET_KEY``: the dashboard's Flask key (CSRF);
- ``ACTION_SERVER_TOKEN``: what the Rasa server sends to the action server
  (``Authorization: Bearer``, endpoints.yml); the action server refuses every
  request without it (actions/server.py);
- ``REST_TOKEN``: what trusted callers of the REST channel send
  (``Authorization: Bearer``); kept in ``var/rest_token`` (:func:`rest_token`),
  where DESIGN.md says the run command puts it;
- ``RASA_API_TOKEN``: the Rasa HTTP API's token, when it is on.

``var/`` is ``VAR_DIR`` (default: the project's ``var/``): every folder this
module creates is 0700, every file 0600.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets as _random
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_LENGTH = 32  # characters; a shorter configured secret is refused
REST_TOKEN_FILE = "rest_token"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")


class SecretError(Exception):
    """A configured secret is unusable (too short) or cannot be stored."""


def _project_path(raw: str) -> Path:
    path = Path(raw).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def var_dir() -> Path:
    """Where `make run` keeps data, logs and generated secrets (VAR_DIR, default var/)."""
    return _project_path(os.environ.get("VAR_DIR") or "var")


def secrets_dir() -> Path:
    raw = os.environ.get("SECRETS_DIR")
    return _project_path(raw) if raw else var_dir() / "secrets"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents) owner-only; an existing one is made 0700."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def secret(name: str, path: Path | None = None) -> str:
    """The secret called ``name``: the environment first, else the file
    ``path`` (default ``secrets_dir()/name``), made on first use."""
    if not _NAME.match(name):
        raise ValueError(f"not a secret name: {name!r}")
    configured = os.environ.get(name, "")
    if configured:
        if len(configured) < MIN_LENGTH:
            raise SecretError(f"{name} must be at least {MIN_LENGTH} characters long")
        return configured
    path = path or secrets_dir() / name
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    try:
        private_dir(path.parent)
    except OSError as exc:
        raise SecretError(f"cannot create {path.parent}: {exc.strerror}") from None
    # Written to a private temporary file, then linked into place: when two
    # services start at once, exactly one value wins and both read it.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{_random.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(_random.token_urlsafe(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    except OSError as exc:
        raise SecretError(f"cannot create {path}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return _read(path)


def rest_token_path() -> Path:
    return var_dir() / REST_TOKEN_FILE


def rest_token() -> str:
    """REST_TOKEN, else the one kept in var/rest_token (made owner-only on first use)."""
    return secret("REST_TOKEN", rest_token_path())


def bearer_matches(header: str | None, expected: str) -> bool:
    """True if an ``Authorization`` header is exactly ``Bearer <expected>``
    (compared in constant time); False for anything else, an empty
    ``expected`` included."""
    if not expected or not isinstance(header, str) or len(header) > 1024:
        return False
    scheme, _, value = header.strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), expected.encode())


def where(name: str, path: Path | None = None) -> str:
    """Where a secret comes from, for messages (never its value)."""
    if os.environ.get(name):
        return f"the environment variable {name}"
    path = path or secrets_dir() / name
    return str(path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path)


def _read(path: Path) -> str:
    value = path.read_text().strip()
    if len(value) < MIN_LENGTH:
        raise SecretError(f"{path} holds no usable secret; delete it to make a new one")
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # copied in with a wider mode: owner-only again
    except OSError:
        pass
    return value
