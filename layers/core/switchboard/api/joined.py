"""What a metered call's body may name besides its request, taken out before validation and
checked before anything is held: a prompt (`prompt: {slug, version? or tag?, variables}`,
chat completions: domain/prompted_chat.py) and an experiment (`experiment: {id}`, chat and
kits: domain/experiments.py). The call's trace records both.

    data = await joined(data, call, app_id=None, prompts=True)

An unknown prompt or experiment (or another user's) is 404, a missing variable 400 naming
`prompt.variables.<name>`; neither field ever reaches the upstream.
"""

from __future__ import annotations

from typing import Any

from switchboard.api.metering import MeteredCall
from switchboard.bootstrap import container
from switchboard.domain.prompted_chat import take_prompt, with_prompt
from switchboard.domain.traces import PromptRef
from switchboard.services import threads


async def joined(
    data: dict[str, Any], call: MeteredCall, *, app_id: str | None = None, prompts: bool = True
) -> dict[str, Any]:
    data, experiment_id = _take_experiment(data)
    services = container()
    if experiment_id is not None:
        await threads.blocking(services.experiments.joinable, call.principal, experiment_id)
    prompt: PromptRef | None = None
    if prompts:
        data, ref = take_prompt(data)
        if ref is not None:
            resolved = await threads.blocking(services.prompts.resolve, call.principal, ref, app_id)
            data = with_prompt(data, resolved.messages, resolved.model)
            prompt = PromptRef(resolved.slug, resolved.version)
    _traced(call, prompt, experiment_id)
    return data


def _take_experiment(data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """domain/experiments.py's take_experiment, imported for a body that names one: its
    models are no part of a plain chat completion's cold start (about 3 ms)."""
    if "experiment" not in data:
        return data, None
    from switchboard.domain.experiments import take_experiment

    return take_experiment(data)


def _traced(call: MeteredCall, prompt: PromptRef | None, experiment_id: str | None) -> None:
    """The call's trace records the prompt version and the experiment it joined."""
    trace = call.meter.trace
    if trace is None:  # the platform does not trace
        return
    if prompt is not None:
        trace.prompt = prompt
    if experiment_id is not None:
        trace.experiment_id = experiment_id
