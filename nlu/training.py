"""Training the Rasa model: dataset conversion, fingerprinting (skip when unchanged), Rasa.

The Rasa project is `project_dir` (config.yml, domain/, data/). Examples generated from
the public datasets go to `project_dir/build/data/` (git-ignored). Trained models go to
`model_dir`, next to `fingerprint.json`, which records what the newest model was built from.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.convert import CLINC_BANK_INTENTS, convert

logger = logging.getLogger(__name__)

MODEL_PREFIX = "voicebot-nlu-"
FINGERPRINT_FILE = "fingerprint.json"
KEEP_MODELS = 2
# Python files whose change changes the trained model (the components in the graph).
COMPONENT_SOURCES = ("components/*.py", "convert.py")
# Intents left out of the speech recogniser's language model.
NOT_FOR_SPEECH_LM = {"out_of_scope", "keypad", "call_start"}


@dataclass(frozen=True)
class TrainResult:
    model_path: Path
    skipped: bool
    seconds: float
    fingerprint: str


def generated_data_dir(project_dir: Path) -> Path:
    return project_dir / "build" / "data"


def data_dirs(project_dir: Path) -> list[Path]:
    """The NLU/rules/stories folders Rasa trains on."""
    dirs = [project_dir / "data"]
    if generated_data_dir(project_dir).is_dir():
        dirs.append(generated_data_dir(project_dir))
    return dirs


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def components_digest() -> str:
    """A hash of our graph components' code: Rasa's training cache does not see code changes,
    so a change here forces a full retraining."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("components/*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(project_dir: Path) -> str:
    """A hash of everything the model is built from: config, domain, data, component code."""
    import rasa

    digest = hashlib.sha256(f"rasa {rasa.__version__}\n".encode())
    package_dir = Path(__file__).parent
    files = [project_dir / "config.yml", *_yaml_files(project_dir / "domain")]
    for folder in data_dirs(project_dir):
        files += _yaml_files(folder)
    for pattern in COMPONENT_SOURCES:
        files += sorted(package_dir.glob(pattern))
    for path in files:
        digest.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def latest_model(model_dir: Path) -> Path | None:
    """The newest trained model in model_dir, if any."""
    models = sorted(model_dir.glob(f"{MODEL_PREFIX}*.tar.gz"))
    return models[-1] if models else None


def training_record(model_dir: Path) -> dict:
    """What fingerprint.json says about the newest model ({} when absent)."""
    try:
        return json.loads((Path(model_dir) / FINGERPRINT_FILE).read_text())
    except (OSError, ValueError):
        return {}


def is_up_to_date(project_dir: Path, model_dir: Path) -> bool:
    """True when the newest model was trained from exactly the current inputs."""
    record = model_dir / FINGERPRINT_FILE
    model = latest_model(model_dir)
    if model is None or not record.is_file():
        return False
    try:
        saved = json.loads(record.read_text())
    except ValueError:
        return False
    return saved.get("model") == model.name and saved.get("fingerprint") == fingerprint(project_dir)


def rasa_environment(model_dir: Path) -> None:
    """Rasa settings for this process: no telemetry, the training cache beside the models,
    and Rasa's structlog debug lines (printed to stdout by default) silenced."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")  # Rasa's progress bars, one line per step in a log
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(model_dir / "cache"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    logging.getLogger("rasa_sdk.executor").setLevel(logging.WARNING)



def quiet_rasa() -> None:
    """Rasa and TensorFlow log a lot at INFO; keep a command's progress lines readable."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    for name in ("rasa", "tensorflow", "absl"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("py.warnings").setLevel(logging.ERROR)  # library deprecation noise
    import warnings

    warnings.filterwarnings("ignore")


def convert_datasets(
    project_dir: Path, datasets_dir: Path, progress: Callable[[str], None] = logger.info
) -> None:
    """Write the training data generated from the datasets into the project (FileNotFoundError
    when there are no datasets and nothing generated before)."""
    if Path(datasets_dir).is_dir():
        progress(f"converting datasets from {datasets_dir}")
        convert(Path(datasets_dir), generated_data_dir(Path(project_dir)))
    elif not generated_data_dir(Path(project_dir)).is_dir():
        raise FileNotFoundError(
            f"datasets folder {datasets_dir} not found (needed for the FAQ training examples)"
        )


def train(
    project_dir: Path,
    model_dir: Path,
    datasets_dir: Path,
    force: bool = False,
    progress: Callable[[str], None] = logger.info,
    converted: bool = False,
) -> TrainResult:
    """Convert the datasets (unless `converted`), then train unless the newest model is up
    to date."""
    started = time.perf_counter()
    project_dir, model_dir = Path(project_dir), Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    if not converted:
        convert_datasets(project_dir, datasets_dir, progress)
    print_ = fingerprint(project_dir)
    if not force and is_up_to_date(project_dir, model_dir):
        model = latest_model(model_dir)
        assert model is not None
        progress(f"model up to date, training skipped: {model}")
        return TrainResult(model, True, time.perf_counter() - started, print_)

    rasa_environment(model_dir)
    from rasa.model_training import train as rasa_train

    code = components_digest()
    if training_record(model_dir).get("components") != code:
        force = True  # new component code: do not reuse Rasa's cached component outputs

    name = MODEL_PREFIX + time.strftime("%Y%m%d-%H%M%S")
    progress(f"training the Rasa model {name} (about 1-3 minutes on 2 cores)")
    result = rasa_train(
        domain=str(project_dir / "domain"),
        config=str(project_dir / "config.yml"),
        training_files=[str(d) for d in data_dirs(project_dir)],
        output=str(model_dir),
        fixed_model_name=name,
        force_training=force,
    )
    if result.code != 0 or not result.model:
        raise RuntimeError(f"Rasa training failed (exit code {result.code})")
    model = Path(result.model)
    seconds = time.perf_counter() - started
    record = {
        "model": model.name,
        "fingerprint": print_,
        "components": code,
        "train_seconds": round(seconds, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    (model_dir / FINGERPRINT_FILE).write_text(json.dumps(record, indent=2))
    for old in sorted(model_dir.glob(f"{MODEL_PREFIX}*.tar.gz"))[:-KEEP_MODELS]:
        old.unlink(missing_ok=True)
    progress(f"trained {model.name} in {seconds:.0f} s")
    return TrainResult(model, False, seconds, print_)


def nlu_examples(project_dir: Path) -> Iterable[tuple[str, str]]:
    """(intent, text) for every NLU example in the project (generated data included)."""
    for folder in data_dirs(project_dir):
        for path in _yaml_files(folder):
            try:
                doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError:
                continue
            for block in doc.get("nlu") or []:
                if not isinstance(block, dict) or "intent" not in block:
                    continue
                for line in str(block.get("examples") or "").splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        yield str(block["intent"]), _strip_annotations(line[2:].strip())


def _strip_annotations(text: str) -> str:
    return re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", text)


def training_sentences(project_dir: Path) -> list[str]:
    """All NLU example texts (except out_of_scope), for the STT domain language model."""
    seen: set[str] = set()
    sentences = []
    for intent, text in nlu_examples(Path(project_dir)):
        if intent not in NOT_FOR_SPEECH_LM and text and text not in seen:
            seen.add(text)
            sentences.append(text)
    return sentences


# ---------------------------------------------------------------- speech language model text

# The recognizer benchmark's in-domain test sentences: never in the speech LM's text.
HELD_OUT = Path(__file__).resolve().parents[1] / "bot" / "bench" / "data" / "caller_sentences.txt"


def response_sentences(project_dir: Path) -> list[str]:
    """The bot's own prompts and answers, sentence by sentence (callers echo them)."""
    sentences = []
    for path in _yaml_files(Path(project_dir) / "domain"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for variants in (doc.get("responses") or {}).values():
            for variant in variants or []:
                text = re.sub(r"\{[^}]*\}", " ", str((variant or {}).get("text") or ""))
                sentences += [s for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]
    return sentences


def dataset_caller_sentences(datasets_dir: Path) -> list[str]:
    """Bank callers' requests from CLINC150 (all splits of CLINC_BANK_INTENTS), NLU++
    banking (all folds) and the Banking77 test split (its train split is NLU data already);
    [] for a dataset that is missing. The speech LM never feeds Rasa, so the NLU test splits
    stay unseen by the intent classifier."""
    datasets_dir = Path(datasets_dir)
    sentences = []
    clinc = datasets_dir / "clinc150" / "data_full.json"
    if clinc.is_file():
        data = json.loads(clinc.read_text(encoding="utf-8"))
        wanted = set(CLINC_BANK_INTENTS)
        sentences += [t for split in ("train", "val", "test") for t, label in data[split]
                      if label in wanted]
    for fold in sorted((datasets_dir / "nlupp" / "banking").glob("fold*.json")):
        sentences += [row["text"] for row in json.loads(fold.read_text(encoding="utf-8"))]
    banking77_test = datasets_dir / "banking77" / "test.csv"
    if banking77_test.is_file():
        with banking77_test.open(encoding="utf-8", newline="") as fh:
            sentences += [row["text"] for row in csv.DictReader(fh)]
    return sentences


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def speech_lm_sentences(
    project_dir: Path, datasets_dir: Path | None = None, held_out: Path | None = HELD_OUT
) -> list[str]:
    """The text the speech recognizer's domain language model is built from: the NLU
    examples, the bot's responses, and (with `datasets_dir`) bank callers' requests from
    CLINC150 and NLU++. Sentences in `held_out` (the recognizer benchmark's test set) are
    dropped, so that benchmark stays honest."""
    sentences = training_sentences(project_dir) + response_sentences(project_dir)
    if datasets_dir is not None:
        sentences += dataset_caller_sentences(datasets_dir)
    excluded: set[str] = set()
    if held_out is not None and Path(held_out).is_file():
        lines = Path(held_out).read_text(encoding="utf-8").splitlines()
        excluded = {_plain(s) for s in lines if s.strip() and not s.startswith("#")}
    seen: set[str] = set()
    result = []
    for text in sentences:
        key = _plain(text)
        if key and key not in excluded and key not in seen:
            seen.add(key)
            result.append(text)
    return result


def describe_failure(exc: BaseException) -> str:
    """One line for a failed training: Rasa wraps the real cause (a missing package, a broken
    file) in a graph error that names only the node, so the chain's causes are named too."""
    parts, seen = [], set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        text = str(cause) or type(cause).__name__
        parts.append(text if cause is exc else f"{type(cause).__name__}: {text}")
        cause = cause.__cause__ or cause.__context__
    return " <- ".join(parts)
