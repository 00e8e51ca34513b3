"""Envelope encryption for large payloads (DICOM study archives), streamed chunk by chunk.

Umbral encrypts one byte string, so a study archive of gigabytes cannot go through it. A
large payload is encrypted instead under a fresh random 256-bit data key, and only that key
goes through Umbral (`encrypt_for`): the capsule is re-encrypted for grantees exactly like a
record's, and whoever can open the small key ciphertext can decrypt the stream.

The stream is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015) over
AES-256-GCM, as in Tink's streaming AEAD: the payload is cut into fixed-size segments, and
segment i is sealed with the nonce `prefix (7 random bytes) | i (4 bytes, big endian) |
last (1 byte)` and the header as associated data. Reordered, dropped, repeated or appended
segments, a truncated stream and a swapped header all fail authentication.

Stream format: header = magic "OHMSENC1" | segment size (4 bytes BE) | nonce prefix (7),
then the segments, each `min(segment size, rest)` bytes of ciphertext plus a 16-byte tag;
the last segment may be empty (an empty payload is one empty last segment).

Only one segment is in memory at a time, on either side.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import umbral_pre
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reencryption.errors import DecryptionFailed, RecordIntegrityError
from reencryption.exchange import EncryptedRecord, encrypt_for

MAGIC = b"OHMSENC1"
DATA_KEY_BYTES = 32
NONCE_PREFIX_BYTES = 7
TAG_BYTES = 16
HEADER_BYTES = len(MAGIC) + 4 + NONCE_PREFIX_BYTES
DEFAULT_SEGMENT_BYTES = 1024 * 1024
MIN_SEGMENT_BYTES = 4096
MAX_SEGMENT_BYTES = 64 * 1024 * 1024
_MAX_SEGMENTS = 2**32


class StreamCorrupted(RecordIntegrityError):
    """An encrypted stream that does not authenticate: altered, truncated or reordered."""


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class SealedDataKey:
    """A stream's data key encrypted to the patient with Umbral."""

    capsule: umbral_pre.Capsule
    ciphertext: bytes


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


def seal_data_key(public_key: umbral_pre.PublicKey, data_key: bytes) -> SealedDataKey:
    """Encrypt a data key to `public_key` (a patient's); grantees open it via cfrags."""
    if len(data_key) != DATA_KEY_BYTES:
        raise ValueError(f"a data key is {DATA_KEY_BYTES} bytes")
    sealed: EncryptedRecord = encrypt_for(public_key, data_key)
    return SealedDataKey(capsule=sealed.capsule, ciphertext=sealed.ciphertext)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= _MAX_SEGMENTS:
        raise ValueError("stream has too many segments")
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


def _aead(data_key: bytes) -> AESGCM:
    if len(data_key) != DATA_KEY_BYTES:
        raise DecryptionFailed(f"a data key is {DATA_KEY_BYTES} bytes")
    return AESGCM(data_key)


class EncryptingReader:
    """A readable stream of the encryption of `source` under `data_key`.

    `read(n)` pulls plaintext from `source` one segment at a time, so the ciphertext can be
    handed to anything that reads a file (a blob store's `put`) without being held whole.
    """

    def __init__(self, source: _Readable, data_key: bytes, *,
                 segment_bytes: int = DEFAULT_SEGMENT_BYTES) -> None:
        if not MIN_SEGMENT_BYTES <= segment_bytes <= MAX_SEGMENT_BYTES:
            raise ValueError("segment size out of range")
        self._source = source
        self._aead = _aead(data_key)
        self._segment = segment_bytes
        self._prefix = os.urandom(NONCE_PREFIX_BYTES)
        self.header = MAGIC + struct.pack(">I", segment_bytes) + self._prefix
        self._buffer = bytearray(self.header)
        self._index = 0
        self._lookahead = self._read_segment()
        self._done = False
        self.plaintext_bytes = 0
        self.ciphertext_bytes = 0

    def _read_segment(self) -> bytes:
        parts: list[bytes] = []
        wanted = self._segment
        while wanted:
            piece = self._source.read(wanted)
            if not piece:
                break
            parts.append(piece)
            wanted -= len(piece)
        return b"".join(parts)

    def _seal_next(self) -> None:
        current = self._lookahead
        following = self._read_segment() if len(current) == self._segment else b""
        last = not following
        self._buffer += self._aead.encrypt(_nonce(self._prefix, self._index, last), current,
                                           self.header)
        self.plaintext_bytes += len(current)
        self._index += 1
        self._lookahead = following
        self._done = last

    def read(self, size: int = -1, /) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            self._seal_next()
        if size < 0 or size >= len(self._buffer):
            out = bytes(self._buffer)
            self._buffer.clear()
        else:
            out = bytes(self._buffer[:size])
            del self._buffer[:size]
        self.ciphertext_bytes += len(out)
        return out


def encrypted_size(plaintext_bytes: int, segment_bytes: int = DEFAULT_SEGMENT_BYTES) -> int:
    """The length of the stream that encrypts `plaintext_bytes` bytes."""
    segments = max(1, -(-plaintext_bytes // segment_bytes))
    return HEADER_BYTES + plaintext_bytes + segments * TAG_BYTES


def decrypt_stream(data_key: bytes, pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The plaintext of an encrypted stream given as pieces of any size, segment by segment.

    Raises `StreamCorrupted` as soon as a segment fails to authenticate, and at the end when
    the stream stops before its last segment or goes on after it (either way the segment
    taken as last does not authenticate as last). A consumer must treat what
    it received before an error as unauthenticated and discard it.
    """
    aead = _aead(data_key)
    buffer = bytearray()
    source = iter(pieces)
    header: bytes | None = None
    segment = 0
    prefix = b""
    index = 0
    for piece in source:
        buffer += piece
        if header is None:
            if len(buffer) < HEADER_BYTES:
                continue
            header = bytes(buffer[:HEADER_BYTES])
            del buffer[:HEADER_BYTES]
            if not header.startswith(MAGIC):
                raise StreamCorrupted("not an OHMS encrypted stream")
            (segment,) = struct.unpack(">I", header[len(MAGIC):len(MAGIC) + 4])
            if not MIN_SEGMENT_BYTES <= segment <= MAX_SEGMENT_BYTES:
                raise StreamCorrupted("encrypted stream names an invalid segment size")
            prefix = header[len(MAGIC) + 4:]
        # Keep one full segment back: only the stream's end tells which segment is last.
        while len(buffer) > segment + TAG_BYTES:
            sealed = bytes(buffer[:segment + TAG_BYTES])
            del buffer[:segment + TAG_BYTES]
            yield _open(aead, prefix, index, False, sealed, header)
            index += 1
    if header is None:
        raise StreamCorrupted("encrypted stream is shorter than its header")
    yield _open(aead, prefix, index, True, bytes(buffer), header)


def _open(aead: AESGCM, prefix: bytes, index: int, last: bool, sealed: bytes,
          header: bytes) -> bytes:
    try:
        return aead.decrypt(_nonce(prefix, index, last), sealed, header)
    except (InvalidTag, ValueError):
        raise StreamCorrupted(
            f"segment {index} of the encrypted stream does not authenticate (altered, "
            "truncated or reordered, or the wrong data key)") from None
