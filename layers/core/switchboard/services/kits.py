"""Kit runs: a kit's chat request to its model, held and billed at the kit's price.

The worst case (the prompt as Switchboard counts it, plus the run's output limit) is held at
the kit's price before the model is called, and the usage settled after it (an upstream's
usage is untrusted: missing or insane usage is estimated, as for chat). A stream the client
leaves is settled for what was produced. `latency_ms` is measured here, from the request's
arrival at the service to its answer (or the stream's last event).

A streamed run's events (server-sent, `data: <json>`, then `data: [DONE]`):
    {"id", "object": "kit.run.delta", "kit", "status": "in_progress", "output": {"text": piece}}
    ...
    {"id", "object": "kit.run", "kit", "status": "completed", "output", "usage", "latency_ms"}
    (usage: input_tokens, output_tokens, total_tokens, and cost_usd: what the ledger charged)
the last being the whole run, as the same request unstreamed answers it (output included).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from switchboard.domain.billing import Charge, cost_usd
from switchboard.domain.catalog import Catalog, ModelEntry
from switchboard.domain.completions import Usage
from switchboard.domain.kit_runs import KitRunRequest, chat_request, classify, labels_of
from switchboard.domain.kits import Kit, KitCatalog
from switchboard.domain.requests import ChatCompletionRequest
from switchboard.domain.tokens import count_tokens
from switchboard.ports import ProviderLookup

if TYPE_CHECKING:
    from switchboard.services.meter import Meter


class KitService:
    def __init__(self, kits: KitCatalog, catalog: Catalog, providers: ProviderLookup) -> None:
        self.kits = kits
        self._catalog = catalog
        self._providers = providers

    def listing(self) -> dict[str, Any]:
        return {"object": "list", "data": [kit.to_dict() for kit in self.kits.kits]}

    def skills(self) -> dict[str, Any]:
        return {"skills": [skill.to_dict() for skill in self.kits.skills]}

    def prepare(self, request: KitRunRequest) -> _Run:
        """The run's kit, priced model and chat request: 404 kit_not_found, 400 over a limit."""
        kit = self.kits.kit(request.kit)
        model = kit.priced(self._catalog.get(kit.model))
        return _Run(kit, model, request, chat_request(kit, model, request))

    async def run(self, request: KitRunRequest, meter: Meter) -> dict[str, Any]:
        run = self.prepare(request)
        await meter.admit(run.model, run.chat.prompt_tokens, run.chat.max_tokens)
        try:
            completion = await self._providers.get(run.model.provider).complete(run.chat, run.model)
        except BaseException:
            await meter.release("the upstream call failed")
            raise
        text = str(completion.choices[0].message.get("content") or "") if completion.choices else ""
        usage = completion.usage or _estimate(run.chat, text)
        meter.capture(request.input, text)
        charge = await meter.settle(run.model, usage.prompt_tokens, usage.completion_tokens)
        return run.answer(text, usage, charge)

    async def stream(self, request: KitRunRequest, meter: Meter) -> AsyncGenerator[dict[str, Any]]:
        """The run's events; raises on the first `__anext__` if it fails before any output."""
        run = self.prepare(request)
        await meter.admit(run.model, run.chat.prompt_tokens, run.chat.max_tokens)
        usage: Usage | None = None
        pieces: list[str] = []
        try:
            chunks = self._providers.get(run.model.provider).stream(run.chat, run.model)
            async with aclosing(chunks):
                async for chunk in chunks:
                    usage = chunk.usage or usage
                    piece = "".join(
                        str(c.delta.get("content") or "") for c in chunk.choices if c.index == 0
                    )
                    if piece:
                        if not pieces:
                            meter.first_token()
                        pieces.append(piece)
                        yield run.delta(piece)
        except BaseException:  # upstream failure or client gone: bill only what was produced
            if usage is None and not pieces:
                await meter.release("the stream ended before any output")
            else:
                final = usage or _estimate(run.chat, "".join(pieces))
                await meter.settle(run.model, final.prompt_tokens, final.completion_tokens)
            raise
        text = "".join(pieces)
        final = usage or _estimate(run.chat, text)
        meter.capture(request.input, text)
        charge = await meter.settle(run.model, final.prompt_tokens, final.completion_tokens)
        yield run.answer(text, final, charge)


class _Run:
    def __init__(
        self, kit: Kit, model: ModelEntry, request: KitRunRequest, chat: ChatCompletionRequest
    ) -> None:
        self.kit, self.model, self.request, self.chat = kit, model, request, chat
        self.id = "run_" + uuid.uuid4().hex
        self._started = time.perf_counter()

    def delta(self, piece: str) -> dict[str, Any]:
        head = {"id": self.id, "object": "kit.run.delta", "kit": self.kit.id}
        return head | {"status": "in_progress", "output": {"text": piece}}

    def answer(self, text: str, usage: Usage, charge: Charge | None) -> dict[str, Any]:
        """The run's result; `usage.cost_usd` is what the ledger charged for it."""
        output: dict[str, Any] = {"text": text}
        labels = labels_of(self.kit, self.request)
        if labels:
            output["label"], output["scores"] = classify(text, labels)
        return {
            "id": self.id,
            "object": "kit.run",
            "kit": self.kit.id,
            "status": "completed",
            "output": output,
            "usage": {
                "input_tokens": usage.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
                "cost_usd": cost_usd([charge]),
            },
            "latency_ms": round((time.perf_counter() - self._started) * 1000),
        }


def _estimate(chat: ChatCompletionRequest, text: str) -> Usage:
    """The usage of an answer whose upstream reported none that can be trusted: the prompt
    as counted for the hold, and the produced text by domain/tokens.py (as chat does)."""
    return Usage(chat.prompt_tokens, count_tokens(text))
