"""The lines the service's Powertools logger writes, captured as dicts while a block runs.

    with captured_logs() as lines:
        ...
    [line] = access_lines(lines)

The handler formats with the logger's own formatter, so a line holds exactly what would be
printed, context keys (request_id, function_name) included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from switchboard.api.access_log import SERVICE, service_logger


class _Capture(logging.Handler):
    def __init__(self, lines: list[dict[str, Any]]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@contextmanager
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    lines: list[dict[str, Any]] = []
    handler = _Capture(lines)
    handler.setFormatter(service_logger().registered_formatter)
    target = logging.getLogger(SERVICE)
    target.addHandler(handler)
    try:
        yield lines
    finally:
        target.removeHandler(handler)


def access_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The access log's lines among `lines`."""
    return [line for line in lines if "latency_ms" in line]
