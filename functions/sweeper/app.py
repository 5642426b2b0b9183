"""Sweeper function (every minute): releases credit reservations that a crashed container
left behind, older than RESERVATION_TTL_SECONDS, back to their owners' balances."""

from typing import Any

from aws_lambda_powertools import Logger

from switchboard.bootstrap import container

logger = Logger()
MAX_ROUNDS = 20  # each round releases up to 100 holds per shard
SAFETY_MS = 10_000


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    billing = container().billing
    released = 0
    for _ in range(MAX_ROUNDS):
        count = billing.sweep()
        released += count
        if count == 0 or context.get_remaining_time_in_millis() < SAFETY_MS:
            break
    if released:
        logger.info("released expired reservations", extra={"released": released})
    return {"released": released}
