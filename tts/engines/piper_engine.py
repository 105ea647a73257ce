"""Piper (VITS on onnxruntime): a natural neural voice, ~0.1 s of CPU per second of audio.

One onnxruntime thread per worker: the pool's processes are the parallelism, and more
threads per process would fight the event loop and the recognizers for the two cores.
"""

from __future__ import annotations

import json
from typing import Any

from tts.voices import piper_voice_files


class PiperEngine:
    """One loaded Piper voice; `params["speed"]` > 1 speaks faster."""

    name = "piper"

    def __init__(self, params: dict[str, Any]) -> None:
        import onnxruntime
        from piper import PiperVoice, SynthesisConfig
        from piper.config import PiperConfig

        onnx, config = piper_voice_files(str(params.get("voice") or "en_US-joe-medium"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(onnx), sess_options=options,
                                               providers=["CPUExecutionProvider"])
        self._voice = PiperVoice(session=session,
                                 config=PiperConfig.from_dict(json.loads(config.read_text("utf-8"))))
        speed = float(params.get("speed") or 1.0)
        # Piper scales peaks to full scale per sentence; the worker levels every engine itself.
        self._config = SynthesisConfig(length_scale=1.0 / speed, normalize_audio=False)
        self.sample_rate = self._voice.config.sample_rate
        self.synthesize("Ready.")

    def synthesize(self, text: str) -> tuple[bytes, int]:
        chunks = [c.audio_int16_bytes for c in self._voice.synthesize(text, self._config)]
        return b"".join(chunks), self.sample_rate

    def close(self) -> None:
        pass
