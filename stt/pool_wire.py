"""The recognizer pool's pipe protocol: compact length-prefixed binary frames.

Request  = REQUEST header (body length, request id, op, stream id) + body.
Response = RESPONSE header (body length, request id, status) + body.
Audio travels as raw PCM16 bytes; only the rare final transcript and the hello are JSON.
Request id 0 is the worker's hello (status OK: JSON facts; ERROR: why it could not start).
"""

from __future__ import annotations

import json
import struct

from stt.recognizer import Transcript, Word

REQUEST = struct.Struct("<IIBI")
RESPONSE = struct.Struct("<IIB")
MAX_BODY = 16 * 1024 * 1024  # a sanity bound: a corrupt length must not allocate gigabytes

OPEN, ACCEPT, FINAL, RESET, CLOSE, SPECULATE, BUFFER = 1, 2, 3, 4, 5, 6, 7
OK, ERROR = 0, 1
HELLO_ID = 0


def request(req_id: int, op: int, stream_id: int, body: bytes = b"") -> bytes:
    return REQUEST.pack(len(body), req_id, op, stream_id) + body


def response(req_id: int, status: int, body: bytes = b"") -> bytes:
    return RESPONSE.pack(len(body), req_id, status) + body


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
