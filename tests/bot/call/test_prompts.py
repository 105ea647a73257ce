"""The call's fixed lines: each in prompts.ALL (so pre-rendered), one wording of the apology."""

from __future__ import annotations

from pathlib import Path

from bot.call import prompts

ROOT = Path(__file__).resolve().parents[3]


def test_every_fixed_line_is_pre_rendered() -> None:
    lines = {name: value for name, value in vars(prompts).items()
             if name.isupper() and isinstance(value, str)}
    assert set(lines.values()) == set(prompts.ALL), set(lines.values()) ^ set(prompts.ALL)
    assert len(prompts.ALL) == len(set(prompts.ALL))


def test_the_apology_is_written_once() -> None:
    sources = [p for folder in ("bot", "nlu", "escalation") for p in (ROOT / folder).rglob("*.py")]
    written = [p.relative_to(ROOT) for p in sources if "went wrong" in p.read_text(encoding="utf-8")]
    assert written == [Path("bot/call/prompts.py")]
