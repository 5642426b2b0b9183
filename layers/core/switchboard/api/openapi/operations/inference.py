"""api/routes/chat.py and embeddings.py: chat completions and embeddings, OpenAI's shapes."""

from switchboard.api.openapi.operation import JSON, SSE, Operation
from switchboard.api.openapi.shapes.openai import ChatCompletion, ChatCompletionChunk, EmbeddingList
from switchboard.domain.requests import ChatCompletionRequest, EmbeddingRequest

TAG = "Inference"
IN_APP = "Through an app: its config chooses and limits the model."
STREAM = "With `stream: true`, SSE frames of `chat.completion.chunk`, then `data: [DONE]`."

OPERATIONS = [
    Operation(
        "POST",
        "/v1/chat/completions",
        "Create a chat completion",
        TAG,
        request=ChatCompletionRequest,
        response=ChatCompletion,
        response_media=(JSON, SSE),
        stream=ChatCompletionChunk,
        description=STREAM,
    ),
    Operation(
        "POST",
        "/v1/{app_id}/chat/completions",
        "Create a chat completion in an app",
        TAG,
        request=ChatCompletionRequest,
        response=ChatCompletion,
        response_media=(JSON, SSE),
        stream=ChatCompletionChunk,
        description=f"{IN_APP} {STREAM}",
    ),
    Operation(
        "POST", "/v1/embeddings", "Create embeddings", TAG,
        request=EmbeddingRequest, response=EmbeddingList,
    ),
    Operation(
        "POST", "/v1/{app_id}/embeddings", "Create embeddings in an app", TAG,
        request=EmbeddingRequest, response=EmbeddingList, description=IN_APP,
    ),
]  # fmt: skip
