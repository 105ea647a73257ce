"""Benchmarks: one module each, all reporting through `bot.bench.report`."""
