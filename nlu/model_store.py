"""The live model, one candidate, and the history of promoted models.

- live: `nlu.model_dir`, where the running bot loads the newest model from (and reloads when
  fingerprint.json names a newer one: `RasaEngine.watch`);
- candidate: `<candidates_dir>/current/` holds one model trained by `voicebot train
  --candidate` and `report.json`, its test results against the live model's;
- history: `<history_dir>/` keeps the models that were live before (newest `keep`), and
  `promotions.jsonl`, one line per promotion, rollback or discard (who, when, what changed).

Promoting copies the candidate into the live folder under a name newer than any there, so the
watcher (or the console, at once) swaps it in between turns. Rolling back does the same with
the newest model of the history. All blocking: callers on an event loop use `asyncio.to_thread`.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.training import FINGERPRINT_FILE, MODEL_PREFIX, latest_model, training_record

REPORT_FILE = "report.json"
LOG_FILE = "promotions.jsonl"


class ModelStoreError(RuntimeError):
    """Nothing to promote or roll back to; the message says what."""


@dataclass
class ModelStore:
    live_dir: Path
    candidates_dir: Path
    history_dir: Path
    keep: int = 5

    @property
    def candidate_dir(self) -> Path:
        return self.candidates_dir / "current"

    # ---- reading -------------------------------------------------------------------------
    def live(self) -> Path | None:
        return latest_model(self.live_dir)

    def candidate(self) -> Path | None:
        return latest_model(self.candidate_dir)

    def report(self) -> dict[str, Any] | None:
        """The candidate's test report (None before its tests finished)."""
        try:
            return json.loads((self.candidate_dir / REPORT_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def history(self) -> list[Path]:
        """Models that were live before, newest first."""
        return sorted(self.history_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), reverse=True)

    def log(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest promotions, rollbacks and discards, newest first."""
        path = self.history_dir / LOG_FILE
        if not path.is_file():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()[-limit:]
        return [json.loads(line) for line in reversed(lines) if line.strip()]

    def status(self) -> dict[str, Any]:
        live, candidate = self.live(), self.candidate()
        return {"live": live.name if live else None,
                "candidate": candidate.name if candidate else None,
                "report": self.report() if candidate else None,
                "history": [p.name for p in self.history()], "log": self.log(10)}

    # ---- changing ------------------------------------------------------------------------
    def new_candidate_dir(self) -> Path:
        """An empty candidate folder (the one before is replaced)."""
        shutil.rmtree(self.candidate_dir, ignore_errors=True)
        self.candidate_dir.mkdir(parents=True)
        return self.candidate_dir

    def write_report(self, report: dict[str, Any]) -> None:
        (self.candidate_dir / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")

    def promote(self, who: str) -> dict[str, Any]:
        """Make the candidate live; the model it replaces goes into the history."""
        candidate = self.candidate()
        if candidate is None:
            raise ModelStoreError("no candidate model: train one first (voicebot train --candidate)")
        record = training_record(self.candidate_dir)
        report = self.report() or {}
        entry = self._make_live(candidate, record, who, "promote",
                                {"changes": report.get("summary", "not tested")})
        shutil.rmtree(self.candidate_dir, ignore_errors=True)
        return entry

    def discard(self, who: str) -> dict[str, Any]:
        candidate = self.candidate()
        if candidate is None:
            raise ModelStoreError("no candidate model to discard")
        shutil.rmtree(self.candidate_dir, ignore_errors=True)
        return self._log({"action": "discard", "who": who, "model": candidate.name})

    def rollback(self, who: str) -> dict[str, Any]:
        """Make the newest model of the history live again (it leaves the history)."""
        history = self.history()
        if not history:
            raise ModelStoreError(f"no earlier model in {self.history_dir} to roll back to")
        previous = history[0]
        meta = _meta(previous)
        entry = self._make_live(previous, meta.get("record", {}), who, "rollback",
                                {"restored": meta.get("was", previous.name)}, archive=False)
        previous.unlink(missing_ok=True)
        previous.with_suffix(".json").unlink(missing_ok=True)
        return entry

    def _make_live(self, source: Path, record: dict[str, Any], who: str, action: str,
                   detail: dict[str, Any], archive: bool = True) -> dict[str, Any]:
        self.live_dir.mkdir(parents=True, exist_ok=True)
        replaced = self.live()
        if replaced is not None and archive:
            self._archive(replaced)
        name = _newer_name(self.live_dir)
        staged = self.live_dir / (name + ".part")
        shutil.copyfile(source, staged)
        staged.rename(self.live_dir / name)  # a whole file, or none, for the watcher
        for old in self.live_dir.glob(f"{MODEL_PREFIX}*.tar.gz"):
            if old.name != name:
                old.unlink(missing_ok=True)
        (self.live_dir / FINGERPRINT_FILE).write_text(json.dumps(
            {**record, "model": name, "from": source.name, "action": action}, indent=2))
        return self._log({"action": action, "who": who, "model": name,
                          "replaced": replaced.name if replaced else None, **detail})

    def _archive(self, model: Path) -> None:
        self.history_dir.mkdir(parents=True, exist_ok=True)
        target = self.history_dir / model.name
        shutil.copyfile(model, target)
        record = training_record(self.live_dir)
        record = record if record.get("model") == model.name else {}
        target.with_suffix(".json").write_text(json.dumps({"was": model.name, "record": record}))
        for old in self.history()[self.keep:]:
            old.unlink(missing_ok=True)
            old.with_suffix(".json").unlink(missing_ok=True)

    def _log(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry = {"at": time.time(), **entry}
        self.history_dir.mkdir(parents=True, exist_ok=True)
        with (self.history_dir / LOG_FILE).open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
        return entry


def _meta(model: Path) -> dict[str, Any]:
    try:
        return json.loads(model.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return {}


def _newer_name(live_dir: Path) -> str:
    """A model file name that sorts after every model in `live_dir` (the watcher loads the newest)."""
    newest = latest_model(live_dir)
    at = time.time()
    while True:
        name = f"{MODEL_PREFIX}{time.strftime('%Y%m%d-%H%M%S', time.localtime(at))}.tar.gz"
        if newest is None or name > newest.name:
            return name
        at += 1
