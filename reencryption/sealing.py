"""Secrets at rest sealed with AES-256-GCM under a key-encryption key (KEK) from settings.

The KEK never sits next to what it seals (it comes from the service's settings, not the
database or the keystore directory). Each use gets its own subkey derived from the KEK
(HKDF-SHA256), and every sealed value is bound to a context string (a grant id, a
keystore item id) as associated data, so a value copied to another row or file does
not open. The header names which KEK sealed a value by a one-way fingerprint, so a
wrong KEK is reported as such, and values sealed under a previous KEK still open during
a rotation.

Sealed format: version (1 byte) | KEK fingerprint (8) | nonce (12) | ciphertext + tag (16).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from reencryption.errors import SealedDataRejected, WrongKeyEncryptionKey

KEK_BYTES = 32
_FORMAT_VERSION = 1
_FINGERPRINT_BYTES = 8
_NONCE_BYTES = 12
_HEADER_BYTES = 1 + _FINGERPRINT_BYTES + _NONCE_BYTES
_TAG_BYTES = 16


def generate_kek() -> bytes:
    """A fresh random key-encryption key (put it in the service's secret settings)."""
    return os.urandom(KEK_BYTES)


def _derive(kek: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"OHMS sealing v1/" + label).derive(kek)


class _SealingKey:
    def __init__(self, kek: bytes, purpose: bytes) -> None:
        if len(kek) != KEK_BYTES:
            raise ValueError(f"a key-encryption key is {KEK_BYTES} bytes, got {len(kek)}")
        self.fingerprint = _derive(kek, b"fingerprint")[:_FINGERPRINT_BYTES]
        self.aead = AESGCM(_derive(kek, b"aead/" + purpose))


class Sealer:
    """AES-256-GCM sealing for one purpose (e.g. b"kfrag-vault", b"keystore")."""

    def __init__(self, kek: bytes, purpose: bytes, *, previous_keks: Sequence[bytes] = ()) -> None:
        self._current = _SealingKey(kek, purpose)
        self._by_fingerprint = {key.fingerprint: key for key in
                                [_SealingKey(old, purpose) for old in previous_keks]}
        self._by_fingerprint[self._current.fingerprint] = self._current
        self._purpose = purpose

    @property
    def fingerprint(self) -> bytes:
        """One-way fingerprint of the current KEK (safe to store; reveals nothing of it)."""
        return self._current.fingerprint

    def knows(self, fingerprint: bytes) -> bool:
        return fingerprint in self._by_fingerprint

    def _associated_data(self, context: str) -> bytes:
        return self._purpose + b"\x00" + context.encode("utf-8")

    def seal(self, secret: bytes, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        header = bytes([_FORMAT_VERSION]) + self._current.fingerprint + nonce
        return header + self._current.aead.encrypt(nonce, secret, self._associated_data(context))

    def open(self, sealed: bytes, context: str) -> bytes:
        if len(sealed) < _HEADER_BYTES + _TAG_BYTES or sealed[0] != _FORMAT_VERSION:
            raise SealedDataRejected("sealed data is truncated or of an unknown format")
        fingerprint = sealed[1:1 + _FINGERPRINT_BYTES]
        key = self._by_fingerprint.get(fingerprint)
        if key is None:
            raise WrongKeyEncryptionKey(
                "sealed under a different key-encryption key than the one configured")
        nonce = sealed[1 + _FINGERPRINT_BYTES:_HEADER_BYTES]
        try:
            return key.aead.decrypt(nonce, sealed[_HEADER_BYTES:], self._associated_data(context))
        except InvalidTag:
            raise SealedDataRejected(
                "sealed data was tampered with or belongs to another context") from None

    def needs_reseal(self, sealed: bytes) -> bool:
        """Whether `sealed` was made under a previous KEK (re-seal it to finish a rotation)."""
        return sealed[1:1 + _FINGERPRINT_BYTES] != self._current.fingerprint


class KfragVault:
    """Seals key fragments (or any small secret) for a database column.

    `context` must name the row the value belongs to (for example
    f"grant:{grant_id}:kfrag:{index}"): a sealed kfrag copied into another grant's row
    does not open. Revocation deletes the row; without the row nothing is left to open.
    """

    def __init__(self, kek: bytes, *, previous_keks: Sequence[bytes] = ()) -> None:
        self._sealer = Sealer(kek, b"kfrag-vault", previous_keks=previous_keks)

    def seal(self, secret: bytes, context: str) -> bytes:
        return self._sealer.seal(secret, context)

    def open(self, sealed: bytes, context: str) -> bytes:
        return self._sealer.open(sealed, context)

    def needs_reseal(self, sealed: bytes) -> bool:
        return self._sealer.needs_reseal(sealed)
