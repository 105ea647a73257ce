"""One call's recording through the real desk and writer thread: kept, or discarded when the
caller declines or (mode escalated) never reached a person."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from bot.channels.base import AudioIn, CallContext, DtmfIn
from bot.config import RecordingSettings
from bot.recording.desk import RecordingDesk
from nlu.engine import BotTurn, Digits
from stt.audio import AudioFrame

from .fake_line import FakeLine

FRAME = np.full(160, 2000, dtype="<i2").tobytes()


async def run_call(desk: RecordingDesk, call_id: str, person: bool = False, decline: bool = False) -> bool:
    line = FakeLine()
    recording = desk.start(CallContext(call_id, "twilio"), line)
    said: list[list[str]] = []

    async def speak(texts: list[str]) -> bool:
        said.append(texts)
        return True

    async def put(event: object) -> None:
        pass

    tap = recording.tap(put)
    await recording.before_reply(BotTurn(["Hello."]), speak)
    assert said == [[desk.settings.consent_announcement]]
    for _ in range(100):  # the bot's frame goes out as the caller's comes in
        await recording.channel.send_audio(FRAME)
        await tap(AudioIn(AudioFrame(FRAME, 8000)))
    if decline:
        assert await desk.of(call_id).declined_by(Digits("9"), speak)
        assert said[-1] == [desk.settings.consent_declined_reply]
    if person:
        assert await recording.channel.transfer("+15550009999")
    await desk.finish(call_id, "escalated" if person else "contained")
    return (desk.directory / f"{call_id}.json").exists()


@pytest.fixture
def desk(tmp_path: Path):
    desk = RecordingDesk(RecordingSettings(mode="escalated"), tmp_path / "rec")
    yield desk
    desk.close()


async def test_escalated_mode_keeps_only_calls_that_reached_a_person(desk: RecordingDesk) -> None:
    assert not await run_call(desk, "CAbot")
    assert await run_call(desk, "CAperson", person=True)
    assert sorted(p.name for p in desk.directory.iterdir()) == ["CAperson.flac", "CAperson.json"]
    audio, _ = soundfile.read(desk.directory / "CAperson.flac", dtype="int16")
    assert audio.shape == (16000, 2) and (audio == 2000).all()  # both channels, 2 s, aligned


async def test_a_declining_caller_leaves_nothing_on_disk(desk: RecordingDesk) -> None:
    assert not await run_call(desk, "CAno", person=True, decline=True)
    assert list(desk.directory.iterdir()) == []


async def test_keys_pause_the_recording_until_the_keypad_is_quiet(tmp_path: Path) -> None:
    desk = RecordingDesk(RecordingSettings(mode="all", consent_announcement="", keypad_pause_s=1.0),
                         tmp_path)
    recording = desk.start(CallContext("CAkeys", "twilio"), FakeLine())
    tap = recording.tap(lambda event: _nothing())
    for i in range(300):  # 6 s; a key at 2 s
        if i == 100:
            await tap(DtmfIn("5"))
        await tap(AudioIn(AudioFrame(FRAME, 8000)))
    await desk.finish("CAkeys", "contained")
    desk.close()
    audio, _ = soundfile.read(tmp_path / "CAkeys.flac", dtype="int16")
    left = audio[:, 0]
    assert (left[:int(1.7 * 8000)] == 2000).all() and (left[int(3.0 * 8000):] == 2000).all()
    assert not left[int(1.7 * 8000):int(3.0 * 8000)].any()  # 0.3 s before the key to 1 s after


async def _nothing() -> None:
    pass
