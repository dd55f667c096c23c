"""Secrets shared by the local services (chat-session signing key, dashboard
cookie key), so that a restart keeps every browser's session.

``secret("CHAT_SESSION_SECRET")`` returns the environment variable when it is
set; otherwise a random 256-bit value kept in ``var/secrets/<NAME>`` (created
owner-only on first use, the folder ``SECRETS_DIR`` overrides). Several
replicas on several machines must be given the same value in the environment.
"""

from __future__ import annotations

import os
import re
import secrets as _random
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_LENGTH = 32  # characters; a shorter configured secret is refused
_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")


class SecretError(Exception):
    """A configured secret is unusable (too short) or cannot be stored."""


def secrets_dir() -> Path:
    raw = os.environ.get("SECRETS_DIR") or "var/secrets"
    path = Path(raw).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def secret(name: str) -> str:
    """The secret called ``name`` (environment first, else the local file)."""
    if not _NAME.match(name):
        raise ValueError(f"not a secret name: {name!r}")
    configured = os.environ.get(name, "")
    if configured:
        if len(configured) < MIN_LENGTH:
            raise SecretError(f"{name} must be at least {MIN_LENGTH} characters long")
        return configured
    path = secrets_dir() / name
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written to a private temporary file, then linked into place: when two
    # services start at once, exactly one value wins and both read it.
    tmp = path.with_name(f".{name}.{os.getpid()}.{_random.token_hex(4)}")
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


def _read(path: Path) -> str:
    value = path.read_text().strip()
    if len(value) < MIN_LENGTH:
        raise SecretError(f"{path} holds no usable secret; delete it to make a new one")
    return value
