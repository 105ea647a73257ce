"""Configuration: defaults load, overrides apply, bad input stops with one precise line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.config import DEFAULTS_FILE, ConfigError, Settings, load_settings
from tests.conftest import PROJECT_ROOT


def test_defaults_are_the_typed_settings() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8080
    assert settings.stt.end_silence_ms == 500


def test_voicebot_yml_documents_every_setting_with_its_default() -> None:
    """bot/voicebot.yml is the annotated copy of the defaults: every key it names exists with
    the same value, and every setting is named there."""
    documented = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    assert set(documented) == set(Settings.__fields__)
    defaults = Settings()
    for section, model in Settings.__fields__.items():
        keys = documented[section] or {}
        assert set(keys) == set(model.type_.__fields__), section
        parsed = model.type_.parse_obj(keys)  # the yml's text read as the setting's type
        for key in keys:
            assert getattr(parsed, key) == getattr(getattr(defaults, section), key), f"{section}.{key}"


def test_environment_overrides_one_key_with_its_type() -> None:
    settings = load_settings(environ={"VOICEBOT_SERVER__PORT": "9001",
                                      "VOICEBOT_LOGGING__JSON_LINES": "true"})
    assert settings.server.port == 9001
    assert settings.logging.json_lines is True
    assert settings.server.host == "127.0.0.1"  # untouched keys keep their defaults


def test_user_file_overrides_defaults_and_env_overrides_the_file(tmp_path: Path) -> None:
    user = tmp_path / "mine.yml"
    user.write_text("server:\n  port: 7000\n  host: 0.0.0.0\n")
    settings = load_settings(user, environ={"VOICEBOT_SERVER__PORT": "7001"})
    assert settings.server.host == "0.0.0.0"
    assert settings.server.port == 7001


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"VOICEBOT_SERVER__PORT": "eighty"}, "config key 'server.port' has bad value 'eighty'"),
        ({"VOICEBOT_SERVER__PORT": "70000"}, "less than or equal to 65535"),
        ({"VOICEBOT_STT__VAD_AGGRESSIVENESS": "7"}, "'stt.vad_aggressiveness' has bad value 7"),
        ({"VOICEBOT_SERVER__PROT": "1"}, "unknown config key 'server.prot'; allowed keys: header_timeout_s, host, login_rate_per_min, max_body_kb, max_field_size, max_line_size, metrics_allow, port"),
        ({"VOICEBOT_NOPE__X": "1"}, "unknown config key 'nope'"),
        ({"VOICEBOT_PORT": "1"}, "expected VOICEBOT_SECTION__KEY"),
        ({"VOICEBOT_LOGGING__LEVEL": "LOUD"}, "permitted: 'DEBUG', 'INFO', 'WARNING', 'ERROR'"),
        ({"VOICEBOT_STT__DOMAIN_LM_PATH": ""}, "'stt.domain_lm_path' has bad value '': an empty path"),
        ({"VOICEBOT_STT__MLLR_PATH": " "}, "'stt.mllr_path' has bad value ' ': an empty path"),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(environ, expected) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ=environ)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_broken_yaml_file_names_the_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("server:\n  port: 8080\n  host: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken\.yml line \d+: not valid YAML"):
        load_settings(broken, environ={})


def test_cli_exits_2_with_one_line_on_a_bad_value() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={"VOICEBOT_SERVER__PORT": "-1", "PATH": "/usr/bin:/bin"}, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("voicebot: config key 'server.port' has bad value -1")
    assert "Traceback" not in result.stderr


def test_text_settings_from_the_environment_stay_text() -> None:
    settings = load_settings(environ={"VOICEBOT_ESCALATION__TRANSFER_TARGET": "+15550009999",
                                      "VOICEBOT_CALLS__STREAM_SECRET": "0123"})
    assert settings.escalation.transfer_target == "+15550009999"
    assert settings.calls.stream_secret == "0123"
