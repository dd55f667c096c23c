"""Settings of the chat page, read from the environment (defaults as in DESIGN.md).

The Rasa server's socket.io channel reads the same variables (CHAT_PORT,
CHAT_ORIGINS, MAX_MESSAGE_CHARS, the session and per-address limits), so both
sides agree. The parsing is bot/env.py's. Standard library only.
"""

from __future__ import annotations

import os

from bot.env import SettingsError, env_flag, env_int, env_port, max_message_chars

__all__ = [
    "SettingsError",
    "chat_origins",
    "chat_port",
    "env_flag",
    "env_int",
    "max_message_chars",
    "rasa_url",
]

DEFAULT_CHAT_PORT = 8080
DEFAULT_RASA_URL = "http://localhost:5005"
DEFAULT_COOKIE_MAX_AGE = 12 * 60 * 60  # seconds: one sitting, with room for a break


def chat_port() -> int:
    return env_port("CHAT_PORT", DEFAULT_CHAT_PORT)


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
