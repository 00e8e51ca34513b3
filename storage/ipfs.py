"""IpfsBlobStore: blobs on an IPFS node (Kubo in production, js-ipfs in tests) via its RPC API.

Blobs are added with cid-version=1, raw leaves and 256 KiB chunks, so the node's CID is
the one `storage.cid` computes locally; `put` checks that it is. What the store keeps is
what is pinned: `has`, `get` and `delete` go by the recursive pin, and every read is
checked against the CID. The node is asked with a deadline on every call; a node that
is down, refuses, or does not answer in time raises BlobStoreUnavailable.
"""

from __future__ import annotations

import ipaddress
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any
from urllib.parse import urlsplit

import ipfshttpclient
import ipfshttpclient.exceptions as ipfs_errors

from storage.cid import CHUNK_SIZE, FileCidBuilder, compute_cid, normalise_cid, verified_pieces
from storage.errors import (
    BlobIntegrityError,
    BlobNotFound,
    BlobStoreUnavailable,
    BlobTooLarge,
)
from storage.port import DEFAULT_MAX_BLOB_BYTES, BinaryReader

_ADD_OPTIONS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": f"size-{CHUNK_SIZE}",
    "hash": "sha2-256",
    "cid-base": "base32",
    "pin": "true",
}
# Streams larger than this are spooled to a temporary file while their size is checked.
_SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


class IpfsBlobStore:
    """Blob store on an IPFS node's RPC API (`/ip4/127.0.0.1/tcp/5001/http` or similar)."""

    def __init__(self, api_address: str, *, max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
                 request_timeout_s: float = 30.0, read_timeout_s: float = 10.0) -> None:
        if max_blob_bytes < 0:
            raise ValueError("max_blob_bytes must not be negative")
        self._address = _as_multiaddr(api_address)
        self._max_blob_bytes = max_blob_bytes
        self._request_timeout_s = request_timeout_s
        # Passed to the node: without it, asking for content the node lacks waits forever.
        self._node_timeout = f"{max(1, round(read_timeout_s * 1000))}ms"
        # ipfshttpclient wraps one requests.Session, which is not safe to share across
        # threads; the API serves requests from a thread pool, so each thread gets its own.
        self._local = threading.local()
        self._clients: list[ipfshttpclient.Client] = []
        self._clients_lock = threading.Lock()

    @property
    def max_blob_bytes(self) -> int:
        return self._max_blob_bytes

    @property
    def api_address(self) -> str:
        return self._address

    def _client(self) -> ipfshttpclient.Client:
        client: ipfshttpclient.Client | None = getattr(self._local, "client", None)
        if client is None:
            try:
                client = ipfshttpclient.Client(addr=self._address, session=True,
                                               timeout=self._request_timeout_s)
            except ipfs_errors.AddressError as exc:
                raise BlobStoreUnavailable(f"bad IPFS API address {self._address}") from exc
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every HTTP session this store opened."""
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()
        self._local = threading.local()

    def __enter__(self) -> IpfsBlobStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _node_call(self, cid: str | None = None) -> Iterator[None]:
        """Translate the client's exceptions into this port's errors."""
        try:
            yield
        except ipfs_errors.ErrorResponse as exc:
            message = str(exc)
            if cid is not None and "not pinned" in message:
                raise BlobNotFound(cid) from None
            raise BlobStoreUnavailable(f"IPFS node refused the request: {message}") from exc
        except ipfs_errors.TimeoutError as exc:
            raise BlobStoreUnavailable(
                f"IPFS node at {self._address} did not answer in time") from exc
        except ipfs_errors.Error as exc:
            raise BlobStoreUnavailable(
                f"IPFS node at {self._address} is unreachable: {type(exc).__name__}") from exc

    def put(self, content: bytes | BinaryReader) -> str:
        if isinstance(content, bytes | bytearray | memoryview):
            if len(content) > self._max_blob_bytes:
                raise BlobTooLarge(self._max_blob_bytes)
            data = bytes(content)
            return self._add(data, compute_cid(data))
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES) as spool:
            expected = self._spool_counted(content, spool)
            spool.seek(0)
            return self._add(_read_pieces(spool), expected)

    def _spool_counted(self, content: BinaryReader, spool: IO[bytes]) -> str:
        builder = FileCidBuilder()
        while piece := content.read(CHUNK_SIZE):
            builder.update(piece)
            if builder.size > self._max_blob_bytes:
                raise BlobTooLarge(self._max_blob_bytes)
            spool.write(piece)
        return builder.cid()

    def _add(self, data: bytes | Iterator[bytes], expected_cid: str) -> str:
        with self._node_call():
            answer: Any = self._client().add_bytes(data, opts=_ADD_OPTIONS)
        cid = normalise_cid(str(answer))
        if cid != expected_cid:
            # The node imports with another layout (chunker, leaves, tree width): its CIDs
            # would not match the ones the embedded store and the database hold, so the
            # node is unusable for OHMS until it is reconfigured.
            raise BlobStoreUnavailable(
                f"IPFS node stored the blob as {cid}, expected {expected_cid}: "
                "check that the node's import settings are the defaults")
        return cid

    def _require_pinned(self, cid: str) -> None:
        if not self.has(cid):
            raise BlobNotFound(cid)

    def get(self, cid: str) -> bytes:
        normal = normalise_cid(cid)
        self._require_pinned(normal)
        with self._node_call(normal):
            data: Any = self._client().cat(normal, opts={"timeout": self._node_timeout})
        if not isinstance(data, bytes) or compute_cid(data) != normal:
            raise BlobIntegrityError(normal)
        return data

    def iter_chunks(self, cid: str) -> Iterator[bytes]:
        normal = normalise_cid(cid)
        self._require_pinned(normal)
        with self._node_call(normal):
            pieces: Any = self._client().cat(normal, stream=True,
                                             opts={"timeout": self._node_timeout})
        return self._translated(normal, pieces)

    def _translated(self, cid: str, response: Any) -> Iterator[bytes]:
        try:
            with self._node_call(cid):
                yield from verified_pieces(cid, response)
        finally:
            # Stopping early must release the HTTP connection back to the session.
            close = getattr(response, "close", None)
            if close is not None:
                close()

    def has(self, cid: str) -> bool:
        normal = normalise_cid(cid)
        try:
            with self._node_call(normal):
                self._client().pin.ls(normal, type="recursive")
        except BlobNotFound:
            return False
        return True

    def delete(self, cid: str) -> None:
        # Unpinning is what IPFS offers: the node drops the blocks at its next garbage
        # collection (other nodes may still hold copies; the ciphertext is useless without
        # the patient's key or a grant's kfrags).
        normal = normalise_cid(cid)
        self._require_pinned(normal)
        with self._node_call(normal):
            self._client().pin.rm(normal)

    def ping(self) -> None:
        with self._node_call():
            self._client().id()


def _read_pieces(spool: IO[bytes]) -> Iterator[bytes]:
    while piece := spool.read(CHUNK_SIZE):
        yield piece


def _as_multiaddr(address: str) -> str:
    """Accept a multiaddr or an http(s)://host:port URL (OHMS_IPFS_API may be either)."""
    text = address.strip()
    if text.startswith("/"):
        return text.rstrip("/")
    url = urlsplit(text)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"not an IPFS API address: {address!r}")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        kind = "ip6" if ipaddress.ip_address(url.hostname).version == 6 else "ip4"
    except ValueError:
        kind = "dns"
    return f"/{kind}/{url.hostname}/tcp/{port}/{url.scheme}"
