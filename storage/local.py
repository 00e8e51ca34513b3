"""LocalBlobStore: the embedded blob store, content-addressed files under one directory.

Blobs are named by the same CIDv1 an IPFS node would give them and live at
`<root>/blobs/<last two CID characters>/<cid>`. Writes go to a temporary file in
`<root>/tmp` (same file system) that is fsynced and renamed into place, so a crash never
leaves a partial blob under a CID. Reads recompute the CID, so a blob altered on disk is
reported, never returned.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from storage.cid import CHUNK_SIZE, FileCidBuilder, compute_cid, normalise_cid, verified_pieces
from storage.errors import BlobNotFound, BlobStoreUnavailable, BlobTooLarge
from storage.port import DEFAULT_MAX_BLOB_BYTES, BinaryReader

_ABANDONED_WRITE_AGE_S = 24 * 3600


class LocalBlobStore:
    """Blob store on the local file system; needs nothing running."""

    def __init__(self, root: str | os.PathLike[str], *,
                 max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES) -> None:
        if max_blob_bytes < 0:
            raise ValueError("max_blob_bytes must not be negative")
        self._root = Path(root)
        self._blobs = self._root / "blobs"
        self._tmp = self._root / "tmp"
        self._max_blob_bytes = max_blob_bytes
        try:
            self._blobs.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BlobStoreUnavailable(f"blob directory {self._root} is not usable: {exc}") from exc
        self._remove_abandoned_writes()

    def _remove_abandoned_writes(self) -> None:
        # A process that died mid-write leaves its temporary file behind. Other processes
        # may be writing right now, so only files far older than any write are removed.
        cutoff = time.time() - _ABANDONED_WRITE_AGE_S
        for leftover in self._tmp.glob("put-*"):
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    @property
    def max_blob_bytes(self) -> int:
        return self._max_blob_bytes

    @property
    def root(self) -> Path:
        return self._root

    def blob_path(self, cid: str) -> Path:
        """Where the blob with this CID lives (whether or not it exists)."""
        normal = normalise_cid(cid)
        return self._blobs / normal[-2:] / normal

    def put(self, content: bytes | BinaryReader) -> str:
        if (isinstance(content, bytes | bytearray | memoryview)
                and len(content) > self._max_blob_bytes):
            raise BlobTooLarge(self._max_blob_bytes)
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="put-")
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot write to {self._tmp}: {exc}") from exc
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                cid = self._write_counted(content, out)
                out.flush()
                os.fsync(out.fileno())
            target = self.blob_path(cid)
            target.parent.mkdir(exist_ok=True)
            # Replacing an existing file also repairs a blob that was damaged on disk.
            os.replace(tmp_path, target)
            self._fsync_dir(target.parent)
            return cid
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot store blob under {self._root}: {exc}") from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()

    def _write_counted(self, content: bytes | BinaryReader, out: IO[bytes]) -> str:
        if isinstance(content, bytes | bytearray | memoryview):
            out.write(content)
            return compute_cid(bytes(content))
        builder = FileCidBuilder()
        while True:
            piece = content.read(CHUNK_SIZE)
            if not piece:
                return builder.cid()
            builder.update(piece)
            if builder.size > self._max_blob_bytes:
                raise BlobTooLarge(self._max_blob_bytes)
            out.write(piece)

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def get(self, cid: str) -> bytes:
        return b"".join(self.iter_chunks(cid))

    def iter_chunks(self, cid: str) -> Iterator[bytes]:
        normal = normalise_cid(cid)
        path = self.blob_path(normal)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise BlobNotFound(normal) from None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot read blob {normal}: {exc}") from exc
        return self._verified_file(normal, handle)

    @staticmethod
    def _verified_file(cid: str, handle: BinaryReader) -> Iterator[bytes]:
        def pieces() -> Iterator[bytes]:
            while piece := handle.read(CHUNK_SIZE):
                yield piece

        try:
            yield from verified_pieces(cid, pieces())
        finally:
            close = getattr(handle, "close", None)
            if close is not None:
                close()

    def has(self, cid: str) -> bool:
        return self.blob_path(cid).is_file()

    def delete(self, cid: str) -> None:
        normal = normalise_cid(cid)
        try:
            self.blob_path(normal).unlink()
        except FileNotFoundError:
            raise BlobNotFound(normal) from None
        except OSError as exc:
            raise BlobStoreUnavailable(f"cannot delete blob {normal}: {exc}") from exc

    def ping(self) -> None:
        for directory in (self._blobs, self._tmp):
            if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
                raise BlobStoreUnavailable(f"blob directory {directory} is not writable")
