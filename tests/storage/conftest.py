"""Fixtures for the blob store tests: one body, two backends (local directory, IPFS node)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest

from storage import IpfsBlobStore, LocalBlobStore
from storage.port import BlobStore

TEST_MAX_BLOB_BYTES = 6 * 1024 * 1024


def _golden_blob(size: int) -> bytes:
    count = -(-size // 64)
    return b"".join(hashlib.sha512(b"tc-ipfs" + i.to_bytes(8, "big")).digest()
                    for i in range(count))[:size]


@pytest.fixture(scope="session")
def golden_blob() -> Callable[[int], bytes]:
    """`golden_blob(n)`: the first n bytes of sha512(b"tc-ipfs" + i as 8 bytes) for
    i = 0, 1, ..., the blobs whose CIDs were taken from a real IPFS node."""
    return _golden_blob


# `ipfs_api`, the session's real IPFS node, comes from tests/conftest.py (shared with the API).


@pytest.fixture(params=["embedded", "real"])
def blob_store(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlobStore]:
    if request.param == "embedded":
        yield LocalBlobStore(tmp_path_factory.mktemp("blobs"),
                             max_blob_bytes=TEST_MAX_BLOB_BYTES)
        return
    address = request.getfixturevalue("ipfs_api")
    with IpfsBlobStore(address, max_blob_bytes=TEST_MAX_BLOB_BYTES,
                       read_timeout_s=5.0) as store:
        yield store
