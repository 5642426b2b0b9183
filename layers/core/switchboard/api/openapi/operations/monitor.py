"""api/routes/monitor.py, experiments.py and trace_ingest.py: traces, stats, scores and
experiments (bodies judged by domain/experiments.py and domain/trace_ingestion.py)."""

from typing import Any

from switchboard.api.openapi.operation import Operation, Param
from switchboard.api.openapi.shapes.own import (
    Experiment,
    ExperimentRun,
    Score,
    Stats,
    Trace,
    TraceList,
)
from switchboard.domain.trace_ingestion import IngestedTrace
from switchboard.domain.trace_stats import GROUP_BYS

TAG = "Monitor"
TEXT_FILTERS = ("model", "app_id", "key_id", "prompt_slug", "experiment_id")
# an ISO 8601 time or date; empty is the same as absent
INSTANT = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
        {"type": "string", "maxLength": 0},
    ]
}
OBJECT: dict[str, Any] = {"type": "object"}
TRACE_FILTERS = (
    Param("from", INSTANT),
    Param("to", INSTANT),
    Param("status", {"type": "string", "enum": ["success", "error"]}),
    Param("user_id"),
    Param("prompt_version", {"type": "integer", "minimum": 0}),
    *(Param(name) for name in TEXT_FILTERS),
    Param("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
    Param("after"),
)
STATS = (
    Param("from", INSTANT),
    Param("to", INSTANT),
    Param("groupBy", {"type": "string", "enum": list(GROUP_BYS)}),
    Param("user_id"),
)
SCORE: dict[str, Any] = {
    "type": "object",
    "required": ["name", "value"],
    "properties": {"name": {"type": "string"}, "value": {"type": ["number", "string", "boolean"]}},
}
OTLP = "application/x-protobuf"

OPERATIONS = [
    Operation("GET", "/monitor/traces", "List traces", TAG, response=TraceList,
              query=TRACE_FILTERS),
    Operation("GET", "/monitor/traces/{trace_id}", "A trace with its spans", TAG, response=Trace),
    Operation("GET", "/monitor/stats", "Usage and latency statistics", TAG, response=Stats,
              query=STATS),
    Operation(
        "POST", "/monitor/traces/{trace_id}/scores", "Score a trace", TAG, request=SCORE,
        response=Score, status=201,
    ),
    Operation(
        "POST", "/monitor/experiments", "Create an experiment", TAG, request=OBJECT,
        response=Experiment, status=201,
    ),
    Operation(
        "GET", "/monitor/experiments/{experiment_id}", "An experiment and its runs", TAG,
        response=Experiment,
    ),
    Operation(
        "POST", "/monitor/experiments/{experiment_id}/runs", "Start a run", TAG,
        request=OBJECT, response=ExperimentRun, status=201,
    ),
    Operation(
        "GET", "/monitor/experiments/{experiment_id}/runs/{run_id}", "A run's progress", TAG,
        response=ExperimentRun,
    ),
    Operation(
        "POST", "/monitor/trace", "Ingest a trace (our JSON)", TAG, request=IngestedTrace,
        response=Trace, status=201, query=(Param("app_id"),),
    ),
    Operation(
        "POST", "/v1/traces", "Ingest OTLP/HTTP traces", TAG,
        request={"type": "string", "contentMediaType": OTLP}, request_media=OTLP,
        response={"type": "string", "contentMediaType": OTLP}, response_media=(OTLP,),
        description="OTLP protobuf (or OTLP JSON) ExportTraceServiceRequest; GenAI spans.",
    ),
]  # fmt: skip
