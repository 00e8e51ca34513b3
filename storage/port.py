"""The BlobStore port: content-addressed, verified storage of opaque blobs (record ciphertexts).

Both adapters give a blob the same CIDv1 an IPFS node gives it (cid-version=1, raw
leaves, 256 KiB chunks), so a CID recorded in the database or on chain does not depend
on which adapter stored it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024


class BinaryReader(Protocol):
    """Anything with a binary `read(size)`: an open file, BytesIO, an upload stream."""

    def read(self, size: int = -1, /) -> bytes: ...


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed blob storage. Every read checks the bytes against their CID."""

    @property
    def max_blob_bytes(self) -> int:
        """Largest blob `put` accepts; larger ones raise BlobTooLarge and store nothing."""
        ...

    def put(self, content: bytes | BinaryReader) -> str:
        """Store `content` and keep it (pinned); return its CIDv1 in base32."""
        ...

    def get(self, cid: str) -> bytes:
        """The blob's bytes, verified against `cid`.

        Raises BlobNotFound, InvalidCid, BlobIntegrityError or BlobStoreUnavailable.
        """
        ...

    def iter_chunks(self, cid: str) -> Iterator[bytes]:
        """The blob's bytes in pieces, for blobs too large to hold in memory.

        The last piece is held back until the whole blob has been checked against `cid`:
        the iterator raises BlobIntegrityError instead of finishing when it does not
        match, so a consumer commits what it received only once iteration completes.
        """
        ...

    def has(self, cid: str) -> bool:
        """Whether the store keeps (pins) a blob with this CID. Does not verify the bytes."""
        ...

    def delete(self, cid: str) -> None:
        """Stop keeping the blob (local: remove it; IPFS: unpin and collect garbage).

        Raises BlobNotFound when the store does not keep it.
        """
        ...

    def ping(self) -> None:
        """Health check: return when the store can serve requests, else BlobStoreUnavailable."""
        ...
