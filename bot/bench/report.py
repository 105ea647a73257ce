"""Shared benchmark reporting: the machine, medians and percentiles, a table, JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def machine_info() -> dict[str, Any]:
    """Describe the hardware a benchmark ran on (the machines are shared and noisy)."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem_gib = round(mem_kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        mem_gib = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, p95 and count of a sample."""
    return {
        "n": len(values),
        "median": statistics.median(values) if values else float("nan"),
        "p95": percentile(values, 95),
    }


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable on screen and pasteable into the README)."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
        return str(value)

    text_rows = [[cell(v) for v in row] for row in rows]
    widths = [max(len(str(c)), *(len(r[i]) for r in text_rows)) for i, c in enumerate(columns)]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=False)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + " |" for r in text_rows]
    return "\n".join(lines)


def machine_line(info: dict[str, Any] | None = None) -> str:
    info = info or machine_info()
    return (
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, "
        f"Python {info['python']}, load {info['load_avg_1m']:.2f}"
    )


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")


def emit(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    json_path: Path | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Print the table with the machine description; write JSON when asked."""
    info = machine_info()
    print(f"## {title}\n")
    print(format_table(columns, rows))
    print(f"\n{machine_line(info)}")
    payload = {
        "benchmark": title,
        "machine": info,
        "columns": list(columns),
        "rows": [list(r) for r in rows],
        **(extra or {}),
    }
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=2, default=str))
        print(f"wrote {json_path}")
    return payload
