"""Log records as text (the default) or one JSON object per line, each with the request id it was
emitted under (set by portal.observe.layer for the request being handled, None outside one)."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import datetime, timezone

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
FORMATS = ("text", "json")


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute (None outside a request); drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id, and the
    traceback as `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            out["request_id"] = request_id
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def install(fmt: str, text_format: str) -> None:
    """Give the root logger's handlers the request-id filter and the chosen formatter."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(text_format))
