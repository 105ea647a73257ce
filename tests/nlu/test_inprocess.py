"""Rasa's check of custom actions' answers, made cheap, still rejects a malformed answer."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from nlu.inprocess import _response_validator, validate_action_results_fast


@pytest.fixture
def remote_action() -> RemoteAction:
    original = RemoteAction._validate_action_result
    validate_action_results_fast()
    yield RemoteAction("action_check_balance", None)
    RemoteAction._validate_action_result = original  # type: ignore[method-assign]


def test_a_well_formed_answer_passes(remote_action: RemoteAction) -> None:
    answer = {"events": [{"event": "slot", "name": "account", "value": "1234"}],
              "responses": [{"text": "Your balance is ten pounds."}]}
    assert remote_action._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", [
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": "x"}, {"no_event_key": 1}]},
    {"events": [], "responses": ["not an object"]},
])
def test_a_malformed_answer_is_refused_as_rasa_would(remote_action: RemoteAction, answer: dict) -> None:
    with pytest.raises(ValidationError):
        remote_action._validate_action_result(answer)


def test_the_validator_is_built_once(remote_action: RemoteAction) -> None:
    remote_action._validate_action_result({"events": []})
    remote_action._validate_action_result({"events": []})
    assert _response_validator.cache_info().currsize == 1
    assert _response_validator() is _response_validator()
