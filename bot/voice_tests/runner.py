"""Run voice scenarios as real Twilio calls and check them against the bot's call record."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.caller.dial import fetch_record
from bot.caller.twilio_client import BotReply, TwilioCaller
from bot.voice_tests.audio import turn_audio
from bot.voice_tests.checks import TurnResult, check_all, check_call
from bot.voice_tests.scenario import Scenario, Turn

REPLY_TIMEOUT_S = 20.0  # wait this long for the bot to start answering
MAX_REPLY_S = 25.0  # stop listening after this much (hold music never goes quiet)
HOLD_REPLY_S = 14.0  # ... or this much after a handoff, when hold audio follows the answer
# (14 s: an urgent answer plus "I'm connecting you" runs past 10 s in the slower voices, e.g. Festival)


@dataclass
class ScenarioResult:
    scenario: Scenario
    turns: list[TurnResult] = field(default_factory=list)
    call_failures: list[str] = field(default_factory=list)
    error: str | None = None  # the call itself broke (connection, protocol)
    call_id: str = ""
    duration_s: float = 0.0
    outcome: str | None = None
    end_reason: str | None = None
    late_frames: int = 0
    skipped: str | None = None

    @property
    def failures(self) -> list[str]:
        out = [f"{t.label}: {f}" for t in self.turns for f in t.failures]
        out += [f"call: {f}" for f in self.call_failures]
        return out + ([f"error: {self.error}"] if self.error else [])

    @property
    def passed(self) -> bool:
        return self.skipped is None and not self.failures

    @property
    def ok(self) -> bool:
        """Passed, skipped, or failed only as its known issue says (does not fail a run)."""
        return self.passed or self.skipped is not None or bool(self.scenario.known_issue)

    @property
    def status(self) -> str:
        if self.skipped:
            return "SKIP"
        if self.scenario.known_issue:
            return "XPASS" if self.passed else "XFAIL"
        return "PASS" if self.passed else "FAIL"


async def _hear_until_barge(call: TwilioCaller, barge_in_ms: int, timeout_s: float) -> BotReply:
    """The start of the bot's reply, for a next turn that talks over it after `barge_in_ms`."""
    clears = call.log.clears
    if await call.wait_bot_audio(timeout_s):
        await asyncio.sleep(barge_in_ms / 1000)
    return call.take_reply(BotReply(), clears)


async def _reply(call: TwilioCaller, next_turn: Turn | None, expects_handoff: bool) -> BotReply:
    if next_turn is not None and next_turn.barge_in_ms is not None:
        return await _hear_until_barge(call, next_turn.barge_in_ms, REPLY_TIMEOUT_S)
    return await call.listen(REPLY_TIMEOUT_S, max_s=HOLD_REPLY_S if expects_handoff else MAX_REPLY_S)


def _fill(result: TurnResult, reply: BotReply, call: TwilioCaller) -> None:
    result.reply_s = round(reply.duration_s, 2)
    result.latency_ms = reply.latency_ms
    result.bot_hung_up = call.log.closed_by_bot


async def run_scenario(scenario: Scenario, url: str, token: str,
                       caller: str = "+15550100123") -> ScenarioResult:
    """Place the scenario's call, then fetch the record and check every expectation."""
    out = ScenarioResult(scenario)
    audio = [await asyncio.to_thread(turn_audio, t) for t in scenario.turns]
    turns = scenario.turns
    results = [TurnResult("greeting", 0, scenario.greeting, ended_at=0.0)]
    started = time.monotonic()
    bot_hung_up = False
    try:
        async with TwilioCaller(url, caller=caller) as call:
            out.call_id = call.log.call_sid
            results[0].ended_at = time.time()
            greeting = await _reply(call, turns[0], "handoff" in scenario.greeting)
            _fill(results[0], greeting, call)
            for index, (turn, pcm) in enumerate(zip(turns, audio, strict=True)):
                result = TurnResult(f"turn {index + 1} (line {turn.line})", turn.line, turn.expect, 0.0)
                results.append(result)
                if call.log.closed_by_bot:
                    result.reached = False
                    continue
                clears = call.log.clears
                if turn.action == "press":
                    result.ended_at = time.time()  # the bot may act on the first key already
                    await call.press(turn.value[:-1])
                    await call.press(turn.value[-1], gap_s=0)  # times the reply from the last key
                elif turn.action in ("say", "wav"):
                    await call.say_pcm(pcm)
                    if turn.barge_in_ms is not None:
                        await asyncio.sleep(0.3)  # let the clear arrive before judging frames
                        call.drop_audio_before_speech_end()
                if turn.action != "press":
                    result.ended_at = time.time()
                # Still talking (hold lines, music) when the caller finished: no reply to time.
                busy = bool(call.log.media_times) and time.monotonic() - call.log.media_times[-1] < 0.1
                next_turn = turns[index + 1] if index + 1 < len(turns) else None
                if turn.action == "silence":
                    reply = await call.listen(float(turn.value), max_s=MAX_REPLY_S)
                    reply.latency_ms = None  # nothing was said, so there is nothing to time
                elif busy and turn.barge_in_ms is None:
                    reply = await _reply(call, next_turn, "handoff" in turn.expect)
                    reply.latency_ms = None
                else:
                    reply = await _reply(call, next_turn, "handoff" in turn.expect)
                _fill(result, reply, call)
                result.interrupted = call.log.clears > clears
                if turn.expect.get("ended") and not call.log.closed_by_bot:
                    result.bot_hung_up = await call.wait_closed(5)
            if scenario.expect.get("ended") and not call.log.closed_by_bot:
                await call.wait_closed(5)
            bot_hung_up = call.log.closed_by_bot
            out.late_frames = call.log.late_frames
    except Exception as exc:  # a broken call is a scenario failure, not a crash of the run
        out.error = f"{type(exc).__name__}: {exc}"
    out.duration_s = round(time.monotonic() - started, 1)
    record = await fetch_record(url, token, out.call_id, timeout_s=15) if out.call_id else None
    if record:
        out.outcome, out.end_reason = record["call"].get("outcome"), record["call"].get("end_reason")
    check_all(results, record)
    out.turns = results
    out.call_failures = check_call(scenario.expect, record, bot_hung_up)
    return out


