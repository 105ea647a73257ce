"""The Review page's one object (set on the app as `escalation.review_web.REVIEW_KEY`): finds
the turns to review, teaches what designers label, and runs the candidate model's training
(`voicebot train --candidate` in a child process: the service never imports the command line
or the voice-test runner), promotion, discard and rollback."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import time
from collections import deque
from typing import Any

from bot.call.records import CallRecords
from bot.config import PROJECT_ROOT, Settings
from bot.recording.desk import RecordingDesk
from bot.review import clips, finder, groups
from nlu.model_store import ModelStore, ModelStoreError
from nlu.teaching import Taught, add_phrase, teach

log = logging.getLogger(__name__)
LABELS = "review_label"  # escalation store kind: what was taught from a turn, by whom


class ReviewDesk:
    def __init__(self, settings: Settings, records: CallRecords, store: Any,
                 recordings: RecordingDesk, engine: Any) -> None:
        self.settings = settings
        self.review = settings.review
        self.records = records
        self.store = store
        self.recordings = recordings
        self.engine = engine
        self.project_dir = settings.path(settings.nlu.project_dir)
        self.models = ModelStore(settings.path(settings.nlu.model_dir),
                                 settings.path(self.review.candidates_dir),
                                 settings.path(self.review.history_dir), self.review.keep_models)
        self._training: asyncio.subprocess.Process | None = None
        self._training_log: deque[str] = deque(maxlen=40)
        self._training_state: dict[str, Any] = {"state": "idle"}
        self._follower: asyncio.Task | None = None
        self._intents: list[str] | None = None  # the domain's, read once
        self._lock = asyncio.Lock()  # one model change at a time

    # ---- what to review ------------------------------------------------------------------
    async def items(self, reason: str | None = None, intent: str | None = None,
                    first: str | None = None, last: str | None = None) -> dict[str, Any]:
        """The turns to review in the window (days, UTC, inclusive), filtered, grouped."""
        since, until = self._window(first, last)
        found = finder.find(await self.records.turns_between(since, until), self.review.low_confidence)
        labels = {r["key"]: r for r in await self.store.list_records(LABELS)}
        intents = sorted({t.get("intent") or "nlu_fallback" for t in found})
        shown = [t for t in found if finder.matches(t, reason, intent)]
        directory = self.recordings.directory
        for item in shown:
            item["label"] = labels.get(item["key"])
            item["audio"] = await asyncio.to_thread(clips.has_clip, directory, item["call_id"], item["idx"])
        open_items = [t for t in shown if t["label"] is None]
        grouped = await asyncio.to_thread(groups.group, open_items, self.review.similar)
        return {"items": shown, "groups": grouped, "intents": intents, "reasons": list(finder.REASONS),
                "from": _day(since), "to": _day(until - 1)}

    def _window(self, first: str | None, last: str | None) -> tuple[float, float]:
        today = dt.datetime.now(dt.timezone.utc).date()
        end = dt.date.fromisoformat(last) if last else today
        start = dt.date.fromisoformat(first) if first else end - dt.timedelta(days=self.review.days - 1)
        if start > end:
            raise ValueError("from is after to")
        midnight = dt.time(tzinfo=dt.timezone.utc)
        return (dt.datetime.combine(start, midnight).timestamp(),
                dt.datetime.combine(end + dt.timedelta(days=1), midnight).timestamp())

    async def audio(self, call_id: str, idx: int) -> bytes | None:
        key = self.recordings.settings.encryption_key
        return await asyncio.to_thread(clips.turn_clip, self.recordings.directory, call_id, idx, key)

    # ---- teaching ------------------------------------------------------------------------
    async def label(self, call_id: str, idx: int, intent: str, corrected: str | None,
                    who: str) -> dict[str, Any]:
        """Teach turn (call_id, idx) as `intent`; `corrected` is what the caller really said
        (then also a phrase for the speech recognizer). KeyError: no such turn."""
        turns = await self.records.transcript(call_id)
        turn = next((t for t in turns if t["idx"] == idx and t["input_kind"] == "text"), None)
        if turn is None:
            raise KeyError(f"no caller turn {idx} in call {call_id}")
        text = (corrected or "").strip() or turn["user_text"]
        source = {"call": call_id, "turn": idx, "by": who, "heard": turn["user_text"] if corrected else "",
                  "was": f"{turn['intent'] or 'none'}@{float(turn['confidence'] or 0):.2f}"}
        taught: Taught = await asyncio.to_thread(teach, self.project_dir, intent, text, source)
        phrase = False
        if corrected and corrected.strip():
            phrase = await asyncio.to_thread(add_phrase, self.settings.path(self.review.phrase_list),
                                             corrected, source)
        record = {"key": f"{call_id}#{idx}", "intent": intent, "text": taught.text, "by": who,
                  "at": time.time(), "added": taught.added, "phrase_added": phrase,
                  "file": str(taught.path.relative_to(self.project_dir.parent))
                  if taught.path.is_relative_to(self.project_dir.parent) else str(taught.path)}
        await self.store.put_record(LABELS, record["key"], record)
        return record

    async def intents(self) -> list[str]:
        """The domain's intents, for the label menu (out_of_scope included)."""
        from nlu.review_checks import domain_intents

        if self._intents is None:
            self._intents = sorted(await asyncio.to_thread(domain_intents, self.project_dir) - {"call_start", "keypad"})
        return self._intents

    # ---- candidate models ----------------------------------------------------------------
    async def status(self) -> dict[str, Any]:
        status = await asyncio.to_thread(self.models.status)
        return {**status, "training": {**self._training_state, "log": list(self._training_log)[-12:]}}

    async def train(self, voice: bool = False) -> dict[str, Any]:
        """Start `voicebot train --candidate` (ValueError while one runs)."""
        if self._training is not None and self._training.returncode is None:
            raise ValueError("a candidate is already being trained")
        command = [sys.executable, "-m", "bot", "train", "--candidate", *(["--voice"] if voice else [])]
        self._training_log.clear()
        self._training = await asyncio.create_subprocess_exec(
            *command, cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self._training_state = {"state": "training", "started_at": time.time()}
        self._follower = asyncio.create_task(self._follow(self._training))
        return self._training_state

    async def close(self) -> None:
        """Stop a candidate training this server started (the server is stopping)."""
        if self._training is not None and self._training.returncode is None:
            self._training.terminate()
            await self._training.wait()

    async def _follow(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for line in proc.stdout:
            self._training_log.append(line.decode(errors="replace").rstrip())
        code = await proc.wait()
        self._training_state = {**self._training_state, "state": "done" if code == 0 else "failed",
                                "exit_code": code, "ended_at": time.time()}
        log.info("candidate training finished with exit code %s", code)

    async def change(self, action: str, who: str) -> dict[str, Any]:
        """promote, discard or rollback; the running bot swaps in the new live model at once
        (between two turns; its watcher would within `nlu.reload_check_s`)."""
        if action not in ("promote", "discard", "rollback"):
            raise ValueError(f"unknown action {action!r}")
        async with self._lock:
            try:
                entry = await asyncio.to_thread(getattr(self.models, action), who)
            except ModelStoreError as exc:
                raise ValueError(str(exc)) from None
            live = self.models.live()
            if action != "discard" and live is not None and hasattr(self.engine, "reload"):
                await self.engine.reload(live)
        return entry


def _day(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).date().isoformat()
