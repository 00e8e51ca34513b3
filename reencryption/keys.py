"""Umbral key pairs of a party (patient or institution) and the wire forms of every Umbral object.

A party holds two secret keys: the encrypting key (records are encrypted to its public
half) and the signing key (it signs the kfrags the party issues; its public half is the
"verifying key" grantees check capsule fragments against). Keys travel as hex
(compressed public keys, 33 bytes; secret keys, 32 bytes big-endian); capsules, kfrags
and cfrags as standard base64, the shapes the API uses.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import umbral_pre

from reencryption.errors import InvalidKeyMaterial

PUBLIC_KEY_BYTES = 33
SECRET_KEY_BYTES = 32


def _from_hex(text: str, expected_len: int, what: str) -> bytes:
    cleaned = text.strip()
    if cleaned[:2].lower() == "0x":
        cleaned = cleaned[2:]
    try:
        raw = bytes.fromhex(cleaned)
    except ValueError:
        raise InvalidKeyMaterial(f"{what} is not hex") from None
    if len(raw) != expected_len:
        raise InvalidKeyMaterial(f"{what} must be {expected_len} bytes, got {len(raw)}")
    return raw


def _from_base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKeyMaterial(f"{what} is not base64") from None


def to_base64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def public_key_from_bytes(raw: bytes, what: str = "public key") -> umbral_pre.PublicKey:
    try:
        return umbral_pre.PublicKey.from_compressed_bytes(raw)
    except ValueError:
        raise InvalidKeyMaterial(f"{what} is not a compressed secp256k1 point") from None


def public_key_from_hex(text: str, what: str = "public key") -> umbral_pre.PublicKey:
    return public_key_from_bytes(_from_hex(text, PUBLIC_KEY_BYTES, what), what)


def public_key_to_hex(key: umbral_pre.PublicKey) -> str:
    return key.to_compressed_bytes().hex()


def secret_key_from_bytes(raw: bytes) -> umbral_pre.SecretKey:
    if len(raw) != SECRET_KEY_BYTES:
        raise InvalidKeyMaterial(f"secret key must be {SECRET_KEY_BYTES} bytes")
    try:
        return umbral_pre.SecretKey.from_be_bytes(raw)
    except ValueError:
        raise InvalidKeyMaterial("secret key is not a valid secp256k1 scalar") from None


def secret_key_from_hex(text: str) -> umbral_pre.SecretKey:
    return secret_key_from_bytes(_from_hex(text, SECRET_KEY_BYTES, "secret key"))


def secret_key_to_hex(key: umbral_pre.SecretKey) -> str:
    return key.to_be_bytes().hex()


def capsule_from_bytes(raw: bytes) -> umbral_pre.Capsule:
    try:
        return umbral_pre.Capsule.from_bytes(raw)
    except ValueError:
        raise InvalidKeyMaterial("capsule is malformed") from None


def capsule_from_base64(text: str) -> umbral_pre.Capsule:
    return capsule_from_bytes(_from_base64(text, "capsule"))


def capsule_to_base64(capsule: umbral_pre.Capsule) -> str:
    return to_base64(bytes(capsule))


def kfrag_from_bytes(raw: bytes) -> umbral_pre.KeyFrag:
    """An unverified key fragment: verify it (exchange.verify_kfrag) before any use."""
    try:
        return umbral_pre.KeyFrag.from_bytes(raw)
    except ValueError:
        raise InvalidKeyMaterial("key fragment is malformed") from None


def kfrag_from_base64(text: str) -> umbral_pre.KeyFrag:
    return kfrag_from_bytes(_from_base64(text, "key fragment"))


def kfrag_to_base64(kfrag: umbral_pre.KeyFrag | umbral_pre.VerifiedKeyFrag) -> str:
    return to_base64(bytes(kfrag))


def cfrag_from_bytes(raw: bytes) -> umbral_pre.CapsuleFrag:
    """An unverified capsule fragment: verify it (exchange.verify_cfrag) before decrypting."""
    try:
        return umbral_pre.CapsuleFrag.from_bytes(raw)
    except ValueError:
        raise InvalidKeyMaterial("capsule fragment is malformed") from None


def cfrag_from_base64(text: str) -> umbral_pre.CapsuleFrag:
    return cfrag_from_bytes(_from_base64(text, "capsule fragment"))


def cfrag_to_base64(cfrag: umbral_pre.CapsuleFrag | umbral_pre.VerifiedCapsuleFrag) -> str:
    return to_base64(bytes(cfrag))


@dataclass(frozen=True)
class PublicKeys:
    """What a party publishes and the service stores: never anything secret."""

    encrypting: umbral_pre.PublicKey
    verifying: umbral_pre.PublicKey

    @classmethod
    def from_hex(cls, umbral_public_key: str, verifying_key: str) -> PublicKeys:
        return cls(public_key_from_hex(umbral_public_key, "umbral_public_key"),
                   public_key_from_hex(verifying_key, "verifying_key"))

    def to_document(self) -> dict[str, str]:
        """The JSON body of `PUT /api/v1/me/keys` and `PUT /api/v1/organizations/{id}/keys`."""
        return {"umbral_public_key": public_key_to_hex(self.encrypting),
                "verifying_key": public_key_to_hex(self.verifying)}


@dataclass(frozen=True, repr=False)
class PartyKeys:
    """A party's secret keys. repr never shows them."""

    encrypting_secret: umbral_pre.SecretKey
    signing_secret: umbral_pre.SecretKey

    @classmethod
    def generate(cls) -> PartyKeys:
        return cls(umbral_pre.SecretKey.random(), umbral_pre.SecretKey.random())

    @property
    def public(self) -> PublicKeys:
        return PublicKeys(self.encrypting_secret.public_key(), self.signing_secret.public_key())

    def signer(self) -> umbral_pre.Signer:
        return umbral_pre.Signer(self.signing_secret)

    def to_bytes(self) -> bytes:
        """64 bytes: encrypting secret then signing secret. Seal before storing."""
        return self.encrypting_secret.to_be_bytes() + self.signing_secret.to_be_bytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> PartyKeys:
        if len(raw) != 2 * SECRET_KEY_BYTES:
            raise InvalidKeyMaterial(f"a key pair is {2 * SECRET_KEY_BYTES} bytes")
        return cls(secret_key_from_bytes(raw[:SECRET_KEY_BYTES]),
                   secret_key_from_bytes(raw[SECRET_KEY_BYTES:]))

    def __repr__(self) -> str:
        return f"PartyKeys(public={self.public.to_document()})"
