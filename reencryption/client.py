"""The client side of the record exchange: what a patient or institution runs to use its keys.

A `KeyHolder` keeps a party's Umbral keys (generated, derived from a wallet signature,
or loaded from a passphrase-protected key file), publishes their public half
(`PUT /api/v1/me/keys`), issues kfrags for a grant, encrypts a record to a patient, and
opens what `GET /api/v1/records/{id}` returns: the owner decrypts the capsule directly;
a grantee first checks every capsule fragment against the capsule, the patient's keys
and its own key. Secret keys never leave this process.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import umbral_pre
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from reencryption.derivation import derive_patient_keys, sign_key_derivation
from reencryption.errors import (
    DecryptionFailed,
    InvalidKeyMaterial,
    RecordIntegrityError,
    SealedDataRejected,
)
from reencryption.exchange import (
    EncryptedRecord,
    decrypt_original,
    decrypt_reencrypted,
    encrypt_for,
    generate_kfrags,
    verify_cfrag,
)
from reencryption.keys import (
    PartyKeys,
    PublicKeys,
    capsule_from_base64,
    cfrag_from_bytes,
    kfrag_to_base64,
    public_key_from_hex,
)
from reencryption.streaming import decrypt_stream
from storage.cid import compute_cid

KEY_FILE_FORMAT = "ohms-party-keys/1"
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1


def _b64(text: object, field: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidKeyMaterial(f"{field} must be a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKeyMaterial(f"{field} is not base64") from None


def _text(body: Mapping[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value:
        raise InvalidKeyMaterial(f"record is missing {field}")
    return value


@dataclass(frozen=True)
class SealedRecord:
    """A record as `GET /api/v1/records/{id}` returns it, parsed and typed."""

    record_id: str
    cid: str | None
    ciphertext: bytes
    capsule: umbral_pre.Capsule
    delegating_key: umbral_pre.PublicKey
    cfrags: tuple[umbral_pre.CapsuleFrag, ...] = ()
    verifying_key: umbral_pre.PublicKey | None = None

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> SealedRecord:
        raw_cfrags = body.get("cfrags") or []
        if not isinstance(raw_cfrags, list):
            raise InvalidKeyMaterial("cfrags must be a list of base64 strings")
        verifying = body.get("verifying_key")
        cid = body.get("cid")
        return cls(
            record_id=str(body.get("id", "")),
            cid=cid if isinstance(cid, str) and cid else None,
            ciphertext=_b64(body.get("ciphertext"), "ciphertext"),
            capsule=capsule_from_base64(_text(body, "capsule")),
            delegating_key=public_key_from_hex(_text(body, "delegating_key"), "delegating_key"),
            cfrags=tuple(cfrag_from_bytes(_b64(c, "cfrags")) for c in raw_cfrags),
            verifying_key=(public_key_from_hex(verifying, "verifying_key")
                           if isinstance(verifying, str) and verifying else None),
        )


class KeyHolder:
    """A patient's or institution's keys, and what it does with them."""

    def __init__(self, keys: PartyKeys) -> None:
        self._keys = keys

    @classmethod
    def generate(cls) -> KeyHolder:
        return cls(PartyKeys.generate())

    @classmethod
    def from_wallet_signature(cls, signature: bytes | str, account: str) -> KeyHolder:
        """A patient's keys from their wallet's signature over the derivation message."""
        return cls(derive_patient_keys(signature, account))

    @classmethod
    def from_wallet_private_key(cls, private_key: bytes | str) -> KeyHolder:
        """Same keys as `from_wallet_signature`, signing with a local Ethereum key."""
        from eth_account import Account

        account = str(Account.from_key(private_key).address)
        return cls.from_wallet_signature(sign_key_derivation(private_key, account), account)

    @property
    def public_keys(self) -> PublicKeys:
        return self._keys.public

    @property
    def keys(self) -> PartyKeys:
        return self._keys

    def key_document(self) -> dict[str, str]:
        """Body of `PUT /api/v1/me/keys` or `PUT /api/v1/organizations/{id}/keys`."""
        return self._keys.public.to_document()

    def grant_kfrags(self, grantee_umbral_public_key: str, *, threshold: int = 1,
                     shares: int = 1) -> list[str]:
        """Key fragments (base64) that let the service re-encrypt this patient's records
        for one grantee; they go into the grant request."""
        grantee = public_key_from_hex(grantee_umbral_public_key, "grantee public key")
        kfrags = generate_kfrags(self._keys, grantee, threshold=threshold, shares=shares)
        return [kfrag_to_base64(kfrag) for kfrag in kfrags]

    @staticmethod
    def encrypt_for_patient(patient_umbral_public_key: str, plaintext: bytes) -> EncryptedRecord:
        """An author encrypting a record on its own side, to the patient's public key."""
        return encrypt_for(public_key_from_hex(patient_umbral_public_key, "patient key"),
                           plaintext)

    def open_record(self, record: SealedRecord | Mapping[str, Any]) -> bytes:
        """The plaintext of a record returned by the API, after every check that applies."""
        sealed = record if isinstance(record, SealedRecord) else SealedRecord.from_api(record)
        if sealed.cid is not None and compute_cid(sealed.ciphertext) != sealed.cid:
            raise RecordIntegrityError(
                f"ciphertext of record {sealed.record_id} does not match CID {sealed.cid}")
        own_key = self._keys.encrypting_secret.public_key()
        if not sealed.cfrags:
            if sealed.delegating_key != own_key:
                raise DecryptionFailed(
                    "this record is not encrypted to your key and carries no capsule fragments")
            return decrypt_original(self._keys.encrypting_secret, sealed.capsule,
                                    sealed.ciphertext)
        if sealed.verifying_key is None:
            raise InvalidKeyMaterial("capsule fragments come without the patient's verifying key")
        verified = [verify_cfrag(cfrag, capsule=sealed.capsule,
                                 verifying_key=sealed.verifying_key,
                                 delegating_key=sealed.delegating_key, receiving_key=own_key)
                    for cfrag in sealed.cfrags]
        return decrypt_reencrypted(self._keys.encrypting_secret, sealed.delegating_key,
                                   sealed.capsule, verified, sealed.ciphertext)

    def open_stream(self, envelope: Mapping[str, Any],
                    pieces: Iterable[bytes]) -> Iterator[bytes]:
        """The plaintext of a streamed payload (a study archive), segment by segment.

        `envelope` carries the payload's data key sealed like a record (`key_ciphertext`,
        `capsule`, `delegating_key`, and `cfrags` + `verifying_key` for a grantee); `pieces`
        is the encrypted stream. Raises `StreamCorrupted` when the stream does not
        authenticate: discard whatever was produced before the error.
        """
        data_key = self.open_record({**envelope, "ciphertext": envelope.get("key_ciphertext"),
                                     "cid": None})
        return decrypt_stream(data_key, pieces)

    def save(self, path: str | os.PathLike[str], passphrase: str) -> None:
        """Write the keys to `path` (mode 0600), sealed under a key derived from `passphrase`
        with scrypt."""
        salt, nonce = os.urandom(16), os.urandom(12)
        key = _passphrase_key(passphrase, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
        document = {
            "format": KEY_FILE_FORMAT,
            "public": self.key_document(),
            "kdf": {"name": "scrypt", "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P,
                    "salt": base64.b64encode(salt).decode()},
            "nonce": base64.b64encode(nonce).decode(),
            "sealed": base64.b64encode(AESGCM(key).encrypt(
                nonce, self._keys.to_bytes(), KEY_FILE_FORMAT.encode())).decode(),
        }
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(document, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)

    @classmethod
    def load(cls, path: str | os.PathLike[str], passphrase: str) -> KeyHolder:
        try:
            document = json.loads(Path(path).read_text())
            kdf = document["kdf"]
            if document["format"] != KEY_FILE_FORMAT or kdf["name"] != "scrypt":
                raise InvalidKeyMaterial(f"{path} is not an OHMS key file")
            key = _passphrase_key(passphrase, _b64(kdf["salt"], "salt"), int(kdf["n"]),
                                  int(kdf["r"]), int(kdf["p"]))
            nonce, sealed = _b64(document["nonce"], "nonce"), _b64(document["sealed"], "sealed")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidKeyMaterial(f"{path} is not a readable OHMS key file") from exc
        try:
            raw = AESGCM(key).decrypt(nonce, sealed, KEY_FILE_FORMAT.encode())
        except InvalidTag:
            raise SealedDataRejected("wrong passphrase, or the key file was altered") from None
        return cls(PartyKeys.from_bytes(raw))


def _passphrase_key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
