"""Content-addressed blob storage for record ciphertexts: the BlobStore port and its adapters.

`LocalBlobStore` (embedded default, files under a directory) and `IpfsBlobStore` (an IPFS
node's RPC API) give the same CIDv1 for the same bytes and verify every read against it.
"""

from storage.cached import CachedBlobStore
from storage.cid import compute_cid, normalise_cid
from storage.errors import (
    BlobIntegrityError,
    BlobInvalid,
    BlobNotFound,
    BlobStoreError,
    BlobStoreUnavailable,
    BlobTooLarge,
    InvalidCid,
)
from storage.ipfs import IpfsBlobStore
from storage.local import LocalBlobStore
from storage.port import DEFAULT_MAX_BLOB_BYTES, BinaryReader, BlobStore

__all__ = [
    "DEFAULT_MAX_BLOB_BYTES",
    "BinaryReader",
    "BlobIntegrityError",
    "BlobInvalid",
    "BlobNotFound",
    "BlobStore",
    "BlobStoreError",
    "BlobStoreUnavailable",
    "BlobTooLarge",
    "CachedBlobStore",
    "InvalidCid",
    "IpfsBlobStore",
    "LocalBlobStore",
    "compute_cid",
    "normalise_cid",
]
