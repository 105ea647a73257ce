"""Open (and close, in reverse) everything calls share: records, speech, recognizers, dialogue, queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from bot.call.records import CallRecords
from bot.call.registry import CallRegistry
from bot.call.services import CallServices
from bot.config import Settings
from bot.headroom import Headroom, HeadroomLimits
from bot.metrics import CallMetrics
from bot.recording.desk import RecordingDesk
from bot.telemetry import Telemetry
from stt.adaptation import mllr_file

if TYPE_CHECKING:
    from escalation.services import EscalationServices

log = logging.getLogger(__name__)

CHANNEL_FORMATS = ["mulaw8k", "pcm8k", "pcm16k"]


@contextlib.asynccontextmanager
async def open_services(settings: Settings, metrics: CallMetrics,
                        registry: CallRegistry) -> AsyncIterator[CallServices]:
    """Everything a call needs, opened once per process."""
    from bot.call.agent_bridge import BotCallControl
    from bot.call.engine import open_engine
    from bot.call.handoff import HandoffDesk
    from escalation.services import EscalationServices
    from stt.recognizer_pool import RecognizerPool
    from tts.service import SpeechService

    data_dir = settings.path(settings.paths.data_dir)
    async with contextlib.AsyncExitStack() as stack:
        records = await CallRecords(data_dir / "calls.db", settings.records.url).open()
        stack.push_async_callback(records.close)

        speech = SpeechService.from_settings(settings.tts, settings.data_path(settings.tts.cache_dir),
                                             settings.path(settings.tts.prerendered_dir))
        await speech.start()
        stack.push_async_callback(speech.close)
        metrics.watch_speech(speech.audio_ms)

        # Recognition runs in worker processes: pocketsphinx holds the GIL while it decodes,
        # which in threads would stall the loop that paces every call's audio.
        recognizers = await RecognizerPool.start(
            backend=settings.stt.backend,
            vosk_model_path=settings.path(settings.stt.vosk_model_path),
            domain_lm_path=_domain_lm(settings),
            workers=settings.stt.workers,
            warm_decoders=settings.stt.warm_recognizers,
            mllr_path=mllr_file(settings),
            final_model=await asyncio.to_thread(final_model, settings),
            models_dir=settings.path(settings.paths.models_dir),
            final_window_s=settings.stt.final_window_s,
        )
        stack.push_async_callback(recognizers.close)
        log.info("speech recognizer: %s (language model: %s, telephone adaptation: %s), "
                 "final transcripts: %s", recognizers.backend_name,
                 recognizers.language_model or "generic", recognizers.mllr or "none",
                 recognizers.final_model or recognizers.backend_name)

        engine = await open_engine(settings)
        stack.push_async_callback(engine.close)
        if hasattr(engine, "watch"):  # a newly trained model is swapped in without dropping calls
            watcher = asyncio.create_task(
                engine.watch(settings.path(settings.nlu.model_dir), settings.nlu.reload_check_s))
            stack.callback(watcher.cancel)

        escalation = await EscalationServices.open_from_settings(settings)
        escalation.call_control = BotCallControl(registry, escalation)
        escalation.advertise_url = settings.cluster.advertise_url
        if settings.cluster.peer_secret:  # agents on any machine take calls held here, and back
            from bot.cluster.remote_leg import ClusterCallControl

            cluster = ClusterCallControl(escalation.call_control, escalation, settings.cluster.peer_secret)
            escalation.call_control = cluster
            stack.push_async_callback(cluster.close)
        stack.push_async_callback(escalation.close)

        calls = settings.calls
        headroom = Headroom(HeadroomLimits(calls.admit_max_loop_lag_ms, calls.admit_max_late_frame_pct,
                                           calls.admit_max_final_delay_ms))
        loop_watch = asyncio.create_task(headroom.watch_loop())
        stack.callback(loop_watch.cancel)
        telemetry = Telemetry.from_settings(settings.telemetry)
        stack.push_async_callback(telemetry.close)
        services = CallServices(settings=settings, metrics=metrics, records=records, engine=engine,
                                recognizers=recognizers, speech=speech, escalation=escalation,
                                headroom=headroom, telemetry=telemetry)
        services.handoffs = HandoffDesk(settings.escalation, escalation, records, metrics)
        services.recordings = await open_recordings(settings, escalation)
        stack.push_async_callback(asyncio.to_thread, services.recordings.close)
        purges = asyncio.create_task(services.recordings.purge_daily())
        stack.callback(purges.cancel)
        await services.prerender_prompts(CHANNEL_FORMATS)
        yield services


async def open_recordings(settings: Settings, escalation: EscalationServices) -> RecordingDesk:
    """Call recordings as configured; purges and playbacks go to the audit trail."""
    from nlu.sensitive import sensitive_slots

    async def audit(who: str, action: str, what: dict) -> None:
        await escalation.audit.record(who, action, None, what)

    return RecordingDesk(settings.recording, settings.data_path(settings.recording.dir),
                         await asyncio.to_thread(sensitive_slots, settings.path(settings.nlu.project_dir)),
                         audit)


def final_model(settings: Settings) -> str | None:
    """The neural final-pass model the recognizer workers load (None: pocketsphinx's finals)."""
    from stt.neural_models import resolve_final_model

    return resolve_final_model(settings.stt.final_backend, settings.path(settings.paths.models_dir))


def _domain_lm(settings: Settings) -> Path | None:
    """The recognizer's domain language model, when it is wanted (built by `voicebot train`)."""
    return settings.path(settings.stt.domain_lm_path) if settings.stt.domain_language_model else None
