"""The `voicebot` command line: help everywhere, no traceback for what is not built yet."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.cli import COMMANDS
from bot.cli.bench import BENCHMARKS
from tests.conftest import PROJECT_ROOT


def voicebot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_top_level_help_lists_every_subcommand() -> None:
    result = voicebot("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_subcommand_has_help(name: str) -> None:
    result = voicebot(name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: voicebot {name}" in result.stdout


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_has_help(name: str) -> None:
    result = voicebot("bench", name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: voicebot bench {name}" in result.stdout


def test_voice_tests_help_shows_their_options() -> None:
    result = voicebot("test", "voice", "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: voicebot test voice" in result.stdout
    for option in ("--url", "--token", "--junit", "--concurrency", "--tag", "--check"):
        assert option in result.stdout


def test_no_subcommand_prints_usage_and_exits_2() -> None:
    result = voicebot()
    assert result.returncode == 2
    assert "usage: voicebot" in result.stdout


def test_unknown_subcommand_is_a_usage_error_not_a_traceback() -> None:
    result = voicebot("fly")
    assert result.returncode == 2
    assert "invalid choice: 'fly'" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_names_the_line_of_a_broken_phrase_template(tmp_path, monkeypatch) -> None:
    import stt.language_model
    from bot.cli.validate import _phrase_problems

    assert _phrase_problems() == []  # the shipped file expands
    broken = tmp_path / "phrases.txt"
    broken.write_text("@card = card | debit card\nmy {card} is lost\nmy {colour} card\n")
    monkeypatch.setattr(stt.language_model, "PHONE_PHRASES", broken)
    [problem] = _phrase_problems()
    assert str(problem) == f"{broken}:3: error: unknown class {{colour}}"
