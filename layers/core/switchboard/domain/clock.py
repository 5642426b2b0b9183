"""Time as the domain reads it: aware UTC datetimes, and epoch seconds where items store
them. Services take a clock (`now`) they can be given, defaulting to `utcnow`."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())
