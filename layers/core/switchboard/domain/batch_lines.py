"""A batch's lines: how its file is split into messages, how each line is judged, and the
lines that OpenAI's output and error files hold.

Lines are numbered as the file's lines are, from 1; blank lines are no requests and count
nowhere. The split reads the file by byte ranges and sends messages of up to
LINES_PER_MESSAGE lines each, as byte ranges of the file (a worker reads its range back in
one request): a message stays small whatever the lines hold. A line longer than
MAX_LINE_BYTES is sent alone and failed unread. A custom_id already seen earlier in the
file fails the later line (the split remembers an 8-byte digest per custom_id).

    output line   {id, custom_id, response: {status_code: 200, request_id, body}, error: null}
    error line    {id, custom_id, response: null | {status_code, request_id, body: {error}},
                   error: {code, message}}     (+ `line` when the line has no custom_id)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from switchboard.domain.batches import Endpoint
from switchboard.domain.catalog import Catalog
from switchboard.domain.requests import ChatCompletionRequest, EmbeddingRequest
from switchboard.domain.traces import trace_options
from switchboard.domain.validation import check_json, validate
from switchboard.errors import InvalidRequestError, ModelNotFoundError, classify, error_body

LINES_PER_MESSAGE = 5  # lines run one after another in a worker: 5 x the upstream timeout
MAX_CHUNK_BYTES = 1024 * 1024  # one message's range, read back in one request
MAX_LINE_BYTES = 6_000_000  # as large as a live request's body may be
MAX_CUSTOM_ID_CHARS = 512

LineBody = ChatCompletionRequest | EmbeddingRequest


@dataclass(frozen=True, slots=True)
class Chunk:
    """One message: the file's bytes `start` to `end` (inclusive), holding the requests on
    lines `numbers` (the first at `start`); `duplicates`: those whose custom_id came
    earlier; `oversized`: one line too long to read, failed as it is. The numbers let a
    dead-lettered message be failed without reading the file."""

    batch_id: str
    key: str
    numbers: tuple[int, ...]
    start: int
    end: int
    duplicates: tuple[int, ...] = ()
    oversized: bool = False

    def message(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "batch_id": self.batch_id,
            "key": self.key,
            "lines": list(self.numbers),
            "start": self.start,
            "end": self.end,
        }
        if self.duplicates:
            body["duplicates"] = list(self.duplicates)
        if self.oversized:
            body["oversized"] = True
        return body

    @classmethod
    def of(cls, message: dict[str, Any]) -> Chunk:
        return cls(
            str(message["batch_id"]),
            str(message["key"]),
            tuple(int(n) for n in message["lines"]),
            int(message["start"]),
            int(message["end"]),
            tuple(int(n) for n in message.get("duplicates", ())),
            bool(message.get("oversized", False)),
        )

    def lines(self, data: bytes) -> Iterator[tuple[int, int, bytes]]:
        """(line number, byte offset in the file, text) of each request in `data`, the
        bytes of this chunk's range."""
        offset = self.start
        for number, raw in enumerate(data.split(b"\n"), start=self.numbers[0]):
            if raw.strip():
                yield number, offset, raw
            offset += len(raw) + 1

    def remainder(self, number: int, offset: int) -> Chunk:
        """The rest of this chunk from line `number` (at byte `offset`) on: what a paced
        worker sends again for later."""
        return replace(
            self,
            numbers=tuple(n for n in self.numbers if n >= number),
            start=offset,
            duplicates=tuple(n for n in self.duplicates if n >= number),
        )


def plan_chunks(batch_id: str, key: str, lines: Iterable[bytes]) -> Iterator[Chunk]:
    """The messages that carry a file's lines (each line as read, with its newline)."""
    planner = _Planner(batch_id, key)
    position = 0
    for number, raw in enumerate(lines, start=1):
        yield from planner.add(number, position, raw)
        position += len(raw)
    yield from planner.flush()


