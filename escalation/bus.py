"""Events for the consoles: in-process fan-out, or Redis pub/sub across machines."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class Subscription:
    """A bounded queue of events; a slow reader gets one "resync" instead of unbounded memory."""

    def __init__(self, bus: LocalBus, maxsize: int):
        self._bus = bus
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)

    def offer(self, event: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait({"type": "resync"})

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def close(self) -> None:
        self._bus.subscribers.discard(self)


class EventBus(Protocol):
    async def publish(self, event: dict[str, Any]) -> None: ...

    def subscribe(self, maxsize: int = 1000) -> Subscription: ...

    async def close(self) -> None: ...


class LocalBus:
    """Delivers events to the subscribers of this process (the SQLite deployment)."""

    def __init__(self) -> None:
        self.subscribers: set[Subscription] = set()

    def deliver(self, event: dict[str, Any]) -> None:
        for sub in list(self.subscribers):
            sub.offer(event)

    async def publish(self, event: dict[str, Any]) -> None:
        self.deliver(event)

    def subscribe(self, maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, maxsize)
        self.subscribers.add(sub)
        return sub

    async def close(self) -> None:
        self.subscribers.clear()


class RedisBus(LocalBus):
    """Publishes to a Redis channel; every process fans the channel out to its own consoles."""

    def __init__(self, client: aioredis.Redis, channel: str):
        super().__init__()
        self._redis = client
        self.channel = channel
        self._pubsub = client.pubsub()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, client: aioredis.Redis, channel: str) -> RedisBus:
        bus = cls(client, channel)
        await bus._pubsub.subscribe(channel)
        bus._task = asyncio.create_task(bus._listen(), name="escalation-redis-bus")
        return bus

    async def _listen(self) -> None:
        failing = False
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the consoles alive through a Redis blip (logged once)
                if not failing:
                    log.warning("escalation event bus: %s; retrying every second", exc)
                failing = True
                await asyncio.sleep(1.0)
                continue
            failing = False
            if message and message.get("type") == "message":
                try:
                    self.deliver(json.loads(message["data"]))
                except ValueError:
                    log.warning("escalation event bus: dropped a malformed event")

    async def publish(self, event: dict[str, Any]) -> None:
        # Events only refresh the consoles (which resync from the store on connect): a Redis
        # outage must not fail the change that was already made, or was spooled.
        try:
            await self._redis.publish(self.channel, json.dumps(event, separators=(",", ":")))
        except (RedisError, OSError) as exc:
            log.debug("escalation event bus: %s event not published: %s", event.get("type"), exc)

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self._pubsub.unsubscribe(self.channel)
            await self._pubsub.close()
        await super().close()
