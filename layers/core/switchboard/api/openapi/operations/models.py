"""api/routes/models.py and health.py: the catalog and the health check."""

from switchboard.api.openapi.operation import Operation
from switchboard.api.openapi.shapes.openai import Model, ModelList
from switchboard.api.openapi.shapes.own import Health, PublicModelList

TAG = "Models"

OPERATIONS = [
    Operation("GET", "/v1/models", "List models", TAG, response=ModelList),
    Operation("GET", "/v1/models/{model_id}", "Retrieve a model", TAG, response=Model),
    Operation(
        "GET", "/v1/public/models", "The public price list", TAG,
        response=PublicModelList, access="public",
    ),
    Operation("GET", "/v1/{app_id}/ai/models", "The models an app accepts", TAG,
              response=ModelList),
    Operation("GET", "/health", "Health check", "Platform", response=Health, access="public"),
]  # fmt: skip
