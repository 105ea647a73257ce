"""Real failures during real calls, against a real `voicebot serve`: the caller never hears
silence, is apologised to and gets a human (or a callback) where the bot cannot go on,
nothing queued is lost, and each failure is logged once with the call id.

The dialogue cases each need a server of their own (no model; a 1 ms turn timeout). The
worker and store cases share one server with one recognizer and one TTS worker (so the
process serving a call is the one killed) and its queue in a redis-server the test stops.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil
import pytest

from bot.caller.dial import fetch_record
from bot.caller.twilio_client import TwilioCaller
from bot.caller.voices import speak
from escalation.stores import StoreError
from escalation.stores.redis import RedisStore
from tests.conftest import ServerProcess
from tests.e2e.conftest import E2E_ENV, start_e2e_server
from tests.escalation.redis_server import RedisServer

pytestmark = pytest.mark.slow


def _ws_url(server: ServerProcess) -> str:
    return server.base_url.replace("http://", "ws://") + "/twilio/media"


def _problem_lines(log_text: str, call_id: str) -> list[str]:
    level = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) ")
    return [line for line in log_text.splitlines() if level.match(line) and call_id in line]


async def _record(server: ServerProcess, call_id: str) -> dict:
    record = await fetch_record(_ws_url(server), server.reader_token(), call_id, timeout_s=15)
    assert record is not None, f"no record of call {call_id}"
    return record


def _bot_said(record: dict) -> str:
    return " ".join(t.get("bot_text") or "" for t in record["turns"]).lower()


async def _call_ends_in_apology(server: ServerProcess) -> str:
    """A call whose first turn is an apology and a human; returns the call id. Only the first
    seconds are heard: after the apology the caller holds, and hold audio never pauses."""
    async with TwilioCaller(_ws_url(server)) as call:
        heard = await call.listen(timeout_s=30, quiet_s=1.5, max_s=6)
        assert heard.duration_s > 2.0, "the caller heard no apology"
        call_id = call.log.call_sid
    record = await _record(server, call_id)
    assert "sorry" in _bot_said(record), record["turns"]
    assert record["call"]["outcome"] == "escalated", record["call"]
    return call_id


async def _ask(server: ServerProcess, question: str, intent: str) -> str:
    """A normal call: greeting, one question answered (not apologised for); the call id."""
    async with TwilioCaller(_ws_url(server)) as call:
        assert (await call.listen(timeout_s=30)).duration_s > 1.0, "no greeting"
        await call.say_pcm(speak(question, "rms"))
        assert (await call.listen(timeout_s=30, quiet_s=1.5)).duration_s > 1.0, "no answer"
        call_id = call.log.call_sid
    record = await _record(server, call_id)
    assert [t["intent"] for t in record["turns"] if t["input_kind"] == "text"] == [intent]
    assert "sorry" not in _bot_said(record) and record["call"]["outcome"] != "escalated"
    return call_id


# ---- the dialogue fails -------------------------------------------------------------------
async def test_no_dialogue_model_means_apology_and_a_human(start_server, tmp_path) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    server = start_server({**E2E_ENV, "VOICEBOT_NLU__MODEL_DIR": str(empty)})
    calls = [await _call_ends_in_apology(server) for _ in range(2)]
    log_text = server.log()
    startup = [line for line in log_text.splitlines() if "dialogue unavailable:" in line]
    assert len(startup) == 1 and "[call=-]" in startup[0], startup
    for call_id in calls:  # and once more for each affected call, with its id
        problems = _problem_lines(log_text, call_id)
        assert len(problems) == 1 and " WARNING " in problems[0], problems
        assert "dialogue unavailable for this call" in problems[0]


async def test_dialogue_timeout_means_apology_and_a_human(start_server) -> None:
    server = start_server({**E2E_ENV, "VOICEBOT_NLU__TURN_TIMEOUT_S": "0.001"}, ready_path="/readyz",
                          timeout_s=180)
    call_id = await _call_ends_in_apology(server)  # the greeting turn already times out
    timeouts = [line for line in _problem_lines(server.log(), call_id) if "time" in line.lower()]
    assert len(timeouts) == 1, timeouts


# ---- workers die, the queue store goes away: one shared server ----------------------------
@dataclass
class Faults:
    server: ServerProcess
    redis: RedisServer

    def workers(self, module: str) -> list[psutil.Process]:
        """The server's live worker processes running `python -m <module>`."""
        children = psutil.Process(self.server.proc.pid).children(recursive=True)
        return [p for p in children if _runs(p, module)]

    async def replaced(self, module: str, dead: int) -> psutil.Process:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            live = [p for p in self.workers(module) if p.pid != dead]
            if live:
                return live[0]
            await asyncio.sleep(0.2)
        raise AssertionError(f"no new {module} process after {dead} was killed")


