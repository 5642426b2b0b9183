"""Vector store file ingestion (services/vector_files.py) against the emulator: real table,
blob store, queue handler and S3 Vectors index. Documents are read, chunked as the file's
strategy says, embedded (billed to the store's owner, once per batch whatever the number
of deliveries) and indexed; a file that cannot be read or paid for fails with last_error;
a file removed meanwhile leaves nothing behind; dead letters fail the file."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import pytest

from switchboard.adapters.aws.vector_stores import DynamoVectorStores
from switchboard.bootstrap import Container
from switchboard.domain.accounts import User
from switchboard.domain.chunking import AUTO, ChunkingStrategy, chunk_text, static_strategy
from switchboard.domain.clock import epoch_seconds, utcnow
from switchboard.domain.files import Purpose, StoredFile, document_key
from switchboard.domain.tokens import count_tokens
from switchboard.domain.vector_stores import (
    FileStatus,
    StoreFile,
    VectorStore,
    chunks_key,
    new_store_id,
    vector_keys,
)
from switchboard.errors import ServiceUnavailableError, UpstreamError
from switchboard.local.functions import LocalContext, load_handler
from switchboard.local.template import Template
from switchboard.services.audit import LedgerAudit
from switchboard.services.inference import InferenceService
from switchboard.services.vector_files import EMBED_BATCH, VectorFileIngestion
from tests.conftest import ROOT, TEMPLATE
from tests.support.ledger import ledger_state

DOCUMENTS = ROOT / "tests" / "fixtures" / "documents"
PARAGRAPH = (
    "Tidal energy turns the rise and fall of the sea into electricity. Barrages hold water "
    "back at high tide and let it through turbines as the tide falls.\n\n"
)


def stores(services: Container) -> DynamoVectorStores:
    return services.vector_store_repo


class Rig:
    """A store of one user's, files added to it, and the worker that ingests them."""

    def __init__(self, services: Container, user: User, model: str = "local-embed") -> None:
        self.services = services
        self.user = user
        entry = services.catalog.get(model)
        assert entry.dimensions is not None
        now = epoch_seconds(utcnow())
        self.store = VectorStore(new_store_id(), user.user_id, "docs", now, model,
                                 entry.dimensions, now)  # fmt: skip
        stores(services).put_store(self.store)
        services.vector_index.ensure_index(self.store.index, entry.dimensions)
        self.worker = worker_with(services, embed_batch=EMBED_BATCH)

    def add(
        self,
        filename: str,
        data: bytes,
        chunking: ChunkingStrategy = AUTO,
        attributes: dict[str, Any] | None = None,
        content_type: str = "application/octet-stream",
    ) -> StoreFile:
        services, now = self.services, epoch_seconds(utcnow())
        file_id = "file-" + uuid.uuid4().hex[:24]
        key = document_key(self.user.user_id, file_id, filename)
        services.blobs.put(key, data, content_type=content_type)
        services.file_repo.put(StoredFile(file_id, self.user.user_id, filename,
                                          Purpose.ASSISTANTS, len(data), now, now + 86_400, key,
                                          content_type=content_type))  # fmt: skip
        file = StoreFile(self.store.store_id, file_id, self.user.user_id, filename, len(data),
                         now, chunking=chunking, attributes=attributes or {})  # fmt: skip
        return stores(services).add_file(file)

    def message(self, file: StoreFile) -> dict[str, str]:
        return {"vector_store_id": self.store.store_id, "file_id": file.file_id}

    async def ingest(self, *files: StoreFile) -> None:
        for file in files:
            await self.worker.process(self.message(file))

    def file(self, file: StoreFile) -> StoreFile:
        found = stores(self.services).get_file(self.store.store_id, file.file_id)
        assert found is not None
        return found

    def present(self, file: StoreFile, chunks: int = 50) -> set[str]:
        keys = vector_keys(file.file_id, chunks)
        return self.services.vector_index.present(self.store.index, keys)

    def texts(self, file: StoreFile) -> list[str]:
        key = chunks_key(self.user.user_id, self.store.store_id, file.file_id)
        texts: list[str] = json.loads(self.services.blobs.get(key))
        return texts

    async def search(self, query: str) -> list[tuple[str, int]]:
        """(file_id, chunk) of the nearest vectors to the query's embedding."""
        model = self.services.catalog.get(self.store.embedding_model)
        provider = self.services.providers.get(model.provider)
        (vector,) = (await provider.embed([query], model, None)).vectors
        hits = self.services.vector_index.query(self.store.index, vector, top_k=3)
        return [(str(hit.metadata["file_id"]), int(hit.metadata["chunk"])) for hit in hits]

    def settles(self) -> list[str]:
        """The request ids of the owner's settle entries, oldest first."""
        entries = sorted(self.services.ledger_repo.entries(self.user.user_id),
                         key=lambda e: e.entry_id)  # fmt: skip
        return [str(e.request_id) for e in entries if e.kind == "settle"]


