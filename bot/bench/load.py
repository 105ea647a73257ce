"""`voicebot bench load`: N concurrent real-time callers running the voice scenarios in a loop.

Every caller is a real Twilio Media Streams call (20 ms frames in real time, both ways)
running one scenario after another from `nlu/tests/voice/` until the time is up. Reported:
calls completed and failed, turns, response latency (end of caller speech -> first bot
audio) p50/p95/p99 and its overhead (minus the end-of-speech silence the bot must wait),
late audio frames on both sides, server CPU, resident memory at start, warm and end.

`--find-max` searches the largest N for which p95 overhead <= 250 ms and no call failed.
`--admission headroom` starts the bot admitting by measured headroom (as it runs in
production) instead of by the call cap alone: offered more calls than it can carry, it
turns some away with the busy message (counted as refused, not failed; a refused caller
calls again 5 s later), and the table shows what the admitted calls got.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from bot.bench.latency import server_counter, server_late_frames
from bot.bench.report import add_json_argument, emit, percentile
from bot.config import Settings

OVERHEAD_LIMIT_MS = 250.0
FAILED_END_REASONS = ("internal_error", "handoff_failed")


def register(sub: Any) -> None:
    parser = sub.add_parser("load", help="concurrent real-time callers in a loop",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10, help="concurrent callers (default 10; "
                        "with --find-max the first N tried)")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long (each round with --find-max)")
    parser.add_argument("--find-max", action="store_true",
                        help=f"search the largest N with p95 overhead <= {OVERHEAD_LIMIT_MS:.0f} ms and no failed call")
    parser.add_argument("--max-calls", type=int, default=64, help="upper bound for --find-max (default 64)")
    parser.add_argument("--scenarios", type=Path, nargs="*", help="scenario files/folders (default nlu/tests/voice)")
    parser.add_argument("--tag", action="append", default=[], help="only scenarios with this tag")
    parser.add_argument("--admission", choices=("count", "headroom"), default="count",
                        help="the started bot's calls.admission (default count: measure capacity)")
    parser.add_argument("--machines", help="e.g. 1,2: the same load through HAProxy on one, then on two "
                        "bot processes sharing redis-server and PostgreSQL, side by side (bench/load_cluster.py)")
    parser.add_argument("--url", help="use a running bot's Twilio URL instead of starting one")
    parser.add_argument("--token", default=os.environ.get("VOICEBOT_API_TOKEN", ""), help="API token (scope calls:read) for --url's call records")
    add_json_argument(parser)
    parser.set_defaults(func=run)


def load_scenarios(settings: Settings, paths: list[Path] | None, tags: list[str]) -> list[Any]:
    """Scenarios a plain server can run in a loop (no special settings, no known issues)."""
    from bot.voice_tests.scenario import load_all

    scenarios = load_all(paths or [settings.path(Path("nlu/tests/voice"))])
    usable = [s for s in scenarios if not s.server and not s.known_issue]
    if tags:
        usable = [s for s in usable if set(tags) & set(s.tags)]
    return usable


class RoundStats:
    """Everything one round of callers measured."""

    def __init__(self, calls: int) -> None:
        self.calls = calls
        self.completed = 0
        self.refused = 0  # turned away with the busy message (admission by headroom)
        self.failed: list[str] = []
        self.expectation_misses = 0
        self.misses: list[str] = []  # what a scenario expected and did not get (not a failed call)
        self.latencies: list[float] = []
        self.overheads: list[float] = []
        self.caller_late_frames = 0
        # The bot's own stamps, ms after it detected the end of speech: transcript, reply, audio.
        self.stages: dict[str, list[float]] = {"final_transcript": [], "dialogue_reply": [], "first_audio_sent": []}

    def add(self, result: Any, default_silence_ms: float, refusals: bool = False) -> bool:
        """Count one finished call; True when it was turned away (busy) rather than served."""
        busy = not result.error or "line busy" in result.error  # the webhook said <Say> busy
        if refusals and result.outcome is None and busy:
            self.refused += 1
            return True
        self.completed += 1
        self.caller_late_frames += result.late_frames
        problem = result.error or ("no call record" if result.outcome is None else None)
        if result.end_reason in FAILED_END_REASONS:
            problem = f"call ended with {result.end_reason}"
        if any((t.get("handoff") or {}).get("reason") == "technical_error" for r in result.turns for t in r.bot_turns):
            problem = "the bot apologised for a technical error"
        if problem:
            self.failed.append(f"{result.scenario.id}: {problem}")
        elif not result.passed:
            self.expectation_misses += 1
            self.misses.append(f"{result.scenario.id}: {result.failures[0]}")
        for turn in result.turns[1:]:
            if turn.latency_ms is None or turn.interrupted:
                continue
            silence = next((t["latency"].get("end_silence_ms") for t in turn.bot_turns
                            if (t.get("latency") or {}).get("end_silence_ms")), default_silence_ms)
            self.latencies.append(turn.latency_ms)
            for bot_turn in turn.bot_turns[:1]:
                for stage, values in self.stages.items():
                    if (bot_turn.get("latency") or {}).get(stage) is not None:
                        values.append(bot_turn["latency"][stage])
            self.overheads.append(turn.latency_ms - silence)
        return False

    def p95_overhead(self) -> float:
        return percentile(self.overheads, 95)

    def ok(self) -> bool:
        return not self.failed and self.p95_overhead() <= OVERHEAD_LIMIT_MS


async def run_round(url: str, token: str, scenarios: list[Any], calls: int, seconds: float,
                    default_silence_ms: float, on_warm: Any = None, refusals: bool = False) -> RoundStats:
    """`calls` callers, each running scenarios back to back until `seconds` have passed."""
    from bot.voice_tests.runner import run_scenario

    stats = RoundStats(calls)
    deadline = time.monotonic() + seconds
    warm_at = time.monotonic() + min(60.0, seconds / 3)

    async def caller(index: int) -> None:
        await asyncio.sleep(index * 0.35)  # stagger, as real calls arrive
        turn = index
        while time.monotonic() < deadline:
            scenario = scenarios[turn % len(scenarios)]
            turn += 1
            try:
                result = await run_scenario(scenario, url, token, caller=f"+1555020{index:04d}")
            except Exception as exc:  # the runner reports call errors itself; this is a bug there
                stats.failed.append(f"{scenario.id}: runner error {exc!r}")
                continue
            if stats.add(result, default_silence_ms, refusals):
                await asyncio.sleep(5.0)  # a caller who heard "busy" tries again a little later

    async def warm_probe() -> None:
        await asyncio.sleep(max(0.0, warm_at - time.monotonic()))
        if on_warm:
            on_warm()

    probe = asyncio.create_task(warm_probe())
    await asyncio.gather(*(caller(i) for i in range(calls)))
    probe.cancel()
    return stats


def _prepare_audio(scenarios: list[Any]) -> None:
    """Synthesize every caller line once, before the clock starts (cached on disk)."""
    from bot.voice_tests.audio import turn_audio

    for scenario in scenarios:
        for turn in scenario.turns:
            turn_audio(turn)


def run(args: argparse.Namespace, settings: Settings) -> int:
    import psutil

    from bot.bench.server_proc import BenchServer, tree_cpu_seconds
    from bot.voice_tests.runner import RUNNER_ENV
    from bot.voice_tests.scenario import ScenarioError

    try:
        scenarios = load_scenarios(settings, args.scenarios, args.tag)
    except ScenarioError as exc:
        print(f"voicebot bench load: {exc}", file=sys.stderr)
        return 2
    if not scenarios:
        print("voicebot bench load: no usable scenarios", file=sys.stderr)
        return 2
    _prepare_audio(scenarios)
    if args.machines:
        from bot.bench.load_cluster import run_side_by_side

        counts = [int(n) for n in args.machines.split(",") if n.strip().isdigit()]
        if not counts or not set(counts) <= {1, 2}:
            print("voicebot bench load: --machines takes 1 and/or 2 (deploy/haproxy.cfg names two bots)",
                  file=sys.stderr)
            return 2
        return run_side_by_side(counts, args.calls, args.minutes, scenarios, float(settings.stt.end_silence_ms),
                                {**RUNNER_ENV, "VOICEBOT_CALLS__ADMISSION": args.admission}, args.json)
    server = None
    url, token = args.url, args.token
    if not url:
        server = BenchServer(env={**RUNNER_ENV, "VOICEBOT_CALLS__ADMISSION": args.admission})
        try:
            server.wait_ready()
        except RuntimeError as exc:
            print(f"voicebot bench load: {exc}", file=sys.stderr)
            server.stop()
            return 1
        url, token = server.ws_url, server.secret
    silence = float(settings.stt.end_silence_ms)
    rows, raw = [], []

    def one_round(calls: int) -> RoundStats:
        marks: dict[str, float] = {}
        if server:
            marks["rss_start"] = server.rss_mb()
            marks["cpu0"] = tree_cpu_seconds(server.ps)
            marks["late0"] = server_late_frames(server.base_url)
            marks["sent0"] = server_counter(server.base_url, "voicebot_audio_frames_sent_total")
        psutil.cpu_percent(None)
        me = psutil.Process()
        callers_cpu0 = sum(me.cpu_times()[:2])
        t0 = time.monotonic()

        def warm() -> None:
            if server:
                marks["rss_warm"] = server.rss_mb()

        stats = asyncio.run(run_round(url, token, scenarios, calls, args.minutes * 60, silence, warm,
                                      refusals=args.admission == "headroom"))
        wall = time.monotonic() - t0
        machine_cpu = psutil.cpu_percent(None)
        callers_cpu = (sum(me.cpu_times()[:2]) - callers_cpu0) / wall * 100
        rss_end = server.rss_mb() if server else float("nan")
        rss_warm = marks.get("rss_warm", rss_end)
        server_cpu = (tree_cpu_seconds(server.ps) - marks["cpu0"]) / wall * 100 if server else float("nan")
        late = server_late_frames(server.base_url) - marks["late0"] if server else float("nan")
        sent = server_counter(server.base_url, "voicebot_audio_frames_sent_total") - marks["sent0"] if server else 0
        late_pct = 100 * late / sent if sent else float("nan")
        lat = stats.latencies
        row = [calls, round(wall), stats.completed, stats.refused, len(stats.failed), stats.expectation_misses, len(lat),
               percentile(lat, 50), percentile(lat, 95), percentile(lat, 99), stats.p95_overhead(),
               *(percentile(stats.stages[k], 95) for k in stats.stages),
               late, late_pct, stats.caller_late_frames, server_cpu, callers_cpu, machine_cpu,
               marks.get("rss_start", float("nan")), rss_warm, rss_end,
               (rss_end / rss_warm - 1) * 100 if server else float("nan"), "yes" if stats.ok() else "no"]
        rows.append(row)
        raw.append({"calls": calls, "wall_s": wall, "refused": stats.refused, "latencies_ms": lat, "overheads_ms": stats.overheads,
                    "failed": stats.failed, "misses": stats.misses, "stages_ms": stats.stages, "load_avg": os.getloadavg()})
        print(f"  {calls} calls: {stats.completed} completed, {len(stats.failed)} failed, "
              f"p95 overhead {stats.p95_overhead():.0f} ms, server CPU {server_cpu:.0f} %, "
              f"load {os.getloadavg()[0]:.2f}", flush=True)
        for failure in stats.failed[:5]:
            print(f"    failed: {failure}", flush=True)
        return stats

    best = None
    try:
        if not args.find_max:
            one_round(args.calls)
        else:
            best = find_max(one_round, args.calls, args.max_calls)
            print(f"largest N with p95 overhead <= {OVERHEAD_LIMIT_MS:.0f} ms and no failed call: {best or 'none'}")
    finally:
        if server:
            server.stop()
    emit("Load: concurrent real-time calls running voice scenarios in a loop",
         ["calls", "wall s", "calls done", "refused (busy)", "failed", "expectation misses", "turns", "p50 ms", "p95 ms",
          "p99 ms", "p95 overhead ms", "p95 transcript ms", "p95 reply ms", "p95 first audio ms", "late frames (bot)", "late % (bot)",
          "late frames (callers)", "server CPU %", "callers CPU %", "machine CPU %", "RSS start MB", "RSS warm MB", "RSS end MB", "RSS growth %", "ok"],
         rows, args.json, {"admission": args.admission, "end_silence_ms": silence, "overhead_limit_ms": OVERHEAD_LIMIT_MS,
                           "max_calls": best, "scenarios": [s.id for s in scenarios], "raw": raw})
    return 0


def find_max(one_round: Any, start: int, upper: int) -> int | None:
    """Double N from `start` until a round fails, then bisect between the last good and the bad N."""
    good, bad = 0, None
    n = max(1, start)
    while n <= upper:
        if one_round(n).ok():
            good = n
            n *= 2
        else:
            bad = n
            break
    if bad is None:
        return good or None
    while bad - good > max(1, good // 8):  # stop within ~12 % (each round takes minutes)
        mid = (good + bad) // 2
        if one_round(mid).ok():
            good = mid
        else:
            bad = mid
    return good or None
