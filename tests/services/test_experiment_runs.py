"""Experiment runs end to end on the emulator: a dataset against two variants through the
batch engine (a rig of its own, tests/support/batch_rig.py, whose finalize step calls the
runs' hook as the container wires it), each line scored by every built-in evaluator, the
progress and the experiment's aggregates; wrong runs refused before any batch starts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.batch_lines import line_trace_id
from switchboard.domain.batches import Batch, Endpoint
from switchboard.domain.evaluators import Evaluator
from switchboard.domain.limits import RateLimits
from switchboard.domain.principals import Principal
from switchboard.domain.runs import Row, Run
from switchboard.errors import InvalidRequestError, NotFoundError
from switchboard.services.batch_steps import BatchSteps
from switchboard.services.experiment_runs import ExperimentRuns
from switchboard.services.run_scoring import RunScoring
from tests.support.batch_rig import Rig, make_rig
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio
INTRO = "This is Switchboard's offline local model. You said: "
FAKE_REPLY = "Hello from the fake upstream. This reply is always the same."


def principal(user: User) -> Principal:
    return Principal(user.user_id, "key_test", ("*",), user.role.value, user.plan)


def runs_on(rig: Rig, services: Container) -> tuple[ExperimentRuns, RunScoring]:
    """The container's run services, starting their batches on the rig, whose finalize
    step calls the scoring's hook as BatchParts wires it."""
    runs = ExperimentRuns(
        services.experiment_repo, services.experiments, services.prompts, services.files,
        rig.batches, services.batch_repo, services.blobs, services.catalog,
    )  # fmt: skip
    scoring = RunScoring(
        services.experiment_repo, services.experiments, services.batch_repo, services.blobs,
        services.inference, services.billing,
    )  # fmt: skip
    steps = rig.steps
    rig.steps = BatchSteps(
        services.batch_repo, services.files, services.blobs, steps._lines, steps._workflow,
        finished=scoring.batch_finished,
    )  # fmt: skip
    return runs, scoring


def greeting(services: Container, owner: Principal) -> None:
    services.prompts.create(owner, {"slug": "echo"}, None)
    body = {"text": "Repeat {{word}}", "systemText": "You repeat words.",
            "model": {"model": "local-chat", "parameters": {"max_tokens": 40}}}  # fmt: skip
    services.prompts.add_version(owner, "echo", body, None)


EVALUATORS = [
    {"type": "exact_match"},
    {"type": "contains"},
    {"type": "regex", "pattern": r"You said: Repeat \w+"},
    {"type": "json_valid"},
    {"type": "llm_judge", "model": "fake-grader", "rubric": "Did it repeat the word?"},
]