@pytest.fixture
def rig(services: Container, new_user: Callable[..., User]) -> Rig:
    return Rig(services, new_user(balance_usd=10))


@pytest.mark.anyio
async def test_pdf_html_and_markdown_are_indexed_and_searchable(rig: Rig) -> None:
    pdf = rig.add("tidal.pdf", (DOCUMENTS / "tidal.pdf").read_bytes(), attributes={"k": "pdf"})
    html = rig.add("guide.html", (DOCUMENTS / "guide.html").read_bytes())
    notes = rig.add("notes.md", (DOCUMENTS / "notes.md").read_bytes())
    await rig.ingest(pdf, html, notes)
    for file in (pdf, html, notes):
        done = rig.file(file)
        assert done.status is FileStatus.COMPLETED and done.last_error is None
        assert done.chunks == len(rig.texts(file)) >= 1
        assert rig.present(file) == set(vector_keys(file.file_id, done.chunks))
    for file in (pdf, html, notes):  # each file's own first chunk finds that file first
        assert (await rig.search(rig.texts(file)[0]))[0] == (file.file_id, 0)
    (hit,) = rig.services.vector_index.query(
        rig.store.index, [1.0] + [0.0] * 383, 1, {"attr_k": {"$eq": "pdf"}}
    )
    assert hit.metadata["file_id"] == pdf.file_id and hit.metadata["text"] == rig.texts(pdf)[0]
    store = stores(rig.services).get_store(rig.store.store_id)
    assert store is not None and store.file_counts.completed == 3
    assert store.file_counts.in_progress == 0


@pytest.mark.anyio
async def test_a_file_without_an_extension_is_read_as_its_content_type(rig: Rig) -> None:
    page = b"<p>Tides <b>rise</b> twice a day.</p>"
    file = rig.add("page", page, content_type="text/html; charset=utf-8")
    await rig.ingest(file)
    assert rig.file(file).status is FileStatus.COMPLETED
    assert rig.texts(file) == ["Tides rise twice a day."]


@pytest.mark.anyio
async def test_chunks_follow_the_files_strategy(rig: Rig) -> None:
    text = "".join(f"Section {n}. " + PARAGRAPH for n in range(40))
    strategy = static_strategy(100, 40)
    file = rig.add("long.md", text.encode(), chunking=strategy)
    await rig.ingest(file)
    expected = chunk_text(text, strategy)
    assert rig.texts(file) == [chunk.text for chunk in expected]
    assert rig.file(file).chunks == len(expected) > 5
    assert all(chunk.tokens <= 100 for chunk in expected)
    for before, after in itertools.pairwise(expected):  # 40 tokens shared
        assert count_tokens(text[after.start : before.end]) == 40


