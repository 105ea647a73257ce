"""Voice scenario files: the loader's errors, the shipped set's coverage, noise, checks, JUnit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from bot.caller.noise import speech_bounds
from bot.caller.voices import speak
from bot.config import load_settings
from bot.voice_tests.audio import with_noise
from bot.voice_tests.checks import TurnResult, check_all
from bot.voice_tests.report import write_junit
from bot.voice_tests.runner import ScenarioResult
from bot.voice_tests.scenario import ScenarioError, load_all, load_scenario
from escalation.redact import redact_slots

SHIPPED = Path(__file__).resolve().parents[3] / "nlu" / "tests" / "voice"


def write(tmp_path: Path, text: str, name: str = "s.yml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_scenarios_load_and_cover_the_dialogue() -> None:
    scenarios = load_all([SHIPPED])
    assert len(scenarios) >= 30
    tags = {t for s in scenarios for t in s.tags}
    assert {"faq", "complaint", "escalation", "barge_in", "silence", "keypad", "out_of_scope", "noise"} <= tags
    reasons = set()
    for scenario in scenarios:
        for expect in [scenario.expect, *(t.expect for t in scenario.turns)]:
            handoff = expect.get("handoff")
            reasons.add(handoff.get("reason") if isinstance(handoff, dict) else handoff)
    assert {"request_human", "angry_caller", "urgent_faq", "out_of_scope", "low_confidence",
            "complaint"} <= reasons
    end_reasons = {s.expect.get("end_reason") for s in scenarios}
    assert {"callback", "closed", "transferred", "no_input", "goodbye"} <= end_reasons
    assert any(t.action == "wav" for s in scenarios for t in s.turns)
    assert any(t.barge_in_ms is not None for s in scenarios for t in s.turns)


def test_unknown_key_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nturns:\n  - say: hello\n    expect:\n      intnet: greet\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}:5: unknown key 'intnet' in turn 1 expect")
    assert "intent" in str(err.value)  # the allowed keys are listed


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nturns:\n  - say: [unclosed\n  - press: 1\n")
    with pytest.raises(ScenarioError, match=rf"^{path}:\d+: not valid YAML"):
        load_scenario(path)


@pytest.mark.parametrize(("body", "line", "message"), [
    ("name: x\nturns:\n  - say: hi\n    voice: bob\n", 4, "unknown voice 'bob'"),
    ("name: x\nturns:\n  - press: 12a\n", 3, "press must be keypad keys"),
    ("name: x\nturns:\n  - say: hi\n    press: '1'\n", 3, "exactly one of"),
    ("name: x\nturns:\n  - silence: 500\n", 3, "between 0 and 120"),
    ("name: x\nturns:\n  - wav: missing.wav\n", 3, "no such WAV file"),
    ("name: x\nturns:\n  - press: '1'\n    noise_db: 10\n", 4, "only applies to say or wav"),
    ("name: x\nturns:\n  - say: hi\n    expect: {ended: maybe}\n", 4, "ended must be true or false"),
    ("name: x\nturns: []\n", 2, "non-empty list"),
    ("turns:\n  - say: hi\n", 1, "needs a 'name'"),
    ("name: x\nturns:\n  - say: hi\nexpect: {outcome: ok, colour: red}\n", 4, "unknown key 'colour'"),
])
def test_mistakes_are_reported_precisely(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}:{line}:"), str(err.value)
    assert message in str(err.value)


def test_all_errors_of_a_folder_are_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "name: a\nturns:\n  - sey: hi\n", "a.yml")
    write(tmp_path, "name: b\nturns:\n  - say: hi\n    barge_in_ms: -5\n", "b.yml")
    with pytest.raises(ScenarioError) as err:
        load_all([tmp_path])
    assert "a.yml:3" in str(err.value) and "b.yml:4" in str(err.value)


def test_server_settings_become_environment_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nserver: {escalation.transfer_target: '+1555'}\nturns:\n  - say: hi\n")
    env = load_scenario(path).server_env()
    assert env == {"VOICEBOT_ESCALATION__TRANSFER_TARGET": "+1555"}
    # ... and the settings loader keeps it text (a phone number must not become a number).
    assert load_settings(None, environ=env).escalation.transfer_target == "+1555"
    path = write(tmp_path, "name: x\nserver: {escalation.business_hours: 'Mon-Sun 00:00-00:01'}\nturns:\n  - say: hi\n")
    assert load_scenario(path).server_env() == {"VOICEBOT_ESCALATION__BUSINESS_HOURS": "Mon-Sun 00:00-00:01"}


def test_noise_is_mixed_at_the_requested_snr() -> None:
    """The benchmarks' SNR: the speech's active power (its speech regions) over the noise's."""
    clean = speak("what exchange rate do you use", "rms")
    for snr in (20.0, 10.0):
        mixed = np.frombuffer(with_noise(clean, snr, seed=1), "<i2").astype(np.float64)
        lead = int(0.3 * 8000)
        assert mixed.size == len(clean) // 2 + 2 * lead  # noise before and after the speech too
        speech = np.frombuffer(clean, "<i2").astype(np.float64)
        noise = mixed[lead:lead + speech.size] - speech
        parts = [speech[int(a * 8000):int(b * 8000)] for a, b in speech_bounds(clean, 8000)]
        active = np.concatenate(parts)
        measured = 10 * np.log10(np.mean(active**2) / np.mean(noise**2))
        assert abs(measured - snr) < 1.0, (snr, measured)



