"""A real redis-server for the tests (bot/bench/stores_proc.py, shared with the benchmarks)."""

from bot.bench.stores_proc import REDIS_SERVER, RedisServer

__all__ = ["REDIS_SERVER", "RedisServer"]