def _runs(proc: psutil.Process, module: str) -> bool:
    try:
        return module in proc.cmdline() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Faults]:
    tmp = tmp_path_factory.mktemp("faults")
    redis = RedisServer(tmp / "redis").start()
    server = start_e2e_server(tmp, {
        "VOICEBOT_STT__WORKERS": "1", "VOICEBOT_TTS__WORKERS": "1",
        "VOICEBOT_ESCALATION__STORE": "redis", "VOICEBOT_ESCALATION__REDIS_URL": redis.url,
        "VOICEBOT_ESCALATION__HOLD_ANNOUNCE_INTERVAL_S": "5",
    })
    state = Faults(server, redis)
    yield state
    server.stop()
    state.redis.stop()


async def test_killed_recognizer_and_tts_workers_are_replaced_and_calls_go_on(faults: Faults) -> None:
    """Recognizer worker killed mid-utterance: a serious product does not hand the caller
    (and every other call on that worker) to a human for a crash it can recover from - the
    stream moves to a live worker with the utterance so far replayed, and the question is
    answered as usual. TTS worker killed mid-call: the reply still plays, without a gap.
    Each call after a kill is a new call on the replacement worker."""
    [recognizer] = faults.workers("stt.recognizer_worker")
    async with TwilioCaller(_ws_url(faults.server)) as call:
        await call.listen(timeout_s=30)
        speaking = asyncio.create_task(call.say_pcm(speak("what exchange rate do you use", "rms")))
        await asyncio.sleep(0.9)  # the caller is half-way through the sentence
        assert not speaking.done()
        os.kill(recognizer.pid, signal.SIGKILL)
        await speaking
        reply = await call.listen(timeout_s=30, quiet_s=1.5)
        call_id = call.log.call_sid
    assert reply.duration_s > 2.0, "the caller heard no answer after the recognizer died"
    print(f"recognizer killed: answer {reply.latency_ms} ms after the caller stopped talking")
    record = await _record(faults.server, call_id)
    assert [t["intent"] for t in record["turns"] if t["input_kind"] == "text"] == ["exchange_rate"]
    assert record["call"]["outcome"] == "contained" and "sorry" not in _bot_said(record)
    problems = _problem_lines(faults.server.log(), call_id)
    assert len(problems) == 1 and f"recognizer worker {recognizer.pid} died" in problems[0], problems
    new_recognizer = await faults.replaced("stt.recognizer_worker", recognizer.pid)

    [tts] = faults.workers("tts.worker")
    async with TwilioCaller(_ws_url(faults.server)) as call:
        await call.listen(timeout_s=30)
        # Killed as the caller stops talking: the reply (never said on this server, so not
        # cached) is synthesized while the worker is dead or being replaced.
        await call.say_pcm(speak("my new card has not arrived yet", "rms"))
        os.kill(tts.pid, signal.SIGKILL)
        reply = await call.listen(timeout_s=30, quiet_s=1.5)
        frames = [t for t in call.log.media_times if t >= (reply.first_audio_at or 0)]
        call_id = call.log.call_sid
    assert reply.duration_s > 2.0, "silence on the line after the TTS worker died"
    gaps = [b - a for a, b in zip(frames, frames[1:])]
    print(f"tts killed: answer {reply.latency_ms} ms after the caller stopped talking, "
          f"{reply.duration_s:.1f} s long, longest gap {max(gaps) * 1000:.0f} ms")
    assert max(gaps) < 1.0, f"a {max(gaps):.2f} s silence inside the reply"
    record = await _record(faults.server, call_id)
    assert [t["intent"] for t in record["turns"] if t["input_kind"] == "text"] == ["card_arrival"]
    assert "sorry" not in _bot_said(record) and record["call"]["outcome"] == "contained"
    assert not _problem_lines(faults.server.log(), call_id)
    await faults.replaced("tts.worker", tts.pid)
    assert f"tts worker {tts.pid} replaced" in faults.server.log()

    await _ask(faults.server, "how long does a transfer take", "transfer_timing")
    assert [p.pid for p in faults.workers("stt.recognizer_worker")] == [new_recognizer.pid]


