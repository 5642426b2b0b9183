"""A queue consumer for the runtime tests, written as production workers are
(switchboard/workers.py): one JSON message at a time, partial batch responses. A message
{"fail": true} fails; the rest are recorded."""

from typing import Any

from switchboard.workers import queue_handler

processed: list[dict[str, Any]] = []
ticks: list[dict[str, Any]] = []


def work(body: dict[str, Any]) -> None:
    if body.get("fail"):
        raise ValueError("this message always fails")
    processed.append(body)


consume = queue_handler(work)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" not in event:
        ticks.append(event)
        return {}
    return consume(event, context)
