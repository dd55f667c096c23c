"""How long a message may be: one setting for every place that takes text from a person."""

from __future__ import annotations

import os

DEFAULT_MAX_MESSAGE_CHARS = 2000


def max_message_chars() -> int:
    """MAX_MESSAGE_CHARS (default 2,000): no real answer needs more, and it bounds every turn's work."""
    raw = os.environ.get("MAX_MESSAGE_CHARS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_MESSAGE_CHARS


def clip(text: str | None) -> str:
    """The text without NUL characters, cut to the limit."""
    return (text or "").replace("\x00", "")[: max_message_chars()]
