"""CIDs computed without a node, identical to what IPFS gives with cid-version=1 and raw leaves.

The layout is IPFS's default file importer: 256 KiB chunks stored as raw leaves
(codec 0x55, sha2-256); a one-chunk file is its raw leaf; a longer file is a balanced
tree of UnixFS dag-pb nodes (codec 0x70) with at most 174 links each, filled left-first.
Only the leaf digests are kept while hashing, so a stream of any length is hashed in
constant memory apart from 36 bytes per chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from multiformats import CID

from storage.errors import BlobIntegrityError, InvalidCid

CHUNK_SIZE = 256 * 1024
MAX_LINKS_PER_NODE = 174

_RAW_CODEC = 0x55
_DAG_PB_CODEC = 0x70
_SHA2_256 = 0x12
_UNIXFS_FILE = 2


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_bytes(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _field_varint(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _cid_bytes(codec: int, block: bytes) -> bytes:
    digest = hashlib.sha256(block).digest()
    return _varint(1) + _varint(codec) + _varint(_SHA2_256) + _varint(len(digest)) + digest


@dataclass(frozen=True)
class _DagEntry:
    """A node of the file DAG as its parent links to it."""

    cid: bytes
    tsize: int  # bytes of the whole sub-DAG as encoded blocks (dag-pb Tsize)
    file_bytes: int  # bytes of file content below it (UnixFS blocksize)


def _parent_node(children: list[_DagEntry]) -> _DagEntry:
    # dag-pb canonical form: all Links (field 2) before Data (field 1); every link carries
    # an empty Name, as IPFS's importer writes it.
    links = b"".join(
        _field_bytes(2, _field_bytes(1, child.cid) + _field_bytes(2, b"")
                     + _field_varint(3, child.tsize))
        for child in children
    )
    file_bytes = sum(child.file_bytes for child in children)
    unixfs = _field_varint(1, _UNIXFS_FILE) + _field_varint(3, file_bytes) + b"".join(
        _field_varint(4, child.file_bytes) for child in children
    )
    block = links + _field_bytes(1, unixfs)
    return _DagEntry(
        cid=_cid_bytes(_DAG_PB_CODEC, block),
        tsize=len(block) + sum(child.tsize for child in children),
        file_bytes=file_bytes,
    )


class FileCidBuilder:
    """Feed bytes in any pieces with `update`; `cid()` gives the file's CIDv1 (base32)."""

    def __init__(self) -> None:
        self._pending = bytearray()
        self._leaves: list[_DagEntry] = []
        self._size = 0

    @property
    def size(self) -> int:
        """Bytes fed so far."""
        return self._size

    def update(self, data: bytes) -> None:
        self._size += len(data)
        self._pending += data
        while len(self._pending) >= CHUNK_SIZE:
            self._add_leaf(bytes(self._pending[:CHUNK_SIZE]))
            del self._pending[:CHUNK_SIZE]

    def _add_leaf(self, chunk: bytes) -> None:
        self._leaves.append(_DagEntry(_cid_bytes(_RAW_CODEC, chunk), len(chunk), len(chunk)))

    def cid(self) -> str:
        leaves = list(self._leaves)
        if self._pending or not leaves:
            leaves.append(_DagEntry(_cid_bytes(_RAW_CODEC, bytes(self._pending)),
                                    len(self._pending), len(self._pending)))
        if len(leaves) == 1:
            return _to_text(leaves[0].cid)
        level = leaves
        while len(level) > 1:
            level = [_parent_node(level[start:start + MAX_LINKS_PER_NODE])
                     for start in range(0, len(level), MAX_LINKS_PER_NODE)]
        return _to_text(level[0].cid)


def _to_text(cid_bytes: bytes) -> str:
    return str(CID.decode(cid_bytes).set(base="base32"))


def compute_cid(content: bytes | Iterable[bytes]) -> str:
    """The CIDv1 an IPFS node gives `content` with cid-version=1 and raw leaves."""
    builder = FileCidBuilder()
    if isinstance(content, bytes | bytearray | memoryview):
        builder.update(bytes(content))
    else:
        for piece in content:
            builder.update(piece)
    return builder.cid()


def normalise_cid(text: str) -> str:
    """`text` as a base32 CIDv1; InvalidCid unless it is a sha2-256 raw or dag-pb CID."""
    try:
        parsed = CID.decode(text.strip())
    except (ValueError, KeyError) as exc:
        raise InvalidCid(f"not a CID: {text[:100]!r}") from exc
    if parsed.codec.code not in (_RAW_CODEC, _DAG_PB_CODEC) or parsed.hashfun.code != _SHA2_256:
        raise InvalidCid(f"CID {text[:100]!r} is not a sha2-256 raw or dag-pb CID")
    return str(parsed.set(base="base32", version=1))


def verified_pieces(cid: str, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Pass `pieces` through, raising BlobIntegrityError instead of yielding the last one
    when the whole does not hash to `cid` (so nothing unverified is ever complete)."""
    builder = FileCidBuilder()
    held: bytes | None = None
    for piece in pieces:
        if not piece:
            continue
        builder.update(piece)
        if held is not None:
            yield held
        held = piece
    if builder.cid() != cid:
        raise BlobIntegrityError(cid)
    if held is not None:
        yield held
