"""The record exchange in Umbral terms: encrypt to a patient, delegate, re-encrypt, decrypt.

A record is encrypted once to its patient's public key (capsule + ciphertext). A grant
is a set of key fragments (kfrags) the patient's signing key issues for one grantee;
the service checks them, and on each authorised read turns the record's capsule into
capsule fragments (cfrags) that only that grantee can use, with at least `threshold`
of them. Each function raises this package's errors, never umbral_pre's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import umbral_pre

# Missing from umbral_pre 0.11's type stub, present at run time.
from umbral_pre import VerificationError  # type: ignore[attr-defined]

from reencryption.errors import (
    CfragRejected,
    DecryptionFailed,
    InvalidKeyMaterial,
    KfragRejected,
)
from reencryption.keys import (
    PartyKeys,
    capsule_from_bytes,
    capsule_to_base64,
    cfrag_from_bytes,
    kfrag_from_bytes,
    to_base64,
)


@dataclass(frozen=True)
class EncryptedRecord:
    """Ciphertext (goes to the blob store) and capsule (goes to the database)."""

    capsule: umbral_pre.Capsule
    ciphertext: bytes

    def to_document(self) -> dict[str, str]:
        return {"capsule": capsule_to_base64(self.capsule),
                "ciphertext": to_base64(self.ciphertext)}


def encrypt_for(public_key: umbral_pre.PublicKey, plaintext: bytes) -> EncryptedRecord:
    """Encrypt `plaintext` so that only the holder of `public_key`'s secret (or its grantees)
    can read it."""
    capsule, ciphertext = umbral_pre.encrypt(public_key, plaintext)
    return EncryptedRecord(capsule, ciphertext)


def decrypt_original(secret_key: umbral_pre.SecretKey, capsule: umbral_pre.Capsule,
                     ciphertext: bytes) -> bytes:
    """The owner's read: open a record encrypted to the owner's public key."""
    try:
        return umbral_pre.decrypt_original(secret_key, capsule, ciphertext)
    except ValueError:
        raise DecryptionFailed("this key does not open the record, or it was altered") from None


def _check_threshold(threshold: int, shares: int) -> None:
    if threshold < 1 or shares < threshold or shares > 255:
        raise InvalidKeyMaterial(
            f"need 1 <= threshold <= shares <= 255, got threshold={threshold} shares={shares}")


def generate_kfrags(delegator: PartyKeys, grantee_public_key: umbral_pre.PublicKey, *,
                    threshold: int = 1, shares: int = 1) -> list[umbral_pre.VerifiedKeyFrag]:
    """Key fragments that let a proxy re-encrypt the delegator's records for one grantee.

    They are bound to the delegator's key and the grantee's key (both signed in), so they
    cannot be replayed for anyone else.
    """
    _check_threshold(threshold, shares)
    return umbral_pre.generate_kfrags(
        delegating_sk=delegator.encrypting_secret,
        receiving_pk=grantee_public_key,
        signer=delegator.signer(),
        threshold=threshold,
        shares=shares,
        sign_delegating_key=True,
        sign_receiving_key=True,
    )


def verify_kfrag(kfrag: umbral_pre.KeyFrag | bytes, *, verifying_key: umbral_pre.PublicKey,
                 delegating_key: umbral_pre.PublicKey,
                 receiving_key: umbral_pre.PublicKey) -> umbral_pre.VerifiedKeyFrag:
    """Accept a kfrag only if the delegator's signing key issued it for exactly this
    delegating key and this grantee; otherwise KfragRejected."""
    parsed = kfrag_from_bytes(kfrag) if isinstance(kfrag, bytes) else kfrag
    try:
        return parsed.verify(verifying_key, delegating_pk=delegating_key,
                             receiving_pk=receiving_key)
    except VerificationError:
        raise KfragRejected(
            "key fragment was not issued by this delegator for this grantee") from None


def verify_kfrags(kfrags: Sequence[umbral_pre.KeyFrag | bytes], *,
                  verifying_key: umbral_pre.PublicKey, delegating_key: umbral_pre.PublicKey,
                  receiving_key: umbral_pre.PublicKey) -> list[umbral_pre.VerifiedKeyFrag]:
    """verify_kfrag for each; also refuses an empty set and repeated fragments."""
    if not kfrags:
        raise KfragRejected("a grant needs at least one key fragment")
    verified = [verify_kfrag(k, verifying_key=verifying_key, delegating_key=delegating_key,
                             receiving_key=receiving_key) for k in kfrags]
    if len({bytes(k) for k in verified}) != len(verified):
        raise KfragRejected("key fragments are repeated")
    return verified


def reencrypt(capsule: umbral_pre.Capsule | bytes,
              kfrags: Sequence[umbral_pre.VerifiedKeyFrag]) -> list[umbral_pre.VerifiedCapsuleFrag]:
    """The proxy's step: one capsule fragment per verified kfrag. No key here opens the record."""
    parsed = capsule_from_bytes(capsule) if isinstance(capsule, bytes) else capsule
    return [umbral_pre.reencrypt(capsule=parsed, kfrag=kfrag) for kfrag in kfrags]


def verify_cfrag(cfrag: umbral_pre.CapsuleFrag | bytes, *, capsule: umbral_pre.Capsule,
                 verifying_key: umbral_pre.PublicKey, delegating_key: umbral_pre.PublicKey,
                 receiving_key: umbral_pre.PublicKey) -> umbral_pre.VerifiedCapsuleFrag:
    """The grantee's check that a cfrag is a correct re-encryption of this capsule for it."""
    parsed = cfrag_from_bytes(cfrag) if isinstance(cfrag, bytes) else cfrag
    try:
        return parsed.verify(capsule, verifying_pk=verifying_key, delegating_pk=delegating_key,
                             receiving_pk=receiving_key)
    except VerificationError:
        raise CfragRejected(
            "capsule fragment is not a re-encryption of this capsule for this grantee") from None


def decrypt_reencrypted(receiving_secret: umbral_pre.SecretKey,
                        delegating_key: umbral_pre.PublicKey, capsule: umbral_pre.Capsule,
                        verified_cfrags: Sequence[umbral_pre.VerifiedCapsuleFrag],
                        ciphertext: bytes) -> bytes:
    """The grantee's read: needs at least `threshold` distinct verified cfrags."""
    if not verified_cfrags:
        raise DecryptionFailed("no capsule fragments: this record was not shared with you")
    try:
        plaintext = umbral_pre.decrypt_reencrypted(
            receiving_sk=receiving_secret, delegating_pk=delegating_key, capsule=capsule,
            verified_cfrags=verified_cfrags, ciphertext=ciphertext)
    except ValueError:
        raise DecryptionFailed(
            "capsule fragments do not open the record (too few, repeated, or not for this key)"
        ) from None
    if plaintext is None:
        raise DecryptionFailed("capsule fragments do not open the record")
    return plaintext
