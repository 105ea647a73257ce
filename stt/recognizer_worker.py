"""A recognizer worker process (`python -m stt.recognizer_worker`), started by
`stt.recognizer_pool.RecognizerPool`: requests on stdin, responses on stdout (see
`stt.pool_wire`), handled one at a time in arrival order. It exits on stdin EOF.

It builds one `RecognizerFactory` and keeps `--warm` decoders ready; a closed stream's
decoder is reset and goes back to the warm set, and missing warm decoders are built
only while no request is waiting. With `--final-model`, every stream is a
`TwoPassRecognizer`: its final transcripts come from the neural model on the worker's
decoding thread, and are answered when ready, out of order with other streams' requests.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import select
import signal
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any, BinaryIO

from stt import pool_wire as wire
from stt.two_pass import TwoPassRecognizer

log = logging.getLogger("stt.recognizer_worker")


class Decoders:
    """Warm decoders per sample rate and the open streams."""

    def __init__(self, factory: Any, warm: int, warm_rate: int, max_idle: int = 12,
                 final_pass: Any = None) -> None:
        self.factory = factory
        self.final_pass = final_pass
        self.warm = warm
        self.warm_rate = warm_rate
        # A closed stream's decoder is kept while no more are idle than the most streams
        # ever open at once (up to max_idle): building one costs 0.1-0.5 s of CPU, and a
        # burst of short calls must not rebuild a decoder per call.
        self.max_idle = max(max_idle, warm)
        self.peak = 0
        self.idle: dict[int, list[Any]] = {}
        self.streams: dict[int, Any] = {}

    def needs_warming(self) -> bool:
        return len(self.idle.get(self.warm_rate, [])) < self.warm

    def _create(self, rate: int) -> Any:
        recognizer = self.factory.create(rate)
        if self.final_pass is not None:
            return TwoPassRecognizer(recognizer, self.final_pass)
        return recognizer

    def warm_one(self) -> None:
        self.idle.setdefault(self.warm_rate, []).append(self._create(self.warm_rate))

    def open(self, stream_id: int, rate: int) -> None:
        idle = self.idle.get(rate)
        self.streams[stream_id] = idle.pop() if idle else self._create(rate)
        self.peak = max(self.peak, len(self.streams))

    def close(self, stream_id: int) -> None:
        recognizer = self.streams.pop(stream_id, None)
        if recognizer is None:
            return
        recognizer.new_caller()  # a reused decoder must not carry this caller's voice
        idle = self.idle.setdefault(recognizer.sample_rate, [])
        if len(idle) < max(self.warm, min(self.peak, self.max_idle), 1):
            idle.append(recognizer)


def handle(decoders: Decoders, op: int, stream_id: int, body: bytes) -> bytes | Future[Any]:
    """The response body for one request, or the future result of the final pass (a
    transcript, or a turn's alternative texts); raises on failure."""
    if op == wire.OPEN:
        decoders.open(stream_id, int.from_bytes(body, "little"))
        return b""
    if op == wire.CLOSE:
        decoders.close(stream_id)
        return b""
    recognizer = decoders.streams.get(stream_id)
    if recognizer is None:
        raise KeyError(f"no open stream {stream_id}")
    if op == wire.ACCEPT:
        return wire.encode_partial(recognizer.accept(body))
    two_pass = recognizer if isinstance(recognizer, TwoPassRecognizer) else None
    if op == wire.FINAL:
        if two_pass is not None:
            return two_pass.final_async(*wire.decode_context(body))
        return wire.encode_transcript(recognizer.final())
    if op == wire.BUFFER:  # audio for the final pass only: nobody needs partials now
        if two_pass is not None:
            two_pass.buffer(body)
        else:  # a recognizer alone writes its final from what it has heard
            recognizer.accept(body)
        return b""
    if op == wire.ALTERNATIVES:  # the dialogue could not understand the last final
        if two_pass is not None:
            return two_pass.alternatives_async(body[0] if body else 5)
        return wire.encode_texts([])
    if op == wire.SPECULATE:
        if two_pass is not None:
            two_pass.speculate(wire.decode_context(body)[0])
        return b""
    if op == wire.RESET:
        recognizer.reset()
        return b""
    raise ValueError(f"unknown op {op}")


class Responses:
    """The response pipe, written by the main thread and by the final-pass thread."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._lock = threading.Lock()

    def write(self, req_id: int, status: int, body: bytes, flush: bool = False) -> None:
        with self._lock:
            self._out.write(wire.response(req_id, status, body))
            if flush:
                self._out.flush()

    def flush(self) -> None:
        with self._lock:
            self._out.flush()

    def later(self, req_id: int, result: Future[Any]) -> None:
        """Write `result` (a transcript or texts) when it is ready, from whichever thread
        completes it; a failed neural pass is that request's error."""
        def done(future: Future[Any]) -> None:
            try:
                value = future.result()
                body = wire.encode_texts(value) if isinstance(value, list) else wire.encode_transcript(value)
                self.write(req_id, wire.OK, body, flush=True)
            except BrokenPipeError:
                pass  # the pool went away
            except Exception as exc:
                self.write(req_id, wire.ERROR, _error(exc), flush=True)
        result.add_done_callback(done)


def _error(exc: BaseException) -> bytes:
    return f"{type(exc).__name__}: {exc}".encode()[:2000]


def serve(decoders: Decoders, fd_in: int, out: BinaryIO) -> None:
    responses = Responses(out)
    buf = bytearray()
    header = wire.REQUEST.size
    while True:
        if len(buf) >= header:
            size, req_id, op, stream_id = wire.REQUEST.unpack_from(buf)
            if size > wire.MAX_BODY:
                raise SystemExit(f"recognizer worker: corrupt request (body {size} bytes)")
            if len(buf) >= header + size:
                body = bytes(buf[header : header + size])
                del buf[: header + size]
                try:
                    answer = handle(decoders, op, stream_id, body)
                except Exception as exc:  # any backend failure goes back to that one request
                    responses.write(req_id, wire.ERROR, _error(exc))
                    continue
                if isinstance(answer, Future):
                    responses.later(req_id, answer)
                else:
                    responses.write(req_id, wire.OK, answer)
                continue
        responses.flush()
        if decoders.needs_warming() and not select.select([fd_in], [], [], 0)[0]:
            decoders.warm_one()
            continue
        data = os.read(fd_in, 1 << 16)
        if not data:
            return
        buf += data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stt.recognizer_worker")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--vosk-model", type=Path, default=None)
    parser.add_argument("--domain-lm", type=Path, default=None)
    parser.add_argument("--mllr", type=Path, default=None, help="telephone MLLR transform (pocketsphinx)")
    parser.add_argument("--warm", type=int, required=True, help="decoders kept ready (stt.warm_recognizers)")
    parser.add_argument("--warm-rate", type=int, default=8000)
    parser.add_argument("--max-idle", type=int, default=12, help="most idle decoders kept after a burst")
    parser.add_argument("--final-model", default=None, help="neural final-pass model (stt.final_backend)")
    parser.add_argument("--models-dir", type=Path, default=Path("models"))
    parser.add_argument("--final-window", type=float, default=None,
                        help="Whisper's shortest window in s (stt.final_window_s; needed with --final-model)")
    args = parser.parse_args(argv)
    if args.final_model and args.final_window is None:
        parser.error("--final-model needs --final-window")
    # The server drains calls on Ctrl-C and then closes our stdin; ignore the signal here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="recognizer worker %(process)d: %(levelname)s %(message)s")
    # Our stdout is the protocol: anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        from stt.factory import RecognizerFactory

        factory = RecognizerFactory(args.backend, args.vosk_model, args.domain_lm, args.mllr)
        final_pass = None
        if args.final_model:
            from stt.final_pass import FinalPass
            from stt.neural_models import load_final_decoder

            final_pass = FinalPass(load_final_decoder(
                args.final_model, args.models_dir, min_window_s=args.final_window))
            # The first decode of a fresh model costs three times a later one (0.49 s against
            # 0.16 s, whisper-base): paid here, before the hello, not by a caller's first turn.
            final_pass.decode_now(bytes(2 * args.warm_rate), args.warm_rate, "")
        decoders = Decoders(factory, args.warm, args.warm_rate, args.max_idle, final_pass)
        while decoders.needs_warming():
            decoders.warm_one()
    except Exception as exc:
        out.write(wire.response(wire.HELLO_ID, wire.ERROR, str(exc).encode()[:2000]))
        out.flush()
        return 1
    lm = factory.language_model
    hello = {"backend": factory.backend_name, "language_model": str(lm) if lm else None,
             "mllr": str(factory.mllr) if factory.mllr else None,
             "final_model": final_pass.name if final_pass is not None else None}
    out.write(wire.response(wire.HELLO_ID, wire.OK, json.dumps(hello).encode()))
    out.flush()
    try:
        serve(decoders, 0, out)
    except BrokenPipeError:
        pass  # the pool went away
    return 0


if __name__ == "__main__":
    sys.exit(main())
