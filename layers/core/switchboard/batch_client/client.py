"""The platform's Files and Batch APIs over HTTP, for the `switchboard batch` commands.

Every failure is an ApiError whose message is one line fit for a terminal: the API's own
error message (OpenAI's envelope), or what went wrong on the way (not reachable, timed out).
The httpx.Client is injected, so tests drive this with httpx.MockTransport.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, BinaryIO

import httpx

JSONL = "application/jsonl"
CHUNK_BYTES = 1 << 20


class ApiError(Exception):
    """A request that failed (or that cannot be made, as without a key). `status` is the HTTP
    status (None when there was no answer); `transient` says whether asking again later may
    succeed."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    @property
    def transient(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class PlatformClient:
    """One caller's view of the platform: `http` carries the base URL and the API key."""

    def __init__(self, http: httpx.Client, *, storage: httpx.Client | None = None) -> None:
        self.http = http
        # Presigned S3 requests carry their own signature: never the platform's API key.
        self.storage = storage or httpx.Client(timeout=http.timeout)

    @classmethod
    def connect(cls, base_url: str, api_key: str, *, timeout: float = 60.0) -> PlatformClient:
        http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=True,  # large file contents answer 302 to a presigned URL
        )
        return cls(http)

    def close(self) -> None:
        self.http.close()
        self.storage.close()

    # --- files -----------------------------------------------------------------------------

    def upload_file(self, path: Path) -> dict[str, Any]:
        with path.open("rb") as data:
            files = {"file": (path.name, data, JSONL)}
            return self._json("POST", "files", data={"purpose": "batch"}, files=files)

    def file(self, file_id: str) -> dict[str, Any]:
        return self._json("GET", f"files/{file_id}")

    def download(self, file_id: str, target: Path) -> int:
        """The file's content into `target` (written whole or not at all); its line count."""
        partial = target.with_name(target.name + ".part")
        lines = 0
        response = self._send("GET", f"files/{file_id}/content", stream=True)
        try:
            with partial.open("wb") as out:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    out.write(chunk)
                    lines += chunk.count(b"\n")
        except httpx.HTTPError as exc:
            partial.unlink(missing_ok=True)
            raise _transport_error(exc, str(response.url)) from exc
        finally:
            response.close()
        partial.replace(target)
        return lines

    # --- batches ---------------------------------------------------------------------------

    def create_batch(
        self, input_file_id: str, endpoint: str, metadata: dict[str, str] | None
    ) -> dict[str, Any]:
        body = {"input_file_id": input_file_id, "endpoint": endpoint, "completion_window": "24h"}
        return self._json(
            "POST", "batches", json=body | ({"metadata": metadata} if metadata else {})
        )

    def batch(self, batch_id: str) -> dict[str, Any]:
        return self._json("GET", f"batches/{batch_id}")

    def batches(self, *, limit: int, after: str | None) -> dict[str, Any]:
        params: dict[str, str | int] = {"limit": limit} | ({"after": after} if after else {})
        return self._json("GET", "batches", params=params)

    def cancel(self, batch_id: str) -> dict[str, Any]:
        return self._json("POST", f"batches/{batch_id}/cancel")

    # --- presigned uploads (files larger than the API takes in a request) ----------------

    def create_upload(
        self, endpoint: str, filename: str, metadata: dict[str, str] | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"endpoint": endpoint, "filename": filename}
        body |= {"completion_window": "24h"} | ({"metadata": metadata} if metadata else {})
        return self._json("POST", "batches/uploads", json=body)

    def upload(self, upload_id: str) -> dict[str, Any]:
        return self._json("GET", f"batches/uploads/{upload_id}")

    def post_to_storage(self, upload: dict[str, Any], path: Path) -> None:
        """The file to the bucket, as the presigned POST says: every field, then the file."""
        with path.open("rb") as data:
            response = self._storage_post(upload, path.name, data)
        if response.is_success:
            return
        found = re.search(r"<Message>(.*?)</Message>", response.text, flags=re.DOTALL)
        detail = " ".join(found.group(1).split()) if found else response.reason_phrase
        raise ApiError(
            f"The storage upload was refused ({response.status_code}): {detail}",
            status=response.status_code,
        )

    def _storage_post(self, upload: dict[str, Any], name: str, data: BinaryIO) -> httpx.Response:
        try:
            return self.storage.post(
                upload["url"], data=upload["fields"], files={"file": (name, data, JSONL)}
            )
        except httpx.HTTPError as exc:
            raise _transport_error(exc, upload["url"], "Storage") from exc

    # --- one request -----------------------------------------------------------------------

    def _json(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response = self._send(method, path, **options)
        try:
            body = response.json()
        except ValueError:
            raise ApiError(
                f"{method} {response.url} answered {response.status_code} without JSON.",
                status=response.status_code,
            ) from None
        if not isinstance(body, dict):
            raise ApiError(f"{method} {response.url} answered JSON that is not an object.")
        return body

    def _send(
        self, method: str, path: str, *, stream: bool = False, **options: Any
    ) -> httpx.Response:
        """The response to a request (its body unread if `stream`, for the caller to close);
        an ApiError unless it is 2xx."""
        request = self.http.build_request(method, path, **options)
        try:
            response = self.http.send(request, stream=stream)
            if not response.is_success and stream:
                response.read()
        except httpx.HTTPError as exc:
            raise _transport_error(exc, str(self.http.base_url).rstrip("/")) from exc
        if not response.is_success:
            response.close()
            raise _api_error(response)
        return response


def _api_error(response: httpx.Response) -> ApiError:
    """The API's error envelope as one line: its message, then status and code."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    status = response.status_code
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        request = response.request
        return ApiError(
            f"{request.method} {request.url} answered {status} {response.reason_phrase}.",
            status=status,
        )
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = " ".join(error["message"].split())
    return ApiError(f"{message} ({status}{f' {code}' if code else ''})", status=status, code=code)


def _transport_error(exc: httpx.HTTPError, url: str, what: str = "The platform") -> ApiError:
    if isinstance(exc, httpx.ConnectError):
        return ApiError(f"{what} is not reachable at {url} ({exc}).")
    if isinstance(exc, httpx.TimeoutException):
        return ApiError(f"No answer from {url} in time ({type(exc).__name__}).")
    return ApiError(f"The request to {url} failed: {exc or type(exc).__name__}.")
