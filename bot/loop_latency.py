"""Keep the event loop on time: it paces every call's audio, 20 ms at a time.

Two CPython defaults stall it for far longer than one frame once the bot is loaded:
- A full garbage collection walks every object of the process, and the Rasa and speech
  models make that millions: 100-550 ms with the whole process stopped. The objects that
  exist once start-up is done live as long as the server, so they are frozen out of the
  collector (`gc.freeze`, the remedy the CPython docs give for this).
- The GIL is handed over only every 5 ms (`sys.getswitchinterval`). While the dialogue
  thread computes, the loop gets the GIL back at that pace after every socket read or
  write it releases it for, and falls behind (the "convoy effect"); a shorter interval
  lets it catch up between frames.
"""

from __future__ import annotations

import gc
import logging
import sys

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001


def tune_for_realtime_audio(switch_interval_s: float = SWITCH_INTERVAL_S) -> None:
    """Shorten the GIL switch interval (at start, before threads are busy)."""
    sys.setswitchinterval(switch_interval_s)


def freeze_startup_heap() -> None:
    """Collect once, then exclude every object alive now from later collections."""
    gc.collect()
    gc.freeze()
    log.info("start-up heap frozen out of the garbage collector: %d objects", gc.get_freeze_count())
