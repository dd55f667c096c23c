"""Settings read from the environment: one parser for every service.

Each reader takes the variable's name and its default, treats an unset or
blank variable as the default, and raises :class:`SettingsError` (a
``ValueError``) naming the variable for a value it cannot use, so that a
start-up script can print one clear line instead of a traceback.

Standard library only: ``scripts/serve.py`` (which runs before the virtual
environment's packages are known to be there), the Rasa server, the action
server and the web pages all import it.

The one text limit lives here too (:func:`max_message_chars`): how many
characters of one message anyone's text may have before the NLU, the parser
or a store sees it.
"""

from __future__ import annotations

import os

DEFAULT_MAX_MESSAGE_CHARS = 2000
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class SettingsError(ValueError):
    """An environment variable holds an unusable value."""


def _raw(name: str) -> str:
    return os.environ.get(name, "").strip()


def env_int(name: str, default: int, minimum: int | None = 1, maximum: int | None = None) -> int:
    """A whole number; ``minimum``/``maximum`` bound it (None: no bound)."""
    raw = _raw(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}, got {value}")
    return value


def env_float(name: str, default: float, minimum: float | None = 0.0) -> float:
    raw = _raw(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value != value or (minimum is not None and value < minimum):  # NaN, or below the bound
        raise SettingsError(f"{name} must be a number of at least {minimum}, got {raw!r}")
    return value


def env_port(name: str, default: int) -> int:
    raw = _raw(name)
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise SettingsError(f"{name}={port} is not a valid port (1-65535)")
    return port


def env_flag(name: str, default: bool = False) -> bool:
    """1/true/yes/on or 0/false/no/off; anything else is an error (a typo
    must not silently turn a security setting off)."""
    raw = _raw(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")


def max_message_chars() -> int:
    """MAX_MESSAGE_CHARS (2000): the longest message, in characters (code
    points), that reaches the NLU and the answer parser, on every channel; the
    chat page's counter shows the same number. Longer text is cut there."""
    return env_int("MAX_MESSAGE_CHARS", DEFAULT_MAX_MESSAGE_CHARS, minimum=100, maximum=100_000)