async def test_queue_store_down_means_apology_and_callback_and_nothing_lost(faults: Faults) -> None:
    store = await RedisStore.open(faults.redis.url)
    holding = TwilioCaller(_ws_url(faults.server), caller="+15550160001")
    asking = TwilioCaller(_ws_url(faults.server), caller="+15550160002")
    try:
        await holding.__aenter__()
        await asking.__aenter__()
        await asyncio.gather(holding.listen(timeout_s=30), asking.listen(timeout_s=30))
        await holding.press("0")  # queued before the outage
        await _until(lambda: store.waiting(), lambda w: [e.call_id for e in w] == [holding.log.call_sid])
        before = (await store.get(holding.log.call_sid)).to_json()

        faults.redis.stop()
        stopped = time.monotonic()
        await asking.press("0")  # asks for a person while the queue is unreachable
        heard = await asking.listen(timeout_s=30, quiet_s=1.5)
        assert heard.duration_s > 4.0, "no apology and callback offer"
        assert await asking.wait_closed(15), "the bot did not end the call after booking the callback"
        assert holding.bot_audio_since(stopped) > 3.0, "the holding caller heard silence"
        assert not holding.log.closed_by_bot

        faults.redis = RedisServer(faults.redis.directory, faults.redis.port).start()
        callbacks = await _until(lambda: store.list_records("callback"), lambda cbs: len(cbs) == 1)
        assert callbacks[0]["call_id"] == asking.log.call_sid
        assert callbacks[0]["number"] == "+15550160002" and callbacks[0]["status"] == "open"
        assert callbacks[0]["context"]["reason"] == "request_human"
        assert [e.call_id for e in await store.waiting()] == [holding.log.call_sid]
        assert (await store.get(holding.log.call_sid)).to_json() == before
    finally:
        await asking.hangup()
        await holding.hangup()
        await store.close()
    record = await _record(faults.server, asking.log.call_sid)
    assert record["call"]["outcome"] == "escalated" and record["call"]["end_reason"] == "callback"
    booked = [e["detail"] for e in record["events"] if e["kind"] == "callback_requested"]
    assert booked == [{"id": callbacks[0]["id"], "spooled": True}], record["events"]
    log_text = faults.server.log()
    asked = _problem_lines(log_text, asking.log.call_sid)
    assert len(asked) == 1 and "escalation store unreachable" in asked[0], asked
    held = _problem_lines(log_text, holding.log.call_sid)
    assert len(held) == 1 and "while the caller holds" in held[0], held


async def _until(probe, ok, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = await probe()
        except StoreError:  # the first command on a connection Redis closed when it stopped
            value = None
        if (value is not None and ok(value)) or time.monotonic() > deadline:
            assert value is not None and ok(value), value
            return value
        await asyncio.sleep(0.2)
