"""What may go wrong while a batch runs, on the emulator with the real state machine: a line
message delivered twice or racing itself, a worker killed between the model call and the
settlement, a message that fails every delivery, a cancel or an expiry in the middle, the
owner's rate limits and balance. Crashes are simulated by wrapping a real port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import anyio
import pytest

from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.batches import LineStatus, Status
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.principals import Principal
from switchboard.errors import ServiceUnavailableError
from switchboard.services.billing import Billing
from tests.services.test_batch_runs import chat, file_lines, jsonl
from tests.support.batch_rig import Rig, make_rig
from tests.support.ledger import ledger_state

pytestmark = pytest.mark.anyio


class Wrapped:
    """A real port, with one call changed by the test."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class DiesBeforeSettling(Wrapped):
    """The line worker's process "dies" once the model has answered, before the line's
    settlement is written (`failure`: what it dies of; None: it lives)."""

    failure: BaseException | None = SystemExit("the worker's process was killed")

    def line_written(self, batch_id: str, line: Any, **kwargs: Any) -> Any:
        if line.status is LineStatus.COMPLETED and self.failure is not None:
            raise self.failure
        return self._real.line_written(batch_id, line, **kwargs)


class CancelledWhileALineRuns(Wrapped):
    """The owner cancels the batch while line `at` runs (its model has answered)."""

    at: int | None = None

    def line_written(self, batch_id: str, line: Any, **kwargs: Any) -> Any:
        if line.number == self.at:
            self._real.move(batch_id, Status.CANCELLING, epoch_seconds(utcnow()),
                            when={Status.IN_PROGRESS})  # fmt: skip
        return self._real.line_written(batch_id, line, **kwargs)


class ConflictsOnce(Wrapped):
    """The ledger, whose first settlement of each hold is cancelled (DynamoDB cancels a
    transaction that meets another one on the same item: the batch's, the account's)."""

    def __init__(self, real: Any) -> None:
        super().__init__(real)
        self.conflicts: set[str] = set()

    def settle(self, r: Any, *args: Any, **kwargs: Any) -> bool:
        if r.reservation_id not in self.conflicts:
            self.conflicts.add(r.reservation_id)
            raise ServiceUnavailableError("The data store is unavailable; try again.")
        return bool(self._real.settle(r, *args, **kwargs))


class RecordsSends(Wrapped):
    def __init__(self, real: Any) -> None:
        super().__init__(real)
        self.sent: list[tuple[dict[str, Any], int]] = []

    def send(self, body: dict[str, Any], *, delay_seconds: int = 0) -> str:
        self.sent.append((body, delay_seconds))
        return str(self._real.send(body, delay_seconds=delay_seconds))


