"""Fixtures for the NLU tests: the default model, trained once (skipped when up to date), an
engine on it, a call id per test and the domain's response texts."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest
import yaml

from bot.config import load_settings
from tests.conftest import run_lock


@pytest.fixture(scope="session")
def settings():
    return load_settings(environ={})


@pytest.fixture(scope="session")
def project_dir(settings) -> Path:
    return settings.path(settings.nlu.project_dir)


@pytest.fixture(scope="session")
def datasets_dir(settings) -> Path:
    path = settings.path(settings.nlu.datasets_dir)
    assert (path / "banking77" / "train.csv").is_file(), f"datasets missing at {path}"
    return path


@pytest.fixture(scope="session")
def trained_model(settings, project_dir, datasets_dir, tmp_path_factory) -> Path:
    """The default model, trained by the same function `voicebot train` uses. Under
    pytest-xdist the workers take turns (a lock): the first
    trains if the model is out of date, the others then find it up to date."""
    from nlu.training import train

    with run_lock(tmp_path_factory, "train"):
        result = train(project_dir, settings.path(settings.nlu.model_dir), datasets_dir)
    return result.model_path


@pytest.fixture(scope="session")
def agent(trained_model):
    from nlu.rasa_runtime import load_agent

    return load_agent(trained_model)


@pytest.fixture(scope="session")
def engine(agent, trained_model):
    """One RasaEngine for the session (its Rasa thread outlives each test's event loop)."""
    from nlu.engine import RasaEngine
    from nlu.rasa_runtime import RasaThread

    engine = RasaEngine(agent, RasaThread(), timeout_s=10.0)
    engine.model_path = trained_model
    yield engine
    asyncio.run(engine.close())


_call_ids = itertools.count()


@pytest.fixture()
def call(engine):
    """A fresh call id; the engine forgets the call after the test."""
    call_id = f"test-call-{next(_call_ids)}"
    yield call_id
    asyncio.run(engine.end_call(call_id))


@pytest.fixture(scope="module")
def responses(project_dir) -> dict[str, str]:
    """Each response's first text, by name, from the project's domain."""
    out = {}
    for path in (project_dir / "domain").glob("*.yml"):
        for name, variants in (yaml.safe_load(path.read_text())["responses"] or {}).items():
            out[name] = variants[0]["text"]
    return out
