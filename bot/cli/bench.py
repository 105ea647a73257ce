"""`voicebot bench NAME`: benchmarks that print a table and write JSON.

Each benchmark lives in `bot/bench/<name>.py` with `register(subparsers)`.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

BENCHMARKS = ["stt", "stt_pool", "vad", "nlu", "tts", "latency", "queue", "analytics", "load", "fuzz",
              "all"]


def register(sub: Any) -> None:
    parser = sub.add_parser("bench", help="run a benchmark (table on screen, --json PATH)")
    bench_sub = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    for name in BENCHMARKS:
        importlib.import_module(f"bot.bench.{name}").register(bench_sub)

    def run(args: argparse.Namespace, settings: Any) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=run)
