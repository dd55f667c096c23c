"""Cutting a person's text to the one documented limit (MAX_MESSAGE_CHARS, bot/env.py)."""

from __future__ import annotations

from bot.env import max_message_chars


def clip(text: str | None) -> str:
    """The text without NUL characters, cut to the limit every channel applies."""
    return (text or "").replace("\x00", "")[: max_message_chars()]


__all__ = ["clip", "max_message_chars"]
