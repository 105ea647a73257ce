"""Where Rasa runs in the bot's process: the agent loaded with in-process custom actions, and
one thread whose event loop owns every Rasa object, so the bot's event loop never waits on
Rasa. Importing this module does not import Rasa."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from pathlib import Path
from typing import Any

from nlu.trackers import rasa_stores


class RasaThread:
    """One thread running an event loop that owns every Rasa object."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="rasa-engine", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coro: Any) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


def load_agent(model_path: Path, redis_url: str = "") -> Any:
    """A trained model as a Rasa Agent whose custom actions run in this process (blocking:
    call it off the event loop); with `redis_url`, trackers and locks live in that Redis."""
    from nlu.training import rasa_environment

    rasa_environment(Path(model_path).parent)
    from rasa.core.agent import Agent

    from nlu.inprocess import InProcessActionEndpoint, validate_action_results_fast

    validate_action_results_fast()
    return Agent.load(str(model_path), action_endpoint=InProcessActionEndpoint(), **rasa_stores(redis_url))
