"""Settings of the staff dashboard, read from the environment (defaults as in DESIGN.md)."""

from __future__ import annotations

import os

DEFAULT_STAFF_PORT = 8081
PAGE_SIZE = 50


class SettingsError(ValueError):
    """An environment variable holds an unusable value."""


def staff_port() -> int:
    raw = os.environ.get("STAFF_PORT", "").strip()
    if not raw:
        return DEFAULT_STAFF_PORT
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"STAFF_PORT must be a port number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"STAFF_PORT must be 1-65535, got {port}")
    return port


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")


def secure_cookies() -> bool:
    """Cookies only over HTTPS (browsers treat http://localhost as secure too).
    STAFF_COOKIE_SECURE=0 only for a plain-HTTP test set-up on another host."""
    return _flag("STAFF_COOKIE_SECURE", True)


def behind_proxy() -> bool:
    """STAFF_TRUST_PROXY=1: take the client address and scheme from one
    reverse proxy's X-Forwarded-* headers (needed for per-address login limits)."""
    return _flag("STAFF_TRUST_PROXY", False)
