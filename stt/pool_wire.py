"""The recognizer pool's pipe protocol: compact length-prefixed binary frames.

Request  = REQUEST header (body length, request id, op, stream id) + body.
Response = RESPONSE header (body length, request id, status) + body.
Audio travels as raw PCM16 bytes; only the rare final transcript, a turn's alternative
readings and the hello are JSON.
Request id 0 is the worker's hello (status OK: JSON facts; ERROR: why it could not start).
"""

from __future__ import annotations

import json
import struct

from stt.recognizer import Transcript, Word

REQUEST = struct.Struct("<IIBI")
RESPONSE = struct.Struct("<IIB")
MAX_BODY = 16 * 1024 * 1024  # a sanity bound: a corrupt length must not allocate gigabytes

OPEN, ACCEPT, FINAL, RESET, CLOSE, SPECULATE, BUFFER, ALTERNATIVES = 1, 2, 3, 4, 5, 6, 7, 8
OK, ERROR = 0, 1
HELLO_ID = 0


def request(req_id: int, op: int, stream_id: int, body: bytes = b"") -> bytes:
    return REQUEST.pack(len(body), req_id, op, stream_id) + body


def response(req_id: int, status: int, body: bytes = b"") -> bytes:
    return RESPONSE.pack(len(body), req_id, status) + body


# What the dialogue expects next (text, digits, yes_no), one byte on the wire.
_CONTEXT_BYTES = {"text": b"t", "digits": b"d", "yes_no": b"y"}
_CONTEXTS = {v: k for k, v in _CONTEXT_BYTES.items()}


def encode_context(context: str, use_guess: bool | None = None) -> bytes:
    """SPECULATE's body (the context), or FINAL's (the context and whether the guess stands)."""
    body = _CONTEXT_BYTES.get(context, b"t")
    return body if use_guess is None else body + (b"\x01" if use_guess else b"\x00")


def decode_context(body: bytes) -> tuple[str, bool]:
    """(context, use_guess) from a SPECULATE or FINAL body; an empty body is plain text."""
    return _CONTEXTS.get(body[:1], "text"), body[1:2] == b"\x01"


def encode_partial(text: str | None) -> bytes:
    return b"" if text is None else b"\x01" + text.encode("utf-8")


def decode_partial(body: bytes) -> str | None:
    return body[1:].decode("utf-8") if body else None


def encode_transcript(t: Transcript) -> bytes:
    words = [[w.word, w.start_s, w.end_s, w.confidence] for w in t.words]
    return json.dumps({"text": t.text, "confidence": t.confidence, "words": words}).encode()


def decode_transcript(body: bytes) -> Transcript:
    data = json.loads(body)
    words = [Word(w, float(s), float(e), float(c)) for w, s, e, c in data["words"]]
    return Transcript(data["text"], float(data["confidence"]), words)


def encode_texts(texts: list[str]) -> bytes:
    return json.dumps(texts).encode()


def decode_texts(body: bytes) -> list[str]:
    return [str(t) for t in json.loads(body)]
