"""The Rasa project (designer-owned YAML), training, evaluation and the engine adapter."""

import os

# Importing Rasa imports aiogram (and Sanic), which swap the process's asyncio event-loop
# policy for uvloop's in the middle of a run; asyncio subprocesses (the speech workers)
# then fail to spawn. Keep the standard loop everywhere, as the tests run it.
os.environ.setdefault("DISABLE_UVLOOP", "1")
os.environ.setdefault("SANIC_NO_UVLOOP", "true")
