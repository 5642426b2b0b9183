"""api/routes/usage.py: a user's own ledger entries and usage totals."""

from switchboard.api.openapi.operation import Operation, Param, page_params
from switchboard.api.openapi.shapes.own import Page, UserUsage

TAG = "Usage"
DATE = {"type": "string", "format": "date"}

OPERATIONS = [
    Operation(
        "GET", "/v1/usage/entries", "My ledger entries, newest first", TAG, response=Page,
        query=page_params(),
        description="Each entry: request id, model, app, tokens and cost (USD strings).",
    ),
    Operation(
        "GET", "/v1/usage", "My usage totals by day, model or app", TAG, response=UserUsage,
        query=(
            Param("startDate", DATE), Param("endDate", DATE),
            Param("groupBy", {"type": "string", "enum": ["day", "model", "app"]}),
        ),
    ),
]  # fmt: skip
