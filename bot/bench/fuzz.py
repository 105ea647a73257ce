"""`voicebot bench fuzz`: hostile Twilio and AudioSocket peers against a real server,
with a healthy call running alongside. Reports inputs/s, crashes, hung connections and
the healthy call's reply latency.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.bench.report import add_json_argument, emit, percentile


def register(sub: Any) -> None:
    parser = sub.add_parser("fuzz", help="protocol fuzzing of the Twilio and AudioSocket channels")
    parser.add_argument("--examples", type=int, default=10_000, help="generated cases per channel")
    parser.add_argument("--workers", type=int, default=2, help="fuzzing processes per channel (own seeds)")
    add_json_argument(parser)
    parser.set_defaults(func=run)


@dataclass
class FuzzStats:
    channel: str
    cases: int = 0
    messages: int = 0
    hung: list[str] = field(default_factory=list)  # violations the server did not close
    errors: list[str] = field(default_factory=list)
    idents: list[str] = field(default_factory=list)
    seconds: float = 0.0


def fuzz_channel(channel: str, target: tuple[str, Any], examples: int, seed: int | None = None,
                 shrink: bool = True) -> FuzzStats:
    """Run `examples` generated cases against one channel; raises on the first hung connection."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    from bot.bench import fuzz_cases as fc

    stats = FuzzStats(channel)
    strategy = fc.twilio_cases() if channel == "twilio" else fc.audiosocket_cases()
    loop = asyncio.new_event_loop()

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def one(case: Any) -> None:
        if channel == "twilio":
            outcome = loop.run_until_complete(fc.run_twilio_case(target[0], target[1], case))
        else:
            outcome = loop.run_until_complete(fc.run_audiosocket_case(target[0], target[1], case))
        stats.cases += 1
        stats.messages += len(case.messages) + 1
        stats.idents.append(case.ident)
        if outcome.error:
            stats.errors.append(outcome.error)
        if case.expect_close() and not outcome.server_closed:
            stats.hung.append(f"{case.ident}: {case.messages!r}"[:300])
            raise AssertionError(f"{channel}: the server left a violating connection open: {case.messages!r}")

    test = hseed(seed)(one) if seed is not None else one
    t0 = time.monotonic()
    try:
        test()
    except AssertionError as exc:
        if shrink:  # the pytest path: fail loudly with the shrunk case
            raise
        print(f"FAILED {channel}: {exc}"[:500])
    finally:
        stats.seconds = time.monotonic() - t0
        loop.close()
    return stats


class HealthyCall(threading.Thread):
    """A well-behaved caller asking FAQs in a loop on its own event loop."""

    QUESTION = "what exchange rate do you use"

    def __init__(self, ws_url: str, auth_token: str = "", turns: int | None = None) -> None:
        super().__init__(daemon=True)
        self.ws_url, self.auth_token, self.turns = ws_url, auth_token, turns
        self.greeting_s = 0.0
        self.latencies_ms: list[float] = []
        self.failures: list[str] = []
        self.stop_flag = threading.Event()

    def run(self) -> None:
        asyncio.run(self._call())

    async def _call(self) -> None:
        from bot.caller.twilio_client import TwilioCaller
        from bot.caller.voices import speak

        question = speak(self.QUESTION, "rms")
        try:
            async with TwilioCaller(self.ws_url, auth_token=self.auth_token) as call:
                self.greeting_s = (await call.listen(timeout_s=30)).duration_s
                while not self.stop_flag.is_set() and (self.turns is None or len(self.latencies_ms)
                                                       + len(self.failures) < self.turns):
                    await call.say_pcm(question)
                    reply = await call.listen(timeout_s=20)
                    if reply.duration_s < 1.0 or reply.latency_ms is None:
                        self.failures.append(f"no answer (heard {reply.duration_s:.1f} s)")
                    elif reply.latency_ms < 0:  # e.g. an apology that cut into the question
                        self.failures.append(f"the bot spoke {-reply.latency_ms:.0f} ms before the question ended")
                    else:
                        self.latencies_ms.append(reply.latency_ms)
        except Exception as exc:
            self.failures.append(f"{type(exc).__name__}: {exc}")


BASELINE_TURNS = 8

WARNING_RE = re.compile(r" WARNING ")