async def test_a_two_variant_run_is_scored_by_every_evaluator(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    owner = principal(user)
    greeting(services, owner)
    experiment = services.experiments.create(owner, {"featureSlug": "echo", "name": "Echo"})
    rig = make_rig(services)
    runs, scoring = runs_on(rig, services)
    dataset = [
        {"variables": {"word": "Paris"}, "idealOutput": "Paris"},
        {"variables": {"word": "Lyon"}, "idealOutput": FAKE_REPLY},
        {"variables": {"word": "Nice"}},
    ]
    before = ledger_state(services.ledger_repo, user.user_id)[0]
    variants = [{"prompt": {"slug": "echo", "version": 1}}, {"model": "fake-chat"}]
    body = {"dataset": dataset, "evaluators": EVALUATORS, "variants": variants}
    run = await runs.start(owner, experiment.id, body)
    assert run.status == "running" and run.total == 6 and run.batch_id is not None
    started, done = await runs.get(owner, experiment.id, run.id)
    assert started.to_dict(done)["progress"] == {"done": 0, "total": 6}

    batch = await rig.drive(run.batch_id)
    assert batch.status.value == "completed" and batch.counts.completed == 6
    finished, done = await runs.get(owner, experiment.id, run.id)
    shown = finished.to_dict(done)
    assert (shown["status"], shown["progress"]) == ("completed", {"done": 6, "total": 6})
    assert (shown["scored"], shown["judge_failures"]) == (6, 0)

    # the prompt variant's lines went as compiled, the model variant's as the prompt's too
    sent = [json.loads(line) for line in services.blobs.get(batch.input_key).splitlines()]
    assert [line["custom_id"] for line in sent][:2] == [f"{run.id}:0:0", f"{run.id}:0:1"]
    assert sent[0]["body"]["messages"] == [
        {"role": "system", "content": "You repeat words."},
        {"role": "user", "content": "Repeat Paris"},
    ]
    assert sent[0]["body"]["model"] == "local-chat" and sent[0]["body"]["max_tokens"] == 40
    assert sent[1]["body"]["model"] == "fake-chat" and "max_tokens" not in sent[1]["body"]
    assert sent[0]["trace"] == {"experiment_id": experiment.id,
                                "prompt": {"slug": "echo", "version": 1}}  # fmt: skip

    described = services.experiments.describe(owner, experiment.id)
    assert [(r["id"], r["status"]) for r in described["runs"]] == [(run.id, "completed")]
    variants = described["variants"]
    by_variant = {v["variant"]: v["scores"] for v in variants}
    # each line's trace joined the experiment under its variant: counted from the counters
    for shown_variant in variants:
        assert (shown_variant["count"], shown_variant["error_rate"]) == (3, 0.0)
        assert shown_variant["cost_usd"] != "0.000000"
        assert shown_variant["latency_ms"]["p50"] is not None
    line_trace = services.trace_repo.get(line_trace_id(run.batch_id, 1), 0)
    assert line_trace is not None and line_trace.experiment_id == experiment.id
    assert line_trace.to_dict()["prompt"] == {"slug": "echo", "version": 1}
    assert by_variant["prompt:echo@1"] == {
        "exact_match": {"count": 2, "mean": 0.0},  # the third row has no idealOutput
        "contains": {"count": 2, "mean": 0.5},  # "Paris" is in its echo, the fake reply is not
        "regex": {"count": 3, "mean": 1.0},
        "json_valid": {"count": 3, "mean": 0.0},
        "llm_judge": {"count": 3, "mean": 0.7},
    }
    assert by_variant["model:fake-chat"] == {
        "exact_match": {"count": 2, "mean": 0.5},  # the second row's ideal is the fake reply
        "contains": {"count": 2, "mean": 0.5},
        "regex": {"count": 3, "mean": 0.0},
        "json_valid": {"count": 3, "mean": 0.0},
        "llm_judge": {"count": 3, "mean": 0.7},
    }
    # six lines and six judge calls, each metered on the owner's balance
    after, kinds = ledger_state(services.ledger_repo, user.user_id)
    assert kinds.count("settle") >= 12 and after < before

    # the step again (a redelivered finalize message) changes nothing
    await scoring.batch_finished(run.batch_id)
    again = services.experiments.describe(owner, experiment.id)["variants"]
    assert {v["variant"]: v["scores"] for v in again} == by_variant
    assert ledger_state(services.ledger_repo, user.user_id)[0] == after


async def test_a_dataset_may_be_a_file_of_rows(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    owner = principal(user)
    experiment = services.experiments.create(owner, {"featureSlug": "files", "name": "Rows"})
    rows = [{"input": "one", "idealOutput": "one"}, {"input": "two"}]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    stored = await services.files.upload(owner, purpose="batch", filename="rows.jsonl", data=data)
    rig = make_rig(services)
    runs, _ = runs_on(rig, services)
    body = {"dataset": stored.file_id, "variants": [{"model": "local-chat"}],
            "evaluators": [{"type": "contains"}]}  # fmt: skip
    run = await runs.start(owner, experiment.id, body)
    assert run.batch_id is not None
    await rig.drive(run.batch_id)
    finished, done = await runs.get(owner, experiment.id, run.id)
    assert finished.to_dict(done)["progress"] == {"done": 2, "total": 2}
    variants = services.experiments.describe(owner, experiment.id)["variants"]
    assert variants[0]["variant"] == "model:local-chat"
    assert variants[0]["scores"] == {"contains": {"count": 1, "mean": 1.0}}


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"variants": [{"prompt": {"slug": "nope", "version": 1}}]}, "variants[0].prompt"),
        ({"variants": [{"model": "local-embed"}]}, "variants[0].model"),
        ({"variants": [{"model": "local-chat"}], "dataset": [{"variables": {}}]}, "dataset[0]"),
        ({"dataset": [{"variables": {}}]}, "dataset[0].variables.word"),
        (
            {"evaluators": [{"type": "llm_judge", "model": "nope", "rubric": "r"}]},
            "evaluators[0].model",
        ),
        ({"dataset": "file-nope"}, "file_id"),
    ],
)
async def test_a_wrong_run_is_refused_before_any_batch(
    services: Container, new_user: Callable[..., User], change: dict[str, Any], param: str
) -> None:
    owner = principal(new_user())
    greeting(services, owner)
    experiment = services.experiments.create(owner, {"featureSlug": "x", "name": "x"})
    runs, _ = runs_on(make_rig(services), services)
    body = {"dataset": [{"variables": {"word": "a"}}],
            "variants": [{"prompt": {"slug": "echo", "version": 1}}]} | change  # fmt: skip
    with pytest.raises((InvalidRequestError, NotFoundError)) as caught:
        await runs.start(owner, experiment.id, body)
    assert caught.value.param == param
    assert not services.batch_repo.list_for_user(owner.user_id, after=None, limit=1)


