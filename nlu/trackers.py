"""Where a conversation's tracker lives: Rasa's in-memory store by default, Rasa's own Redis
stores when `nlu.redis_url` is set (several machines), and how a finished one is dropped."""

from __future__ import annotations

from typing import Any

REDIS_KEY_PREFIX = "voicebot"  # Rasa's Redis keys: voicebot:tracker:<call id>, voicebot:lock:<call id>
TRACKER_KEEP_S = 7 * 86400  # a tracker in Redis outlives its call this long (a callback's context)


def rasa_stores(redis_url: str) -> dict[str, Any]:
    """Rasa's own RedisTrackerStore and RedisLockStore on `redis_url` (nlu.redis_url), so a
    conversation's tracker outlives the machine that held it; {} (in memory) when empty."""
    if not redis_url:
        return {}
    from urllib.parse import urlsplit

    from rasa.core.lock_store import RedisLockStore
    from rasa.core.tracker_store import RedisTrackerStore
    from rasa.shared.core.domain import Domain

    url = urlsplit(redis_url)
    where = {"host": url.hostname or "localhost", "port": url.port or 6379,
             "db": int(url.path.strip("/") or 0), "username": url.username, "password": url.password,
             "use_ssl": url.scheme == "rediss"}
    return {"tracker_store": RedisTrackerStore(Domain.empty(), record_exp=TRACKER_KEEP_S,
                                               key_prefix=REDIS_KEY_PREFIX, **where),
            "lock_store": RedisLockStore(key_prefix=REDIS_KEY_PREFIX, **where)}


def forget_tracker(store: Any, sender_id: str) -> None:
    """Drop a finished call's conversation from the in-memory store, which Rasa wraps in a
    FailSafeTrackerStore and never prunes (every call's tracker stayed for the process's
    life). Rasa 3.6 stores have no delete; one in Redis is kept for TRACKER_KEEP_S."""
    trackers = getattr(getattr(store, "_tracker_store", store), "store", None)
    if isinstance(trackers, dict):
        trackers.pop(sender_id, None)


def drop_tracker(store: Any, sender_id: str) -> None:
    """Forget a conversation wherever it is kept, Redis included (blocking: a Redis call)."""
    forget_tracker(store, sender_id)
    inner = getattr(store, "_tracker_store", store)
    if hasattr(inner, "red"):
        inner.red.delete(inner.key_prefix + sender_id)
