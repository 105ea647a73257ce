"""The Review desk on real call records (SQLite), a real recording (FLAC, encrypted) and the
real MiniLM vectors: which turns are listed and why, how they group, what a label writes, the
caller's audio of one turn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.call.records import CallRecords
from bot.config import Settings
from bot.recording.crypto import new_key
from bot.recording.desk import RecordingDesk
from bot.recording.files import FlacSink
from bot.review.desk import ReviewDesk
from bot.review.finder import is_correction
from escalation.stores import open_store
from tests.small_project import small_project

RATE = 8000


async def call(records: CallRecords, call_id: str, *turns: tuple) -> None:
    """A recorded call: the greeting, then (text, intent, confidence, handoff reason) per turn."""
    await records.call_started(call_id, "twilio", "+15550100")
    await records.turn(call_id, 1, "event", "[call_start]", "call_start", 1.0, ["Hello."], None, {})
    for idx, (text, intent, confidence, handoff) in enumerate(turns, 2):
        await records.turn(call_id, idx, "text", text, intent, confidence, ["An answer."],
                           {"reason": handoff, "priority": "normal"} if handoff else None, {})
    await records.call_ended(call_id, "contained", "hangup")


@pytest.fixture
async def desk(tmp_path: Path):
    key = new_key()
    settings = Settings(nlu={"project_dir": str(small_project(tmp_path / "nlu")),
                             "model_dir": str(tmp_path / "models" / "rasa")},
                        review={"phrase_list": str(tmp_path / "phrases.txt"),
                                "candidates_dir": str(tmp_path / "cand"), "history_dir": str(tmp_path / "hist")},
                        recording={"mode": "all", "encryption_key": key})
    records = await CallRecords(tmp_path / "calls.db").open()
    store = await open_store("sqlite", str(tmp_path / "esc.sqlite3"))
    recordings = RecordingDesk(settings.recording, tmp_path / "recordings")
    desk = ReviewDesk(settings, records, store, recordings, engine=None)
    await call(records, "CA1", ("the machine kept my card", "nlu_fallback", 0.41, None),
               ("no I said the cash machine kept my card", "card_swallowed", 0.95, None))
    await call(records, "CA2", ("the cash machine swallowed my card", "card_arrival", 0.62, None),
               ("what is the weather in paris", "out_of_scope", 0.9, "out_of_scope"))
    await call(records, "CA3", ("what exchange rate do you use", "exchange_rate", 0.99, None),
               ("um", "hesitate", 1.0, None), ("the subject", "hesitate", 0.9, None))
    yield desk
    recordings.close()
    await store.close()
    await records.close()


def test_corrections_are_recognised() -> None:
    assert is_correction("no I said the cash machine kept my card")
    assert is_correction("No, I said my card")
    assert is_correction("that's not what I said")
    assert not is_correction("no thanks")
    assert not is_correction("I said goodbye")


async def test_listed_turns_reasons_filters_and_groups(desk: ReviewDesk) -> None:
    found = await desk.items()
    reasons = {item["user_text"]: item["reasons"] for item in found["items"]}
    assert reasons == {"the machine kept my card": ["fallback", "corrected"],
                       "the cash machine swallowed my card": ["low_confidence"],
                       "what is the weather in paris": ["fallback", "escalated"],
                       "the subject": ["hesitation"]}  # "um" is a filler: not listed
    first = next(i for i in found["items"] if i["key"] == "CA1#2")
    assert first["next_text"] == "no I said the cash machine kept my card" and first["bot_text"] == "An answer."
    assert first["audio"] is False  # not recorded
    groups = {g["text"]: g["callers"] for g in found["groups"]}
    assert groups in ({"the machine kept my card": 2, "what is the weather in paris": 1, "the subject": 1},
                      {"the cash machine swallowed my card": 2, "what is the weather in paris": 1,
                       "the subject": 1}), groups
    assert [i["key"] for i in (await desk.items(reason="hesitation"))["items"]] == ["CA3#4"]
    only = await desk.items(reason="corrected")
    assert [i["key"] for i in only["items"]] == ["CA1#2"]
    assert [i["key"] for i in (await desk.items(intent="out_of_scope"))["items"]] == ["CA2#3"]
    assert (await desk.items(first="2001-01-01", last="2001-01-02"))["items"] == []
    with pytest.raises(ValueError):
        await desk.items(first="2001-01-03", last="2001-01-02")


async def test_a_label_teaches_and_leaves_the_groups(desk: ReviewDesk) -> None:
    record = await desk.label("CA1", 2, "card_swallowed", "the cash machine kept my card", "dana")
    assert record["added"] and record["phrase_added"] and record["file"] == "nlu/data/nlu/reviewed/card_swallowed.yml"
    written = (desk.project_dir / "data/nlu/reviewed/card_swallowed.yml").read_text()
    assert "call=CA1 turn=2 by=dana heard=the machine kept my card was=nlu_fallback@0.41" in written
    assert "    - the cash machine kept my card\n" in written
    assert "the cash machine kept my card" in desk.settings.path(desk.review.phrase_list).read_text()
    found = await desk.items()
    assert next(i for i in found["items"] if i["key"] == "CA1#2")["label"]["by"] == "dana"
    assert all("CA1#2" not in g["turns"] for g in found["groups"])
    with pytest.raises(KeyError):
        await desk.label("CA1", 9, "card_swallowed", None, "dana")
    intents = await desk.intents()
    assert "card_swallowed" in intents and "out_of_scope" in intents and "call_start" not in intents


async def test_the_callers_audio_of_one_turn(desk: ReviewDesk) -> None:
    # Left: the caller, 1 s of tone from 3.0 s (turn 2); right: the bot. The marks are the
    # recording's own: caller speech start and reply time per reply, the greeting first.
    left = np.zeros(6 * RATE, dtype=np.int16)
    left[3 * RATE: 4 * RATE] = (8000 * np.sin(np.arange(RATE) * 0.3)).astype(np.int16)
    sink = FlacSink(desk.recordings.directory, "CA1", RATE, desk.recordings.settings.encryption_key)
    sink.write(np.stack([left, np.zeros_like(left)], axis=1))
    sink.keep({"call_id": "CA1", "sample_rate": RATE,
               "turns": [{"at_s": 0.0, "caller_s": 0.0}, {"at_s": 4.8, "caller_s": 3.0}]})
    assert (desk.recordings.directory / "CA1.flac.enc").is_file()
    clip = await desk.audio("CA1", 2)
    import io

    import soundfile

    samples, rate = soundfile.read(io.BytesIO(clip), dtype="int16")
    assert rate == RATE and abs(len(samples) / RATE - 2.0) < 0.01  # 0.2 s lead + 1.8 s
    loud = np.flatnonzero(np.abs(samples) > 1000)
    assert abs(loud[0] / RATE - 0.2) < 0.01 and abs(loud[-1] / RATE - 1.2) < 0.01
    assert await desk.audio("CA1", 7) is None and await desk.audio("CA2", 2) is None
    assert (await desk.items())["items"][-1]["audio"] is True
    assert json.loads((desk.recordings.directory / "CA1.json").read_text())["encrypted"] is True
