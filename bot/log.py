"""Logging set-up: readable lines by default, JSON lines on request, call_id on every line
(and the trace id, when the call is traced: bot/telemetry.py)."""

from __future__ import annotations

import contextvars
import logging
import sys

from pythonjsonlogger import jsonlogger

from escalation.redact import redact

call_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("call_id", default="-")
trace_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id", default="")  # when traced


class CallIdFilter(logging.Filter):
    """Stamp every record with its call_id, and mask card numbers and the like in its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "call_id"):
            record.call_id = call_id_var.get()
        if not hasattr(record, "trace_id"):
            record.trace_id = trace_id_var.get()
        record.trace = f" trace={record.trace_id}" if record.trace_id else ""
        try:
            record.msg = redact(record.getMessage())
            record.args = ()
        except Exception:  # a malformed log call must not break the caller; logging reports it
            pass
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [call=%(call_id)s%(trace)s] %(message)s"
JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(call_id)s %(trace_id)s %(message)s"


def setup_logging(level: str = "INFO", json_lines: bool = False) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(
            jsonlogger.JsonFormatter(JSON_FORMAT, rename_fields={"asctime": "time", "levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(CallIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Rasa and TensorFlow are chatty at INFO; their warnings still come through.
    for noisy in ("rasa", "tensorflow", "absl", "aiohttp.access", "matplotlib", "numexpr"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
