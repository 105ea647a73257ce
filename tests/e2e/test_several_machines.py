"""Two bot machines behind a real HAProxy, sharing a real redis-server and a real PostgreSQL.

A call placed through the balancer escalates; an agent logged into the *other* machine takes
it and both hear each other (and how much later than through the holding machine, measured);
`kill -9` of the machine holding a waiting caller leaves a callback task on the other; the
calls of both machines are in one `voicebot calls` list; SIGTERM takes a machine out of the
balancer's rotation while it still answers.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest

from bot.caller.twilio_client import TwilioCaller, rms
from tests.e2e.cluster_rig import PASSWORD, Cluster, start_cluster
from tests.e2e.test_escalation_calls import hear
from tests.e2e.test_supervisor_monitor import LOUD, AudioLeg
from tests.escalation.helpers import api_session, queue_of, until
from tests.escalation.redis_server import RedisServer

pytestmark = pytest.mark.slow
TONE_8K = (np.sin(2 * np.pi * 440 * np.arange(800) / 8000) * 8000).astype(np.int16).tobytes()  # 0.1 s
BURSTS = 10
MAX_ADDED_MS = 40.0  # the bound: agent audio across machines, one way, over the local path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres_server) -> Iterator[Cluster]:
    redis = RedisServer(tmp_path_factory.mktemp("cluster-redis")).start()
    machines = None
    try:
        machines = start_cluster(tmp_path_factory.mktemp("cluster"), redis.url, postgres_server.new_database())
        yield machines
    finally:
        if machines is not None:
            machines.balancer.stop()
            for bot in machines.bots:
                bot.stop()
        redis.stop()


async def escalate(cluster: Cluster, caller: str) -> tuple[TwilioCaller, int]:
    """A call through the balancer that asks for a person (keypad 0 over the greeting);
    which bot holds it."""
    call = await TwilioCaller(cluster.balancer.ws_url, caller=caller).__aenter__()
    assert await call.wait_bot_audio(timeout_s=30), "no greeting"
    await call.press("0")
    sid = call.log.call_sid
    holder = await until(lambda: cluster.holder(sid), lambda h: h >= 0, timeout=20)
    assert holder >= 0, f"call {sid} never queued with a known machine"
    cluster.calls[sid] = holder
    return call, holder


def first_loud(frames: list[tuple[float, bytes]], t0: float) -> float | None:
    """When the first loud 20 ms frame arrived in the 0.35 s after t0 (None: none did)."""
    return next((at for at, pcm in list(frames) if t0 <= at < t0 + 0.35 and rms(pcm) > LOUD), None)


async def one_way_ms(agent: AudioLeg, call: TwilioCaller) -> tuple[float, float]:
    """Median delay, agent -> caller and caller -> agent, of the first loud 20 ms frame of
    BURSTS short tones (each side's sender paces 20 ms frames, as a phone and a browser do)."""
    agent_starts, caller_starts = [], []
    for _ in range(BURSTS):
        agent_starts.append(time.monotonic())
        agent.talking = True
        await asyncio.sleep(0.1)
        agent.talking = False
        await asyncio.sleep(0.3)
    to_caller = [first_loud(call._bot_audio, t0) for t0 in agent_starts]  # say_pcm clears them
    for _ in range(BURSTS):
        caller_starts.append(time.monotonic())
        await call.say_pcm(TONE_8K)
        await asyncio.sleep(0.3)
    to_agent = [first_loud(agent.heard, t0) for t0 in caller_starts]
    assert None not in to_caller, f"the caller did not hear every tone of the agent: {to_caller}"
    assert None not in to_agent, f"the agent did not hear every tone of the caller: {to_agent}"
    return (statistics.median((at - t0) * 1000 for at, t0 in zip(to_caller, agent_starts)),
            statistics.median((at - t0) * 1000 for at, t0 in zip(to_agent, caller_starts)))


async def take_call(base_url: str, username: str, sid: str) -> tuple[object, AudioLeg]:
    ctx = api_session(base_url, username, PASSWORD)
    api = await ctx.__aenter__()
    await until(lambda: queue_of(api), lambda q: sid in [e["call_id"] for e in q["waiting"]], timeout=15)
    response = await api.post(f"/api/queue/{sid}/accept")
    assert response.status == 200, await response.text()
    leg = AudioLeg(await api.http.ws_connect(f"/console/audio/{sid}"))
    hello = await asyncio.wait_for(leg.texts.get(), 10)
    assert hello["bridged"] is True, hello
    await asyncio.sleep(1.0)  # hold audio already in flight lands
    return ctx, leg


async def test_an_agent_on_the_other_machine_talks_with_a_caller_placed_through_the_balancer(
        cluster: Cluster) -> None:
    await cluster.add_agent("ana")
    call, holder = await escalate(cluster, "+15550200001")
    sid, other = call.log.call_sid, 1 - holder
    try:
        ctx, leg = await take_call(cluster.bots[other].base_url, "ana", sid)
        remote_to_caller, remote_to_agent = await one_way_ms(leg, call)
        await leg.close()  # the agent's tab closes: the call goes back to the head of the queue
        await ctx.__aexit__(None, None, None)
        # The release reached the holding machine: the caller hears hold audio again.
        assert await hear(call, 1.5, timeout_s=15) >= 1.5, "no hold audio after the remote agent left"
        ctx, leg = await take_call(cluster.bots[holder].base_url, "ana", sid)  # now on the holder
        local_to_caller, local_to_agent = await one_way_ms(leg, call)
        await leg.close()
        await ctx.__aexit__(None, None, None)
    finally:
        await call.hangup()
    print(f"agent -> caller: {remote_to_caller:.0f} ms across machines, {local_to_caller:.0f} ms on the "
          f"holder; caller -> agent: {remote_to_agent:.0f} ms / {local_to_agent:.0f} ms")
    assert remote_to_caller - local_to_caller <= MAX_ADDED_MS, (remote_to_caller, local_to_caller)
    assert remote_to_agent - local_to_agent <= MAX_ADDED_MS, (remote_to_agent, local_to_agent)


async def test_kill_9_of_the_holder_leaves_a_callback_on_the_other_and_one_call_list(cluster: Cluster) -> None:
    await cluster.add_agent("cara")
    placed: list[tuple[TwilioCaller, int]] = []
    try:
        for i in range(3):  # the balancer spreads new calls: one on each machine is wanted
            placed.append(await escalate(cluster, f"+1555020010{i}"))
            if set(cluster.calls.values()) == {0, 1}:
                break
        assert set(cluster.calls.values()) == {0, 1}, "the balancer sent every call to one machine"
        victim = placed[-1][1]
        survivor = 1 - victim
        waiting = [c.log.call_sid for c, h in placed if h == victim]
        cluster.bots[victim].proc.kill()  # kill -9: no goodbye, no clean-up
        cluster.balancer.wait_status(f"bot{victim + 1}", "DOWN")
        async with api_session(cluster.bots[survivor].base_url, "cara", PASSWORD) as api:
            async def callback_ids() -> set[str]:
                return {c["call_id"] for c in (await api.get("/api/callbacks"))["callbacks"]}
            ids = await until(callback_ids, lambda found: set(waiting) <= found, timeout=25)
            assert set(waiting) <= ids, "the lost callers did not become callback tasks"
            queue = await queue_of(api)
            assert not set(waiting) & {e["call_id"] for e in queue["waiting"]}
    finally:
        for call, _ in placed:
            await call.hangup()
    listed = {c["call_id"] for c in await asyncio.to_thread(cluster.voicebot_calls)}
    assert set(cluster.calls) <= listed, "one `voicebot calls` list lacks a machine's calls"


def test_sigterm_takes_a_machine_out_of_rotation_before_it_stops_answering(cluster: Cluster) -> None:
    bot = next(b for b in cluster.bots if b.proc.poll() is None)
    name = f"bot{cluster.bots.index(bot) + 1}"
    bot.proc.terminate()
    cluster.balancer.wait_status(name, "DOWN", timeout_s=10)
    # Out of rotation, and yet still answering (cluster.drain_notice_s: 4 s here).
    with urllib.request.urlopen(bot.base_url + "/healthz", timeout=2) as still_up:
        assert still_up.status == 200, "the machine stopped answering before the balancer noticed"
    assert bot.proc.wait(30) == 0
