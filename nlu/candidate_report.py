"""What a candidate model changes, against the live one: per-intent accuracy on each NLU test
file, stories and voice scenarios newly failing or newly passing; and a one-line summary for
the promotion's audit entry."""

from __future__ import annotations

from typing import Any

from nlu.testing import NluReport, StoryReport

MIN_CHANGE = 0.005  # per-intent accuracy changes smaller than this are not listed


def nlu_diff(live: list[NluReport], candidate: list[NluReport]) -> list[dict[str, Any]]:
    """Per test file: overall accuracy of both, and the intents whose accuracy changed."""
    by_name = {r.name: r for r in live}
    out = []
    for new in candidate:
        old = by_name.get(new.name)
        intents = []
        for intent in sorted(set(new.per_intent) | set(old.per_intent if old else {})):
            before, support_before = old.per_intent.get(intent, (0.0, 0)) if old else (0.0, 0)
            after, support = new.per_intent.get(intent, (0.0, 0))
            if max(support, support_before) == 0 or abs(after - before) < MIN_CHANGE:
                continue
            intents.append({"intent": intent, "live": round(before, 4), "candidate": round(after, 4),
                            "change": round(after - before, 4), "examples": max(support, support_before)})
        intents.sort(key=lambda row: row["change"])
        out.append({"file": new.name, "examples": new.examples,
                    "live": round(old.accuracy, 4) if old else None,
                    "candidate": round(new.accuracy, 4), "intents": intents})
    return out


def pass_diff(live_failed: set[str], candidate_failed: set[str], names: set[str]) -> dict[str, Any]:
    """Which of `names` fail now that passed (newly failing), and the other way round."""
    return {"total": len(names), "live_failed": len(live_failed & names),
            "candidate_failed": len(candidate_failed & names),
            "newly_failing": sorted((candidate_failed - live_failed) & names),
            "newly_passing": sorted((live_failed - candidate_failed) & names)}


def story_diff(live: StoryReport | None, candidate: StoryReport | None) -> dict[str, Any] | None:
    if candidate is None:
        return None
    live_failed = set(live.failed) if live else set()
    diff = pass_diff(live_failed, set(candidate.failed), live_failed | set(candidate.failed))
    diff["total"] = candidate.total
    return diff


def voice_diff(live: dict[str, bool] | None, candidate: dict[str, bool] | None) -> dict[str, Any] | None:
    """From {scenario name: passed} of each model."""
    if candidate is None:
        return None
    live = live or {}
    names = set(candidate) | set(live)
    return pass_diff({n for n in names if not live.get(n, False)},
                     {n for n in names if not candidate.get(n, False)}, names)


def summary(report: dict[str, Any]) -> str:
    """One line: accuracy per NLU file, intents up and down, stories and scenarios changed."""
    parts = []
    for row in report.get("nlu") or []:
        live = "?" if row["live"] is None else f"{100 * row['live']:.1f}"
        up = sum(r["change"] > 0 for r in row["intents"])
        down = sum(r["change"] < 0 for r in row["intents"])
        parts.append(f"{row['file']} {live} -> {100 * row['candidate']:.1f} % ({up} intents up, {down} down)")
    for kind in ("stories", "voice"):
        diff = report.get(kind)
        if diff:
            parts.append(f"{kind}: {len(diff['newly_failing'])} newly failing, "
                         f"{len(diff['newly_passing'])} newly passing")
    if report.get("examples_added") is not None:
        parts.append(f"{report['examples_added']} reviewed examples")
    return "; ".join(parts) or "no tests run"
