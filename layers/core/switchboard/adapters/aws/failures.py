"""AWS failures never leave an adapter: a service that fails or cannot be reached is a 503
(clients may retry), with AWS's own words kept as the cause, for the logs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from switchboard.errors import ServiceUnavailableError


@contextmanager
def unavailable(what: str) -> Iterator[None]:
    """`with unavailable("The job queue"):` around boto3 calls."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise ServiceUnavailableError(f"{what} is unavailable; try again.") from exc


def aws_code(exc: ClientError) -> str:
    """The error code AWS answered with (`NoSuchKey`, `ExecutionAlreadyExists` ...)."""
    return str(exc.response.get("Error", {}).get("Code", ""))