def record_turn(at: float, text: str, intent: str | None, said: str, handoff: dict | None = None) -> dict:
    kind = "event" if text.startswith("[") else "text"
    return {"at": at, "input_kind": kind, "user_text": text, "intent": intent, "bot_text": said,
            "handoff": handoff, "latency": {"response_ms": 600.0, "end_silence_ms": 500.0}}


def test_record_turns_are_matched_to_caller_turns_by_time() -> None:
    results = [TurnResult("greeting", 0, {"says": "how can i help"}, ended_at=100.0),
               TurnResult("turn 1", 3, {"intent": "exchange_rate", "says": "wholesale"}, ended_at=110.0),
               TurnResult("turn 2", 5, {"intent": "request_human", "handoff": "request_human",
                                        "slot": {"account_number": "12345678"}}, ended_at=120.0)]
    record = {"call": {}, "turns": [
        record_turn(105.0, "[call_start]", None, "Hello. How can I help you today?"),
        # written while turn 2 was being spoken (the caller talked over it): still turn 1's answer
        record_turn(119.0, "what exchange rate", "exchange_rate", "We use the wholesale rate."),
        record_turn(121.0, "a person please", "greet", "Hello!"),
    ], "events": [{"at": 121.0, "kind": "slots", "detail": redact_slots({"account_number": "12345678"})}]}
    check_all(results, record)
    assert results[0].failures == [] and results[1].failures == []
    failures = results[2].failures
    assert any(f.startswith("intent: expected request_human, got greet") for f in failures)
    assert any("expected a handoff" in f for f in failures)
    # The record is redacted: an account number masked there still matches what was expected.
    assert not any(f.startswith("slot") for f in failures), failures


def test_junit_lists_failures_and_known_issues(tmp_path: Path) -> None:
    ok = load_scenario(write(tmp_path, "name: fine\nturns:\n  - say: hi\n", "ok.yml"))
    bad = load_scenario(write(tmp_path, "name: broken\nturns:\n  - say: hi\n", "bad.yml"))
    known = load_scenario(write(tmp_path, "name: known\nknown_issue: LM lacks it\nturns:\n  - say: hi\n", "k.yml"))
    failing = TurnResult("turn 1", 3, {}, 0.0, failures=["intent: expected x, got y"])
    results = [ScenarioResult(ok, turns=[TurnResult("greeting", 0, {}, 0.0)]),
               ScenarioResult(bad, turns=[TurnResult("greeting", 0, {}, 0.0), failing]),
               ScenarioResult(known, turns=[TurnResult("greeting", 0, {}, 0.0), failing])]
    out = tmp_path / "junit.xml"
    write_junit(results, out, 12.0)
    suite = ET.parse(out).getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["broken"].find("failure").get("message") == "turn 1: intent: expected x, got y"
    assert cases["fine"].find("failure") is None
    assert "LM lacks it" in cases["known"].find("skipped").get("message")
    assert [r.ok for r in results] == [True, False, True]
