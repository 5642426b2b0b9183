"""Sweeper function (every minute): releases credit holds that a crashed container left
behind, older than RESERVATION_TTL_SECONDS, back to their owners' balances (the rounds and
their time budget are services/billing.py's `Billing.sweep`), and marks running batches
past their completion window `expiring` (services/batches.py's `expire_due`), and fails
video jobs whose execution is not running (services/videos.py's `end_orphans`), and counts
trace bodies that never reached S3 as lost (services/tracing.py's `sweep_bodies`)."""

from typing import Any

import anyio
from aws_lambda_powertools import Logger

from switchboard.bootstrap import container

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    services = container()
    released = services.billing.sweep(context.get_remaining_time_in_millis)
    if released:
        logger.info("released expired reservations", extra={"released": released})
    expired = services.batches.expire_due()
    if expired:
        logger.info("batches past their completion window", extra={"expiring": expired})
    orphaned = anyio.run(services.videos.end_orphans)
    if orphaned:
        logger.info("video jobs whose execution had stopped", extra={"failed": orphaned})
    lost = services.tracing.sweep_bodies()
    if lost:
        logger.warning("trace bodies lost on their way to S3", extra={"lost": lost})
    return {"released": released, "expiring": expired, "orphaned_videos": orphaned,
            "lost_trace_bodies": lost}  # fmt: skip
