"""Custom actions in the bot's own process.

Rasa 3.6 open source runs custom actions only through an HTTP action server (the
`actions_module` endpoint option came with later Rasa Pro versions). This endpoint keeps
Rasa's RemoteAction code path but answers its request with rasa_sdk's ActionExecutor in
the same process: no server, no socket, the same JSON in and out.
"""

from __future__ import annotations

from typing import Any

from rasa.core.actions.action import ActionExecutionRejection
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection
from rasa_sdk.interfaces import ActionNotFoundException

DEFAULT_PACKAGE = "nlu.actions"


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
