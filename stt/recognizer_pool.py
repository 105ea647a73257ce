"""Recognition in worker processes: the event loop only moves bytes through pipes.

pocketsphinx holds the GIL while it builds or runs a decoder, so in threads it stalls the
event loop that paces every call's audio (measured: 80 ms-1.2 s lags with 4 decodes) and
caps recognition at one core. `RecognizerPool` runs `workers` processes
(`python -m stt.recognizer_worker`), each with its own warm decoders, and gives every
call a `PooledRecognizer` stream on the least-loaded worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import json
import logging
import os
from pathlib import Path

from stt import pool_wire as wire
from stt.recognizer import RecognizerError, Transcript
from stt.worker_processes import WorkerProcesses, spawn_process, stop_process

log = logging.getLogger(__name__)

MAX_PENDING = 100  # requests in flight per stream: 2 s of 20 ms frames
REQUEST_TIMEOUT_S = 10.0  # a worker this late is no use to a live call: replace it
MAX_WRITE_BUFFER = 4 * 1024 * 1024  # bytes queued to one worker's stdin
MAX_RECOVERIES = 1  # a stream moves once; audio that kills a second worker fails the call
RECOVER_TIMEOUT_S = 15.0  # waiting for a live (or replacement) worker to take a stream over
MAX_REPLAY_S = 60.0  # utterance audio kept for replay; longer ones are not replayable


class _Worker:
    """One worker process, its pipes and the requests waiting for an answer."""

    def __init__(self, proc: asyncio.subprocess.Process, on_exit: object, timeout: float) -> None:
        self.proc = proc
        self.timeout = timeout
        self.pending: dict[int, asyncio.Future[bytes]] = {}
        self.streams = 0
        self.alive = True
        self.error = "recognizer worker exited"
        self._ids = itertools.count(1)
        self._on_exit = on_exit
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def handshake(self) -> dict[str, object]:
        try:
            req_id, status, body = await self._read()
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise RecognizerError("recognizer worker exited while starting") from exc
        if req_id != wire.HELLO_ID or status != wire.OK:
            raise RecognizerError(f"recognizer worker failed to start: {body.decode(errors='replace')}")
        # An empty context: the worker's own log lines are the pool's, not of the call that
        # happened to start it.
        self._reader = contextvars.Context().run(asyncio.create_task, self._read_loop())
        return json.loads(body)

    async def _read(self) -> tuple[int, int, bytes]:
        assert self.proc.stdout is not None
        header = await self.proc.stdout.readexactly(wire.RESPONSE.size)
        size, req_id, status = wire.RESPONSE.unpack(header)
        body = await self.proc.stdout.readexactly(size) if size else b""
        return req_id, status, body

    async def _read_loop(self) -> None:
        try:
            while True:
                req_id, status, body = await self._read()
                future = self.pending.pop(req_id, None)
                if future is None or future.done():
                    continue
                if status == wire.OK:
                    future.set_result(body)
                else:
                    future.set_exception(RecognizerError(body.decode(errors="replace")))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except Exception as exc:
            log.error("recognizer worker %d: bad response stream: %s", self.pid, exc)
        finally:
            self.fail(f"recognizer worker {self.pid} exited")
            self._on_exit(self)  # type: ignore[operator]
            await self._reap()

    async def _reap(self) -> None:
        await stop_process(self.proc, 2.0)  # it closed stdout but may hang: do not leave it behind

    def fail(self, error: str) -> None:
        """Mark the worker dead and fail everything waiting on it."""
        if self.alive:
            self.alive = False
            self.error = error
        for future in self.pending.values():
            if not future.done():
                future.set_exception(RecognizerError(self.error))
        self.pending.clear()

    def send(self, op: int, stream_id: int, body: bytes = b"") -> asyncio.Future[bytes]:
        """Queue one request (never blocks); its future resolves with the response body."""
        if not self.alive:
            raise RecognizerError(self.error)
        stdin = self.proc.stdin
        assert stdin is not None
        if stdin.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            raise RecognizerError("recognizer worker is too far behind")
        req_id = next(self._ids) & 0xFFFFFFFF or next(self._ids)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.pending[req_id] = future
        try:
            stdin.write(wire.request(req_id, op, stream_id, body))
        except (ConnectionError, RuntimeError) as exc:
            self.pending.pop(req_id, None)
            self.fail(f"recognizer worker {self.pid} pipe closed: {exc}")
            raise RecognizerError(self.error) from exc
        return future

    async def call(self, op: int, stream_id: int, body: bytes = b"") -> bytes:
        """Send one request and wait for its answer; a worker that does not answer within
        `timeout` is killed (its streams fail, the pool replaces it)."""
        future = self.send(op, stream_id, body)
        try:
            return await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:  # logged by the pool (once, not per call) as it replaces it
            self.fail(f"recognizer worker {self.pid} stopped answering in {self.timeout:.0f} s; killed")
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            raise RecognizerError(self.error) from None

    async def stop(self, timeout: float) -> None:
        """Close stdin (the worker exits on EOF); kill it if it does not go in time."""
        await stop_process(self.proc, timeout)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


class PooledRecognizer:
    """One call's stream on a pool worker; the async surface of `StreamingRecognizer`.

    Requests of one stream are answered in order; a stream that falls `MAX_PENDING`
    requests behind raises `RecognizerError`. When its worker dies, the stream moves once
    to a live worker and the current utterance's audio is replayed there, so the caller
    loses nothing; a second death (or no live worker) raises `RecognizerError`.
    """

    def __init__(self, worker: _Worker, stream_id: int, sample_rate: int,
                 pool: RecognizerPool | None = None) -> None:
        self.sample_rate = sample_rate
        self.recoveries = 0
        self._worker = worker
        self._id = stream_id
        self._pool = pool
        self._in_flight = 0
        self._closed = False
        # The utterance so far, to replay on another worker if this one dies (bounded:
        # the endpointer ends an utterance long before MAX_REPLAY_S).
        self._utterance = bytearray()
        self._replayable = True
        self._moving = asyncio.Lock()

    @property
    def worker_pid(self) -> int:
        return self._worker.pid

    async def _call(self, op: int, body: bytes = b"") -> bytes:
        if self._closed:
            raise RuntimeError("PooledRecognizer is closed")
        if self._in_flight >= MAX_PENDING:
            raise RecognizerError(f"recognizer stream is {self._in_flight} requests behind")
        self._in_flight += 1
        try:
            worker = self._worker
            try:
                return await worker.call(op, self._id, body)
            except RecognizerError:
                if not await self._recover(worker):
                    raise
                return await self._worker.call(op, self._id, body)
        finally:
            self._in_flight -= 1

    async def _recover(self, dead: _Worker) -> bool:
        """Move to a live worker after `dead` died; False when this stream cannot move."""
        if dead.alive or self._closed:
            return False  # the request itself failed (the worker answered an error)
        async with self._moving:
            if self._worker is not dead:
                return True  # another request of this stream already moved it
            return await self._move(dead)

    async def _move(self, dead: _Worker) -> bool:
        if self._pool is None or self._pool.closed or self.recoveries >= MAX_RECOVERIES \
                or not self._replayable:
            return False
        self.recoveries += 1  # counted first: replaying audio that kills workers must stop here
        try:
            fresh = await asyncio.wait_for(self._pool.open(self.sample_rate), RECOVER_TIMEOUT_S)
            if self._utterance:
                await fresh._worker.call(wire.ACCEPT, fresh._id, bytes(self._utterance))
        except (RecognizerError, asyncio.TimeoutError) as exc:
            log.error("recognizer worker %d died and the stream could not move: %r", dead.pid, exc)
            return False
        self._worker, self._id = fresh._worker, fresh._id
        fresh._closed = True  # its worker and id are ours now
        log.warning("recognizer worker %d died during the call; continued on worker %d "
                    "(%.1f s of speech replayed)", dead.pid, self._worker.pid,
                    len(self._utterance) / 2 / self.sample_rate)
        return True

    async def accept(self, pcm: bytes) -> str | None:
        """Feed audio; the new partial transcript when it changed, else None."""
        partial = wire.decode_partial(await self._call(wire.ACCEPT, bytes(pcm)))
        self._remember(pcm)
        return partial

    def _remember(self, pcm: bytes) -> None:
        if self._replayable:
            self._utterance += pcm
            if len(self._utterance) > MAX_REPLAY_S * 2 * self.sample_rate:
                self._replayable = False
                self._utterance = bytearray()

    async def speculate(self, context: str = "text") -> None:
        """The caller paused: let the worker start the final pass on the turn so far."""
        await self._call(wire.SPECULATE, wire.encode_context(context))

    async def buffer(self, pcm: bytes) -> None:
        """Feed audio without asking for partials (the worker decodes none if it can)."""
        await self._call(wire.BUFFER, bytes(pcm))
        self._remember(pcm)

    async def final(self, context: str = "text", use_guess: bool = False) -> Transcript:
        """End the utterance and return its transcript; `use_guess`: nothing was said since
        the last `speculate`, so its decoding stands."""
        body = wire.encode_context(context, use_guess)
        transcript = wire.decode_transcript(await self._call(wire.FINAL, body))
        self._new_utterance()
        return transcript

    async def alternatives(self, count: int = 5) -> list[str]:
        """Other readings of the turn that ended last, most likely first (a beam search by
        the final pass; none without one)."""
        return wire.decode_texts(await self._call(wire.ALTERNATIVES, bytes([max(1, min(count, 16))])))

    async def reset(self) -> None:
        """Drop the current utterance without a result."""
        await self._call(wire.RESET)
        self._new_utterance()

    def _new_utterance(self) -> None:
        self._utterance = bytearray()
        self._replayable = True

    async def close(self) -> None:
        """Give the decoder back to the worker's warm set (quietly if the worker is gone)."""
        if self._closed:
            return
        self._closed = True
        self._worker.streams -= 1
        if self._worker.alive:
            with contextlib.suppress(RecognizerError):
                await self._worker.call(wire.CLOSE, self._id)

    async def __aenter__(self) -> PooledRecognizer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _ignore_result(future: asyncio.Future[bytes]) -> None:
    if not future.cancelled():
        future.exception()


