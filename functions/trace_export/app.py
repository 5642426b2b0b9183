"""Trace export function (every 15 minutes): the traces that started since the last run,
up to 30 minutes ago (settled), written to the bucket as JSON Lines by day and app for
Athena (services/trace_export.py; the Glue table is in template.yaml)."""

from typing import Any

from aws_lambda_powertools import Logger

from switchboard.bootstrap import container

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    exported = container().trace_exporter.run()
    if exported:
        logger.info("traces exported", extra={"traces": exported})
    return {"exported": exported}
