"""JSON logs, one object a line, each carrying the request id and trace id in force."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from typing import Any

import orjson

from kit.context import request_id_var, trace_var

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def __init__(self, app: str) -> None:
        super().__init__()
        self.app = app

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "app": self.app,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        trace = trace_var.get()
        if trace:
            entry["trace_id"] = trace.trace_id
            entry["span_id"] = trace.span_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(app: str, *, level: str = "INFO", json: bool = True) -> None:
    """Send every logger's records to stderr, as JSON unless ``json`` is false.

    When several apps share one process, the first call wins: the embedding process
    configures logging once and each line names its app through its own fields.
    """
    root = logging.getLogger()
    if any(getattr(handler, "_fnet", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._fnet = True  # type: ignore[attr-defined]
    if json:
        handler.setFormatter(JsonFormatter(app))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own access log would duplicate ours and lacks the request id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