def _worker_args(
    backend: str, vosk: Path | None, lm: Path | None, warm: int, warm_rate: int,
    mllr: Path | None, final_model: str | None, models_dir: Path | None,
    final_window_s: float | None,
) -> list[str]:
    # Absolute paths: the worker resolves them on its own.
    args = ["--backend", backend, "--warm", str(warm), "--warm-rate", str(warm_rate)]
    if final_model:
        if final_window_s is None:
            raise ValueError("a neural final pass needs its window (stt.final_window_s)")
        args += ["--final-model", final_model, "--final-window", str(final_window_s)]
        if models_dir is not None:
            args += ["--models-dir", os.path.abspath(models_dir)]
    if vosk is not None:
        args += ["--vosk-model", os.path.abspath(vosk)]
    if lm is not None:
        args += ["--domain-lm", os.path.abspath(lm)]
    if mllr is not None:
        args += ["--mllr", os.path.abspath(mllr)]
    return args


class RecognizerPool:
    """Worker processes that each hold a recognizer factory and warm decoders."""

    def __init__(self, args: list[str], workers: int, request_timeout: float) -> None:
        self._args = args
        self._timeout = request_timeout
        self._size = workers
        self._procs = WorkerProcesses("recognizer", self._start_worker, RecognizerError)
        self._stream_ids = itertools.count(1)
        self._hello: dict[str, object] = {}

    @classmethod
    async def start(
        cls,
        backend: str,
        vosk_model_path: Path | None = None,
        domain_lm_path: Path | None = None,
        *,
        workers: int,
        warm_decoders: int,
        warm_rate: int = 8000,
        request_timeout: float = REQUEST_TIMEOUT_S,
        mllr_path: Path | None = None,
        final_model: str | None = None,
        models_dir: Path | None = None,
        final_window_s: float | None = None,
    ) -> RecognizerPool:
        """Start `workers` processes, each with `warm_decoders` decoders at `warm_rate`
        ready and, with `final_model`, that neural model (and its `final_window_s`) for final
        transcripts; returns when all answered (RecognizerError if one cannot start).
        The configured values come from the bot's settings (stt.*); there are no defaults here."""
        if workers < 1:
            raise ValueError("a recognizer pool needs at least one worker")
        args = _worker_args(
            backend, vosk_model_path, domain_lm_path, warm_decoders, warm_rate, mllr_path,
            final_model, models_dir, final_window_s,
        )
        pool = cls(args, workers, request_timeout)
        await pool._procs.start(workers)
        return pool

    async def _start_worker(self) -> _Worker:
        proc = await spawn_process("stt.recognizer_worker", *self._args)
        worker = _Worker(proc, self._worker_exited, self._timeout)
        try:
            self._hello = await worker.handshake()
        except BaseException:
            await worker.stop(timeout=1.0)
            raise
        return worker

    def _worker_exited(self, worker: _Worker) -> None:
        self._procs.replace(worker, worker.error)

    @property
    def closed(self) -> bool:
        return self._procs.closed

    @property
    def backend_name(self) -> str:
        return str(self._hello.get("backend", ""))

    @property
    def final_model(self) -> str | None:
        """The neural model that writes final transcripts (None: pocketsphinx's own)."""
        name = self._hello.get("final_model")
        return str(name) if name else None

    @property
    def language_model(self) -> Path | None:
        """The pocketsphinx language model in use (None: the generic one, or vosk)."""
        lm = self._hello.get("language_model")
        return Path(str(lm)) if lm else None

    @property
    def mllr(self) -> Path | None:
        """The telephone MLLR transform the workers use for 8 kHz calls (None: none)."""
        mllr = self._hello.get("mllr")
        return Path(str(mllr)) if mllr else None

    @property
    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._procs.workers]

    async def _live_worker(self) -> _Worker:
        while True:
            if self._procs.closed:
                raise RecognizerError("recognizer pool is closed")
            live = [w for w in self._procs.workers if w.alive]
            if live:
                return min(live, key=lambda w: (w.streams, len(w.pending)))
            if not self._procs.spawning:  # every replacement failed: try once more now
                await self._procs.add()
                continue
            await asyncio.wait(set(self._procs.spawning), return_when=asyncio.FIRST_COMPLETED)

    async def open(self, sample_rate: int) -> PooledRecognizer:
        """A recognizer stream for one call on the least-loaded live worker (a worker that
        dies while the stream opens is retried once on another)."""
        for attempt in range(2):
            worker = await self._live_worker()
            stream_id = next(self._stream_ids) & 0xFFFFFFFF
            worker.streams += 1
            try:
                await worker.call(wire.OPEN, stream_id, int(sample_rate).to_bytes(4, "little"))
            except RecognizerError:
                worker.streams -= 1
                if attempt or worker.alive:  # a bad request, or the second dead worker
                    raise
                continue
            except BaseException:  # cancelled: give the decoder back, nobody waits for it
                worker.streams -= 1
                if worker.alive:
                    worker.send(wire.CLOSE, stream_id).add_done_callback(_ignore_result)
                raise
            return PooledRecognizer(worker, stream_id, sample_rate, self)
        raise AssertionError("unreachable")

    async def close(self, timeout: float = 5.0) -> None:
        """Stop every worker (open streams then raise RecognizerError)."""
        await self._procs.close(timeout, before_stop=lambda w: w.fail("recognizer pool is closed"))

    async def __aenter__(self) -> RecognizerPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