def warnings_per_ident(log_text: str, idents: list[str]) -> dict[str, int]:
    """How many WARNING lines name each connection (stream/call id or UUID)."""
    lines = [line for line in log_text.splitlines() if WARNING_RE.search(line)]
    counts = dict.fromkeys(idents, 0)
    for line in lines:
        for ident in idents:
            if ident in line:
                counts[ident] += 1
    return counts


LEVEL_RE = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ")


def crash_lines(log_text: str) -> list[str]:
    """ERROR/CRITICAL records and tracebacks in the server log."""
    return [line for line in log_text.splitlines() if LEVEL_RE.match(line) or "Traceback" in line]


def _fuzz_worker(channel: str, target: tuple[str, Any], examples: int, seed: int) -> FuzzStats:
    return fuzz_channel(channel, target, examples, seed, shrink=False)


def _parallel(channel: str, target: tuple[str, Any], examples: int, workers: int) -> FuzzStats:
    """Several hypothesis runs with different seeds in separate processes, merged."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.monotonic()
    share = -(-examples // workers)
    # spawn, not fork: the healthy call's thread and event loop must not be copied mid-flight.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_fuzz_worker, [channel] * workers, [target] * workers, [share] * workers,
                              range(1, workers + 1)))
    total = FuzzStats(channel, seconds=time.monotonic() - t0)
    for part in parts:
        total.cases += part.cases
        total.messages += part.messages
        total.hung += part.hung
        total.errors += part.errors
    return total


def run(args: argparse.Namespace, settings: Any) -> int:
    import urllib.request

    from bot.bench.server_proc import BenchServer, free_port

    as_port = free_port()
    server = BenchServer({"VOICEBOT_CALLS__AUDIOSOCKET_PORT": str(as_port),
                          "VOICEBOT_STT__NO_INPUT_TIMEOUT_S": "30"})
    rows, extra = [], {}
    try:
        server.wait_ready()
        healthy = HealthyCall(server.ws_url)
        healthy.start()
        # The same call's answers before any fuzzing: the baseline its latency is compared with.
        deadline = time.monotonic() + 120
        while len(healthy.latencies_ms) < BASELINE_TURNS and healthy.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        baseline = list(healthy.latencies_ms)
        results = []
        for channel, target in (("twilio", (server.ws_url, "")), ("audiosocket", ("127.0.0.1", as_port))):
            results.append(_parallel(channel, target, args.examples, max(1, args.workers)))
        healthy.stop_flag.set()
        healthy.join(60)
        with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as response:
            up = response.status == 200
        log_text = server.log_path.read_text(errors="replace")
        crashes = crash_lines(log_text)
        lat = healthy.latencies_ms[len(baseline):]
        for s in results:
            rows.append([s.channel, s.cases, s.messages, f"{s.cases / max(s.seconds, 1e-9):.0f}",
                         len(s.hung), len(s.errors)])
        extra = {"server_up": up, "server_crash_lines": crashes[:20],
                 "healthy_call_before": {"turns": len(baseline),
                                         "latency_ms_p50": percentile(baseline, 50) if baseline else None,
                                         "latency_ms_p95": percentile(baseline, 95) if baseline else None},
                 "healthy_call": {"turns": len(lat), "failures": healthy.failures,
                                  "latency_ms_p50": percentile(lat, 50) if lat else None,
                                  "latency_ms_p95": percentile(lat, 95) if lat else None}}
        emit("Protocol fuzzing (real server)", ["channel", "cases", "messages", "cases/s", "hung", "client errors"],
             rows, args.json, extra)
        print(f"server up after run: {up}; ERROR/traceback lines: {len(crashes)}; healthy call: "
              f"{len(lat)} answers, {len(healthy.failures)} failures, latency p50 "
              f"{extra['healthy_call']['latency_ms_p50']} ms p95 {extra['healthy_call']['latency_ms_p95']} ms "
              f"(before fuzzing, {len(baseline)} answers: p50 {extra['healthy_call_before']['latency_ms_p50']} ms "
              f"p95 {extra['healthy_call_before']['latency_ms_p95']} ms)")
        ok = up and len(baseline) >= BASELINE_TURNS and not crashes and not healthy.failures and all(not s.hung for s in results)
        return 0 if ok else 1
    finally:
        server.stop()
