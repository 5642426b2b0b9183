"""api/routes/kits.py: kits and skills."""

from switchboard.api.openapi.operation import JSON, SSE, Operation
from switchboard.api.openapi.shapes.own import KitList, KitRun, KitRunDelta, SkillList
from switchboard.domain.kit_runs import KitRunRequest

TAG = "Kits"

OPERATIONS = [
    Operation("GET", "/v1/kits", "List kits", TAG, response=KitList),
    Operation(
        "POST", "/v1/kits/run", "Run a kit", TAG, request=KitRunRequest, response=KitRun,
        response_media=(JSON, SSE), stream=KitRunDelta,
        description="With `stream: true`, SSE frames of `kit.run.delta`, then the run.",
    ),
    Operation("GET", "/skills", "List skills", TAG, response=SkillList),
]  # fmt: skip
