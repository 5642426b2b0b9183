"""OTLP/HTTP bodies (`POST /v1/traces`) as the OpenTelemetry exporters send them: protobuf
(`application/x-protobuf`) or JSON (`application/json`), either gzip-compressed
(`Content-Encoding: gzip`), decoded to OTLP's JSON mapping for domain/otlp.py, and the
ExportTraceServiceResponse encoded back in the request's encoding.

The protobuf classes (opentelemetry-proto, with protobuf: about 60 ms to import) are
imported inside the functions that need them, when a protobuf body arrives: no other route,
and no JSON request, pays for them.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from switchboard.domain.validation import check_json, too_deep
from switchboard.errors import InvalidRequestError, PayloadTooLargeError

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MAX_BODY_BYTES = 4_000_000  # as sent (compressed or not)
MAX_DECODED_BYTES = 16_000_000  # after gzip: a small body may not inflate without bound
ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def media_type(content_type: str | None) -> str:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind not in (PROTOBUF, JSON):
        raise InvalidRequestError(
            f"Content-Type must be {PROTOBUF} or {JSON} (OTLP/HTTP), not {kind or 'none'!r}.",
            param="Content-Type",
            code="unsupported_media_type",
        )
    return kind


def inflate(body: bytes, encoding: str | None) -> bytes:
    """The body without its Content-Encoding (gzip, or none), at most MAX_DECODED_BYTES."""
    encoding = (encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    if encoding != "gzip":
        raise InvalidRequestError(
            f"Content-Encoding must be gzip or none, not {encoding!r}.",
            param="Content-Encoding",
            code="unsupported_encoding",
        )
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(body, MAX_DECODED_BYTES)
    except zlib.error:
        raise InvalidRequestError(
            "The body is not valid gzip.", param="Content-Encoding", code="invalid_body"
        ) from None
    if inflater.unconsumed_tail:
        raise PayloadTooLargeError(
            f"The body inflates to more than {MAX_DECODED_BYTES} bytes.", code="too_large"
        )
    return data


def decode(body: bytes, kind: str) -> dict[str, Any]:
    """An ExportTraceServiceRequest in OTLP's JSON mapping (ids as hex)."""
    if kind == JSON:
        return _json_request(body)
    from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    try:
        message = ExportTraceServiceRequest.FromString(body)
    except DecodeError:
        raise InvalidRequestError(
            "The body is not a protobuf ExportTraceServiceRequest.", code="invalid_body"
        ) from None
    data: dict[str, Any] = MessageToDict(message)
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for name in ID_FIELDS:
                    if name in span:
                        span[name] = base64.b64decode(span[name]).hex()
    return data


def _json_request(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequestError(
            "The body is not valid JSON (OTLP's JSON encoding).", code="invalid_json"
        ) from None
    except RecursionError:  # deeper than the parser's own stack allows
        raise too_deep() from None
    check_json(data)
    if not isinstance(data, dict):
        raise InvalidRequestError(
            "The body must be a JSON ExportTraceServiceRequest object.", code="invalid_json"
        )
    return data


def response_body(kind: str, rejected: int, message: str) -> bytes:
    """ExportTraceServiceResponse: empty on full success, else its partial_success."""
    if kind == JSON:
        partial = {"rejectedSpans": rejected, "errorMessage": message} if rejected else None
        return json.dumps({"partialSuccess": partial} if partial else {}).encode()
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTracePartialSuccess,
        ExportTraceServiceResponse,
    )

    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.CopyFrom(
            ExportTracePartialSuccess(rejected_spans=rejected, error_message=message)
        )
    return bytes(response.SerializeToString())
