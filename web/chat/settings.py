"""Settings of the chat page, read from the environment (defaults as in DESIGN.md).

The Rasa server's socket.io channel reads the same variables (CHAT_PORT,
CHAT_ORIGINS, MAX_MESSAGE_CHARS), so both sides agree. Standard library only.
"""

from __future__ import annotations

import os

DEFAULT_CHAT_PORT = 8080
DEFAULT_RASA_URL = "http://localhost:5005"
DEFAULT_COOKIE_MAX_AGE = 12 * 60 * 60  # seconds: one sitting, with room for a break
DEFAULT_MAX_MESSAGE_CHARS = 2000  # as rasa_extensions/channels.py


class SettingsError(ValueError):
    """An environment variable holds an unusable value."""


def env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def chat_port() -> int:
    return env_int("CHAT_PORT", DEFAULT_CHAT_PORT)


def chat_origins() -> tuple[str, ...]:
    """Origins the chat page is served from: the only ones allowed on the socket."""
    raw = os.environ.get("CHAT_ORIGINS", "")
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    if origins:
        return origins
    port = chat_port()
    return (f"http://localhost:{port}", f"http://127.0.0.1:{port}")


def rasa_url() -> str:
    url = (os.environ.get("RASA_URL") or DEFAULT_RASA_URL).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"RASA_URL must start with http:// or https://, got {url!r}")
    return url


def max_message_chars() -> int:
    return env_int("MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS)
