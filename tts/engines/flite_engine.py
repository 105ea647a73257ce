"""Flite (BSD-style): a small, fast voice; one `flite` run per request (~15-55 ms)."""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Any


class FliteEngine:
    """Runs `flite -voice <voice>`; `params["speed"]` > 1 speaks faster."""

    name = "flite"

    def __init__(self, params: dict[str, Any], timeout_s: float = 30.0) -> None:
        self.voice = str(params.get("voice") or "kal16")
        self.stretch = 1.0 / float(params.get("speed") or 1.0)
        self.timeout_s = timeout_s
        self._tmp = tempfile.TemporaryDirectory(prefix="voicebot-flite-")
        self.synthesize("Ready.")

    def synthesize(self, text: str) -> tuple[bytes, int]:
        path = Path(self._tmp.name) / "out.wav"
        # The text goes in a file: a leading "-" or quotes on the command line would be options.
        text_file = Path(self._tmp.name) / "in.txt"
        text_file.write_text(text, encoding="utf-8")
        done = subprocess.run(
            ["flite", "-voice", self.voice, "--setf", f"duration_stretch={self.stretch:.3f}",
             "-f", str(text_file), "-o", str(path)],
            capture_output=True, text=True, timeout=self.timeout_s,
        )
        if done.returncode != 0 or not path.exists():
            raise RuntimeError(f"flite failed: {(done.stderr or done.stdout).strip()[:300]}")
        with wave.open(str(path), "rb") as wav:
            return wav.readframes(wav.getnframes()), wav.getframerate()

    def close(self) -> None:
        self._tmp.cleanup()
