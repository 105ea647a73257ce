"""The escalation store: the queue and its records, in SQLite or Redis, and the factory.

`SqliteStore` (sqlite.py) serves one machine: embedded, WAL, fsync on commit. `RedisStore`
(redis.py) serves several bot machines sharing one queue. Both implement `EscalationStore`
(base.py) and turn their driver's errors into `StoreError`, the one failure callers handle.
"""

from __future__ import annotations

from escalation.stores.base import EscalationStore, StoreError, store_errors

__all__ = ["EscalationStore", "StoreError", "open_store", "store_errors"]


async def open_store(backend: str, sqlite_path: str | None = None, redis_url: str | None = None,
                     redis_prefix: str = "esc:") -> EscalationStore:
    """Open the configured backend ("sqlite" or "redis")."""
    if backend == "sqlite":
        from escalation.stores.sqlite import SqliteStore

        if not sqlite_path:
            raise StoreError("escalation store sqlite: no database path given")
        return await SqliteStore.open(sqlite_path)
    if backend == "redis":
        from escalation.stores.redis import RedisStore

        if not redis_url:
            raise StoreError("escalation store redis: no redis_url given")
        return await RedisStore.open(redis_url, prefix=redis_prefix)
    raise StoreError(f"unknown escalation store {backend!r}; use sqlite or redis")
