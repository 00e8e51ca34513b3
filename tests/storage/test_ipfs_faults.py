"""An IPFS node that is down, unreachable or silent gives BlobStoreUnavailable, never a hang;
the store works again once the node is back."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from scripts.services._process import free_port
from scripts.services.ipfs import IpfsNode
from storage import (
    BlobIntegrityError,
    BlobNotFound,
    BlobStoreUnavailable,
    IpfsBlobStore,
    compute_cid,
)


def every_operation(store: IpfsBlobStore, cid: str) -> list[Callable[[], object]]:
    return [
        store.ping,
        lambda: store.put(b"written while the node is down"),
        lambda: store.get(cid),
        lambda: store.iter_chunks(cid),
        lambda: store.has(cid),
        lambda: store.delete(cid),
    ]


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections and never answers (a hung node)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


@pytest.fixture(scope="module")
def own_node() -> Iterator[IpfsNode]:
    """A node of this module's own, which the tests stop and restart (never a shared one)."""
    node = IpfsNode()
    try:
        node.start()
        yield node
    finally:
        node.close()


def test_a_closed_port_is_unavailable_at_once() -> None:
    store = IpfsBlobStore(f"/ip4/127.0.0.1/tcp/{free_port()}/http")
    cid = compute_cid(b"anything")
    for operation in every_operation(store, cid):
        started = time.monotonic()
        with pytest.raises(BlobStoreUnavailable):
            operation()
        assert time.monotonic() - started < 2.0


def test_a_node_that_never_answers_is_unavailable_after_the_timeout(silent_listener: int) -> None:
    store = IpfsBlobStore(f"http://127.0.0.1:{silent_listener}", request_timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(BlobStoreUnavailable, match="did not answer in time"):
        store.ping()
    with pytest.raises(BlobStoreUnavailable):
        store.get(compute_cid(b"anything"))
    assert time.monotonic() - started < 5.0


def test_a_stopped_node_is_unavailable_and_works_again_after_a_restart(own_node: IpfsNode) -> None:
    with IpfsBlobStore(own_node.api_multiaddr) as store:
        kept = os.urandom(300 * 1024)
        cid = store.put(kept)

        own_node.stop()
        for operation in every_operation(store, cid):
            with pytest.raises(BlobStoreUnavailable):
                operation()

        own_node.start()
        store.ping()
        assert store.get(cid) == kept
        fresh = os.urandom(2048)
        assert store.get(store.put(fresh)) == fresh


def test_the_api_address_may_be_a_url(own_node: IpfsNode) -> None:
    if not own_node.running:
        own_node.start()
    with IpfsBlobStore(own_node.api_url) as store:
        data = os.urandom(100)
        assert store.get(store.put(data)) == data
        with pytest.raises(BlobNotFound):
            store.get(compute_cid(os.urandom(100)))


def test_a_tampered_block_on_the_node_is_reported_not_returned(own_node: IpfsNode) -> None:
    with IpfsBlobStore(own_node.api_multiaddr) as store:
        data = os.urandom(4096)
        cid = store.put(data)
        # A raw leaf is stored verbatim in one file of the node's blockstore.
        block_files = [path for path in (own_node.repo_path / "blocks").rglob("*")
                       if path.is_file() and data[:64] in path.read_bytes()]
        assert len(block_files) == 1
        block_files[0].write_bytes(block_files[0].read_bytes().replace(data[:64], bytes(64)))
        with pytest.raises(BlobIntegrityError):
            store.get(cid)
