"""Synthesis off the event loop: persistent worker processes, each with one engine.

Requests wait in one priority queue (lower number first: a reply's first chunk goes ahead
of later chunks and of pre-rendering). With two or more workers, one takes first chunks only
and runs at `nice`; the rest take anything and run at `tail_nice`, so a first chunk finds a
worker free and wins the CPU from the tails (`tts/job_queue.py` says why). A worker that dies
is replaced in its role at once and its request is retried. A live request that no worker
has answered within its deadline fails with a `TtsError` (the call apologises) instead of
waiting for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from typing import Any

from stt.worker_processes import WorkerProcesses, spawn_process, stop_process
from tts.job_queue import PRERENDER, Job, JobQueue
from tts.synthesizer import Audio, TtsError, VoiceParams

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a request whose worker died is retried on another (a poison text kills 3)


class WorkerDied(Exception):
    pass


class _Worker:
    """The parent's handle on one worker process."""

    def __init__(self, proc: asyncio.subprocess.Process, native_rate: int) -> None:
        self.proc = proc
        self.native_rate = native_rate
        self.died: asyncio.Task[int] = asyncio.ensure_future(proc.wait())

    @classmethod
    async def spawn(cls, params: VoiceParams, timeout_s: float, nice: int = 0) -> _Worker:
        proc = await spawn_process("tts.worker", json.dumps(params.__dict__), str(nice))
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), timeout_s)
            hello = json.loads(line) if line else {"error": "worker exited while starting"}
        except (asyncio.TimeoutError, ValueError) as exc:
            hello = {"error": f"worker did not start ({type(exc).__name__})"}
        if not hello.get("ready"):
            await stop_process(proc, 0)
            raise TtsError(f"text-to-speech worker failed: {hello.get('error')}")
        return cls(proc, int(hello["native_rate"]))

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def request(self, job_id: int, text: str, rate: int | None) -> tuple[Audio, float]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps({"id": job_id, "text": text, "rate": rate}).encode() + b"\n")
            await self.proc.stdin.drain()
            line = await self.proc.stdout.readline()
            if not line:
                raise WorkerDied(f"worker {self.pid} exited")
            header = json.loads(line)
            if not header.get("ok"):
                raise TtsError(f"synthesis failed: {header.get('error')}")
            pcm = await self.proc.stdout.readexactly(header["bytes"])
        except (BrokenPipeError, ConnectionResetError, asyncio.IncompleteReadError) as exc:
            raise WorkerDied(f"worker {self.pid} lost ({type(exc).__name__})") from exc
        return Audio(pcm, header["rate"]), float(header["synth_ms"])

    async def stop(self, timeout: float = 0) -> None:
        """Kill it (its answer to a request in flight is of no use any more)."""
        await stop_process(self.proc, 0)
        await self.died