@pytest.mark.anyio
async def test_batches_of_chunks_are_each_billed_once_to_the_owner(rig: Rig) -> None:
    rig.worker.embed_batch = 4
    text = "".join(f"Part {n}. " + PARAGRAPH for n in range(30))
    file = rig.add("parts.txt", text.encode(), chunking=static_strategy(100, 0))
    await rig.ingest(file)
    chunks = rig.file(file).chunks
    batches = -(-chunks // 4)
    assert rig.settles() == [f"vsfile_{file.file_id}_{n}" for n in range(batches)]
    balance, kinds = ledger_state(rig.services.ledger_repo, rig.user.user_id)
    assert kinds == ["top_up"] + ["reserve", "settle"] * batches and balance < 10_000_000
    await rig.ingest(file)  # SQS delivers it again: nothing more is done or paid
    assert ledger_state(rig.services.ledger_repo, rig.user.user_id) == (balance, kinds)
    assert LedgerAudit(rig.services.ledger_repo).check_user(rig.user.user_id).balanced
    assert rig.present(file, chunks + 5) == set(vector_keys(file.file_id, chunks))


class UnavailableOnce:
    """The real index, whose PutVectors fails once, at the `nth` call: AWS unavailable."""

    def __init__(self, real: Any, nth: int) -> None:
        self._real = real
        self._calls = 0
        self._nth = nth

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def put(self, *args: Any) -> None:
        self._calls += 1
        if self._calls == self._nth:
            raise ServiceUnavailableError("The vector index is unavailable; try again.")
        self._real.put(*args)


def worker_with(services: Container, embed_batch: int = 4, **ports: Any) -> VectorFileIngestion:
    parts: dict[str, Any] = {
        "stores": stores(services), "files": services.files,
        "blobs": services.blobs, "reader": services.document_reader,
        "index": services.vector_index, "catalog": services.catalog,
        "inference": services.inference, "billing": services.billing,
        "accounts": services.account_repo, "limiter": services.limiter,
    } | ports  # fmt: skip
    return VectorFileIngestion(**parts, embed_batch=embed_batch)


@pytest.mark.anyio
async def test_a_redelivery_after_a_transient_failure_pays_no_batch_twice(rig: Rig) -> None:
    text = "".join(f"Part {n}. " + PARAGRAPH for n in range(30))
    file = rig.add("parts.txt", text.encode(), chunking=static_strategy(100, 0))
    flaky = worker_with(rig.services, index=UnavailableOnce(rig.services.vector_index, 3))
    with pytest.raises(ServiceUnavailableError):  # the message comes back
        await flaky.process(rig.message(file))
    assert rig.file(file).status is FileStatus.IN_PROGRESS
    kinds = ledger_state(rig.services.ledger_repo, rig.user.user_id)[1]
    assert kinds == ["top_up", "reserve", "settle", "reserve", "settle", "reserve"]  # held
    await flaky.process(rig.message(file))  # the next delivery
    done = rig.file(file)
    assert done.status is FileStatus.COMPLETED
    batches = -(-done.chunks // 4)
    assert rig.settles() == [f"vsfile_{file.file_id}_{n}" for n in range(batches)]
    kinds = ledger_state(rig.services.ledger_repo, rig.user.user_id)[1]
    assert kinds.count("reserve") == kinds.count("settle") == batches  # the hold adopted
    assert LedgerAudit(rig.services.ledger_repo).check_user(rig.user.user_id).balanced
    assert rig.present(file, done.chunks + 5) == set(vector_keys(file.file_id, done.chunks))


class UpstreamFailsOnce:
    """The real providers; the embedding upstream answers a 502 once, at the `nth` call."""

    def __init__(self, real: Any, nth: int) -> None:
        self._real = real
        self._calls = 0
        self._nth = nth

    def get(self, config: Any) -> Any:
        provider = self._real.get(config)
        outer = self

        class Flaky:
            def __getattr__(self, name: str) -> Any:
                return getattr(provider, name)

            async def embed(self, *args: Any) -> Any:
                outer._calls += 1
                if outer._calls == outer._nth:
                    raise UpstreamError("The upstream answered 502.")
                return await provider.embed(*args)

        return Flaky()


@pytest.mark.anyio
async def test_an_upstream_failure_is_retried_and_its_hold_released(rig: Rig) -> None:
    text = "".join(f"Part {n}. " + PARAGRAPH for n in range(30))
    file = rig.add("parts.txt", text.encode(), chunking=static_strategy(100, 0))
    providers = UpstreamFailsOnce(rig.services.providers, 2)
    inference = InferenceService(rig.services.catalog, providers)
    flaky = worker_with(rig.services, inference=inference)
    with pytest.raises(UpstreamError):  # raised: the message comes back
        await flaky.process(rig.message(file))
    kinds = ledger_state(rig.services.ledger_repo, rig.user.user_id)[1]
    assert kinds == ["top_up", "reserve", "settle", "reserve", "release"]
    await flaky.process(rig.message(file))
    done = rig.file(file)
    assert done.status is FileStatus.COMPLETED
    assert rig.settles() == [f"vsfile_{file.file_id}_{n}" for n in range(-(-done.chunks // 4))]


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "unsupported_file"),
        ("report.pdf", b"this is not a PDF at all", "invalid_file"),
        ("blank.md", b"   \n\n  \t\n", "invalid_file"),
    ],
    ids=["unsupported", "not-what-it-claims", "no-text"],
)
@pytest.mark.anyio
async def test_a_file_that_cannot_be_read_fails_and_costs_nothing(
    rig: Rig, filename: str, data: bytes, code: str
) -> None:
    file = rig.add(filename, data)
    await rig.ingest(file)
    failed = rig.file(file)
    assert failed.status is FileStatus.FAILED and failed.chunks == 0
    assert failed.last_error is not None and failed.last_error.code.value == code
    assert filename in failed.last_error.message or code == "invalid_file"
    assert ledger_state(rig.services.ledger_repo, rig.user.user_id)[1] == ["top_up"]
    assert rig.present(file) == set()


@pytest.mark.anyio
async def test_a_file_deleted_from_the_files_api_fails(rig: Rig) -> None:
    file = rig.add("notes.md", (DOCUMENTS / "notes.md").read_bytes())
    rig.services.file_repo.delete(file.file_id)
    await rig.ingest(file)
    failed = rig.file(file)
    assert failed.status is FileStatus.FAILED and failed.last_error is not None
    assert failed.last_error.code.value == "invalid_file"
    assert "deleted or has expired" in failed.last_error.message


def test_one_failing_file_does_not_stop_the_others(rig: Rig) -> None:
    """Through the real handler (a worker of ours handles one message at a time; several
    in one event, as a larger BatchSize would give, each stand alone)."""
    good = rig.add("notes.md", (DOCUMENTS / "notes.md").read_bytes())
    bad = rig.add("archive.zip", b"PK\x03\x04" + bytes(100))
    other = rig.add("city.json", (DOCUMENTS / "city.json").read_bytes())
    spec = next(s for s in Template.load(TEMPLATE).functions() if s.logical_id ==
                "VectorFilesFunction")  # fmt: skip
    records = [_record(rig.message(f), n) for n, f in enumerate((good, bad, other))]
    answer = load_handler(spec)({"Records": records}, LocalContext(spec, "arn:local"))
    assert answer == {"batchItemFailures": []}
    assert [rig.file(f).status for f in (good, bad, other)] == [
        FileStatus.COMPLETED, FileStatus.FAILED, FileStatus.COMPLETED,
    ]  # fmt: skip
    store = stores(rig.services).get_store(rig.store.store_id)
    assert store is not None and (store.file_counts.completed, store.file_counts.failed) == (2, 1)


@pytest.mark.anyio
async def test_an_owner_out_of_credits_fails_the_file_with_the_reason(
    services: Container, new_user: Callable[..., User]
) -> None:
    rig = Rig(services, new_user(balance_usd=0))
    file = rig.add("notes.md", (DOCUMENTS / "notes.md").read_bytes())
    await rig.ingest(file)
    failed = rig.file(file)
    assert failed.status is FileStatus.FAILED and failed.last_error is not None
    assert failed.last_error.code.value == "server_error"
    assert "balance" in failed.last_error.message.lower() or "credit" in (
        failed.last_error.message.lower()
    )  # fmt: skip
    assert rig.present(file) == set()


class RemovedDuringIngestion:
    """The real index; the file is removed from its store as its first vectors are written."""

    def __init__(self, rig: Rig, file: StoreFile) -> None:
        self._rig = rig
        self._file = file

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rig.services.vector_index, name)

    def put(self, *args: Any) -> None:
        self._rig.services.vector_index.put(*args)
        stores(self._rig.services).remove_file(self._file.store_id, self._file.file_id)


@pytest.mark.anyio
async def test_a_file_removed_during_ingestion_leaves_no_vectors(rig: Rig) -> None:
    text = "".join(f"Part {n}. " + PARAGRAPH for n in range(30))
    for strategy in (static_strategy(100, 0), AUTO):  # removed mid-way; before the finish
        file = rig.add("parts.txt", text.encode(), chunking=strategy)
        worker = worker_with(rig.services, index=RemovedDuringIngestion(rig, file))
        await worker.process(rig.message(file))
        assert stores(rig.services).get_file(rig.store.store_id, file.file_id) is None
        assert rig.present(file) == set()
        key = chunks_key(rig.user.user_id, rig.store.store_id, file.file_id)
        assert rig.services.blobs.size(key) is None
    store = stores(rig.services).get_store(rig.store.store_id)
    assert store is not None and store.file_counts.total == 0 and store.usage_bytes == 0


def test_dead_letters_fail_the_file_and_delete_its_vectors(rig: Rig) -> None:
    text = "".join(f"Part {n}. " + PARAGRAPH for n in range(30))
    file = rig.add("parts.txt", text.encode(), chunking=static_strategy(100, 0))
    flaky = worker_with(rig.services, index=UnavailableOnce(rig.services.vector_index, 2))
    with pytest.raises(ServiceUnavailableError):
        anyio.run(flaky.process, rig.message(file))
    assert rig.present(file)  # the first batch's vectors were written
    spec = next(s for s in Template.load(TEMPLATE).functions() if s.logical_id ==
                "VectorFilesDeadLettersFunction")  # fmt: skip
    event = {"Records": [_record(rig.message(file), 0)]}
    assert load_handler(spec)(event, LocalContext(spec, "arn:local")) == {"batchItemFailures": []}
    failed = rig.file(file)
    assert failed.status is FileStatus.FAILED and failed.last_error is not None
    assert failed.last_error.code.value == "server_error"
    assert rig.present(file) == set()
    anyio.run(rig.ingest, file)  # a late delivery of the original message changes nothing
    assert rig.file(file) == failed


@pytest.mark.anyio
async def test_e5_embeds_default_800_token_chunks(
    services: Container, new_user: Callable[..., User]
) -> None:
    """The local e5 reads 512 of its own tokens; an auto chunk is up to 800 of ours (about
    830 of e5's). Each chunk's vector is of its beginning (auto's 400-token overlap starts
    the next chunk where that leaves off); its whole text is kept and returned."""
    rig = Rig(services, new_user(balance_usd=10), model="local-e5-small")
    filler = "Nothing here is about any animal, rock or ice; these are filler words. " * 60
    topics = ["Bees make honey from flower nectar.", "Volcanoes erupt molten lava."]
    text = "".join(f"{topic}\n\n{filler}\n\n" for topic in topics)
    file = rig.add("topics.md", text.encode())
    await rig.ingest(file)
    done = rig.file(file)
    assert done.status is FileStatus.COMPLETED, done.last_error
    texts = rig.texts(file)
    assert texts == [chunk.text for chunk in chunk_text(text)]
    assert max(count_tokens(t) for t in texts) > 700
    file_id, chunk = (await rig.search("Where does honey come from?"))[0]
    assert file_id == file.file_id and texts[chunk].startswith("Bees make honey")
    numbers = " ".join(str(1234567 * n) for n in range(600))  # e5 reads more tokens in these
    dense = rig.add("numbers.txt", numbers.encode())
    await rig.ingest(dense)
    assert rig.file(dense).status is FileStatus.COMPLETED, rig.file(dense).last_error
    kinds = ledger_state(services.ledger_repo, rig.user.user_id)[1]
    assert "release" in kinds  # refused first as too long (nothing paid), then sent shorter
    assert kinds.count("reserve") == kinds.count("settle") + kinds.count("release")


def _record(body: dict[str, str], n: int) -> dict[str, Any]:
    return {
        "messageId": f"m{n}",
        "receiptHandle": f"r{n}",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:switchboard-VectorFilesQueue",
        "awsRegion": "us-east-1",
    }
