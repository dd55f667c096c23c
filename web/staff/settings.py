"""Settings of the staff dashboard, read from the environment (defaults as in DESIGN.md)."""

from __future__ import annotations

import os
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_STAFF_PORT = 8081
DEFAULT_TIMEZONE = "Asia/Shanghai"  # Henan Cancer Hospital, Zhengzhou
PAGE_SIZE = 25  # leads per page of the list
REVIEW_PAGE_SIZE = 10  # leads per page of the review queue
MAX_PAGE = 100_000  # a larger page number is a 400, not a query
CALL_LIST_LIMIT = 5000  # rows in one call-list export


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


def site_timezone_name() -> str:
    return (os.environ.get("STAFF_TIMEZONE") or DEFAULT_TIMEZONE).strip()


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"STAFF_TIMEZONE must be a time zone name like Asia/Shanghai, got {name!r}") from None


def site_timezone() -> ZoneInfo:
    """The time zone staff read and type times in (callbacks, the lists):
    STAFF_TIMEZONE, default Asia/Shanghai. Stored times are UTC."""
    return _zone(site_timezone_name())
