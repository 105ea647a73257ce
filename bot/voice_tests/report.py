"""Readable report of voice scenario runs, and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from bot.bench.report import percentile
from bot.voice_tests.runner import ScenarioResult


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def scenario_text(result: ScenarioResult) -> str:
    """One scenario: status line, then every turn with what was heard, said and how fast."""
    scenario = result.scenario
    if result.skipped:
        return f"SKIP {scenario.id}: {scenario.name} ({result.skipped})"
    lines = [f"{result.status} {scenario.id}: {scenario.name}  [{result.duration_s:.1f} s, "
             f"{result.outcome or '?'}/{result.end_reason or '?'}]"]
    turns = scenario.turns
    for index, turn in enumerate(result.turns):
        caller = "(greeting)" if index == 0 else turns[index - 1].describe()
        if not turn.reached:
            lines.append(f"    {index:>2} {caller}: not reached")
            continue
        said = turn.said[:90] + ("..." if len(turn.said) > 90 else "")
        lines.append(f"    {index:>2} {caller}")
        detail = f"heard {turn.heard!r} -> {','.join(turn.intents) or '-'}" if index else ""
        lines.append(f"       {detail}{'; ' if detail else ''}bot: {said!r}")
        lines.append(f"       latency caller {_ms(turn.latency_ms)} ms, bot {_ms(turn.bot_latency_ms)} ms,"
                     f" reply {turn.reply_s:.1f} s" + (", interrupted" if turn.interrupted else "")
                     + (", bot hung up" if turn.bot_hung_up else ""))
        lines += [f"       ✗ {failure}" for failure in turn.failures]
    lines += [f"    ✗ call: {failure}" for failure in result.call_failures]
    if scenario.known_issue:
        lines.append(f"    known issue: {scenario.known_issue}"
                     + ("" if result.failures else " (it passed now: remove known_issue)"))
    if result.error:
        lines.append(f"    ✗ error: {result.error}")
    return "\n".join(lines)


def summary_text(results: list[ScenarioResult], wall_s: float) -> str:
    """Totals and the latency of every answered turn across all scenarios."""
    ran = [r for r in results if not r.skipped]
    passed = sum(r.passed and not r.scenario.known_issue for r in ran)
    latencies = [t.latency_ms for r in ran for t in r.turns[1:] if t.latency_ms is not None]
    lines = [f"{passed}/{len(ran)} scenarios passed"
             + (f", {len(results) - len(ran)} skipped" if len(ran) < len(results) else "")
             + f" in {wall_s:.0f} s"]
    if latencies:
        lines.append(f"turn latency (end of caller speech -> first bot audio): p50 {percentile(latencies, 50):.0f} ms,"
                     f" p95 {percentile(latencies, 95):.0f} ms, max {max(latencies):.0f} ms over {len(latencies)} turns")
    failed = [r.scenario.id for r in ran if not r.ok]
    if failed:
        lines.append("failed: " + ", ".join(failed))
    known = [r.scenario.id for r in ran if r.status == "XFAIL"]
    if known:
        lines.append("known issues (XFAIL): " + ", ".join(known))
    return "\n".join(lines)


def write_junit(results: list[ScenarioResult], path: Path, wall_s: float) -> None:
    """JUnit XML: one testcase per scenario, failures listed, the turn log as system-out."""
    suite = ET.Element("testsuite", name="voice-scenarios", tests=str(len(results)),
                       failures=str(sum(1 for r in results if not r.ok and not r.error)),
                       errors=str(sum(1 for r in results if r.error)),
                       skipped=str(sum(1 for r in results if r.skipped or r.status == "XFAIL")), time=f"{wall_s:.1f}")
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="voice." + result.scenario.id,
                             name=result.scenario.name, file=str(result.scenario.path),
                             time=f"{result.duration_s:.1f}")
        if result.skipped:
            ET.SubElement(case, "skipped", message=result.skipped)
        elif result.status == "XFAIL":
            ET.SubElement(case, "skipped", message="known issue: " + result.scenario.known_issue)
        elif result.error:
            ET.SubElement(case, "error", message=result.error).text = "\n".join(result.failures)
        elif result.failures:
            ET.SubElement(case, "failure", message=result.failures[0]).text = "\n".join(result.failures)
        ET.SubElement(case, "system-out").text = scenario_text(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
