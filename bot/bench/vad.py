"""`voicebot bench vad`: utterance detection and end-of-speech delay of the endpointer on the
human-recorded Asterisk prompts joined with known silences, clean and with pink noise."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from bot.bench.report import add_json_argument, emit, percentile


def register(sub: Any) -> None:
    parser = sub.add_parser("vad", help="utterance detection and end-of-speech delay")
    parser.add_argument("--limit", type=int, default=None, help="prompts to use (default: all)")
    parser.add_argument("--snr", default="clean,20,10,5",
                        help="conditions: clean and/or SNRs in dB (default: clean,20,10,5)")
    parser.add_argument("--aggressiveness", default="2,3", help="webrtcvad modes to compare")
    parser.add_argument("--end-silence-ms", type=int, default=None,
                        help="trailing silence that ends a turn (default: stt.end_silence_ms)")
    parser.add_argument("--seed", type=int, default=0)
    add_json_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Any) -> int:
    from bot.bench.corpus import load_8k
    from bot.bench.vad_eval import build_stream, run_endpointer, score
    from stt.asterisk_prompts import CorpusError, asterisk_prompts

    try:
        conditions = [None if c.strip() == "clean" else float(c) for c in args.snr.split(",")]
        modes = [int(a) for a in args.aggressiveness.split(",")]
        items = [(p, load_8k(p.path)) for p in asterisk_prompts(args.limit, seed=args.seed)]
    except (ValueError, CorpusError) as exc:
        print(f"voicebot bench vad: {exc}", file=sys.stderr)
        return 2
    end_ms = args.end_silence_ms or settings.stt.end_silence_ms
    rows, details = [], []
    for snr in conditions:
        stream = build_stream(items, snr, seed=args.seed)
        for mode in modes:
            started = time.process_time()
            ended = run_endpointer(stream.pcm, aggressiveness=mode, end_silence_ms=end_ms,
                                   speech_start_ms=settings.stt.speech_start_ms,
                                   noise_gate_db=settings.stt.noise_gate_db)
            cpu = time.process_time() - started
            s = score(stream, ended)
            start_err = [abs(e) * 1000 for e in s.start_errors_s]
            end_err = [abs(e) * 1000 for e in s.end_errors_s]
            delay = [d * 1000 for d in s.end_delays_s]
            within = sum(e <= 100 for e in start_err + end_err) / max(len(start_err + end_err), 1)
            condition = "clean" if snr is None else f"{snr:g} dB SNR"
            rows.append([
                condition, mode, s.truth, f"{s.recall:.1%}", f"{s.precision:.1%}", s.split,
                s.false_alarms, f"{within:.1%}", percentile(start_err, 95), percentile(end_err, 95),
                percentile(delay, 50), percentile(delay, 95), cpu / (len(stream.pcm) / 16000),
            ])
            details.append({"condition": condition, "aggressiveness": mode, "missed": s.missed,
                            "split": s.split_names, "end_delays_ms": delay})
    emit(
        f"VAD / endpointer on Asterisk prompts (end silence {end_ms} ms, pink noise)",
        ["condition", "mode", "turns", "detected", "precision", "split", "false alarms",
         "bounds <=100ms", "start err p95 ms", "end err p95 ms", "EOS delay p50 ms",
         "EOS delay p95 ms", "CPU/audio"],
        rows, args.json,
        {"end_silence_ms": end_ms, "prompts": len(items), "details": details,
         "acceptance": f"detected >= 98%, split 0, EOS delay p95 <= {end_ms + 60} ms"},
    )
    return 0
