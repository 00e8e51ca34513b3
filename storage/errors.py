"""Errors of the blob store port, in the flavours the API maps to HTTP statuses.

`BlobNotFound` -> 404, `BlobInvalid` (and its subclasses) -> 4xx, `BlobIntegrityError`
-> the stored bytes do not match their CID, `BlobStoreUnavailable` -> 503. No adapter
lets a raw client or OS exception escape for a dependency that is down.
"""

from __future__ import annotations


class BlobStoreError(Exception):
    """Base class of every error raised by a blob store."""


class BlobNotFound(BlobStoreError):
    """The store does not hold a blob with this CID."""

    def __init__(self, cid: str) -> None:
        super().__init__(f"no blob with CID {cid}")
        self.cid = cid


class BlobInvalid(BlobStoreError):
    """The request itself is wrong (malformed CID, blob over the size limit)."""


class InvalidCid(BlobInvalid):
    """A string that is not a CID this store can produce (CIDv1/v0, raw or dag-pb, sha2-256)."""


class BlobTooLarge(BlobInvalid):
    """The blob exceeds the store's configured size limit; nothing was stored."""

    def __init__(self, max_blob_bytes: int) -> None:
        super().__init__(f"blob exceeds the size limit of {max_blob_bytes} bytes")
        self.max_blob_bytes = max_blob_bytes


class BlobIntegrityError(BlobStoreError):
    """The bytes read back do not hash to the requested CID (tampered or corrupted blob)."""

    def __init__(self, cid: str) -> None:
        super().__init__(f"stored bytes do not match CID {cid}")
        self.cid = cid


class BlobStoreUnavailable(BlobStoreError):
    """The backing store (IPFS node, disk) cannot be reached or did not answer in time."""
