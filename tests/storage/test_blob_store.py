"""Behaviour of every BlobStore adapter: the same tests run on the local store and an IPFS node."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storage import (
    BlobIntegrityError,
    BlobNotFound,
    BlobTooLarge,
    InvalidCid,
    IpfsBlobStore,
    LocalBlobStore,
    compute_cid,
)
from storage.port import BlobStore

KIB = 1024
MIB = 1024 * KIB

SIZES = [0, KIB, 300 * KIB, 5 * MIB]


def unique_bytes(size: int) -> bytes:
    """Bytes no other test (or earlier run against a shared node) has stored."""
    return os.urandom(size)


def test_the_adapters_implement_the_port(blob_store: BlobStore) -> None:
    assert isinstance(blob_store, BlobStore)
    blob_store.ping()


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size}B")
def test_round_trip_returns_the_same_bytes_under_their_cid(blob_store: BlobStore,
                                                          size: int) -> None:
    data = unique_bytes(size)
    cid = blob_store.put(data)
    assert cid == compute_cid(data)
    assert cid.startswith("bafkrei" if size <= 256 * KIB else "bafybei")
    assert blob_store.has(cid)
    assert blob_store.get(cid) == data
    assert b"".join(blob_store.iter_chunks(cid)) == data


def test_a_stream_is_stored_like_the_same_bytes(blob_store: BlobStore) -> None:
    data = unique_bytes(700 * KIB + 13)
    cid = blob_store.put(io.BytesIO(data))
    assert cid == compute_cid(data)
    assert blob_store.get(cid) == data


def test_storing_the_same_bytes_twice_gives_the_same_cid(blob_store: BlobStore) -> None:
    data = unique_bytes(3 * KIB)
    assert blob_store.put(data) == blob_store.put(data)


def test_golden_blobs_get_the_golden_cids(blob_store: BlobStore,
                                         golden_blob: Callable[[int], bytes]) -> None:
    assert blob_store.put(golden_blob(KIB)) == \
        "bafkreiaylmntwvu4ck4ycosrbjl6codaqx3a7e5etcmoyesrgogyl5sxjy"
    assert blob_store.put(golden_blob(5 * MIB)) == \
        "bafybeihocyv426niexe2x5mqz2z4typedtpt5fgzuvnykidhfv3f6vswny"


@pytest.mark.parametrize("as_stream", [False, True], ids=["bytes", "stream"])
def test_an_oversize_blob_is_refused_and_nothing_is_stored(blob_store: BlobStore,
                                                           as_stream: bool) -> None:
    data = unique_bytes(blob_store.max_blob_bytes + 1)
    with pytest.raises(BlobTooLarge):
        blob_store.put(io.BytesIO(data) if as_stream else data)
    assert not blob_store.has(compute_cid(data))
    with pytest.raises(BlobNotFound):
        blob_store.get(compute_cid(data))
    if isinstance(blob_store, LocalBlobStore):
        assert not any(path.is_file() for path in blob_store.root.rglob("*"))


def test_a_blob_at_the_size_limit_is_accepted(blob_store: BlobStore) -> None:
    data = unique_bytes(blob_store.max_blob_bytes)
    assert blob_store.get(blob_store.put(io.BytesIO(data))) == data


def test_an_unknown_cid_is_not_found_without_waiting(blob_store: BlobStore) -> None:
    missing = compute_cid(unique_bytes(2 * KIB))
    started = time.monotonic()
    assert not blob_store.has(missing)
    with pytest.raises(BlobNotFound):
        blob_store.get(missing)
    with pytest.raises(BlobNotFound):
        blob_store.iter_chunks(missing)
    with pytest.raises(BlobNotFound):
        blob_store.delete(missing)
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("text", ["not-a-cid", "", "Qm123"])
def test_a_malformed_cid_is_refused(blob_store: BlobStore, text: str) -> None:
    with pytest.raises(InvalidCid):
        blob_store.get(text)
    with pytest.raises(InvalidCid):
        blob_store.has(text)


def test_a_deleted_blob_is_gone(blob_store: BlobStore) -> None:
    data = unique_bytes(10 * KIB)
    cid = blob_store.put(data)
    blob_store.delete(cid)
    assert not blob_store.has(cid)
    with pytest.raises(BlobNotFound):
        blob_store.get(cid)
    # Storing it again brings it back.
    assert blob_store.put(data) == cid
    assert blob_store.get(cid) == data


def test_a_reader_that_stops_early_leaves_the_store_usable(blob_store: BlobStore) -> None:
    data = unique_bytes(MIB)
    cid = blob_store.put(data)
    pieces = blob_store.iter_chunks(cid)
    assert len(next(iter(pieces))) > 0
    close = getattr(pieces, "close", None)
    if close is not None:
        close()
    for _ in range(3):
        assert blob_store.get(cid) == data


def test_concurrent_writers_and_readers(blob_store: BlobStore) -> None:
    blobs = [unique_bytes(size) for size in (0, 1, KIB, 260 * KIB, MIB, 33, 5000, 2 * MIB)]

    def round_trip(data: bytes) -> bool:
        return blob_store.get(blob_store.put(data)) == data

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(round_trip, blobs))


def test_the_last_chunk_is_withheld_until_the_stream_is_verified(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = unique_bytes(600 * KIB)
    cid = store.put(data)
    path = store.blob_path(cid)
    damaged = bytearray(path.read_bytes())
    damaged[-1] ^= 0x01
    path.write_bytes(bytes(damaged))
    received: list[bytes] = []
    with pytest.raises(BlobIntegrityError):
        for piece in store.iter_chunks(cid):
            received.append(piece)
    assert len(b"".join(received)) < len(data)


@pytest.mark.parametrize("damage", ["flip-a-bit", "truncate", "append", "swap-in-other-blob"])
def test_a_tampered_local_blob_is_reported_not_returned(tmp_path: Path, damage: str) -> None:
    store = LocalBlobStore(tmp_path)
    data = unique_bytes(300 * KIB)
    cid = store.put(data)
    path = store.blob_path(cid)
    if damage == "flip-a-bit":
        damaged = bytearray(data)
        damaged[12345] ^= 0x80
        path.write_bytes(bytes(damaged))
    elif damage == "truncate":
        path.write_bytes(data[:-1])
    elif damage == "append":
        path.write_bytes(data + b"\0")
    else:
        path.write_bytes(unique_bytes(300 * KIB))
    with pytest.raises(BlobIntegrityError) as refused:
        store.get(cid)
    assert refused.value.cid == cid
    # Storing the true bytes again repairs the blob.
    store.put(data)
    assert store.get(cid) == data


def test_a_local_store_keeps_blobs_across_restarts(tmp_path: Path) -> None:
    data = unique_bytes(400 * KIB)
    cid = LocalBlobStore(tmp_path).put(data)
    assert LocalBlobStore(tmp_path).get(cid) == data


def test_writes_abandoned_by_a_crashed_process_are_cleaned_up(tmp_path: Path) -> None:
    LocalBlobStore(tmp_path)
    abandoned = tmp_path / "tmp" / "put-crashed"
    abandoned.write_bytes(b"half a blob")
    in_flight = tmp_path / "tmp" / "put-in-flight"
    in_flight.write_bytes(b"being written by another process")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(abandoned, (two_days_ago, two_days_ago))
    LocalBlobStore(tmp_path)
    assert not abandoned.exists()
    assert in_flight.exists()


def test_an_unwritable_local_store_is_unavailable(tmp_path: Path) -> None:
    from storage import BlobStoreUnavailable

    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    with pytest.raises(BlobStoreUnavailable):
        LocalBlobStore(blocker / "store")


@pytest.mark.parametrize("size", [0, KIB, 300 * KIB, 5 * MIB], ids=lambda size: f"{size}B")
def test_both_adapters_give_the_same_cid(ipfs_api: str, tmp_path: Path, size: int) -> None:
    data = unique_bytes(size)
    with IpfsBlobStore(ipfs_api) as node_store:
        assert node_store.put(data) == LocalBlobStore(tmp_path).put(data)


def test_a_two_level_tree_gets_the_same_cid_on_the_node(
        ipfs_api: str, golden_blob: Callable[[int], bytes]) -> None:
    # 175 chunks: more than one dag-pb node's 174 links, so the root links to two nodes.
    with IpfsBlobStore(ipfs_api, max_blob_bytes=64 * MIB) as node_store:
        assert node_store.put(golden_blob(174 * 256 * KIB + 1)) == \
            "bafybeiallqfn3gj2jjceoihecobbszabnrhhlhrstgczafp4fhfbughwki"
