"""`voicebot chat` (JSON lines when stdin is not a terminal) and `voicebot test`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from nlu.testing import format_report, run_tests

ROOT = Path(__file__).resolve().parents[2]


def voicebot(*args: str, stdin: str = "", timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=ROOT, input=stdin,
        capture_output=True, text=True, timeout=timeout,
    )


def test_chat_prints_one_json_object_per_turn(trained_model):
    lines = ["how do I activate my card", "#digits 0", "goodbye", "never read: call ended"]
    result = voicebot("chat", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr[-2000:]
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == 4  # the greeting, then three caller lines; the call ends at goodbye
    for turn in turns:
        assert {"text", "intent", "confidence", "responses", "handoff", "end_call"} <= set(turn)
    greeting, faq, zero, bye = turns
    assert greeting["intent"] == "call_start" and "Harbour Bank" in greeting["responses"][0]
    assert faq["text"] == "how do I activate my card" and faq["intent"] == "activate_my_card"
    assert zero["handoff"] == {"reason": "request_human", "priority": "normal"}
    assert bye["end_call"] is True and bye["handoff"] is None


def test_voicebot_test_runs_the_story_tests(trained_model):
    result = voicebot("test", "--stories-only")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    stories = len([
        line for line in (ROOT / "nlu" / "tests" / "test_stories.yml").read_text().splitlines()
        if line.strip().startswith("- story:")
    ])
    assert f"Stories: {stories} of {stories} passed" in result.stdout
    assert result.stdout.strip().endswith("OK")


def test_a_failing_story_is_named_with_what_the_bot_did(tmp_path, project_dir, trained_model):
    copy = tmp_path / "nlu"
    shutil.copytree(project_dir, copy, ignore=shutil.ignore_patterns("build"))
    stories = copy / "tests" / "test_stories.yml"
    stories.write_text(stories.read_text().replace(
        "      - action: utter_activate_my_card\n", "      - action: utter_exchange_rate\n"
    ))
    nlu_reports, story = run_tests(trained_model, copy, None, tmp_path / "out", nlu=False)
    assert nlu_reports == []
    assert story.failed == ["FAQ activate my card"]
    report = format_report(nlu_reports, story)
    assert "FAILED: FAQ activate my card" in report
    assert "predicted: utter_activate_my_card" in report
