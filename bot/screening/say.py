"""What the screening wants said, by message key: rendered later in the person's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Say:
    """A message from bot/data/messages.yaml (``key``) with its template values."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


def say(key: str, **values: Any) -> Say:
    return Say(key, values)
