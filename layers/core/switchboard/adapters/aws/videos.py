"""DynamoVideoJobs: video jobs, one item each (video_items.py), every move conditional.

A job is written once, if absent, before any provider call. It leaves pending or
in_progress by a write made in the same transaction as its hold's settlement or release
(`completed`, `ended`: Updates for Ledger.settle/release `also`), under the condition that
it is still running, so a job ends once and is paid for once. A poll records when it was
made (`seen`), which is how an abandoned job is told from a watched one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from switchboard.adapters.aws import table, video_items
from switchboard.adapters.aws.dynamo import (
    ConditionFailed,
    Update,
    conditional_update,
    from_item,
    keys_due,
    to_item,
    translated_errors,
)
from switchboard.domain.videos import RUNNING, JobStatus, VideoJob

STATUS = "status"


class DynamoVideoJobs:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, job: VideoJob, expires_at: int) -> None:
        with translated_errors("The video job exists already."):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(video_items.to_item(job, expires_at)),
                ConditionExpression="attribute_not_exists(PK)",
            )

    def get(self, job_id: str) -> VideoJob | None:
        with translated_errors():
            item = self._client.get_item(
                TableName=self._table, Key=table.job(job_id), ConsistentRead=True
            ).get("Item")
        return video_items.from_item(from_item(item)) if item else None

    def seen(self, job_id: str, now: int) -> VideoJob | None:
        """The job, recording a poll at `now` if it is still running (one write either way:
        a finished job's condition fails and returns it as it is)."""
        update = Update(table.job(job_id)).set("polled_at", now)
        _while(update, RUNNING)
        try:
            values = conditional_update(self._client, self._table, update, returns="ALL_NEW")
        except ConditionFailed as failed:
            values = failed.old
        return video_items.from_item(values) if values else None

    def list_for_user(self, user_id: str, *, after: VideoJob | None, limit: int) -> list[VideoJob]:
        """Up to `limit` of a user's jobs, newest first, older than `after`."""
        values: dict[str, Any] = {":pk": {"S": table.user_pk(user_id)}, ":prefix": {"S": "JOB#"}}
        sort = "begins_with(GSI1SK, :prefix)"
        if after is not None:  # BETWEEN is inclusive: `after` itself is dropped below
            sort = "GSI1SK BETWEEN :prefix AND :edge"
            values[":edge"] = {"S": video_items.index_key(after)}
        with translated_errors():
            page = self._client.query(
                TableName=self._table, IndexName=table.OWNER_INDEX,
                KeyConditionExpression=f"GSI1PK = :pk AND {sort}",
                FilterExpression="attribute_not_exists(deleted)",
                ExpressionAttributeValues=values, ScanIndexForward=False, Limit=limit + 1,
            )  # fmt: skip
        found = [video_items.from_item(from_item(item)) for item in page.get("Items", [])]
        return [j for j in found if after is None or j.job_id != after.job_id][:limit]

    def item_key(self, job_id: str) -> dict[str, Any]:
        """The job item's key as DynamoDB's API takes it (the state machine writes it)."""
        return dict(table.job(job_id))

    def started(self, job_id: str, provider_job_id: str) -> bool:
        """Record the provider's job (once) and move to in_progress; False if the job had
        one already or is no longer running."""
        update = Update(table.job(job_id)).set(STATUS, JobStatus.IN_PROGRESS.value)
        update.set("provider_job_id", provider_job_id)
        update.condition("attribute_not_exists({0})", "provider_job_id")
        return self._try(_while(update, RUNNING))

    def progressed(self, job_id: str, progress: int) -> bool:
        update = Update(table.job(job_id)).set("progress", progress)
        return self._try(_while(update, {JobStatus.IN_PROGRESS}))

    def completed(
        self,
        job_id: str,
        *,
        outputs: list[str],
        thumbnails: list[str | None],
        produced_seconds: float,
        charged_micro_usd: int,
        content_expires_at: int,
        now: datetime,
    ) -> Update:
        """The write that completes a running job: for its settlement's transaction."""
        update = self._ended(job_id, JobStatus.COMPLETED, now)
        update.set("outputs", outputs).set("thumbnails", thumbnails).set("progress", 100)
        update.set("produced_seconds", repr(produced_seconds))
        update.set("charged_micro_usd", charged_micro_usd).set("settled_at", now.isoformat())
        return update.set("content_expires_at", content_expires_at)

    def ended(
        self,
        job_id: str,
        status: JobStatus,
        now: datetime,
        *,
        error: dict[str, Any] | None = None,
        lost_micro_usd: int | None = None,
    ) -> Update:
        """The write that ends a running job unpaid (failed, cancelled, expired): for its
        hold's release's transaction, or `end` when it holds nothing."""
        update = self._ended(job_id, status, now).set("error", error)
        return update.set("lost_micro_usd", lost_micro_usd) if lost_micro_usd else update

    def end(self, job_id: str, status: JobStatus, now: datetime, **details: Any) -> bool:
        """`ended` on its own; False if the job was not running."""
        return self._try(self.ended(job_id, status, now, **details))

    def deleted(self, job_id: str) -> bool:
        """Mark a finished job deleted (its files are gone); False if it is running."""
        update = Update(table.job(job_id)).set("deleted", True)
        terminal = {f"s{i}": s.value for i, s in enumerate(sorted(set(JobStatus) - RUNNING))}
        listed = ", ".join("{" + label + "}" for label in terminal)
        return self._try(update.condition(f"{{0}} IN ({listed})", STATUS, **terminal))

    def running_since(self, before: int, limit: int = 100) -> list[str]:
        """Up to `limit` running jobs made before `before` (epoch seconds), oldest first."""
        items = keys_due(self._client, self._table, table.HOLDS_INDEX, table.VIDEOS_RUNNING,
                         table.epoch_key(before), limit=limit)  # fmt: skip
        return [str(from_item(item)["PK"]).removeprefix("JOB#") for item in items]

    def _ended(self, job_id: str, status: JobStatus, now: datetime) -> Update:
        """The job leaves RUNNING (and the sweeper's index of running jobs)."""
        update = Update(table.job(job_id)).set(STATUS, status.value)
        update.remove("GSI2PK").remove("GSI2SK")
        return _while(update.set("completed_at", now.isoformat()), RUNNING)

    def _try(self, update: Update) -> bool:
        try:
            conditional_update(self._client, self._table, update)
        except ConditionFailed:
            return False
        return True


def _while(update: Update, statuses: Iterable[JobStatus]) -> Update:
    """Only while the job is in one of `statuses` (and exists)."""
    allowed = {f"s{i}": s.value for i, s in enumerate(sorted(statuses))}
    listed = ", ".join("{" + label + "}" for label in allowed)
    return update.condition(f"{{0}} IN ({listed})", STATUS, **allowed)
