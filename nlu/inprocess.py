"""Custom actions in the bot's own process.

Rasa 3.6 open source runs custom actions only through an HTTP action server (the
`actions_module` endpoint option came with later Rasa Pro versions). This endpoint keeps
Rasa's RemoteAction code path but answers its request with rasa_sdk's ActionExecutor in
the same process: no server, no socket, the same JSON in and out.
"""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection
from rasa_sdk.interfaces import ActionNotFoundException

DEFAULT_PACKAGE = "nlu.actions"


@functools.lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)
    validator.check_schema(schema)  # once, not on every action
    return validator(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's check of an action's answer, with the schema validator built once."""
    error = best_match(_response_validator().iter_errors(result))
    if error is not None:
        raise ValidationError(f"{error.message}. Failed to validate the response of the in-process actions")
    return True


def validate_action_results_fast() -> None:
    """Make Rasa validate custom actions' answers with one prebuilt validator.

    `RemoteAction._validate_action_result` calls `jsonschema.validate`, which checks Rasa's
    large events schema against the metaschema and builds a new validator on every action:
    about 50 ms of pure Python per action, several per caller turn. It runs on the Rasa
    thread holding the GIL, so the event loop that paces every call's audio stalls behind
    it (late frames under load). The answer is still validated, against the same schema.
    """
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


class InProcessActionEndpoint(EndpointConfig):
    """An action endpoint that runs the actions of a Python package directly."""

    def __init__(self, package: str = DEFAULT_PACKAGE) -> None:
        super().__init__(url=f"inprocess://{package}")
        self.package = package
        self.executor = ActionExecutor()
        self.executor.register_package(package)

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        try:
            return await self.executor.run(kwargs["json"])
        except SdkRejection as exc:
            raise ActionExecutionRejection(exc.action_name, exc.message) from None
        except ActionNotFoundException as exc:
            raise RasaException(f"no custom action {exc.action_name} in {self.package}") from exc

    def copy(self) -> InProcessActionEndpoint:
        return self
