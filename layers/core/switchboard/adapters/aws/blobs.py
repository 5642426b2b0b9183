"""S3Blobs: large bytes kept by key in the one bucket: uploaded files, batch inputs and
outputs, long answers, rendered videos. Bytes that clients fetch never pass through a
function: they get a short-lived presigned URL instead.

Large objects are written with a multipart upload (`MultipartWriter`: parts of at least
5 MiB, as S3 requires, the last one excepted) and read by byte ranges.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from switchboard.adapters.aws.failures import aws_code, unavailable
from switchboard.errors import NotFoundError

_MISSING = ("NoSuchKey", "404", "NotFound")
PART_BYTES = 8 * 1024 * 1024  # a multipart upload's parts (S3: at least 5 MiB but the last)


class S3Blobs:
    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put(self, key: str, data: bytes, *, content_type: str) -> None:
        with unavailable("The file store"):
            self._client.put_object(
                Bucket=self._bucket, Key=key, Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        return self.read(key, None)

    def read(self, key: str, byte_range: tuple[int, int] | None) -> bytes:
        """The object's bytes, or those from `start` to `end` inclusive; NotFoundError if
        there is no such object."""
        extra = {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"} if byte_range else {}
        with unavailable("The file store"):
            try:
                response = self._client.get_object(Bucket=self._bucket, Key=key, **extra)
            except ClientError as exc:
                if aws_code(exc) in _MISSING:
                    raise NotFoundError(f"No stored object '{key}'.") from None
                raise
        with response["Body"] as body:
            data: bytes = body.read()
        return data

    def size(self, key: str) -> int | None:
        """The object's size in bytes; None if there is no such object."""
        with unavailable("The file store"):
            try:
                head = self._client.head_object(Bucket=self._bucket, Key=key)
            except ClientError as exc:
                if aws_code(exc) in _MISSING:
                    return None
                raise
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        with unavailable("The file store"):
            self._client.delete_object(Bucket=self._bucket, Key=key)

    def download_url(
        self, key: str, *, expires_in: int, filename: str | None = None, content_type: str = ""
    ) -> str:
        """A presigned GET, valid `expires_in` seconds (Range requests answer 206)."""
        params: dict[str, Any] = {"Bucket": self._bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        if content_type:
            params["ResponseContentType"] = content_type
        with unavailable("The file store"):
            url: str = self._client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )
        return url

    def upload_url(self, key: str, *, expires_in: int, max_bytes: int) -> dict[str, Any]:
        """A presigned POST for exactly this key, at most `max_bytes`: {url, fields}."""
        with unavailable("The file store"):
            post: dict[str, Any] = self._client.generate_presigned_post(
                Bucket=self._bucket,
                Key=key,
                Conditions=[["content-length-range", 1, max_bytes]],
                ExpiresIn=expires_in,
            )
        return post

    def writer(self, key: str, *, content_type: str) -> MultipartWriter:
        return MultipartWriter(self._client, self._bucket, key, content_type)

    def lines(self, key: str, *, start: int = 0, chunk_bytes: int = PART_BYTES) -> Iterator[bytes]:
        """The object's lines from byte `start` on, read a range at a time (never the whole
        object at once); each ends with its newline, the last one perhaps without."""
        total = self.size(key)
        if total is None:
            raise NotFoundError(f"No stored object '{key}'.")
        carry = b""
        position = start
        while position < total:
            end = min(position + chunk_bytes, total) - 1
            data = carry + self.read(key, (position, end))
            position = end + 1
            *complete, carry = data.split(b"\n")
            yield from (line + b"\n" for line in complete)
        if carry:
            yield carry


class MultipartWriter:
    """Bytes written to one object in parts; `close()` completes it, `abort()` drops it."""

    def __init__(self, client: Any, bucket: str, key: str, content_type: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._content_type = content_type
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None

    def write(self, data: bytes) -> None:
        self._buffer.extend(data)
        while len(self._buffer) >= PART_BYTES:
            self._send(bytes(self._buffer[:PART_BYTES]))
            del self._buffer[:PART_BYTES]

    def close(self) -> None:
        """Complete the object (an empty or small one is one plain put)."""
        with unavailable("The file store"):
            if self._upload_id is None:
                self._client.put_object(
                    Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer),
                    ContentType=self._content_type,
                )  # fmt: skip
                return
            if self._buffer:
                self._send(bytes(self._buffer))
                self._buffer.clear()
            self._client.complete_multipart_upload(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )  # fmt: skip

    def abort(self) -> None:
        if self._upload_id is not None:
            with unavailable("The file store"):
                self._client.abort_multipart_upload(
                    Bucket=self._bucket, Key=self._key, UploadId=self._upload_id
                )

    def _send(self, part: bytes) -> None:
        with unavailable("The file store"):
            if self._upload_id is None:
                created = self._client.create_multipart_upload(
                    Bucket=self._bucket, Key=self._key, ContentType=self._content_type
                )
                self._upload_id = created["UploadId"]
            number = len(self._parts) + 1
            sent = self._client.upload_part(
                Bucket=self._bucket, Key=self._key, UploadId=self._upload_id,
                PartNumber=number, Body=part,
            )  # fmt: skip
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})