class _Planner:
    def __init__(self, batch_id: str, key: str) -> None:
        self._batch_id = batch_id
        self._key = key
        self._seen: set[bytes] = set()
        self._open: list[tuple[int, int, int]] = []  # (number, start, end) of each request
        self._duplicates: list[int] = []

    def add(self, number: int, start: int, raw: bytes) -> Iterator[Chunk]:
        if not raw.strip():
            return
        end = start + len(raw.rstrip(b"\n")) - 1
        if len(raw) > MAX_LINE_BYTES:
            yield from self.flush()
            yield Chunk(self._batch_id, self._key, (number,), start, end, oversized=True)
            return
        if self._open and end - self._open[0][1] + 1 > MAX_CHUNK_BYTES:
            yield from self.flush()
        if self._repeated(raw):
            self._duplicates.append(number)
        self._open.append((number, start, end))
        if len(self._open) == LINES_PER_MESSAGE:
            yield from self.flush()

    def flush(self) -> Iterator[Chunk]:
        if self._open:
            numbers = tuple(number for number, _, _ in self._open)
            start, end = self._open[0][1], self._open[-1][2]
            duplicates = tuple(self._duplicates)
            yield Chunk(self._batch_id, self._key, numbers, start, end, duplicates)
        self._open, self._duplicates = [], []

    def _repeated(self, raw: bytes) -> bool:
        custom_id = custom_id_of(raw)
        if custom_id is None:
            return False
        digest = hashlib.blake2b(custom_id.encode("utf-8", "surrogatepass"), digest_size=8)
        if digest.digest() in self._seen:
            return True
        self._seen.add(digest.digest())
        return False


def custom_id_of(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    custom_id = data.get("custom_id") if isinstance(data, dict) else None
    return custom_id if isinstance(custom_id, str) else None


@dataclass(frozen=True, slots=True)
class LineRequest:
    """A line to run. `experiment_id` and `prompt` ({slug, version}) are what the line's
    trace records: an experiment run's lines carry them beside the body, under `trace`
    (domain/runs.py); any other line has none. `capture` and `metadata` come from the
    body's own `trace` field, as a request's do (`{"capture": false, "metadata": {...}}`,
    taken out before validation). Never sent upstream."""

    number: int
    custom_id: str
    body: LineBody
    experiment_id: str | None = None
    prompt: tuple[str, int] | None = None
    capture: bool = True
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that is no request this batch can run: failed without calling anything."""

    number: int
    custom_id: str | None
    code: str
    message: str


def parse_line(
    number: int, raw: bytes, endpoint: Endpoint, catalog: Catalog, *, duplicate: bool = False
) -> LineRequest | Malformed:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return Malformed(number, None, "invalid_json", f"Line {number} is not valid JSON: {exc}.")
    if not isinstance(data, dict):
        return Malformed(number, None, "invalid_json", f"Line {number} is not a JSON object.")
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not 0 < len(custom_id) <= MAX_CUSTOM_ID_CHARS:
        message = f"Line {number} needs a custom_id: a string of 1 to {MAX_CUSTOM_ID_CHARS} chars."
        return Malformed(number, None, "missing_custom_id", message)
    try:
        body, (capture, metadata) = _request(data, endpoint, catalog)
    except InvalidRequestError as error:
        code = error.code or "invalid_request"
        return Malformed(number, custom_id, code, f"Line {number}: {error.message}")
    if duplicate:
        message = f"Line {number} repeats the custom_id {custom_id!r} of an earlier line."
        return Malformed(number, custom_id, "duplicate_custom_id", message)
    experiment, prompt = _traced(data.get("trace"))
    return LineRequest(number, custom_id, body, experiment, prompt, capture, metadata)


def _traced(raw: object) -> tuple[str | None, tuple[str, int] | None]:
    """The experiment and prompt a line's `trace` names (anything malformed: none; a trace
    never fails a line). Only its payer's own counters can carry them."""
    if not isinstance(raw, dict):
        return None, None
    experiment = raw.get("experiment_id")
    prompt = raw.get("prompt")
    slug = prompt.get("slug") if isinstance(prompt, dict) else None
    version = prompt.get("version") if isinstance(prompt, dict) else None
    ref = (slug, version) if isinstance(slug, str) and type(version) is int else None
    return (experiment if isinstance(experiment, str) else None), ref


