"""A queue consumer for the runtime tests, written as production workers are: Powertools'
BatchProcessor with partial batch responses. A body of "fail" fails; the rest are recorded."""

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

processor = BatchProcessor(event_type=EventType.SQS)
processed: list[str] = []
ticks: list[dict[str, Any]] = []


def record_handler(record: SQSRecord) -> None:
    if record.body == "fail":
        raise ValueError("this message always fails")
    processed.append(record.body)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" not in event:
        ticks.append(event)
        return {}
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