def kept(made: list[Any], wrapper: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A wrap_* argument of make_rig that keeps the wrapper it makes, for the test to read."""

    def wrap(real: Any) -> Any:
        made.append(wrapper(real))
        return made[-1]

    return wrap


async def split(rig: Rig, user: User, count: int) -> tuple[str, list[dict[str, Any]]]:
    """A batch of `count` lines, validated and split: its id and its line messages."""
    lines = [chat(f"c{n}", f"line {n}") for n in range(1, count + 1)]
    batch = await rig.start(user.user_id, jsonl(lines))
    await rig.step("validate")
    await rig.step("split")
    messages = rig.receive("lines")
    assert sum(len(m["lines"]) for m in messages) == count
    return batch.batch_id, sorted(messages, key=lambda m: m["lines"][0])


def settled(services: Container, user: User) -> tuple[int, dict[str, int]]:
    balance, kinds = ledger_state(services.ledger_repo, user.user_id)
    return balance, {kind: kinds.count(kind) for kind in ("reserve", "settle", "release")}


async def test_a_message_delivered_again_or_racing_itself_bills_and_stores_each_line_once(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    rig = make_rig(services)
    again, [message] = await split(rig, user, 5)
    await rig.lines.process(message)
    after_first = settled(services, user)
    await rig.lines.process(message)  # delivered again: nothing more happens
    assert settled(services, user) == after_first
    racing, [message] = await split(rig, user, 5)
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(rig.lines.process, message)
    for batch_id in (again, racing):
        done = await rig.drive(batch_id)
        assert (done.counts.total, done.counts.completed, done.counts.failed) == (5, 5, 0)
        outputs = file_lines(services, done.output_file_id)
        assert [o["custom_id"] for o in outputs] == [f"c{n}" for n in range(1, 6)]
    balance, counts = settled(services, user)
    assert counts["settle"] == 10 and counts["reserve"] == counts["settle"] + counts["release"]
    assert balance == 10_000_000 - sum(rig.batch(b).cost_micro_usd for b in (again, racing))


@pytest.mark.parametrize("then", ["the retry settles it", "the sweeper releases it first"])
async def test_a_worker_killed_between_the_model_call_and_the_settlement(
    services: Container, new_user: Callable[..., User], then: str
) -> None:
    user = new_user(plan="enterprise")
    dying = DiesBeforeSettling(services.batch_repo)
    rig = make_rig(services, wrap_repo=lambda _: dying)
    batch_id, [message] = await split(rig, user, 2)
    with pytest.raises(SystemExit):
        await rig.lines.process(message)
    assert settled(services, user)[1] == {"reserve": 1, "settle": 0, "release": 0}  # held
    if then == "the sweeper releases it first":
        later = Billing(services.ledger_repo, services.limiter, reservation_ttl_seconds=900,
                        now=lambda: utcnow() + timedelta(hours=2))  # fmt: skip
        assert later.sweep_once() >= 1
    dying.failure = None
    await rig.lines.process(message)  # the message comes back, to a worker that lives
    done = await rig.drive(batch_id)
    assert (done.counts.completed, done.counts.failed) == (2, 0)
    assert len(file_lines(services, done.output_file_id)) == 2
    balance, counts = settled(services, user)
    released = 1 if then == "the sweeper releases it first" else 0
    assert counts == {"reserve": 2 + released, "settle": 2, "release": released}
    assert balance == 10_000_000 - done.cost_micro_usd


async def test_a_settlement_cancelled_by_a_conflicting_transaction_is_made_again(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    ledger: list[ConflictsOnce] = []
    rig = make_rig(services, wrap_ledger=kept(ledger, ConflictsOnce))
    batch_id, [message] = await split(rig, user, 3)
    await rig.lines.process(message)  # no error: each line's settlement is retried at once
    assert len(ledger[0].conflicts) == 3
    done = await rig.drive(batch_id)
    assert (done.counts.completed, done.counts.failed) == (3, 0)
    assert settled(services, user) == (
        10_000_000 - done.cost_micro_usd, {"reserve": 3, "settle": 3, "release": 0},
    )  # fmt: skip


async def test_a_message_that_fails_every_delivery_is_dead_lettered_and_its_holds_released(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    broken = DiesBeforeSettling(services.batch_repo)
    broken.failure = RuntimeError("the line's outcome cannot be written")
    rig = make_rig(services, wrap_repo=lambda _: broken)
    batch = await rig.start(user.user_id, jsonl([chat("a"), chat("b")]))
    done = await rig.drive(batch.batch_id)  # two receives, then the dead-letter queue
    assert done.status is Status.COMPLETED
    assert (done.counts.total, done.counts.completed, done.counts.failed) == (2, 0, 2)
    errors = file_lines(services, done.error_file_id)
    assert [e["error"]["code"] for e in errors] == ["processing_failed"] * 2
    assert settled(services, user) == (10_000_000, {"reserve": 1, "settle": 0, "release": 1})


async def test_cancel_in_the_middle_bills_what_ran_and_starts_nothing_after_it(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    cancels = CancelledWhileALineRuns(services.batch_repo)
    rig = make_rig(services, wrap_repo=lambda _: cancels)
    batch_id, messages = await split(rig, user, 12)
    await rig.lines.process(messages[0])  # lines 1 to 5
    cancels.at = 7  # the owner cancels while line 7 runs: it finishes and is billed
    for message in messages[1:]:
        await rig.lines.process(message)
    batch = rig.batch(batch_id)
    assert batch.status is Status.CANCELLING and batch.counts.completed == 7
    done = await rig.drive(batch_id)
    assert done.status is Status.CANCELLED and {"cancelling_at", "cancelled_at"} <= set(
        done.entered
    )
    assert (done.counts.total, done.counts.completed, done.counts.failed) == (12, 7, 0)
    assert [o["custom_id"] for o in file_lines(services, done.output_file_id)] == [
        f"c{n}" for n in range(1, 8)
    ]
    assert done.error_file_id is None
    balance, counts = settled(services, user)
    assert counts == {"reserve": 7, "settle": 7, "release": 0}  # nothing started after it
    assert balance == 10_000_000 - done.cost_micro_usd
    owner = Principal(user.user_id, "key", ("*",), "user", "enterprise")
    assert await rig.batches.cancel(owner, batch_id) == done  # finished: unchanged


async def test_a_batch_not_finished_within_its_window_expires_with_what_ran(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise")
    rig = make_rig(services, window_seconds=2)
    batch_id, messages = await split(rig, user, 8)
    await rig.lines.process(messages[0])
    await anyio.sleep(2.1)
    assert rig.batches.expire_due() >= 1  # the sweeper's part
    expiring = rig.batch(batch_id)
    assert expiring.status is Status.EXPIRING and expiring.status.shown == "in_progress"
    assert batch_id not in services.batch_repo.due(epoch_seconds(utcnow()))
    for message in messages[1:]:  # lines that had not started: skipped, counted as done
        await rig.lines.process(message)
    done = await rig.drive(batch_id)
    assert done.status is Status.EXPIRED and "expired_at" in done.entered
    assert (done.counts.total, done.counts.completed, done.counts.failed) == (8, 5, 0)
    assert len(file_lines(services, done.output_file_id)) == 5
    assert settled(services, user)[1]["settle"] == 5


async def test_tokens_per_minute_pace_a_batch_instead_of_failing_it(
    services: Container,
) -> None:
    from switchboard.domain.limits import RateLimits
    from tests.api.test_rate_limits import fresh_window

    limits = RateLimits(requests_per_minute=1000, tokens_per_minute=30)
    user = services.accounts.register(
        f"pace-{utcnow().timestamp()}@example.com", "P", "P", credits_usd="10", limits=limits
    ).user
    recorders: list[RecordsSends] = []
    rig = make_rig(services, wrap_lines_queue=kept(recorders, RecordsSends))
    batch_id, [message] = await split(rig, user, 5)
    await fresh_window()
    await rig.lines.process(message)
    batch = rig.batch(batch_id)
    ran = batch.counts.completed
    assert 1 <= ran < 5 and batch.counts.failed == 0  # paced, not failed
    [(rest, delay)] = recorders[0].sent
    assert rest["lines"] == list(range(ran + 1, 6)) and 1 <= delay <= 60
    assert rig.receive("lines") == []  # held back until the window turns


async def test_when_the_balance_runs_out_the_remaining_lines_fail_with_insufficient_credits(
    services: Container, new_user: Callable[..., User]
) -> None:
    user = new_user(plan="enterprise", balance_usd=0)
    services.accounts.add_credits(user.user_id, 60, "enough for a few lines")
    rig = make_rig(services)
    body = {"model": "fake-chat", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    lines = [chat(f"c{n}", body=body) for n in range(10)]
    batch = await rig.start(user.user_id, jsonl(lines))
    done = await rig.drive(batch.batch_id)
    assert done.counts.completed + done.counts.failed == 10 and done.counts.completed >= 1
    errors = file_lines(services, done.error_file_id)
    assert len(errors) == done.counts.failed >= 1
    for error in errors:
        assert error["error"]["code"] == "insufficient_credits"
        assert error["response"]["status_code"] == 402
    balance, counts = settled(services, user)
    assert balance == 60 - done.cost_micro_usd >= 0  # never overspent
    assert counts["settle"] == done.counts.completed
