"""Errors of the re-encryption layer, in the flavours the API maps to HTTP statuses.

`InvalidKeyMaterial`, `KfragRejected`, `CfragRejected` -> 4xx (bad input);
`DecryptionFailed` -> the caller's key or fragments do not open the record;
`KeyNotFound` -> 404; `ItemExists` -> 409; `RecordIntegrityError` (the client got a
ciphertext that does not match its CID), `SealedDataRejected` (wrong key-encryption key
or tampered data) and `KeystoreUnavailable` -> server-side faults. umbral_pre's
ValueError and VerificationError never leave this package.
"""

from __future__ import annotations


class ReencryptionError(Exception):
    """Base class of every error raised by the re-encryption layer."""


class InvalidKeyMaterial(ReencryptionError):
    """Bytes, hex or base64 that do not decode to the expected key, capsule or fragment."""


class KfragRejected(ReencryptionError):
    """A key fragment is forged, or was made for another delegator, grantee or signer."""


class CfragRejected(ReencryptionError):
    """A capsule fragment does not prove a re-encryption of this capsule for this grantee."""


class DecryptionFailed(ReencryptionError):
    """The key (or the set of capsule fragments) does not open this ciphertext.

    Raised for a wrong secret key, too few capsule fragments, repeated fragments and
    tampered ciphertext alike: Umbral does not tell them apart, and neither do we.
    """


class SignatureMismatch(ReencryptionError):
    """A wallet signature was not made by the claimed account over the derivation message."""


class KeyNotFound(ReencryptionError):
    """The keystore holds no item with this id."""

    def __init__(self, item_id: str) -> None:
        super().__init__(f"no keystore item {item_id!r}")
        self.item_id = item_id


class ItemExists(ReencryptionError):
    """A keystore item with this id already exists (store with replace=True to overwrite)."""


class RecordIntegrityError(ReencryptionError):
    """A record's ciphertext does not hash to the CID it was served under."""


class SealedDataRejected(ReencryptionError):
    """Sealed bytes do not open: wrong key-encryption key, wrong context, or tampering."""


class WrongKeyEncryptionKey(SealedDataRejected):
    """The key-encryption key given is not the one this keystore was created with."""


class KeystoreUnavailable(ReencryptionError):
    """The keystore's directory cannot be read or written."""
