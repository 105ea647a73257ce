"""`voicebot review`: the YAML patch out of one checkout and into another, and promote /
rollback from the command line, each in the audit trail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT
from tests.nlu.test_model_store import model
from tests.small_project import small_project


def voicebot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env={**os.environ, **env}, timeout=120)


def settings_env(root: Path) -> dict[str, str]:
    return {"VOICEBOT_NLU__PROJECT_DIR": str(root / "nlu"), "VOICEBOT_NLU__MODEL_DIR": str(root / "rasa"),
            "VOICEBOT_REVIEW__CANDIDATES_DIR": str(root / "cand"), "VOICEBOT_REVIEW__HISTORY_DIR": str(root / "hist"),
            "VOICEBOT_REVIEW__PHRASE_LIST": str(root / "phrases.txt"), "VOICEBOT_PATHS__DATA_DIR": str(root / "var")}


def test_export_import_promote_rollback(tmp_path: Path) -> None:
    from nlu.teaching import add_phrase, teach

    here, there = settings_env(tmp_path / "a"), settings_env(tmp_path / "b")
    small_project(tmp_path / "a" / "nlu")
    small_project(tmp_path / "b" / "nlu")
    teach(tmp_path / "a" / "nlu", "card_arrival", "my new card has not arrived yet", {"call": "CA1", "by": "dana"})
    add_phrase(tmp_path / "a" / "phrases.txt", "my new card has not arrived yet", {"call": "CA1"})
    exported = voicebot(here, "review", "export", "--out", str(tmp_path / "patch.yml"))
    assert exported.returncode == 0, exported.stderr
    imported = voicebot(there, "review", "import", str(tmp_path / "patch.yml"))
    assert imported.returncode == 0 and "1 example(s) added, 0 already" in imported.stdout, imported.stderr
    assert "call=CA1" in (tmp_path / "b/nlu/data/nlu/reviewed/card_arrival.yml").read_text()
    assert "my new card has not arrived yet" in (tmp_path / "b" / "phrases.txt").read_text()
    assert voicebot(there, "validate", "--no-rasa").returncode == 0

    model(tmp_path / "a" / "rasa", "20261203-100000", "v1")
    refused = voicebot(here, "review", "promote")
    assert refused.returncode == 1 and "no candidate model" in refused.stderr
    model(tmp_path / "a" / "cand" / "current", "20261203-110000", "v2")
    promoted = voicebot(here, "review", "promote")
    assert promoted.returncode == 0, promoted.stderr
    assert json.loads(promoted.stdout)["action"] == "promote"
    status = json.loads(voicebot(here, "review", "status", "--json").stdout)
    assert status["candidate"] is None and status["history"] == ["voicebot-nlu-20261203-100000.tar.gz"]
    assert voicebot(here, "review", "rollback").returncode == 0
    live = json.loads(voicebot(here, "review", "status", "--json").stdout)["live"]
    assert (tmp_path / "a" / "rasa" / live).read_text() == "v1"

    import asyncio

    from escalation.stores import open_store

    async def audit() -> list[dict]:
        store = await open_store("sqlite", str(tmp_path / "a" / "var" / "escalation.sqlite3"))
        try:
            return await store.list_records("audit")
        finally:
            await store.close()

    actions = [(e["action"], e["where"]) for e in asyncio.run(audit())]
    assert actions == [("model_promote", "command line"), ("model_rollback", "command line")]
