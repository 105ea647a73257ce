"""`voicebot bench tts --cache-share`: how much of what callers hear comes from the cache.

Places the voice scenarios as real calls (as `voicebot test voice` does, one server per
settings group, the configured voice) and reads each server's
`voicebot_speech_audio_seconds{source}` before it stops: spoken audio served from the caches
(the fixed lines `voicebot train` pre-rendered, the runtime cache) against audio synthesised
live on the call.
"""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path
from typing import Any

_SAMPLE = re.compile(r'^voicebot_speech_audio_seconds\{source="(\w+)"\}\s+([0-9.eE+-]+)$', re.M)


def spoken_seconds(base_url: str) -> dict[str, float]:
    """{"cache": s, "live": s} from a running server's /metrics."""
    with urllib.request.urlopen(base_url + "/metrics", timeout=5) as response:
        text = response.read().decode("utf-8")
    return {source: float(value) for source, value in _SAMPLE.findall(text)}


def run_cache_share(settings: Any, paths: list[Path], concurrency: int = 4) -> tuple[list[list[Any]], dict[str, Any]]:
    """Rows (per server group and in total) and the JSON extra."""
    from bot.voice_tests.cli import DEFAULT_DIR
    from bot.voice_tests.report import scenario_text
    from bot.voice_tests.runner import RUNNER_ENV, run_with_servers
    from bot.voice_tests.scenario import load_all

    scenarios = load_all(paths or [settings.path(Path(DEFAULT_DIR))])
    groups: list[tuple[str, dict[str, float]]] = []

    def read(server: Any) -> None:
        # The group's own settings: what neither this process nor every runner server has.
        own = {k: v for k, v in server.env.items() if k.startswith("VOICEBOT_") and k not in RUNNER_ENV
               and os.environ.get(k) != v and k not in ("VOICEBOT_PATHS__DATA_DIR",
                                                         "VOICEBOT_CALLS__AUDIOSOCKET_PORT")}
        name = " ".join(f"{k.removeprefix('VOICEBOT_').lower()}={v}" for k, v in sorted(own.items()))
        groups.append((name or "(defaults)", spoken_seconds(server.base_url)))

    results = run_with_servers(scenarios, concurrency, before_stop=read,
                               on_done=lambda r: print(scenario_text(r).splitlines()[0], flush=True))
    rows = []
    total = {"cache": 0.0, "live": 0.0}
    for name, seconds in groups:
        cache, live = seconds.get("cache", 0.0), seconds.get("live", 0.0)
        total["cache"] += cache
        total["live"] += live
        share = cache / (cache + live) if cache + live else 1.0
        rows.append([name[:60], round(cache, 1), round(live, 1), f"{share:.1%}"])
    spoken = total["cache"] + total["live"]
    share = total["cache"] / spoken if spoken else 1.0
    rows.append(["all scenarios", round(total["cache"], 1), round(total["live"], 1), f"{share:.1%}"])
    passed = sum(r.passed for r in results)
    return rows, {"cache_share": share, "spoken_s": total, "scenarios": len(results),
                  "scenarios_passed": passed, "failed": [r.scenario.name for r in results if not r.ok],
                  "acceptance": {"cache_share_min": 0.9}}


COLUMNS = ["server group", "from cache s", "live s", "cache share"]
