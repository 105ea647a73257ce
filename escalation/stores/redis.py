"""Redis store: one queue shared by several bot machines (redis-py asyncio).

Keys (under a prefix, default "esc:"): `q` a sorted set of waiting call ids scored by
priority rank * 1e12 + seq; `e:<call_id>` the entry as JSON; `active` the set of held
call ids; `seq` the counter; `ht` recent handle times; `r:<kind>` a hash of records.
Compare-and-set changes use WATCH/MULTI so two machines never hand one call to two agents.
Durability is Redis's: run it with `appendonly yes` (and `appendfsync always` to lose
nothing even when Redis itself is killed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

from escalation.models import QueueEntry
from escalation.stores.base import StoreError, store_errors

log = logging.getLogger(__name__)
BAND = 1e12  # seq stays far inside +-BAND/2, so the rank decides first
T = TypeVar("T")


_store_errors = store_errors("escalation store redis", RedisError, OSError)


class RedisStore:
    """The shared backend; every change is acknowledged by Redis before returning."""

    def __init__(self, client: aioredis.Redis, prefix: str):
        self.redis = client
        self.prefix = prefix

    @classmethod
    async def open(cls, url: str, prefix: str = "esc:") -> RedisStore:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=5)
        try:
            await client.ping()
        except (RedisError, OSError) as exc:
            await client.close()
            raise StoreError(f"escalation store redis {url}: cannot connect ({exc})") from exc
        store = cls(client, prefix)
        await store._check_persistence()
        return store

    async def _check_persistence(self) -> None:
        try:
            config = await self.redis.config_get("appendonly")
        except RedisError:
            return  # managed Redis services often forbid CONFIG; nothing to check then
        if config.get(b"appendonly", config.get("appendonly")) in (b"no", "no"):
            log.warning("redis has appendonly=no: a Redis restart can lose queued callers; "
                        "set appendonly yes (appendfsync always) for the escalation queue")

    async def close(self) -> None:
        await self.redis.close()

    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    @staticmethod
    def _score(entry: QueueEntry) -> float:
        return entry.rank * BAND + entry.seq

    async def _atomic(self, keys: list[str], body: Callable[[Any], Awaitable[T]]) -> T:
        """Run `body(pipe)` under WATCH on `keys`, retrying when another client interfered."""
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(*keys)
                        return await body(pipe)
                    except WatchError:
                        continue
        except RedisError as exc:
            raise StoreError(f"escalation store redis: {exc}") from exc

    @_store_errors
    async def enqueue(self, entry: QueueEntry) -> QueueEntry:
        entry.state = "waiting"
        try:
            entry.seq = int(await self.redis.incr(self._k("seq")))
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(self._k("e", entry.call_id), entry.to_json())
                pipe.zadd(self._k("q"), {entry.call_id: self._score(entry)})
                pipe.srem(self._k("active"), entry.call_id)
                await pipe.execute()
        except RedisError as exc:
            raise StoreError(f"escalation store redis: {exc}") from exc
        return entry

    @_store_errors
    async def get(self, call_id: str) -> QueueEntry | None:
        raw = await self.redis.get(self._k("e", call_id))
        return QueueEntry.from_json(raw) if raw else None

    async def _load(self, call_ids: list[bytes]) -> list[QueueEntry]:
        if not call_ids:
            return []
        raws = await self.redis.mget([self._k("e", cid.decode()) for cid in call_ids])
        return [QueueEntry.from_json(raw) for raw in raws if raw]

    @_store_errors
    async def waiting(self) -> list[QueueEntry]:
        return await self._load(await self.redis.zrange(self._k("q"), 0, -1))

    @_store_errors
    async def active(self) -> list[QueueEntry]:
        entries = await self._load(sorted(await self.redis.smembers(self._k("active"))))
        return sorted(entries, key=lambda e: (e.rank, e.seq))

    async def _change(self, call_id: str, expect: Iterable[str], changes: dict[str, Any],
                      to_head: bool) -> QueueEntry | None:
        key, qkey = self._k("e", call_id), self._k("q")
        expected = set(expect)

        async def body(pipe: Any) -> QueueEntry | None:
            raw = await pipe.get(key)
            entry = QueueEntry.from_json(raw) if raw else None
            if entry is None or entry.state not in expected:
                await pipe.unwatch()
                return None
            for name, value in changes.items():
                setattr(entry, name, value)
            if to_head:
                entry.requeues += 1
                low = entry.rank * BAND - BAND / 2
                head = await pipe.zrangebyscore(qkey, low, low + BAND, start=0, num=1, withscores=True)
                if head:
                    entry.seq = min(entry.seq, int(round(head[0][1] - entry.rank * BAND))) - 1
            pipe.multi()
            pipe.set(key, entry.to_json())
            if entry.state == "waiting":
                pipe.zadd(qkey, {call_id: self._score(entry)})
                pipe.srem(self._k("active"), call_id)
            else:
                pipe.zrem(qkey, call_id)
                pipe.sadd(self._k("active"), call_id)
            await pipe.execute()
            return entry

        return await self._atomic([key, qkey] if to_head else [key], body)

    @_store_errors
    async def transition(self, call_id: str, expect: Iterable[str],
                         changes: dict[str, Any]) -> QueueEntry | None:
        return await self._change(call_id, expect, changes, to_head=False)

    @_store_errors
    async def requeue_head(self, call_id: str, expect: Iterable[str]) -> QueueEntry | None:
        changes = {"state": "waiting", "agent_id": None, "deadline": None, "connected_at": None}
        return await self._change(call_id, expect, changes, to_head=True)

    @_store_errors
    async def remove(self, call_id: str) -> QueueEntry | None:
        key = self._k("e", call_id)

        async def body(pipe: Any) -> QueueEntry | None:
            raw = await pipe.get(key)
            pipe.multi()
            pipe.delete(key)
            pipe.zrem(self._k("q"), call_id)
            pipe.srem(self._k("active"), call_id)
            await pipe.execute()
            return QueueEntry.from_json(raw) if raw else None

        return await self._atomic([key], body)

    @_store_errors
    async def add_handle_time(self, seconds: float, keep: int = 50) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(self._k("ht"), float(seconds))
            pipe.ltrim(self._k("ht"), 0, keep - 1)
            await pipe.execute()

    @_store_errors
    async def handle_times(self, n: int = 20) -> list[float]:
        return [float(v) for v in await self.redis.lrange(self._k("ht"), 0, n - 1)]

    @_store_errors
    async def put_record(self, kind: str, record_id: str, data: dict[str, Any]) -> None:
        await self.redis.hset(self._k("r", kind), record_id, json.dumps(data))

    @_store_errors
    async def get_record(self, kind: str, record_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self._k("r", kind), record_id)
        return json.loads(raw) if raw else None

    @_store_errors
    async def list_records(self, kind: str) -> list[dict[str, Any]]:
        items = await self.redis.hgetall(self._k("r", kind))
        records = [(k.decode(), json.loads(v)) for k, v in items.items()]
        records.sort(key=lambda kv: (float(kv[1].get("created_at", 0.0)), kv[0]))
        return [data for _, data in records]

    @_store_errors
    async def records_between(self, kind: str, start: float, end: float) -> list[dict[str, Any]]:
        # Records are one hash per kind: the range is filtered here (Redis keeps no order by time).
        return [r for r in await self.list_records(kind)
                if start <= float(r.get("created_at", 0.0)) < end]

    @_store_errors
    async def delete_record(self, kind: str, record_id: str) -> bool:
        return bool(await self.redis.hdel(self._k("r", kind), record_id))

