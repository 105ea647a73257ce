"""The live model, the candidate and the history: promote, discard, roll back, keep N; the
newest live model is always the one the running bot's watcher loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.model_store import ModelStore, ModelStoreError
from nlu.training import FINGERPRINT_FILE, latest_model, training_record


def model(folder: Path, name: str, content: str) -> Path:
    """A model file (its bytes stand for a trained model) with the fingerprint.json training writes."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"voicebot-nlu-{name}.tar.gz"
    path.write_text(content)
    (folder / FINGERPRINT_FILE).write_text(json.dumps({"model": path.name, "fingerprint": f"fp-{content}",
                                                        "components": "code"}))
    return path


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    store = ModelStore(tmp_path / "rasa", tmp_path / "candidates", tmp_path / "history", keep=2)
    model(store.live_dir, "20261203-100000", "v1")
    return store


def live_content(store: ModelStore) -> str:
    live = latest_model(store.live_dir)
    assert live is not None and training_record(store.live_dir)["model"] == live.name  # what watch() needs
    return live.read_text()


def test_promote_makes_the_candidate_live_and_keeps_the_old_one(store: ModelStore) -> None:
    model(store.new_candidate_dir(), "20261203-110000", "v2")
    store.write_report({"summary": "nlu_phone.yml 97.0 -> 100.0 %"})
    entry = store.promote("dana")
    assert live_content(store) == "v2" and store.candidate() is None
    assert entry["action"] == "promote" and entry["who"] == "dana" and entry["changes"] == "nlu_phone.yml 97.0 -> 100.0 %"
    assert entry["replaced"] == "voicebot-nlu-20261203-100000.tar.gz"
    assert training_record(store.live_dir)["fingerprint"] == "fp-v2"  # `voicebot train` sees it up to date
    assert [p.read_text() for p in store.history()] == ["v1"]
    assert store.log()[0]["action"] == "promote"


def test_rollback_restores_the_previous_model_under_a_newer_name(store: ModelStore) -> None:
    before = latest_model(store.live_dir)
    model(store.new_candidate_dir(), "20261203-110000", "v2")
    store.promote("dana")
    promoted = latest_model(store.live_dir)
    store.rollback("dana")
    assert live_content(store) == "v1"
    assert latest_model(store.live_dir).name > promoted.name > before.name  # the watcher loads only newer names
    assert store.history() == []
    assert training_record(store.live_dir)["fingerprint"] == "fp-v1"
    with pytest.raises(ModelStoreError, match="no earlier model"):
        store.rollback("dana")
    assert [e["action"] for e in store.log()] == ["rollback", "promote"]


def test_history_keeps_the_last_n(store: ModelStore) -> None:
    for i in range(2, 6):
        model(store.new_candidate_dir(), f"20261203-1{i}0000", f"v{i}")
        store.promote("dana")
    assert live_content(store) == "v5"
    assert [p.read_text() for p in store.history()] == ["v4", "v3"]


def test_discard_and_nothing_to_promote(store: ModelStore) -> None:
    with pytest.raises(ModelStoreError, match="no candidate"):
        store.promote("dana")
    model(store.new_candidate_dir(), "20261203-110000", "v2")
    assert store.status()["candidate"] == "voicebot-nlu-20261203-110000.tar.gz"
    store.discard("dana")
    assert store.candidate() is None and live_content(store) == "v1"
    assert store.log()[0] == {**store.log()[0], "action": "discard", "who": "dana"}
