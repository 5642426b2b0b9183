"""Trace ingestion function: traces of calls made elsewhere, POST /monitor/trace
(prompt-management services' shape) and POST /v1/traces (OTLP/HTTP), through Mangum.

Its own function rather than the monitor's: OpenTelemetry exporters send every few seconds
from every instrumented process, so ingestion scales, and is throttled, apart from the
people reading /monitor; and protobuf (imported by the OTLP route when a protobuf body
arrives) stays out of every other function."""

from switchboard.api.app import create_app
from switchboard.api.lambda_handler import make_handler
from switchboard.api.routes import trace_ingest

routes = [*trace_ingest.routes]
app = create_app(routes)
handler = make_handler(app)
