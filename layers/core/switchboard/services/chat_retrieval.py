"""Chat's file_search: the request a chat completion becomes after retrieval from the
caller's vector stores (docs/vector-stores.md, "file_search in chat").

Every store the tool names must be the caller's (404 naming the first that is not, before
anything is held). The last user message is searched in them, one query embedding per
embedding model among the stores, each charged on a meter of its own in the same request
(`meter.another`). The best chunks that fit the model's context beside the prompt and the
answer go to the model in one system message after the system messages; `Searched` then
lists them as the answer's `sources` and counts the search's charges in its cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from switchboard.domain.file_search import (
    FileSearch,
    Searched,
    best,
    by_embedding_model,
    context_message,
    fitting,
    search_query,
    sources,
    with_context,
)
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.services.blocking import blocking

if TYPE_CHECKING:
    from switchboard.domain.billing import Charge
    from switchboard.domain.vector_stores import Retrieved
    from switchboard.services.inference import InferenceService
    from switchboard.services.meter import Meter
    from switchboard.services.vector_stores import VectorStoreService


class ChatRetrieval:
    def __init__(self, inference: InferenceService, vector_stores: VectorStoreService) -> None:
        self._inference = inference
        self._stores = vector_stores

    async def searched(
        self, body: ChatCompletionRequest, user_id: str, meter: Meter, tool: FileSearch
    ) -> tuple[ChatCompletionRequest, Searched]:
        """The body with the retrieved context, and what the answer says of it."""
        model = self._inference.chat_model(body)  # a wrong model: 400 before the search
        messages = [m.model_dump(mode="json", by_alias=True, exclude_none=True)
                    for m in body.messages]  # fmt: skip
        found, charges = await self._retrieve(messages, user_id, meter, tool)
        if model.context_window:  # the chunks that fit beside the prompt and the answer
            answer = body.output_limit or model.max_output_tokens or 0
            found = fitting(found, model.context_window - answer - body.prompt_tokens)
        data = body.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["messages"] = with_context(messages, context_message(found))
        return ChatCompletionRequest.model_validate(data), Searched(sources(found), charges)

    async def _retrieve(
        self, messages: list[dict[str, Any]], user_id: str, meter: Meter, tool: FileSearch
    ) -> tuple[list[Retrieved], list[Charge | None]]:
        """The best chunks of the caller's stores for the last user message, and the
        charges of the query's embeddings: one for each embedding model."""
        query = search_query(messages)
        stores = await blocking(self._stores.visible, user_id, tool.vector_store_ids)
        found: list[Retrieved] = []
        charges: list[Charge | None] = []
        for group in by_embedding_model(stores):
            search_meter = meter.another("file_search", "retrieval")
            found += await self._stores.retrieve(group, query, tool.max_num_results, search_meter)
            charges.append(search_meter.charge)
        return best(found, tool.max_num_results), charges
