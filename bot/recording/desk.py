"""The process's recordings: the one writer thread, the calls being recorded, daily purges."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.channels.base import CallContext, Channel
from bot.config import RecordingSettings
from bot.recording import library
from bot.recording.call import CallRecording, NoRecording

log = logging.getLogger(__name__)

PURGE_EVERY_S = 86400.0
Audit = Callable[[str, str, dict], Awaitable[None]]  # (who, action, what)


class RecordingDesk:
    """Starts each call's recording (or not), finds it by call id, purges old ones."""

    def __init__(self, settings: RecordingSettings, directory: Path,
                 sensitive_slots: frozenset[str] = frozenset(), audit: Audit | None = None) -> None:
        self.settings = settings
        self.directory = directory
        self.sensitive_slots = sensitive_slots
        self.audit = audit
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="recording-writer")  # one: in order
        self._calls: dict[str, CallRecording] = {}

    @classmethod
    def off(cls) -> RecordingDesk:
        return cls(RecordingSettings(mode="off"), Path("recordings"))

    @staticmethod
    def file_name(call_id: str) -> str:
        return library.file_name(call_id)

    def start(self, context: CallContext, channel: Channel) -> CallRecording | NoRecording:
        """The call's recording; its `channel` is the one the call should use."""
        if self.settings.mode == "off":
            return NoRecording(channel)
        recording = CallRecording(self, context, channel)
        self._calls[context.call_id] = recording
        return recording

    def of(self, call_id: str) -> CallRecording | NoRecording:
        """The recording of a call in progress (a do-nothing one when it is not recorded)."""
        return self._calls.get(call_id) or NoRecording(None)

    async def finish(self, call_id: str, outcome: str) -> None:
        """The call is over: its recording is kept or discarded (never raises)."""
        recording = self._calls.pop(call_id, None)
        if recording is None:
            return
        try:
            kept = await recording.finish(outcome)
        except Exception:
            log.exception("the call's recording could not be finished")
            return
        log.info("recording %s", "kept" if kept else "discarded")

    async def purge(self, who: str = "system") -> list[str]:
        """Delete recordings past `retention_days`; one audit line per purge (none while no
        recording was ever made here)."""
        if not await asyncio.to_thread(self.directory.is_dir):
            return []
        gone = await asyncio.to_thread(library.purge, self.directory, self.settings.retention_days)
        if self.audit is not None:
            await self.audit(who, "recordings_purged", {"count": len(gone), "call_ids": gone[:100],
                                                        "retention_days": self.settings.retention_days})
        log.info("recordings purged: %d past %d days", len(gone), self.settings.retention_days)
        return gone

    async def purge_daily(self, every_s: float = PURGE_EVERY_S) -> None:
        """Purge now and then every `every_s` (a task the server runs while it is up)."""
        while True:
            try:
                await self.purge()
            except Exception:
                log.exception("recordings purge failed; trying again at the next one")
            await asyncio.sleep(every_s)

    def close(self) -> None:
        self.writer.shutdown(wait=True)
