"""Sweeper function (every minute): releases credit holds that a crashed container left
behind, older than RESERVATION_TTL_SECONDS, back to their owners' balances (the rounds and
their time budget are services/billing.py's `Billing.sweep`), and marks running batches
past their completion window `expiring` (services/batches.py's `expire_due`)."""

from typing import Any

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
    return {"released": released, "expiring": expired}