def _request(
    data: dict[str, Any], endpoint: Endpoint, catalog: Catalog
) -> tuple[LineBody, tuple[bool, dict[str, str]]]:
    check_json(data)
    if data.get("method") != "POST":
        raise InvalidRequestError(
            f"The method must be POST, not {data.get('method')!r}.", code="invalid_method"
        )
    if data.get("url") != endpoint.value:
        raise InvalidRequestError(
            f"The url must be this batch's endpoint {endpoint.value}, not {data.get('url')!r}.",
            code="invalid_url",
        )
    body = data.get("body")
    if not isinstance(body, dict):
        raise InvalidRequestError("The line has no body: a JSON object.", code="missing_body")
    options = trace_options(body.get("trace"))  # the line's own switch, never sent upstream
    body = {name: value for name, value in body.items() if name != "trace"}
    _check_model(body.get("model"), endpoint, catalog)
    if endpoint is Endpoint.CHAT:
        chat = validate(ChatCompletionRequest, body)
        if chat.stream:
            raise InvalidRequestError(
                "A batch line cannot stream.", param="stream", code="invalid_value"
            )
        return chat, options
    return validate(EmbeddingRequest, body), options


def _check_model(model_id: Any, endpoint: Endpoint, catalog: Catalog) -> None:
    try:
        model = catalog.get(model_id) if isinstance(model_id, str) else None
    except ModelNotFoundError:
        model = None
    if model is None:
        raise InvalidRequestError(
            f"The model {model_id!r} does not exist.", param="model", code="model_not_found"
        )
    if model.type is not endpoint.model_type:
        raise InvalidRequestError(
            f"{endpoint.value} does not serve the {model.type} model '{model.id}'.",
            param="model",
            code="invalid_model",
        )


def line_id(batch_id: str, number: int) -> str:
    return "batch_req_" + _digest(f"{batch_id}#{number}")


def line_request_id(batch_id: str, number: int) -> str:
    """The request id a line's response shows, and its ledger entries carry."""
    return "req_" + _digest(f"{batch_id}#{number}#request")


def line_trace_id(batch_id: str, number: int) -> str:
    """The id of a line's trace: fixed per line, so that a repeated delivery adds to the
    same trace and a run's evaluators find it (services/run_scoring.py)."""
    return "tr_" + hashlib.sha256(f"{batch_id}#{number}#trace".encode()).hexdigest()[:32]


def output_line(batch_id: str, number: int, custom_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = {"status_code": 200, "request_id": line_request_id(batch_id, number), "body": body}
    return {
        "id": line_id(batch_id, number),
        "custom_id": custom_id,
        "response": response,
        "error": None,
    }


def failed_line(batch_id: str, number: int, custom_id: str, error: BaseException) -> dict[str, Any]:
    """A request that was tried and failed (an upstream error, insufficient credits ...)."""
    status, _ = classify(error)
    body = error_body(error)
    response = {
        "status_code": status,
        "request_id": line_request_id(batch_id, number),
        "body": body,
    }
    inner = body["error"]
    return {
        "id": line_id(batch_id, number),
        "custom_id": custom_id,
        "response": response,
        "error": {"code": inner["code"] or inner["type"], "message": inner["message"]},
    }


def malformed_line(batch_id: str, bad: Malformed) -> dict[str, Any]:
    error: dict[str, Any] = {"code": bad.code, "message": bad.message}
    if bad.custom_id is None:
        error["line"] = bad.number
    return {
        "id": line_id(batch_id, bad.number),
        "custom_id": bad.custom_id,
        "response": None,
        "error": error,
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
