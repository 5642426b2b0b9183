"""Trace ingestion on the running platform, as `make serve` runs it: the official
OpenTelemetry OTLP/HTTP exporter (protobuf, gzip) sends GenAI spans to /v1/traces with a
Switchboard key; POST /monitor/trace with nested logs; both read back at
GET /monitor/traces/{id} as span trees, by their sender only."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from tests.support.readme import run_readme_example
from tests.support.server import RunningServer

pytestmark = [pytest.mark.system, pytest.mark.xdist_group("system")]


def new_user_key(server: RunningServer) -> str:
    admin = {"Authorization": f"Bearer {server.api_key}"}
    email = f"traces-{time.time_ns()}@example.com"
    user = httpx.post(f"{server.base_url}/admin/users", headers=admin,
                      json={"email": email, "first_name": "T", "last_name": "S",
                            "plan": "builder", "credits_usd": "1"})  # fmt: skip
    assert user.status_code == 201, user.text
    key = httpx.post(f"{server.base_url}/admin/users/{user.json()['id']}/apikeys",
                     headers=admin, json={"name": "traces", "scopes": ["*"]})  # fmt: skip
    assert key.status_code == 201, key.text
    return str(key.json()["key"])


def get_trace(server: RunningServer, key: str, trace_id: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/monitor/traces/{trace_id}",
                     headers={"Authorization": f"Bearer {key}"})  # fmt: skip


def message(role: str, text: str) -> dict[str, Any]:
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def names(spans: list[dict[str, Any]]) -> list[Any]:
    return [(span["name"], names(span["children"])) for span in spans]


def test_the_official_exporter_sends_genai_spans(server: RunningServer) -> None:
    key, other = new_user_key(server), new_user_key(server)
    exporter = OTLPSpanExporter(endpoint=f"{server.base_url}/v1/traces",
                                headers={"Authorization": f"Bearer {key}"},
                                compression=Compression.Gzip, timeout=10)  # fmt: skip
    provider = TracerProvider(resource=Resource.create({"service.name": "shop-assistant"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.system")
    with tracer.start_as_current_span("answer question") as root:
        with tracer.start_as_current_span("chat gpt-4o") as chat:
            chat.set_attributes({
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
                "gen_ai.usage.input_tokens": 21, "gen_ai.usage.output_tokens": 9,
                "gen_ai.input.messages": json.dumps([message("user", "Hi")]),
                "gen_ai.output.messages": json.dumps([message("assistant", "Hello")]),
            })  # fmt: skip
        with tracer.start_as_current_span("execute_tool weather") as tool:
            tool.set_attribute("gen_ai.operation.name", "execute_tool")
            tool.set_status(Status(StatusCode.ERROR, "weather API down"))
        trace_id = f"tr_{root.get_span_context().trace_id:032x}"
    provider.shutdown()

    response = get_trace(server, key, trace_id)
    assert response.status_code == 200, response.text
    trace = response.json()
    assert names(trace["spans"]) == [
        ("answer question", [("chat gpt-4o", []), ("execute_tool weather", [])])
    ]
    assert (trace["name"], trace["source"], trace["status"]) == ("answer question", "otlp", "error")
    assert (trace["model"], trace["provider"]) == ("gpt-4o-2024-08-06", "openai")
    assert trace["usage"] == {"input_tokens": 21, "output_tokens": 9, "total_tokens": 30}
    assert trace["metadata"]["service.name"] == "shop-assistant"
    chat_span = trace["spans"][0]["children"][0]
    assert chat_span["type"] == "llm"
    assert chat_span["output"] == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello"}]}
    ]
    assert get_trace(server, other, trace_id).status_code == 404


def test_an_ingested_trace_with_nested_logs(server: RunningServer) -> None:
    key, other = new_user_key(server), new_user_key(server)
    t0, t1, t2 = "2026-11-30T10:00:00Z", "2026-11-30T10:00:01Z", "2026-11-30T10:00:02Z"
    logs = [
        {"id": "gen", "name": "generate", "type": "generation", "input": "Hi", "output": "Hello",
         "inputTokens": 5, "outputTokens": 7, "cost": 0.0002, "startTime": t0, "endTime": t1},
        {"id": "tool", "parentId": "gen", "name": "lookup", "type": "tool", "input": "q",
         "output": "a", "inputTokens": 0, "outputTokens": 0, "cost": 0, "startTime": t0,
         "endTime": t1},
    ]  # fmt: skip
    body = {"featureSlug": "support", "name": "reply", "input": "Hi", "output": "Hello",
            "startTime": t0, "endTime": t2, "logs": logs}  # fmt: skip
    created = httpx.post(f"{server.base_url}/monitor/trace", json=body,
                         headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert created.status_code == 201, created.text
    trace = get_trace(server, key, created.json()["id"]).json()
    assert names(trace["spans"]) == [("reply", [("generate", [("lookup", [])])])]
    assert (trace["cost_usd"], trace["latency_ms"]) == ("0.000200", 2000)
    assert get_trace(server, other, created.json()["id"]).status_code == 404


def test_the_readmes_opentelemetry_example_runs(server: RunningServer) -> None:
    printed = run_readme_example(server, "otel-shop", section="Ingesting traces").stdout
    trace = get_trace(server, server.api_key, printed.strip()).json()
    assert names(trace["spans"]) == [("answer question", [("chat gpt-4o", [])])]
    assert trace["metadata"]["service.name"] == "otel-shop"
    assert trace["usage"]["total_tokens"] == 30 and trace["provider"] == "openai"