async def run_scenarios(scenarios: list[Scenario], url: str, token: str, concurrency: int = 4,
                        on_done: Callable[[ScenarioResult], Any] | None = None) -> list[ScenarioResult]:
    """Run scenarios against one server, `concurrency` calls at a time, in the given order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(index: int, scenario: Scenario) -> ScenarioResult:
        async with gate:
            result = await run_scenario(scenario, url, token, caller=f"+1555010{index:04d}")
        if on_done is not None:
            on_done(result)
        return result

    return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(scenarios))))


def server_groups(scenarios: list[Scenario]) -> list[tuple[dict[str, str], list[Scenario]]]:
    """Scenarios grouped by the server settings they need (one server per group)."""
    groups: dict[tuple[tuple[str, str], ...], list[Scenario]] = {}
    for scenario in scenarios:
        groups.setdefault(tuple(sorted(scenario.server_env().items())), []).append(scenario)
    return [(dict(key), members) for key, members in groups.items()]


# Settings every server the runner starts uses: a quicker no-input timeout keeps silence
# scenarios short; open hours so escalations queue (scenarios override what they test).
# Admission by the call cap only: scenarios test the dialogue, and a busy test machine must
# not turn them away (capacity is `voicebot bench load`'s job).
RUNNER_ENV = {
    "VOICEBOT_CALLS__ADMISSION": "count",
    "VOICEBOT_STT__NO_INPUT_TIMEOUT_S": "4",
    "VOICEBOT_ESCALATION__BUSINESS_HOURS": "Mon-Sun 00:00-24:00",
}


def run_with_servers(scenarios: list[Scenario], concurrency: int = 4,
                     on_done: Callable[[ScenarioResult], Any] | None = None,
                     on_server: Callable[[str], Any] | None = None,
                     before_stop: Callable[[Any], Any] | None = None) -> list[ScenarioResult]:
    """Start one real server per settings group, run its scenarios, stop it (`before_stop`
    sees each server after its scenarios, e.g. to read its metrics)."""
    from bot.bench.server_proc import BenchServer

    results: dict[int, ScenarioResult] = {}
    for env, members in server_groups(scenarios):
        server = BenchServer(env={**RUNNER_ENV, **env})
        try:
            try:
                server.wait_ready()
            except RuntimeError as exc:  # e.g. a bad `server:` setting: these scenarios fail, others run
                for scenario in members:
                    results[id(scenario)] = ScenarioResult(scenario, error=f"server did not start: {exc}")
                    if on_done:
                        on_done(results[id(scenario)])
                continue
            if on_server:
                on_server(f"server {server.base_url} " + (" ".join(f"{k}={v}" for k, v in env.items()) or "(defaults)"))
            done = asyncio.run(run_scenarios(members, server.ws_url, server.secret, concurrency, on_done))
            if before_stop:
                before_stop(server)
            if not all(r.passed for r in done) and on_server:
                kept = Path(tempfile.gettempdir()) / f"voicebot-voice-server-{server.port}.log"
                shutil.copyfile(server.log_path, kept)
                on_server(f"server log kept in {kept}")
        finally:
            with contextlib.suppress(Exception):
                server.stop()
        for scenario, result in zip(members, done, strict=True):
            results[id(scenario)] = result
    return [results[id(s)] for s in scenarios]
