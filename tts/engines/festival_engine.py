"""Festival with an HTS voice (BSD-style), kept running: one `festival --interactive` per worker.

Starting Festival and loading the voice takes ~470 ms; a persistent process pays that once.
Each request is a Scheme expression that writes a WAV file, then prints a marker line the
engine waits for.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import wave
from itertools import count
from pathlib import Path
from typing import Any


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class FestivalEngine:
    """A Festival process speaking with `params["voice"]` at `params["speed"]`."""

    name = "festival"

    def __init__(self, params: dict[str, Any]) -> None:
        # No timeout here: a hung Festival is the pool's to kill (tts.request_timeout_s).
        voice = str(params.get("voice") or "cmu_us_slt_arctic_hts")
        speed = float(params.get("speed") or 1.0)
        self._tmp = tempfile.TemporaryDirectory(prefix="voicebot-festival-")
        self._ids = count()
        self._proc = subprocess.Popen(
            ["festival", "--interactive"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1,
        )
        # HTS voices take their speed from hts_engine's "-r" option (> 1 is faster).
        setup = f"(voice_{voice})"
        if speed != 1.0:
            setup += f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {speed}))))'
        self._call(setup, "voice")
        self.synthesize("Ready.")

    def _call(self, expression: str, what: str) -> None:
        marker = f"VOICEBOT-DONE-{next(self._ids)}"
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(f'{expression}\n(print "{marker}")\n')
        self._proc.stdin.flush()
        seen = []
        while True:
            line = self._proc.stdout.readline()
            if not line:
                raise RuntimeError(f"festival exited during {what}: {' '.join(seen)[-300:]}")
            if marker in line:
                break
            seen.append(line.strip())
        errors = [s for s in seen if "SIOD ERROR" in s or "unbound variable" in s]
        if errors:
            raise RuntimeError(f"festival {what} failed: {errors[0]}")

    def synthesize(self, text: str) -> tuple[bytes, int]:
        path = Path(self._tmp.name) / "out.wav"
        self._call(f"(utt.save.wave (utt.synth (Utterance Text {_scheme_string(text)})) "
                   f"{_scheme_string(str(path))} 'riff)", "synthesis")
        with wave.open(str(path), "rb") as wav:
            pcm, rate = wav.readframes(wav.getnframes()), wav.getframerate()
        os.unlink(path)
        return pcm, rate

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._tmp.cleanup()
