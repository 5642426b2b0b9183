"""Experiments and scores: POST /monitor/experiments, GET /monitor/experiments/{id} (per
variant aggregates), POST /monitor/traces/{id}/scores, POST /monitor/experiments/{id}/runs
and GET /monitor/experiments/{id}/runs/{run_id}. An experiment is its owner's alone (404
for anyone else); a score needs a trace the caller may see (docs/traces.md "Experiments")."""

from __future__ import annotations

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from switchboard.api.access import require_principal
from switchboard.api.requests import read_object
from switchboard.api.responses import json_response
from switchboard.bootstrap import container


async def create_experiment(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    experiment = await anyio.to_thread.run_sync(container().experiments.create, principal, body)
    return json_response(experiment.to_dict(), status=201)


async def get_experiment(request: Request) -> Response:
    principal = await require_principal(request)
    experiment_id = request.path_params["experiment_id"]
    described = await anyio.to_thread.run_sync(
        container().experiments.describe, principal, experiment_id
    )
    return json_response(described)


async def score_trace(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    trace_id = request.path_params["trace_id"]
    score = await anyio.to_thread.run_sync(container().experiments.score, principal, trace_id, body)
    return json_response(score.to_dict(), status=201)


async def start_run(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_object(request, container().settings.MAX_BODY_BYTES)
    experiment_id = request.path_params["experiment_id"]
    run = await container().experiment_runs.start(principal, experiment_id, body)
    return json_response(run.to_dict(done=0), status=201)


async def get_run(request: Request) -> Response:
    principal = await require_principal(request)
    experiment_id, run_id = request.path_params["experiment_id"], request.path_params["run_id"]
    run, done = await container().experiment_runs.get(principal, experiment_id, run_id)
    return json_response(run.to_dict(done=done))


routes = [
    Route("/monitor/experiments", create_experiment, methods=["POST"]),
    Route("/monitor/experiments/{experiment_id}", get_experiment, methods=["GET"]),
    Route("/monitor/experiments/{experiment_id}/runs", start_run, methods=["POST"]),
    Route("/monitor/experiments/{experiment_id}/runs/{run_id}", get_run, methods=["GET"]),
    Route("/monitor/traces/{trace_id}/scores", score_trace, methods=["POST"]),
]
