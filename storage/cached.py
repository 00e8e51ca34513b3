"""A BlobStore that keeps recently read blobs in memory.

Content addressing makes this safe: a CID names exactly one sequence of bytes, checked by the
store underneath when first read, so a cached blob can never be stale. Records are read many
times (every grantee read fetches the ciphertext); the cache spares the disk or the IPFS node
the repeats. Bounded by total bytes (least recently used go first); large blobs are not kept.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from cachetools import LRUCache

from storage.port import BinaryReader, BlobStore


class CachedBlobStore:
    """`inner`, with blobs of at most `max_item_bytes` kept after a read, `max_bytes` in all."""

    def __init__(self, inner: BlobStore, *, max_bytes: int = 64 * 1024 * 1024,
                 max_item_bytes: int = 1024 * 1024) -> None:
        if max_bytes < 0 or max_item_bytes < 0:
            raise ValueError("cache sizes cannot be negative")
        self.inner = inner
        self.max_item_bytes = min(max_item_bytes, max_bytes)
        self._cache: LRUCache[str, bytes] = LRUCache(maxsize=max(max_bytes, 1), getsizeof=len)
        self._lock = threading.Lock()

    @property
    def max_blob_bytes(self) -> int:
        return self.inner.max_blob_bytes

    def put(self, content: bytes | BinaryReader) -> str:
        return self.inner.put(content)

    def get(self, cid: str) -> bytes:
        with self._lock:
            cached = self._cache.get(cid)
        if cached is not None:
            return cached
        content = self.inner.get(cid)
        if len(content) <= self.max_item_bytes:
            with self._lock:
                self._cache[cid] = content
        return content

    def iter_chunks(self, cid: str) -> Iterator[bytes]:
        return self.inner.iter_chunks(cid)

    def has(self, cid: str) -> bool:
        return self.inner.has(cid)

    def delete(self, cid: str) -> None:
        with self._lock:
            self._cache.pop(cid, None)
        self.inner.delete(cid)

    def ping(self) -> None:
        self.inner.ping()

    def cached(self, cid: str) -> bool:
        """Whether a read of `cid` would be answered from memory."""
        with self._lock:
            return cid in self._cache
