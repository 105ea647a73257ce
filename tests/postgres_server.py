"""A real, throwaway PostgreSQL for the tests (bot/bench/stores_proc.py, shared with the benchmarks)."""

from bot.bench.stores_proc import PostgresServer, postgres_bin

__all__ = ["PostgresServer", "postgres_bin"]
