"""JSON logs on stdout, each line carrying the request id of the request it belongs to."""

from __future__ import annotations

import logging
import sys

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.json import JsonFormatter


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(CorrelationIdFilter(uuid_length=32, default_value="-"))
    handler.setFormatter(JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(correlation_id)s",
        rename_fields={"levelname": "level", "name": "logger", "correlation_id": "request_id"},
        timestamp="time",
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our AccessLog replaces uvicorn's, which logs raw paths (they can hold UHIDs); client
    # libraries log URLs at INFO.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    for chatty in ("httpx", "httpcore", "web3", "urllib3"):
        logging.getLogger(chatty).setLevel(max(root.level, logging.WARNING))
