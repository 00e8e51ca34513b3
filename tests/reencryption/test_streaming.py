"""Streamed envelope encryption: round trips at segment boundaries, every kind of tampering
refused, the data key opened by a grantee through re-encryption."""

from __future__ import annotations

import base64
import io
import os
import struct

import pytest

from reencryption import ReencryptionError, reencrypt, verify_kfrags
from reencryption.client import KeyHolder
from reencryption.keys import capsule_to_base64, cfrag_to_base64, public_key_from_hex
from reencryption.streaming import (
    HEADER_BYTES,
    MIN_SEGMENT_BYTES,
    TAG_BYTES,
    EncryptingReader,
    StreamCorrupted,
    decrypt_stream,
    encrypted_size,
    new_data_key,
    seal_data_key,
)

SEG = MIN_SEGMENT_BYTES


def encrypt(data: bytes, key: bytes, *, read_size: int = 1000) -> bytes:
    reader = EncryptingReader(io.BytesIO(data), key, segment_bytes=SEG)
    out = bytearray()
    while piece := reader.read(read_size):
        out += piece
    assert reader.plaintext_bytes == len(data)
    assert reader.ciphertext_bytes == len(out)
    return bytes(out)


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


@pytest.mark.parametrize("length", [0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG, 3 * SEG + 17])
@pytest.mark.parametrize("piece", [1 << 20, 333])
def test_round_trip_at_segment_boundaries(length: int, piece: int) -> None:
    key = new_data_key()
    data = os.urandom(length)
    sealed = encrypt(data, key)
    assert len(sealed) == encrypted_size(length, SEG)
    assert b"".join(decrypt_stream(key, pieces(sealed, piece))) == data


def test_read_all_at_once_and_ciphertext_differs_each_time() -> None:
    key = new_data_key()
    data = os.urandom(2 * SEG + 5)
    one = EncryptingReader(io.BytesIO(data), key, segment_bytes=SEG).read()
    two = EncryptingReader(io.BytesIO(data), key, segment_bytes=SEG).read()
    assert one != two  # a fresh nonce prefix per stream
    assert data not in one
    assert b"".join(decrypt_stream(key, [one])) == data


def _segments(sealed: bytes) -> tuple[bytes, list[bytes]]:
    header, body = sealed[:HEADER_BYTES], sealed[HEADER_BYTES:]
    return header, pieces(body, SEG + TAG_BYTES)


def _consume(key: bytes, sealed: bytes) -> bytes:
    return b"".join(decrypt_stream(key, pieces(sealed, 4096)))


@pytest.mark.parametrize("attack", ["flip", "truncate_segment", "drop_last", "swap",
                                    "repeat", "append", "header", "wrong_key", "short"])
def test_tampering_is_refused(attack: str) -> None:
    key = new_data_key()
    data = os.urandom(3 * SEG + 100)
    sealed = encrypt(data, key)
    header, segs = _segments(sealed)
    forged = {
        "flip": sealed[:-50] + bytes([sealed[-50] ^ 1]) + sealed[-49:],
        "truncate_segment": sealed[:-10],
        "drop_last": header + b"".join(segs[:-1]),
        "swap": header + segs[1] + segs[0] + b"".join(segs[2:]),
        "repeat": header + segs[0] + b"".join(segs),
        "append": sealed + segs[0],
        "header": header[:-1] + bytes([header[-1] ^ 1]) + b"".join(segs),
        "short": sealed[:HEADER_BYTES - 1],
    }.get(attack, sealed)
    with pytest.raises(StreamCorrupted):
        _consume(new_data_key() if attack == "wrong_key" else key, forged)


def test_stream_from_another_segment_size_or_format_is_refused() -> None:
    key = new_data_key()
    sealed = encrypt(os.urandom(100), key)
    resized = sealed[:8] + struct.pack(">I", 1) + sealed[12:]
    with pytest.raises(StreamCorrupted):
        _consume(key, resized)
    with pytest.raises(StreamCorrupted):
        _consume(key, b"PK\x03\x04" + sealed[4:])


def test_segment_size_is_bounded() -> None:
    with pytest.raises(ValueError):
        EncryptingReader(io.BytesIO(b""), new_data_key(), segment_bytes=16)


def test_grantee_opens_the_stream_through_reencryption() -> None:
    patient, hospital, other = KeyHolder.generate(), KeyHolder.generate(), KeyHolder.generate()
    key = new_data_key()
    sealed_key = seal_data_key(patient.keys.encrypting_secret.public_key(), key)
    assert key not in sealed_key.ciphertext
    payload = os.urandom(3 * SEG) + b"study archive"
    stream = encrypt(payload, key)
    envelope = {"key_ciphertext": base64.b64encode(sealed_key.ciphertext).decode(),
                "capsule": capsule_to_base64(sealed_key.capsule),
                "delegating_key": patient.key_document()["umbral_public_key"]}
    # The patient opens it directly.
    assert b"".join(patient.open_stream(envelope, [stream])) == payload
    # A grantee with cfrags made from the patient's kfrags for it.
    own = public_key_from_hex(hospital.key_document()["umbral_public_key"])
    kfrags = verify_kfrags(
        [base64.b64decode(k) for k in patient.grant_kfrags(
            hospital.key_document()["umbral_public_key"])],
        verifying_key=patient.keys.signing_secret.public_key(),
        delegating_key=patient.keys.encrypting_secret.public_key(), receiving_key=own)
    granted = {**envelope, "verifying_key": patient.key_document()["verifying_key"],
               "cfrags": [cfrag_to_base64(c) for c in reencrypt(sealed_key.capsule, kfrags)]}
    assert b"".join(hospital.open_stream(granted, pieces(stream, 777))) == payload
    # Someone else cannot use the hospital's cfrags, nor open the key without any.
    with pytest.raises(ReencryptionError):
        b"".join(other.open_stream(granted, [stream]))
    with pytest.raises(ReencryptionError):
        b"".join(other.open_stream(envelope, [stream]))
