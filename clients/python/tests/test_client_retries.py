"""Retries: 429 and 5xx with backoff, Retry-After honoured (seconds or an HTTP date), bounded
attempts, never another 4xx, and a POST only where asking twice is safe."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from conftest import Recorder, error
from switchboard_client import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    ServiceUnavailableError,
    Switchboard,
    UpstreamError,
)
from switchboard_client._retry import retry_after

KITS = {"object": "list", "data": []}
QUEUED = {"request_id": "aireq_1", "model": "local-chat", "status": "queued"}
RUN = {"id": "run_1", "kit": "text-gen", "status": "completed", "output": {"text": "hi"}}


def answers(*responses: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering each request with the next of `responses` (an exception: raised)."""
    queue: Iterator[httpx.Response | Exception] = iter(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle


def test_a_429_is_retried_after_the_seconds_retry_after_says(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(
        answers(
            error(429, "rate_limit_exceeded", "rate_limit_exceeded", headers={"Retry-After": "7"}),
            httpx.Response(200, json=KITS),
        )
    )
    assert client.kits.list() == []
    assert recorder.sleeps == [7.0] and len(recorder.requests) == 2


def test_retry_after_as_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = retry_after(httpx.Response(429, headers={"Retry-After": when}))
    assert seconds is not None and 28 <= seconds <= 30
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after(httpx.Response(503, headers={"Retry-After": past})) == 0
    assert retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None


def test_retry_after_is_bounded_by_max_retry_after(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(
        answers(
            error(503, "service_unavailable", headers={"Retry-After": "3600"}),
            httpx.Response(200, json=KITS),
        ),
        retry=RetryPolicy(max_retry_after=20),
    )
    client.kits.list()
    assert recorder.sleeps == [20]


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=3.0, jitter=lambda: 1.0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    halved = RetryPolicy(initial_delay=0.5, jitter=lambda: 0.5)
    assert halved.delay(3) == 1.0


def test_5xx_on_a_get_is_retried_until_the_attempts_run_out(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(
        answers(*[error(502, "upstream_error", "upstream_error")] * 3),
        retry=RetryPolicy(max_attempts=3, jitter=lambda: 1.0),
    )
    with pytest.raises(UpstreamError) as raised:
        client.kits.list()
    assert len(recorder.requests) == 3 and recorder.sleeps == [0.5, 1.0]
    assert raised.value.status == 502 and raised.value.request_id == "req_123"


def test_a_rate_limit_that_never_lifts_raises_with_retry_after(
    make_client: Callable[..., Switchboard],
) -> None:
    limited = error(
        429, "rate_limit_exceeded", "tokens_rate_limit_exceeded", headers={"Retry-After": "2"}
    )
    client = make_client(answers(limited, limited), retry=RetryPolicy(max_attempts=2))
    with pytest.raises(RateLimitError) as raised:
        client.kits.list()
    assert raised.value.retry_after == 2 and raised.value.code == "tokens_rate_limit_exceeded"


@pytest.mark.parametrize(
    ("status", "type_"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (402, "insufficient_tokens"),
        (403, "permission_error"),
        (404, "not_found"),
        (409, "invalid_request_error"),
        (413, "invalid_request_error"),
        (422, "invalid_request_error"),
    ],
)
def test_other_4xx_are_never_retried(
    status: int, type_: str, make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(answers(error(status, type_), httpx.Response(200, json=KITS)))
    with pytest.raises(Exception) as raised:
        client.kits.list()
    assert getattr(raised.value, "status", None) == status
    assert len(recorder.requests) == 1 and recorder.sleeps == []


def test_a_post_that_is_not_idempotent_is_not_retried_on_5xx(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(answers(error(500, "server_error"), httpx.Response(200, json=RUN)))
    with pytest.raises(InternalServerError):
        client.kits.run("text-gen", "hi")
    assert len(recorder.requests) == 1


def test_a_post_is_retried_on_429_since_nothing_happened(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(answers(error(429, "rate_limit_exceeded"), httpx.Response(200, json=RUN)))
    assert client.kits.run("text-gen", "hi").text == "hi"
    assert len(recorder.requests) == 2


def test_a_queue_submit_is_retried_on_5xx_with_one_idempotency_key(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(
        answers(
            error(503, "service_unavailable"),
            error(502, "upstream_error"),
            httpx.Response(202, json=QUEUED),
        )
    )
    queued = client.queue.submit("local-chat", "Queue me")
    assert queued.id == "aireq_1" and queued.status == "queued"
    keys = {r.headers["idempotency-key"] for r in recorder.requests}
    assert len(recorder.requests) == 3 and len(keys) == 1


def test_a_connection_never_made_is_retried_even_for_a_post(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(answers(httpx.ConnectError("refused"), httpx.Response(200, json=RUN)))
    assert client.kits.run("text-gen", "hi").id == "run_1"
    assert len(recorder.requests) == 2


def test_a_post_whose_answer_timed_out_is_not_sent_again(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(answers(httpx.ReadTimeout("slow"), httpx.Response(200, json=RUN)))
    with pytest.raises(APITimeoutError):
        client.kits.run("text-gen", "hi")
    assert len(recorder.requests) == 1


def test_an_unreachable_platform_raises_a_connection_error_after_the_attempts(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(answers(*[httpx.ConnectError("refused")] * 4))
    with pytest.raises(APIConnectionError):
        client.kits.list()
    assert len(recorder.requests) == 4 and len(recorder.sleeps) == 3


def test_put_and_delete_are_retried_on_5xx(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(
        answers(
            error(503, "service_unavailable"),
            httpx.Response(200, json={"id": "key_1", "deleted": True}),
        )
    )
    client.keys.revoke("key_1")
    assert recorder.paths() == ["DELETE /api-keys/key_1"] * 2


def test_max_attempts_of_one_never_retries(
    make_client: Callable[..., Switchboard], recorder: Recorder
) -> None:
    client = make_client(
        answers(error(503, "service_unavailable")), retry=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(ServiceUnavailableError):
        client.kits.list()
    assert len(recorder.requests) == 1
