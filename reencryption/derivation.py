"""Deterministic patient keys from a wallet: sign one fixed EIP-712 message, derive Umbral keys.

The patient's wallet signs `key_derivation_typed_data(account)` (eth_signTypedData_v4).
Wallets sign deterministically (RFC 6979), so the same wallet always yields the same
signature and therefore the same Umbral keys; nothing secret is stored anywhere. The
derivation, which the portal repeats in the browser with the same constants, is:

    seed    = HKDF-SHA256(ikm = r || s of the signature (64 bytes; v is left out because
              wallets write it as 0/1 or 27/28), salt = DERIVATION_SALT,
              info = DERIVATION_INFO, length = 32)
    factory = SecretKeyFactory.from_secure_randomness(seed)
    keys    = factory.make_key(ENCRYPTING_KEY_LABEL), factory.make_key(SIGNING_KEY_LABEL)

Every constant here is frozen: changing one changes every patient's keys and loses
access to their records.
"""

from __future__ import annotations

from typing import Any

import umbral_pre
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import is_address, to_checksum_address

from reencryption.errors import InvalidKeyMaterial, SignatureMismatch
from reencryption.keys import PartyKeys

# No chainId in the domain: a patient's keys must not change when OHMS moves chains.
KEY_DERIVATION_DOMAIN: dict[str, Any] = {"name": "OHMS", "version": "1"}
KEY_DERIVATION_PRIMARY_TYPE = "DeriveEncryptionKey"
KEY_DERIVATION_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
    ],
    KEY_DERIVATION_PRIMARY_TYPE: [
        {"name": "purpose", "type": "string"},
        {"name": "account", "type": "address"},
        {"name": "keyVersion", "type": "uint256"},
    ],
}
KEY_DERIVATION_PURPOSE = (
    "Derive my OHMS encryption key. Sign this only in the OHMS portal or client: "
    "this signature opens your health records."
)
KEY_DERIVATION_VERSION = 1

DERIVATION_SALT = b"OHMS patient key derivation v1"
DERIVATION_INFO = b"umbral-pre SecretKeyFactory seed"
ENCRYPTING_KEY_LABEL = b"ohms/encrypting"
SIGNING_KEY_LABEL = b"ohms/signing"


def _checksum(account: str) -> str:
    if not is_address(account):
        raise InvalidKeyMaterial("account is not an Ethereum address")
    return str(to_checksum_address(account))


def key_derivation_typed_data(account: str) -> dict[str, Any]:
    """The full EIP-712 typed data (eth_signTypedData_v4 JSON) the wallet of `account` signs."""
    return {
        "types": KEY_DERIVATION_TYPES,
        "primaryType": KEY_DERIVATION_PRIMARY_TYPE,
        "domain": dict(KEY_DERIVATION_DOMAIN),
        "message": {
            "purpose": KEY_DERIVATION_PURPOSE,
            "account": _checksum(account),
            "keyVersion": KEY_DERIVATION_VERSION,
        },
    }


def _signature_bytes(signature: bytes | str) -> bytes:
    if isinstance(signature, str):
        text = signature.removeprefix("0x")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise InvalidKeyMaterial("signature is not hex") from None
    else:
        raw = bytes(signature)
    if len(raw) != 65:
        raise InvalidKeyMaterial(f"an Ethereum signature is 65 bytes, got {len(raw)}")
    return raw


def keys_from_signature(signature: bytes | str) -> PartyKeys:
    """Umbral keys from a wallet signature over the derivation message (not checked here:
    use `derive_patient_keys` when the signer must be verified)."""
    raw = _signature_bytes(signature)
    seed = HKDF(algorithm=hashes.SHA256(), length=umbral_pre.SecretKeyFactory.seed_size(),
                salt=DERIVATION_SALT, info=DERIVATION_INFO).derive(raw[:64])
    factory = umbral_pre.SecretKeyFactory.from_secure_randomness(seed)
    return PartyKeys(factory.make_key(ENCRYPTING_KEY_LABEL), factory.make_key(SIGNING_KEY_LABEL))


def derive_patient_keys(signature: bytes | str, account: str) -> PartyKeys:
    """Keys of `account`'s patient, after checking the signature is that account's over
    the derivation message (SignatureMismatch otherwise: a signature over anything else
    would silently give other keys)."""
    raw = _signature_bytes(signature)
    signable = encode_typed_data(full_message=key_derivation_typed_data(account))
    try:
        signer = Account.recover_message(signable, signature=raw)
    # eth_keys raises several unrelated exception types for a malformed signature.
    except Exception as exc:
        raise SignatureMismatch("signature cannot be recovered") from exc
    if signer != _checksum(account):
        raise SignatureMismatch("signature was not made by this account over the OHMS "
                                "key derivation message")
    return keys_from_signature(raw)


def sign_key_derivation(private_key: bytes | str, account: str | None = None) -> bytes:
    """Sign the derivation message with a local Ethereum key (the Python client's wallet)."""
    address = account or str(Account.from_key(private_key).address)
    signed = Account.sign_typed_data(private_key,
                                     full_message=key_derivation_typed_data(address))
    return bytes(signed.signature)
