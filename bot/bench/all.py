"""`voicebot bench all`: the STT, NLU, TTS, latency and load benchmarks, one Markdown report.

Each benchmark runs as its own `voicebot bench NAME --json ...` process (one at a time, so
they do not compete for the CPU); the report collects their tables under one description
of the machine, with the command line, wall time and load average of each. `--quick`
uses small samples (minutes instead of most of an hour).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.bench.report import format_table, machine_info, machine_line
from bot.config import Settings

ORDER = ["stt", "nlu", "tts", "latency", "load"]
QUICK = {
    "stt": ["--asterisk", "20", "--sentences", "12", "--voices", "rms", "--models", "domain+mllr"],
    "nlu": ["--limit", "300"],
    "tts": ["--n", "10"],
    "latency": ["--calls", "1,5", "--turns", "2"],
    "load": ["--calls", "5", "--minutes", "1"],
}
FULL: dict[str, list[str]] = {"load": ["--calls", "20", "--minutes", "5"]}


def register(sub: Any) -> None:
    parser = sub.add_parser("all", help="every benchmark, one Markdown report (plus JSON)",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small samples (about 10 minutes in all)")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(ORDER)}")
    parser.add_argument("--markdown", type=Path, default=Path("var/bench/report.md"),
                        help="where to write the report (default var/bench/report.md)")
    parser.add_argument("--json", type=Path, metavar="PATH",
                        help="also write every result as JSON (default: next to the report)")
    parser.add_argument("--timeout-min", type=float, default=60.0, help="give up on one benchmark after this")
    parser.set_defaults(func=run)


def run_one(name: str, extra: list[str], timeout_s: float) -> dict[str, Any]:
    """One benchmark in its own process; its JSON payload plus how it ran."""
    with tempfile.TemporaryDirectory(prefix=f"voicebot-bench-{name}-") as tmp:
        out = Path(tmp) / f"{name}.json"
        cmd = [sys.executable, "-m", "bot", "bench", name, *extra, "--json", str(out)]
        shown = "voicebot bench " + " ".join([name, *extra])
        started = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
            status, tail = proc.returncode, (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        except subprocess.TimeoutExpired:
            status, tail = -1, [f"timed out after {timeout_s / 60:.0f} min"]
        info = {"command": shown, "wall_s": round(time.monotonic() - started, 1),
                "load_avg_after": os.getloadavg()[0], "exit": status}
        if status == 0 and out.is_file():
            return {**info, "result": json.loads(out.read_text())}
        return {**info, "error": " / ".join(tail) or f"exit status {status}"}


def markdown(results: dict[str, dict[str, Any]], info: dict[str, Any], quick: bool) -> str:
    lines = ["# Benchmark report", "",
             f"{machine_line(info)}; {info['platform']}; {info['time']}"
             + (" (quick run: small samples)" if quick else ""), ""]
    for name, run in results.items():
        result = run.get("result")
        title = result.get("benchmark", name) if result else name
        lines += [f"## {name}: {title}", "",
                  f"`{run['command']}` - {run['wall_s']:.0f} s, load average afterwards {run['load_avg_after']:.2f}", ""]
        if result is None:
            lines += [f"not available: {run['error']}", ""]
            continue
        for key in ("columns", "rows"):
            result.setdefault(key, [])
        lines += [format_table(result["columns"], result["rows"]), ""]
    return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> int:
    names = [n.strip() for n in (args.only or ",".join(ORDER)).split(",") if n.strip()]
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        print(f"voicebot bench all: unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}",
              file=sys.stderr)
        return 2
    info = machine_info()
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        extra = (QUICK if args.quick else FULL).get(name, [])
        print(f"running voicebot bench {' '.join([name, *extra])} ...", flush=True)
        results[name] = run_one(name, extra, args.timeout_min * 60)
        run_info = results[name]
        print(f"  {'done' if 'result' in run_info else 'FAILED: ' + run_info['error']} "
              f"in {run_info['wall_s']:.0f} s", flush=True)
    report = markdown(results, info, args.quick)
    md_path = settings.path(args.markdown)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text(report + "\n")
    json_path = settings.path(args.json) if args.json else md_path.with_suffix(".json")
    json_path.write_text(json.dumps({"machine": info, "quick": args.quick, "benchmarks": results},
                                    indent=2, default=str))
    print()
    print(report)
    print(f"wrote {md_path} and {json_path}")
    return 0 if all("result" in r for r in results.values()) else 1
