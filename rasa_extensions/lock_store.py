"""Rasa's lock store, chosen by one variable: ``LOCK_STORE_URL``.

Unset (one Rasa server): in memory. ``redis://[:password@]host:port/db``
(several Rasa replicas): Redis, so two replicas never process messages of the
same conversation at once. ``rediss://`` uses TLS.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore

KEY_PREFIX = "prescreen"


def lock_store_from_env() -> LockStore:
    url = os.environ.get("LOCK_STORE_URL", "").strip()
    if not url:
        return InMemoryLockStore()
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"LOCK_STORE_URL: unsupported scheme {parts.scheme!r} (redis://host:port/db)")
    return RedisLockStore(
        host=parts.hostname or "localhost",
        port=parts.port or 6379,
        db=int(parts.path.lstrip("/") or 0),
        password=unquote(parts.password) if parts.password else None,
        use_ssl=parts.scheme == "rediss",
        key_prefix=KEY_PREFIX,
    )


class ConfiguredLockStore(LockStore):
    """Delegates to the lock store LOCK_STORE_URL names (Rasa builds custom
    lock stores as ``cls(endpoint_config=...)``, so this cannot be a factory)."""

    def __init__(self, endpoint_config: Any = None, **_: Any) -> None:
        self.backend = lock_store_from_env()
        super().__init__()

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return self.backend.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.backend.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.backend.save_lock(lock)
