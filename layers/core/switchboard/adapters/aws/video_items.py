"""A video job as its DynamoDB item, and back (adapters/aws/videos.py writes and reads it).

JOB#<job_id> / JOB    GSI1: USER#<user_id> / JOB#<created, 12 digits>#<job_id>
                      GSI2 while it runs: VIDEOS#RUNNING / <created, 12 digits>
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from switchboard.adapters.aws import ledger_items, table
from switchboard.domain.billing import Reservation
from switchboard.domain.videos import JobStatus, VideoJob, VideoSpec


def index_key(job: VideoJob) -> str:
    return f"JOB#{_epoch(job.created_at):012d}#{job.job_id}"


def to_item(job: VideoJob, expires_at: int) -> dict[str, Any]:
    spec = job.spec
    return {
        **table.plain_key(table.job(job.job_id)),
        "GSI1PK": table.user_pk(job.user_id),
        "GSI1SK": index_key(job),
        "GSI2PK": table.VIDEOS_RUNNING,
        "GSI2SK": table.epoch_key(_epoch(job.created_at)),
        "type": "job",
        "kind": "video",
        "job_id": job.job_id,
        "user_id": job.user_id,
        "payer_id": job.payer_id,
        "app_id": job.app_id,
        "model": job.model,
        "spec": _spec(spec),
        "status": job.status.value,
        "progress": job.progress,
        "hold": _hold(job.hold) if job.hold else None,
        "created_at": job.created_at.isoformat(),
        "expires_at": expires_at,
        "capture": job.capture,
    }


def from_item(values: dict[str, Any]) -> VideoJob:
    spec = values["spec"]
    hold = values.get("hold")
    return VideoJob(
        job_id=values["job_id"],
        user_id=values["user_id"],
        payer_id=values["payer_id"],
        app_id=values.get("app_id"),
        model=values["model"],
        spec=VideoSpec(
            spec["prompt"],
            int(spec["duration"]),
            spec["resolution"],
            spec["aspect_ratio"],
            int(spec["width"]),
            int(spec["height"]),
            int(spec.get("variants", 1)),
            bool(spec.get("generate_audio")),
            spec.get("seed"),
            tuple(spec.get("input_images") or ()),
        ),
        created_at=datetime.fromisoformat(values["created_at"]),
        status=JobStatus(values["status"]),
        hold=_reservation(hold) if hold else None,
        progress=int(values.get("progress", 0)),
        provider_job_id=values.get("provider_job_id"),
        polled_at=values.get("polled_at"),
        completed_at=_moment(values.get("completed_at")),
        settled_at=_moment(values.get("settled_at")),
        charged_micro_usd=values.get("charged_micro_usd"),
        produced_seconds=_seconds(values.get("produced_seconds")),
        outputs=tuple(values.get("outputs") or ()),
        thumbnails=tuple(values.get("thumbnails") or ()),
        error=values.get("error"),
        content_expires_at=values.get("content_expires_at"),
        lost_micro_usd=values.get("lost_micro_usd"),
        deleted=bool(values.get("deleted")),
        capture=values.get("capture") is not False,
    )


def _spec(spec: VideoSpec) -> dict[str, Any]:
    return {
        "prompt": spec.prompt,
        "duration": spec.duration,
        "resolution": spec.resolution,
        "aspect_ratio": spec.aspect_ratio,
        "width": spec.width,
        "height": spec.height,
        "variants": spec.variants,
        "generate_audio": spec.generate_audio,
        "seed": spec.seed,
        "input_images": list(spec.input_images),
    }


def _reservation(hold: dict[str, Any]) -> Reservation:
    attribute = table.hold_attribute(hold["reservation_id"])
    return ledger_items.reservation_from(hold["payer"], attribute, hold)


def _hold(hold: Reservation) -> dict[str, Any]:
    """The hold taken at submit, as a step needs it to settle or release."""
    return {"payer": hold.payer_id, "reservation_id": hold.reservation_id} | (
        ledger_items.hold_record(hold)
    )


def _moment(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


def _seconds(raw: Any) -> float | None:
    """Seconds kept as text (items hold integers and text, not floats)."""
    return None if raw is None else float(raw)


def _epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())