class PooledSynthesizer:
    """The `Synthesizer` for any engine (`voice.engine`), backed by `workers` processes."""

    def __init__(
        self, voice: VoiceParams, workers: int = 2, request_timeout_s: float = 10.0,
        start_timeout_s: float = 30.0, nice: int = 5, tail_nice: int = 10,
        first_chunk_worker: bool = True,
    ) -> None:
        self.voice = voice
        self.size = workers
        self.request_timeout_s = request_timeout_s
        self.start_timeout_s = start_timeout_s
        # Workers run at a lower CPU priority than the event loop, which paces every call's
        # audio; the first-chunk worker above the others, whose chunks play later.
        self.nice = nice
        self.first_chunk_worker = first_chunk_worker and workers > 1  # False: the design before (bench)
        self.tail_nice = tail_nice if self.first_chunk_worker else nice
        self.last_synth_ms = 0.0
        self._queue = JobQueue()
        # A worker that cannot be replaced is tried again every second: synthesis is not
        # optional, and a request waits in the queue meanwhile. One pool per role, so a
        # replacement keeps its role's priority.
        self._first = WorkerProcesses("tts", lambda: self._spawn(self.nice), TtsError, retry_s=1.0)
        self._general = WorkerProcesses("tts", lambda: self._spawn(self.tail_nice), TtsError, retry_s=1.0)
        self._runners: list[asyncio.Task[None]] = []
        self._seq = itertools.count()

    @property
    def restarts(self) -> int:
        return self._first.restarts + self._general.restarts

    async def _spawn(self, nice: int) -> _Worker:
        return await _Worker.spawn(self.voice, self.start_timeout_s, nice)

    async def start(self) -> None:
        """Spawn and warm up every worker; raises TtsError with the reason if one cannot start."""
        if self._runners:
            return
        first = 1 if self.first_chunk_worker else 0
        results = await asyncio.gather(
            self._first.start(first), self._general.start(self.size - first), return_exceptions=True
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            await asyncio.gather(self._first.close(), self._general.close())
            raise failed[0]
        self._runners = [asyncio.create_task(self._run(w, self._first)) for w in self._first.workers]
        self._runners += [asyncio.create_task(self._run(w, self._general)) for w in self._general.workers]

    async def close(self) -> None:
        for task in self._runners:
            task.cancel()
        for task in self._runners:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._runners = []
        while not self._queue.empty():  # nobody will serve these any more
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(TtsError("text-to-speech is shutting down"))
        await asyncio.gather(self._first.close(), self._general.close())

    def pids(self, role: str = "all") -> list[int]:
        """Process ids of the live workers: "first" (first chunks only), "general" or "all"."""
        pools = {"first": [self._first], "general": [self._general]}.get(role, [self._first, self._general])
        return [w.pid for p in pools for w in p.workers if w.proc.returncode is None]

    async def synthesize(
        self, text: str, sample_rate: int | None = None, priority: int = 0
    ) -> Audio:
        """PCM16 for `text` at `sample_rate` (None = the engine's native rate)."""
        audio, _ = await self.synthesize_timed(text, sample_rate, priority)
        return audio

    async def synthesize_timed(
        self, text: str, sample_rate: int | None = None, priority: int = 0
    ) -> tuple[Audio, float]:
        """Like `synthesize`, plus the milliseconds the engine itself took."""
        if not self._runners:
            raise TtsError("text-to-speech workers are not started")
        future: asyncio.Future[tuple[Audio, float]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(Job(priority, next(self._seq), text, sample_rate, future))
        if priority >= PRERENDER:
            return await future
        # A live request has time for every retry after a dead worker, and one more.
        deadline_s = self.request_timeout_s * (MAX_ATTEMPTS + 1)
        try:
            return await asyncio.wait_for(future, deadline_s)
        except asyncio.TimeoutError:
            log.error("tts: no worker answered a live request in %.0f s (workers %s, waiting %s)",
                      deadline_s, self.pids(), self._queue.describe())
            raise TtsError(f"text-to-speech did not answer in {deadline_s:g} s") from None

    async def _next_job(self, worker: _Worker, first_chunks_only: bool) -> Job | None:
        """The next job, or None when the worker died while idle."""
        getter = asyncio.ensure_future(self._queue.get(first_chunks_only))
        try:
            await asyncio.wait({getter, worker.died}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # closing: a job already taken goes back to be failed
            if not getter.cancel() and not getter.cancelled() and getter.exception() is None:
                self._queue.put_nowait(getter.result())
            raise
        if getter.done():
            return getter.result()
        getter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            return await getter
        return None

    async def _replace(self, old: _Worker, reason: str, procs: WorkerProcesses[_Worker]) -> _Worker:
        await old.stop()
        replacing = procs.replace(old, f"tts worker {old.pid} replaced: {reason}")
        if replacing is None:
            raise asyncio.CancelledError  # shutting down: no replacements
        return await replacing

    async def _run(self, worker: _Worker, procs: WorkerProcesses[_Worker]) -> None:
        first_chunks_only = procs is self._first
        while True:
            if worker.died.done():
                worker = await self._replace(worker, f"exited with status {worker.died.result()}", procs)
            job = await self._next_job(worker, first_chunks_only)
            if job is None or job.future.done():  # died while idle, or the caller gave up
                continue
            job.attempts += 1
            try:
                result = await asyncio.wait_for(
                    worker.request(job.seq, job.text, job.rate), self.request_timeout_s
                )
            except asyncio.CancelledError:
                if not job.future.done():
                    job.future.set_exception(TtsError("text-to-speech is shutting down"))
                raise
            except (WorkerDied, asyncio.TimeoutError) as exc:
                reason = str(exc) or f"no answer in {self.request_timeout_s:g} s"
                if job.attempts < MAX_ATTEMPTS:
                    self._queue.put_nowait(job)  # another worker may take it while we respawn
                elif not job.future.done():
                    job.future.set_exception(TtsError(f"text-to-speech failed {MAX_ATTEMPTS} times: {reason}"))
                worker = await self._replace(worker, reason, procs)
                continue
            except TtsError as exc:  # the worker answered with an error: it is still in sync
                if not job.future.done():
                    job.future.set_exception(exc)
                continue
            except Exception as exc:  # a garbled answer: do not trust this worker's stream
                if not job.future.done():
                    job.future.set_exception(TtsError(f"synthesis failed: {exc!r}"))
                worker = await self._replace(worker, f"bad answer ({exc!r})", procs)
                continue
            self.last_synth_ms = result[1]
            if not job.future.done():
                job.future.set_result(result)

    @property
    def native_rate(self) -> int:
        live = self._first.workers + self._general.workers
        return live[0].native_rate if live else 22050

    def describe(self) -> dict[str, Any]:
        return {"engine": self.voice.engine, "workers": self.size, "voice": self.voice.__dict__}
