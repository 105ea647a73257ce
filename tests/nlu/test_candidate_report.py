"""What a candidate changes against the live model, as the Review page and the audit show it."""

from __future__ import annotations

from nlu.candidate_report import nlu_diff, story_diff, summary, voice_diff
from nlu.testing import NluReport, StoryReport


def nlu(accuracy: float, **per_intent: tuple[float, int]) -> NluReport:
    return NluReport("nlu_phone.yml", 40, accuracy, accuracy, per_intent=per_intent)


def test_per_intent_changes_newly_failing_and_passing() -> None:
    live = [nlu(0.9, card_arrival=(0.5, 4), greet=(1.0, 10), deny=(0.8, 5), unused=(0.0, 0))]
    candidate = [nlu(0.95, card_arrival=(1.0, 4), greet=(1.0, 10), deny=(0.6, 5), unused=(0.0, 0))]
    report = {"nlu": nlu_diff(live, candidate),
              "stories": story_diff(StoryReport(10, ["a", "b"], "", 0.9), StoryReport(10, ["b", "c"], "", 0.9)),
              "voice": voice_diff({"faq": True, "escalate": False}, {"faq": False, "escalate": True}),
              "examples_added": 3}
    rows = report["nlu"][0]["intents"]
    assert [(r["intent"], r["change"]) for r in rows] == [("deny", -0.2), ("card_arrival", 0.5)]
    assert report["stories"]["newly_failing"] == ["c"] and report["stories"]["newly_passing"] == ["a"]
    assert report["voice"] == {"total": 2, "live_failed": 1, "candidate_failed": 1,
                               "newly_failing": ["faq"], "newly_passing": ["escalate"]}
    assert summary(report) == ("nlu_phone.yml 90.0 -> 95.0 % (1 intents up, 1 down); stories: 1 newly failing, "
                               "1 newly passing; voice: 1 newly failing, 1 newly passing; 3 reviewed examples")


def test_no_live_model_yet() -> None:
    rows = nlu_diff([], [nlu(0.9, greet=(1.0, 3))])
    assert rows[0]["live"] is None and rows[0]["intents"][0]["change"] == 1.0
    assert story_diff(None, None) is None and voice_diff(None, None) is None
