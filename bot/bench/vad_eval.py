"""Score the endpointer on Asterisk prompts joined with known silences (clean or noisy)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bot.caller.noise import level_db, longest_pause, mix_noise, speech_bounds, speech_power
from stt.asterisk_prompts import Prompt
from stt.audio import split_frames
from stt.vad import Endpointer, SpeechEnded

RATE = 8000


@dataclass
class VadStream:
    pcm: bytes
    truth: list[tuple[float, float]]  # (start_s, end_s) of each prompt's speech
    names: list[str]
    speech_power: float


@dataclass
class VadScore:
    truth: int
    detections: int
    detected: int  # truth utterances overlapped by at least one detection
    split: int  # truth utterances overlapped by more than one detection
    false_alarms: int  # detections overlapping no truth utterance
    merged: int  # detections covering more than one truth utterance
    start_errors_s: list[float] = field(default_factory=list)  # detected - true
    end_errors_s: list[float] = field(default_factory=list)
    end_delays_s: list[float] = field(default_factory=list)  # detected_at - true end
    missed: list[str] = field(default_factory=list)
    split_names: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.truth if self.truth else float("nan")

    @property
    def precision(self) -> float:
        good = self.detections - self.false_alarms
        return good / self.detections if self.detections else float("nan")


def corpus_power(items: list[tuple[Prompt, bytes]]) -> float:
    """Mean active speech power over the prompts: the reference for SNR."""
    return sum(speech_power(pcm, RATE) for _, pcm in items) / max(len(items), 1)


def build_stream(
    items: list[tuple[Prompt, bytes]],
    snr_db: float | None = None,
    seed: int = 0,
    max_pause_s: float = 0.35,
    gap_s: tuple[float, float] = (1.0, 2.5),
) -> VadStream:
    """Prompts joined by random silences, with pink noise at `snr_db` (None: clean).

    The truth is each clean prompt's speech above the noise level; prompts with an
    audible internal pause of `max_pause_s` or more are left out (they are two turns).
    """
    rng = random.Random(seed)
    power = corpus_power(items)
    noise_power = power / 10 ** (snr_db / 10) if snr_db is not None else 0.0
    floor = max(30.0, level_db(noise_power))
    parts, truth, names = [], [], []
    t = rng.uniform(*gap_s)
    parts.append(b"\x00\x00" * int(t * RATE))
    for prompt, pcm in items:
        regions = speech_bounds(pcm, RATE, floor_db=floor)
        if not regions or longest_pause(regions) >= max_pause_s:
            continue
        truth.append((t + regions[0][0], t + regions[-1][1]))
        names.append(prompt.name)
        gap = int(rng.uniform(*gap_s) * RATE)
        parts += [pcm, b"\x00\x00" * gap]
        t += len(pcm) / 2 / RATE + gap / RATE
    pcm = b"".join(parts)
    if snr_db is not None:
        pcm = mix_noise(pcm, snr_db, power, seed=seed + 1)
    return VadStream(pcm, truth, names, power)


def run_endpointer(pcm: bytes, **kwargs) -> list[SpeechEnded]:
    endpointer = Endpointer(sample_rate=RATE, no_input_timeout_s=1000.0, **kwargs)
    ended = []
    for frame in split_frames(pcm, RATE, 20):
        ended += [e for e in endpointer.process(frame) if isinstance(e, SpeechEnded)]
    return ended


def score(stream: VadStream, ended: list[SpeechEnded]) -> VadScore:
    result = VadScore(truth=len(stream.truth), detections=len(ended), detected=0, split=0,
                      false_alarms=0, merged=0)
    hits: list[list[SpeechEnded]] = [[] for _ in stream.truth]
    for event in ended:
        overlapping = [i for i, (s, e) in enumerate(stream.truth) if event.start_s < e and event.end_s > s]
        if not overlapping:
            result.false_alarms += 1
        if len(overlapping) > 1:
            result.merged += 1
        for i in overlapping:
            hits[i].append(event)
    for (start, end), name, events in zip(stream.truth, stream.names, hits):
        if not events:
            result.missed.append(name)
            continue
        result.detected += 1
        if len(events) > 1:
            result.split += 1
            result.split_names.append(name)
        result.start_errors_s.append(events[0].start_s - start)
        result.end_errors_s.append(events[-1].end_s - end)
        result.end_delays_s.append(events[-1].detected_at_s - end)
    return result


def evaluate(
    items: list[tuple[Prompt, bytes]], snr_db: float | None, seed: int = 0, **endpointer_kwargs
) -> VadScore:
    """Build the stream (clean or with noise at `snr_db`), run the endpointer, score it."""
    stream = build_stream(items, snr_db, seed)
    return score(stream, run_endpointer(stream.pcm, **endpointer_kwargs))
