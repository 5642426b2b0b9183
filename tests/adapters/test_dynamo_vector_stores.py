"""DynamoVectorStores on moto's server: stores and their pages, files added once, finished
and removed in transactions that keep the store's and batch's counts and usage_bytes exact,
file batches and their cancellation, and a store deleted with everything in it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from switchboard.adapters.aws.vector_stores import DynamoVectorStores
from switchboard.bootstrap import Container
from switchboard.domain.vector_stores import (
    ErrorCode,
    ExpiresAfter,
    FileBatch,
    FileCounts,
    FileError,
    FileStatus,
    StoreFile,
    VectorStore,
    new_batch_id,
    new_store_id,
)
from switchboard.errors import ConflictError, NotFoundError


@pytest.fixture
def repo(services: Container) -> DynamoVectorStores:
    return DynamoVectorStores(services.client("dynamodb"), services.settings.TABLE_NAME)


def a_store(repo: DynamoVectorStores, user_id: str | None = None, *, at: int = 1000) -> VectorStore:
    store = VectorStore(new_store_id(), user_id or uuid.uuid4().hex, "docs", at,
                        "local-embed", 384, at, metadata={"team": "a"})  # fmt: skip
    repo.put_store(store)
    return store


def a_file(store: VectorStore, size: int = 100, *, at: int = 1000, **extra: Any) -> StoreFile:
    file_id = "file-" + uuid.uuid4().hex[:24]
    return StoreFile(store.store_id, file_id, store.user_id, "a.txt", size, at, **extra)


def counts(repo: DynamoVectorStores, store: VectorStore) -> tuple[FileCounts, int]:
    stored = repo.get_store(store.store_id)
    assert stored is not None
    return stored.file_counts, stored.usage_bytes


def test_a_store_is_kept_as_given(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    assert repo.get_store(store.store_id) == store
    with pytest.raises(ConflictError):
        repo.put_store(store)
    assert repo.get_store(new_store_id()) is None


def test_update_changes_name_metadata_and_expiry_not_counts(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    repo.add_file(a_file(store, 10))
    changed = VectorStore(store.store_id, store.user_id, "renamed", store.created_at,
                          "local-embed", 384, 2000, expires_after=ExpiresAfter(3))  # fmt: skip
    stored = repo.update_store(changed)
    assert (stored.name, stored.metadata, stored.last_active_at) == ("renamed", {}, 2000)
    assert stored.expires_after == ExpiresAfter(3) and stored.usage_bytes == 10
    assert stored.file_counts == FileCounts(in_progress=1, total=1)
    with pytest.raises(NotFoundError):
        repo.update_store(VectorStore(new_store_id(), "u", "x", 1, "m", 1, 1))


def test_stores_are_listed_by_creation_in_keyset_pages(repo: DynamoVectorStores) -> None:
    user = uuid.uuid4().hex
    stores = [a_store(repo, user, at=1000 + i) for i in range(5)]
    a_store(repo)  # someone else's
    newest = [s.store_id for s in reversed(stores)]
    page, more = repo.list_stores(user, limit=2)
    assert [s.store_id for s in page] == newest[:2] and more
    page, more = repo.list_stores(user, limit=2, after=page[-1])
    assert [s.store_id for s in page] == newest[2:4] and more
    page, more = repo.list_stores(user, limit=2, after=page[-1])
    assert [s.store_id for s in page] == newest[4:] and not more
    page, more = repo.list_stores(user, limit=2, before=stores[1])
    assert [s.store_id for s in page] == newest[1:3] and more
    page, more = repo.list_stores(user, limit=10, descending=False, after=stores[2])
    assert [s.store_id for s in page] == [s.store_id for s in stores[3:]] and not more


def test_adding_a_file_counts_it_once(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    file = a_file(store, 123, attributes={"year": 2024, "draft": False, "w": 0.5})
    assert repo.add_file(file) == file
    again = repo.add_file(replace(file, bytes=999))
    assert again == file  # the stored one, as it is
    assert counts(repo, store) == (FileCounts(in_progress=1, total=1), 123)
    assert repo.get_file(store.store_id, file.file_id) == file
    with pytest.raises(NotFoundError):
        repo.add_file(a_file(VectorStore(new_store_id(), "u", "", 1, "m", 1, 1)))


def test_finish_moves_counts_only_from_in_progress(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    done, failed = repo.add_file(a_file(store, 10)), repo.add_file(a_file(store, 20))
    assert repo.finish_file(done, FileStatus.COMPLETED, chunks=3)
    error = FileError(ErrorCode.INVALID_FILE, "empty")
    assert repo.finish_file(failed, FileStatus.FAILED, last_error=error)
    assert not repo.finish_file(done, FileStatus.FAILED)  # no longer in progress
    assert counts(repo, store) == (FileCounts(completed=1, failed=1, total=2), 30)
    stored = repo.get_file(store.store_id, done.file_id)
    assert stored is not None and (stored.status, stored.chunks) == (FileStatus.COMPLETED, 3)
    stored = repo.get_file(store.store_id, failed.file_id)
    assert stored is not None and stored.last_error == error


def test_removal_takes_exactly_its_bytes_and_count(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    kept, gone = repo.add_file(a_file(store, 10)), repo.add_file(a_file(store, 25))
    repo.finish_file(gone, FileStatus.COMPLETED, chunks=1)
    removed = repo.remove_file(store.store_id, gone.file_id)
    assert removed is not None and removed.status is FileStatus.COMPLETED
    assert counts(repo, store) == (FileCounts(in_progress=1, total=1), 10)
    assert repo.remove_file(store.store_id, gone.file_id) is None
    assert not repo.finish_file(gone, FileStatus.COMPLETED)  # removed: nothing counted
    assert counts(repo, store) == (FileCounts(in_progress=1, total=1), 10)
    repo.remove_file(store.store_id, kept.file_id)
    assert counts(repo, store) == (FileCounts(), 0)


def test_files_are_listed_by_creation_and_filtered(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    files = [repo.add_file(a_file(store, 1, at=1000 + i)) for i in range(5)]
    repo.finish_file(files[1], FileStatus.COMPLETED)
    ids = [f.file_id for f in files]
    page, more = repo.list_files(store.store_id, limit=2)
    assert [f.file_id for f in page] == ids[::-1][:2] and more
    page, more = repo.list_files(store.store_id, limit=2, after=page[-1].file_id)
    assert [f.file_id for f in page] == ids[::-1][2:4] and more
    page, more = repo.list_files(store.store_id, limit=2, descending=False, before=ids[3])
    assert [f.file_id for f in page] == ids[1:3] and more
    page, _ = repo.list_files(store.store_id, limit=10, status=FileStatus.COMPLETED)
    assert [f.file_id for f in page] == [ids[1]]


def test_a_batch_counts_its_files_and_cancels_those_in_progress(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    batch = FileBatch(new_batch_id(), store.store_id, 1000, ("x", "y", "z"))
    repo.put_batch(batch)
    files = [repo.add_file(a_file(store, 5, batch_id=batch.batch_id)) for _ in range(3)]
    repo.add_file(a_file(store, 7))  # not in the batch
    repo.finish_file(files[0], FileStatus.COMPLETED, chunks=1)
    stored = repo.get_batch(store.store_id, batch.batch_id)
    assert stored is not None and stored.status == "in_progress"
    assert stored.counts == FileCounts(in_progress=2, completed=1, total=3)
    cancelled = repo.cancel_batch(store.store_id, batch.batch_id)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert cancelled.counts == FileCounts(completed=1, cancelled=2, total=3)
    assert counts(repo, store) == (FileCounts(in_progress=1, completed=1, cancelled=2, total=4), 22)
    with pytest.raises(ConflictError):
        repo.add_file(a_file(store, 5, batch_id=batch.batch_id))
    page, _ = repo.list_files(store.store_id, limit=10, batch_id=batch.batch_id)
    assert {f.file_id for f in page} == {f.file_id for f in files}
    repo.remove_file(store.store_id, files[1].file_id)
    stored = repo.get_batch(store.store_id, batch.batch_id)
    assert stored is not None and stored.counts == FileCounts(completed=1, cancelled=1, total=2)
    assert repo.cancel_batch(store.store_id, new_batch_id()) is None


def test_deleting_a_store_deletes_its_files_and_batches(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    batch = FileBatch(new_batch_id(), store.store_id, 1000, ())
    repo.put_batch(batch)
    files = [repo.add_file(a_file(store, batch_id=batch.batch_id)) for _ in range(30)]
    repo.delete_store(store.store_id)
    assert repo.get_store(store.store_id) is None
    assert repo.get_batch(store.store_id, batch.batch_id) is None
    assert repo.list_files(store.store_id, limit=100) == ([], False)
    assert not repo.finish_file(files[0], FileStatus.COMPLETED)
    assert repo.get_store(store.store_id) is None  # no counter item made again


def test_attributes_are_replaced(repo: DynamoVectorStores) -> None:
    store = a_store(repo)
    file = repo.add_file(a_file(store, attributes={"a": "b"}))
    stored = repo.update_attributes(store.store_id, file.file_id, {"n": 1.5, "ok": True})
    assert stored is not None and stored.attributes == {"n": 1.5, "ok": True}
    assert repo.update_attributes(store.store_id, "file-none", {}) is None