async def test_another_users_experiment_and_runs_are_not_there(
    services: Container, new_user: Callable[..., User]
) -> None:
    owner, other = principal(new_user()), principal(new_user())
    experiment = services.experiments.create(owner, {"featureSlug": "x", "name": "x"})
    runs, _ = runs_on(make_rig(services), services)
    body = {"dataset": [{"input": "a"}], "variants": [{"model": "local-chat"}]}
    with pytest.raises(NotFoundError) as caught:
        await runs.start(other, experiment.id, body)
    assert caught.value.code == "experiment_not_found"
    with pytest.raises(NotFoundError) as caught:
        await runs.get(owner, experiment.id, "run_nope")
    assert caught.value.code == "run_not_found"


async def test_a_judge_that_cannot_be_asked_records_nothing(
    services: Container, new_user: Callable[..., User]
) -> None:
    """Refused by the owner's rate limits past the step's budget (no wait), or by their
    balance: no grade, no charge; a judge that answers is graded."""
    _, scoring = runs_on(make_rig(services), services)
    judge = Evaluator("llm_judge", "judge", model="fake-grader", rubric="r")
    row = Row({}, "ideal")

    async def grade(user: User, limits: RateLimits) -> float | None:
        run = Run("run_judge", "exp_judge", user.user_id, (), (judge,), 1, datetime.now(UTC))
        batch = Batch("batch_judge", user.user_id, Endpoint.CHAT, "file-x", "key", 0, 0, limits)
        number = int(anyio.current_time() * 1000)  # a fresh hold id per call
        return await scoring._judge(run, batch, number, judge, row, "out", "req",
                                    anyio.current_time())  # fmt: skip

    one_a_minute = RateLimits(1, 10_000_000)
    user = new_user(plan="enterprise")
    before = ledger_state(services.ledger_repo, user.user_id)[0]
    assert await grade(user, one_a_minute) == 0.7
    assert ledger_state(services.ledger_repo, user.user_id)[0] < before  # metered
    assert await grade(user, one_a_minute) is None  # 429, and no time left to wait for it
    assert await grade(new_user(balance_usd=0), RateLimits(1_000, 10_000_000)) is None  # 402
