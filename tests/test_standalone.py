"""The repository stands alone: a clone of the commit under test, in an empty folder with no
siblings, converts its training data, validates and trains with nothing from outside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ".." + "/shared"  # spelt in two parts so that this file does not match itself


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def _has_git() -> bool:
    try:
        _git("rev-parse", "--git-dir")
    except (OSError, subprocess.CalledProcessError):
        return False
    return True


pytestmark = pytest.mark.skipif(not _has_git(), reason="not a git checkout")


def test_no_tracked_file_reads_outside_the_repository():
    hits = subprocess.run(
        ["git", "grep", "-n", "-I", "-F", "-e", OUTSIDE],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout.splitlines()
    assert hits == [], "tracked files refer to a folder outside the repository:\n" + "\n".join(hits)


@pytest.fixture(scope="module")
def alone(tmp_path_factory) -> Path:
    """`git clone` of this checkout's HEAD into an empty folder (uncommitted edits left out)."""
    home = tmp_path_factory.mktemp("alone")
    clone = home / "voicebot"
    head = _git("rev-parse", "HEAD").strip()
    _git("clone", "-q", "--no-hardlinks", "--no-checkout", str(ROOT), str(clone))
    _git("checkout", "-q", "--detach", head, cwd=clone)
    assert list(home.iterdir()) == [clone]  # no siblings: nothing to find at ../anything
    return clone


def _run(clone: Path, *args: str, timeout: float) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("VOICEBOT_", "RASA_")) and k != "PYTHONPATH"
    }
    env["PYTHONPATH"] = str(clone)  # the clone's code, not the checkout the tests run from
    result = subprocess.run(
        [sys.executable, *args], cwd=clone, env=env, capture_output=True, text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{output[-4000:]}"
    assert "not found" not in output, output[-4000:]
    return result


def test_the_clone_uses_its_own_code_and_datasets(alone):
    result = _run(
        alone, "-c",
        "import bot.config as c; s = c.load_settings(environ={}); "
        "print(c.PROJECT_ROOT); print(s.path(s.nlu.datasets_dir))",
        timeout=120,
    )
    root, datasets = result.stdout.split()
    assert Path(root) == alone
    assert Path(datasets) == alone / "nlu" / "datasets"


def test_the_clone_converts_its_training_data_and_validates(alone):
    """The conversion `voicebot train` starts with, into the same folder, then `voicebot
    validate` (which reads the converted FAQ examples: without them every FAQ intent is
    "not found in the NLU training data")."""
    result = _run(
        alone, "-m", "nlu.convert", "--datasets", "nlu/datasets", "--out", "nlu/build/data",
        timeout=300,
    )
    written = [alone / line for line in result.stdout.split()]
    assert written and all(path.is_file() and path.stat().st_size for path in written)
    _run(alone, "-m", "bot", "validate", timeout=600)


@pytest.mark.slow
def test_the_clone_trains(alone):
    """`voicebot train` from scratch, written inside the clone (models/ is git-ignored there
    too). `--no-lm`: the speech language model reads the same `nlu.datasets_dir` (checked in
    tests/stt/test_language_model.py) and would add a minute or two."""
    result = _run(alone, "-m", "bot", "train", "--no-lm", timeout=900)
    model = Path(result.stdout.strip().splitlines()[-1])
    assert model.is_file() and alone / "models" in model.parents
    assert (alone / "nlu" / "build" / "data").is_dir()
    assert "converting datasets from " + str(alone / "nlu" / "datasets") in result.stderr
