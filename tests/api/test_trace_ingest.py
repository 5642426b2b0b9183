"""Trace ingestion through the platform's ASGI app: POST /monitor/trace (prompt-management
services' shape) and OTLP/HTTP POST /v1/traces in JSON, gzip and protobuf; the traces as
stored, their 400s, partial success, a trace sent over two requests, and isolation."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.traces import Trace

pytestmark = pytest.mark.anyio

T0 = "2026-11-30T10:00:00Z"
T1 = "2026-11-30T10:00:01.250Z"
T2 = "2026-11-30T10:00:02Z"


def assert_error(response: httpx.Response, status: int, param: str | None, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, code), error
    assert error["type"] and error["message"]


def log(id: str, parent: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "id": id,
        "name": f"step {id}",
        "type": "span",
        "input": None,
        "output": None,
        "inputTokens": 0,
        "outputTokens": 0,
        "cost": 0,
        "startTime": T0,
        "endTime": T1,
    }
    return body | ({"parentId": parent} if parent else {}) | extra


def trace_body(**extra: Any) -> dict[str, Any]:
    logs = [
        log(
            "gen",
            type="generation",
            model="gpt-4o-mini",
            input="Hi?",
            output="Hello!",
            inputTokens=12,
            outputTokens=30,
            cost=0.00042,
            prompt={"slug": "greet", "version": 3},
        ),
        log("tool", parent="gen", type="tool", input={"q": "weather"}, output="sunny"),
        log("fetch", parent="tool", type="retrieval", inputTokens=5, cost=0.000001),
    ]
    return {
        "featureSlug": "support-bot",
        "name": "answer",
        "input": "Hi?",
        "output": "Hello!",
        "idealOutput": "Hello",
        "metadata": {"k": "v"},
        "user": {"id": "end-user-7"},
        "organization": "acme",
        "startTime": T0,
        "endTime": T2,
        "logs": logs,
    } | extra


def stored(services: Container, trace_id: str) -> Trace:
    found = services.trace_repo.get(trace_id, int(time.time()))
    assert found is not None, trace_id
    return found


def tree(trace: Trace) -> list[tuple[str, list[Any]]]:
    from switchboard.domain.traces import span_tree

    def shape(nodes: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
        return [(node["name"], shape(node["children"])) for node in nodes]

    return shape(span_tree(trace.spans))


async def an_experiment(client: httpx.AsyncClient) -> str:
    made = await client.post("/monitor/experiments", json={"featureSlug": "f", "name": "e"})
    assert made.status_code in (200, 201), made.text
    return str(made.json()["id"])


async def test_an_ingested_trace_is_stored_with_its_logs_as_a_span_tree(
    client: httpx.AsyncClient, services: Container
) -> None:
    experiment_id = await an_experiment(client)
    body = trace_body(experiment={"id": experiment_id})
    response = await client.post("/monitor/trace", json=body)
    assert response.status_code == 201, response.text
    trace_id = response.json()["id"]
    assert trace_id.startswith("tr_") and response.json()["object"] == "trace"
    trace = stored(services, trace_id)
    assert tree(trace) == [("answer", [("step gen", [("step tool", [("step fetch", [])])])])]
    view = trace.to_dict()
    assert view["usage"] == {"input_tokens": 17, "output_tokens": 30, "total_tokens": 47}
    assert (view["cost_usd"], view["latency_ms"], view["source"]) == ("0.000421", 2000, "ingested")
    assert (view["model"], view["prompt"], view["experiment_id"]) == (
        "gpt-4o-mini",
        {"slug": "greet", "version": 3},
        experiment_id,
    )
    assert view["metadata"] == {
        "feature_slug": "support-bot",
        "user": '{"id": "end-user-7"}',
        "organization": "acme",
        "ideal_output": "Hello",
        "k": "v",
    }
    spans = {span.name: span for span in trace.spans}
    assert spans["step gen"].type == "llm" and spans["step gen"].output == "Hello!"
    assert spans["step tool"].input == {"q": "weather"}
    assert spans["answer"].input == "Hi?" and spans["answer"].parent_id is None


@pytest.mark.parametrize(
    ("change", "param", "code"),
    [
        (lambda b: b.pop("featureSlug"), "featureSlug", "missing_required_parameter"),
        (lambda b: b.update(startTime="yesterday"), "startTime", "invalid_value"),
        (lambda b: b.update(endTime="2026-11-30T09:00:00Z"), "endTime", "invalid_value"),
        (lambda b: b["logs"][1].update(parentId="nope"), "logs[1].parentId", "invalid_value"),
        (lambda b: b["logs"][0].update(parentId="fetch"), "logs[0].parentId", "invalid_value"),
        (lambda b: b["logs"][2].update(inputTokens=-1), "logs[2].inputTokens", "invalid_value"),
        (lambda b: b["logs"][2].update(cost="cheap"), "logs[2].cost", "invalid_value"),
        (
            lambda b: b["logs"][2].update(endTime="2026-11-30T09:00:00Z"),
            "logs[2].endTime",
            "invalid_value",
        ),
        (lambda b: b["logs"].append(log("gen")), "logs[3].id", "invalid_value"),
        (lambda b: b.update(logs=[log(str(i)) for i in range(51)]), "logs", "invalid_value"),
        (lambda b: b.update(input="x" * 40_000), "input", "invalid_value"),
        (lambda b: b.update(logs="none"), "logs", "invalid_value"),
    ],
)
async def test_a_malformed_trace_is_a_400_naming_the_param(
    client: httpx.AsyncClient, change: Callable[[dict[str, Any]], Any], param: str, code: str
) -> None:
    body = trace_body()
    change(body)
    assert_error(await client.post("/monitor/trace", json=body), 400, param, code)


async def test_another_users_experiment_is_not_found(
    client: httpx.AsyncClient, connect: Callable[..., Any], new_user: Callable[..., User]
) -> None:
    async with connect(new_user()) as theirs:
        experiment_id = await an_experiment(theirs)
    response = await client.post(
        "/monitor/trace", json=trace_body(experiment={"id": experiment_id})
    )
    assert_error(response, 404, "experiment", "experiment_not_found")


async def test_not_json_and_no_key_are_refused(client: httpx.AsyncClient, open_client: Any) -> None:
    response = await client.post("/monitor/trace", content=b"{oops")
    assert_error(response, 400, None, "invalid_json")
    async with open_client() as anonymous:
        assert (await anonymous.post("/monitor/trace", json=trace_body())).status_code == 401
        otlp = await anonymous.post(
            "/v1/traces", json={}, headers={"Content-Type": "application/json"}
        )
        assert otlp.status_code == 401


async def test_a_gateway_key_may_send_traces_both_ways(
    connect: Callable[..., Any], new_user: Callable[..., User]
) -> None:
    async with connect(new_user(), scopes=("ai:gateway",)) as gateway:
        assert (await gateway.post("/monitor/trace", json=trace_body())).status_code == 201
        body = export_request(otlp_span(ROOT_ID, None, "root", trace_id=fresh_hex()))
        otlp = await post_json(gateway, body)
        assert otlp.status_code == 200, otlp.text
        assert (await gateway.get("/monitor/traces")).status_code == 403  # reading is not


# --- OTLP ---------------------------------------------------------------------------------

TRACE_HEX = "5b8efff798038103d269b633813fc60c"
ROOT_ID, CHAT_ID = "eee19b7ec3c1b174", "eee19b7ec3c1b173"
START_NS = 1_764_496_800_000_000_000  # 2025-11-30T10:00:00Z


def attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def otlp_span(span_id: str, parent: str | None, name: str, **fields: Any) -> dict[str, Any]:
    span = {
        "traceId": fields.pop("trace_id", TRACE_HEX),
        "spanId": span_id,
        "name": name,
        "kind": 3,
        "startTimeUnixNano": str(START_NS),
        "endTimeUnixNano": str(START_NS + fields.pop("ms", 800) * 1_000_000),
        "attributes": fields.pop("attributes", []),
        "events": fields.pop("events", []),
        "status": fields.pop("status", {}),
    }
    return span | ({"parentSpanId": parent} if parent else {}) | fields


def chat_span(
    span_id: str = CHAT_ID, parent: str | None = ROOT_ID, **fields: Any
) -> dict[str, Any]:
    attributes = [
        attr("gen_ai.operation.name", "chat"),
        attr("gen_ai.provider.name", "openai"),
        attr("gen_ai.request.model", "gpt-4o"),
        attr("gen_ai.response.model", "gpt-4o-2024-08-06"),
        attr("gen_ai.usage.input_tokens", 21),
        attr("gen_ai.usage.output_tokens", 9),
        attr(
            "gen_ai.input.messages",
            json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]),
        ),
    ]
    events = [
        {
            "name": "gen_ai.choice",
            "timeUnixNano": str(START_NS),
            "attributes": [
                attr("index", 0),
                attr("finish_reason", "stop"),
                attr("message", '{"role": "assistant", "content": "Hello"}'),
            ],
        }
    ]
    return otlp_span(span_id, parent, "chat gpt-4o", attributes=attributes, events=events, **fields)


def export_request(*spans: dict[str, Any]) -> dict[str, Any]:
    resource = {"attributes": [attr("service.name", "shop-assistant")]}
    return {
        "resourceSpans": [
            {
                "resource": resource,
                "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}],
            }
        ]
    }


async def post_json(client: httpx.AsyncClient, body: Any, **headers: str) -> httpx.Response:
    data = json.dumps(body).encode()
    if headers.get("Content-Encoding") == "gzip":
        data = gzip.compress(data)
    return await client.post(
        "/v1/traces", content=data, headers={"Content-Type": "application/json", **headers}
    )


def fresh_hex() -> str:
    import secrets

    return secrets.token_hex(16)


async def test_otlp_json_spans_become_one_trace_with_genai_fields(
    client: httpx.AsyncClient, services: Container
) -> None:
    trace_hex = fresh_hex()
    body = export_request(
        otlp_span(ROOT_ID, None, "handle question", trace_id=trace_hex, ms=1500),
        chat_span(trace_id=trace_hex),
    )
    response = await post_json(client, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {}
    trace = stored(services, f"tr_{trace_hex}")
    assert tree(trace) == [("handle question", [("chat gpt-4o", [])])]
    view = trace.to_dict()
    assert (view["name"], view["model"], view["provider"]) == (
        "handle question",
        "gpt-4o-2024-08-06",
        "openai",
    )
    assert view["usage"] == {"input_tokens": 21, "output_tokens": 9, "total_tokens": 30}
    assert (view["source"], view["latency_ms"], view["cost_usd"]) == ("otlp", 1500, "0.000000")
    assert view["metadata"] == {"service.name": "shop-assistant"}
    chat = next(span for span in trace.spans if span.id == CHAT_ID)
    assert (chat.type, chat.parent_id) == ("llm", ROOT_ID)
    assert chat.input == [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
    assert chat.output == [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": '{"role": "assistant", "content": "Hello"}',
        }
    ]


async def test_otlp_gzip_json_and_a_refused_span_answer_partial_success(
    client: httpx.AsyncClient, services: Container
) -> None:
    trace_hex = fresh_hex()
    good = chat_span(parent=None, trace_id=trace_hex)
    bad_id = chat_span("xyz", None, trace_id=trace_hex)
    backwards = otlp_span("00000000000000aa", None, "late", trace_id=trace_hex, ms=-5)
    response = await post_json(
        client, export_request(good, bad_id, backwards), **{"Content-Encoding": "gzip"}
    )
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == 2
    assert "spanId must be 16 hex digits" in partial["errorMessage"]
    assert "endTimeUnixNano is before startTimeUnixNano" in partial["errorMessage"]
    assert [span.id for span in stored(services, f"tr_{trace_hex}").spans] == [CHAT_ID]


async def test_otlp_protobuf_through_the_app(
    client: httpx.AsyncClient, services: Container
) -> None:
    trace_hex = fresh_hex()
    span = trace_pb2.Span(
        trace_id=bytes.fromhex(trace_hex),
        span_id=bytes.fromhex(CHAT_ID),
        name="embeddings",
        start_time_unix_nano=START_NS,
        end_time_unix_nano=START_NS + 40_000_000,
        attributes=[
            common_pb2.KeyValue(
                key="gen_ai.operation.name", value=common_pb2.AnyValue(string_value="embeddings")
            ),
            common_pb2.KeyValue(
                key="gen_ai.system", value=common_pb2.AnyValue(string_value="openai")
            ),
            common_pb2.KeyValue(
                key="gen_ai.request.model",
                value=common_pb2.AnyValue(string_value="text-embedding-3-small"),
            ),
            common_pb2.KeyValue(
                key="gen_ai.usage.input_tokens", value=common_pb2.AnyValue(int_value=7)
            ),
        ],
        status=trace_pb2.Status(code=trace_pb2.Status.STATUS_CODE_ERROR, message="upstream 500"),
    )
    request = trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[trace_pb2.ResourceSpans(scope_spans=[trace_pb2.ScopeSpans(spans=[span])])]
    )
    response = await client.post(
        "/v1/traces",
        content=gzip.compress(request.SerializeToString()),
        headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-protobuf"
    answer = trace_service_pb2.ExportTraceServiceResponse.FromString(response.content)
    assert not answer.HasField("partial_success")
    view = stored(services, f"tr_{trace_hex}").to_dict()
    assert (view["model"], view["provider"], view["status"]) == (
        "text-embedding-3-small",
        "openai",
        "error",
    )
    assert view["error"] == {"type": "error", "message": "upstream 500"}
    assert view["usage"]["input_tokens"] == 7


async def test_a_trace_sent_over_two_requests_is_one_trace_counted_once(
    client: httpx.AsyncClient, services: Container, api_key: str
) -> None:
    trace_hex = fresh_hex()
    first = await post_json(client, export_request(chat_span(trace_id=trace_hex)))
    assert first.json() == {}
    second = await post_json(
        client,
        export_request(
            otlp_span(ROOT_ID, None, "handle question", trace_id=trace_hex, ms=2000),
            chat_span("eee19b7ec3c1b172", ROOT_ID, trace_id=trace_hex),
        ),
    )
    assert second.json() == {}
    trace = stored(services, f"tr_{trace_hex}")
    assert tree(trace) == [("handle question", [("chat gpt-4o", []), ("chat gpt-4o", [])])]
    assert trace.usage.input_tokens == 42 and trace.name == "handle question"
    payer = trace.payer_id
    rows = services.trace_repo.stats(payer, "2025-11-30", "2025-11-30")
    assert sum(counters.count for _, counters in rows) == 1
    assert sum(counters.input_tokens for _, counters in rows) == 42


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b"{}", {"Content-Type": "text/plain"}, 400, "unsupported_media_type"),
        (b"{nope", {"Content-Type": "application/json"}, 400, "invalid_json"),
        (b"[]", {"Content-Type": "application/json"}, 400, "invalid_json"),
        (b"\x0a\xff\xff", {"Content-Type": "application/x-protobuf"}, 400, "invalid_body"),
        (
            b"not gzip",
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            400,
            "invalid_body",
        ),
        (
            b"{}",
            {"Content-Type": "application/json", "Content-Encoding": "br"},
            400,
            "unsupported_encoding",
        ),
        (
            gzip.compress(b" " * 17_000_000),
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            413,
            "too_large",
        ),
    ],
)
async def test_an_unreadable_otlp_body_is_refused(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    response = await client.post("/v1/traces", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


async def test_too_many_spans_in_one_request_are_refused_beyond_the_limit(
    client: httpx.AsyncClient,
) -> None:
    spans = [otlp_span(f"{i + 1:016x}", None, "s", trace_id=fresh_hex()) for i in range(513)]
    response = await post_json(client, export_request(*spans))
    assert response.json()["partialSuccess"]["rejectedSpans"] == 1


async def test_an_ingested_trace_is_read_back_by_its_sender_only(
    connect: Callable[..., Any], new_user: Callable[..., User]
) -> None:
    owner, other = new_user(), new_user()
    async with connect(owner) as mine:
        trace_id = (await mine.post("/monitor/trace", json=trace_body())).json()["id"]
        detail = (await mine.get(f"/monitor/traces/{trace_id}")).json()
        listed = (await mine.get("/monitor/traces", params={"from": T0})).json()
        stats = (await mine.get("/monitor/stats", params={"from": T0, "to": T2})).json()
    assert (detail["user_id"], detail["source"], detail["cost_usd"]) == (
        owner.user_id,
        "ingested",
        "0.000421",
    )

    def shape(nodes: list[dict[str, Any]]) -> list[Any]:
        return [(node["name"], shape(node["children"])) for node in nodes]

    assert shape(detail["spans"]) == [
        ("answer", [("step gen", [("step tool", [("step fetch", [])])])])
    ]
    assert [trace["id"] for trace in listed["data"]] == [trace_id]
    total = stats["total"]
    assert (total["count"], total["errors"], total["cost_usd"]) == (1, 0, "0.000421")
    assert total["usage"]["total_tokens"] == 47 and total["latency_ms"]["p50"] >= 2000
    async with connect(other) as theirs:
        assert (await theirs.get(f"/monitor/traces/{trace_id}")).status_code == 404
        assert (await theirs.get("/monitor/traces", params={"from": T0})).json()["data"] == []


async def test_an_apps_trace_is_listed_to_its_owner(
    connect: Callable[..., Any], new_user: Callable[..., User]
) -> None:
    owner, other = new_user(), new_user()
    async with connect(owner) as mine:
        app_id = (await mine.post("/apps", json={"name": "traced"})).json()["id"]
        created = await mine.post("/monitor/trace", params={"app_id": app_id}, json=trace_body())
        detail = (await mine.get(f"/monitor/traces/{created.json()['id']}")).json()
    assert detail["app_id"] == app_id
    async with connect(other) as theirs:
        refused = await theirs.post("/monitor/trace", params={"app_id": app_id}, json=trace_body())
        assert refused.status_code == 404


async def test_a_request_sent_again_adds_nothing_twice(
    client: httpx.AsyncClient, services: Container
) -> None:
    """An exporter retries a request whose answer it lost: the spans stored already are
    left out, and only the new one adds its tokens."""
    trace_hex = fresh_hex()
    root = otlp_span(ROOT_ID, None, "handle question", trace_id=trace_hex, ms=2000)
    body = export_request(root, chat_span(trace_id=trace_hex))
    assert (await post_json(client, body)).json() == {}
    assert (await post_json(client, body)).json() == {}
    again = export_request(
        chat_span(trace_id=trace_hex), chat_span("00000000000000cc", ROOT_ID, trace_id=trace_hex)
    )
    assert (await post_json(client, again)).json() == {}
    trace = stored(services, f"tr_{trace_hex}")
    assert len(trace.spans) == 3 and trace.usage.input_tokens == 42
    rows = services.trace_repo.stats(trace.payer_id, "2025-11-30", "2025-11-30")
    assert sum(counters.count for _, counters in rows) == 1
    assert sum(counters.input_tokens for _, counters in rows) == 42


async def test_a_trace_id_is_its_first_senders(
    connect: Callable[..., Any], new_user: Callable[..., User], services: Container
) -> None:
    trace_hex = fresh_hex()
    async with connect(new_user()) as first:
        assert (
            await post_json(first, export_request(chat_span(parent=None, trace_id=trace_hex)))
        ).json() == {}
    async with connect(new_user()) as second:
        body = export_request(
            chat_span("00000000000000dd", CHAT_ID, trace_id=trace_hex),
            chat_span("00000000000000de", CHAT_ID, trace_id=trace_hex),
            chat_span("00000000000000ee", None, trace_id=fresh_hex()),
            chat_span("00000000000000ee", None, trace_id=fresh_hex()),
        )
        answer = (await post_json(second, body)).json()["partialSuccess"]
    assert answer["rejectedSpans"] == 2
    assert f"Trace tr_{trace_hex} is another sender's." in answer["errorMessage"]
    trace = stored(services, f"tr_{trace_hex}")
    assert [span.id for span in trace.spans] == [CHAT_ID] and trace.usage.input_tokens == 21


async def test_a_span_given_twice_in_one_request_is_refused_once(
    client: httpx.AsyncClient, services: Container
) -> None:
    trace_hex = fresh_hex()
    body = export_request(
        chat_span(parent=None, trace_id=trace_hex), chat_span(parent=None, trace_id=trace_hex)
    )
    answer = (await post_json(client, body)).json()["partialSuccess"]
    assert answer == {"rejectedSpans": 1, "errorMessage": f"span {CHAT_ID} is given twice"}
    assert stored(services, f"tr_{trace_hex}").usage.input_tokens == 21


async def test_a_large_trace_is_written_in_parts_and_counted_once(
    client: httpx.AsyncClient, services: Container
) -> None:
    trace_hex = fresh_hex()
    big = attr("gen_ai.prompt", "x" * 30_000)
    children = [
        otlp_span(f"{i + 1:016x}", ROOT_ID, "tool", trace_id=trace_hex, attributes=[big])
        for i in range(120)
    ]
    root = otlp_span(ROOT_ID, None, "handle question", trace_id=trace_hex, ms=2000)
    assert (await post_json(client, export_request(root, *children))).json() == {}
    trace = stored(services, f"tr_{trace_hex}")
    assert len(trace.spans) == 121 and trace.name == "handle question"
    rows = services.trace_repo.stats(trace.payer_id, "2025-11-30", "2025-11-30")
    assert sum(counters.count for _, counters in rows) == 1


async def test_otlp_protobuf_partial_success_is_protobuf(client: httpx.AsyncClient) -> None:
    good = trace_pb2.Span(
        trace_id=bytes.fromhex(fresh_hex()),
        span_id=bytes.fromhex(CHAT_ID),
        name="ok",
        start_time_unix_nano=START_NS,
        end_time_unix_nano=START_NS + 1,
    )
    bad = trace_pb2.Span(trace_id=bytes(16), span_id=bytes.fromhex(ROOT_ID), name="zero trace")
    request = trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(scope_spans=[trace_pb2.ScopeSpans(spans=[good, bad])])
        ]
    )
    response = await client.post(
        "/v1/traces",
        content=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
    )
    assert response.status_code == 200, response.text
    answer = trace_service_pb2.ExportTraceServiceResponse.FromString(response.content)
    assert answer.partial_success.rejected_spans == 1
    assert answer.partial_success.error_message == "traceId must not be all zeros"


async def test_a_root_sent_last_keeps_the_model_its_child_brought(
    client: httpx.AsyncClient, services: Container
) -> None:
    """As SimpleSpanProcessor sends them: each span in its own request, the root last."""
    trace_hex = fresh_hex()
    assert (await post_json(client, export_request(chat_span(trace_id=trace_hex)))).json() == {}
    root = otlp_span(ROOT_ID, None, "handle question", trace_id=trace_hex, ms=2000)
    assert (await post_json(client, export_request(root))).json() == {}
    view = stored(services, f"tr_{trace_hex}").to_dict()
    assert (view["name"], view["model"], view["provider"]) == (
        "handle question",
        "gpt-4o-2024-08-06",
        "openai",
    )
    assert view["latency_ms"] == 2000
