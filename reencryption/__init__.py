"""Umbral proxy re-encryption for the record exchange: keys, capsules, kfrags, sealed secrets.

`exchange` holds the cryptographic steps (encrypt to a patient, issue and verify kfrags,
re-encrypt, verify cfrags, decrypt), `derivation` the wallet-derived patient keys,
`sealing` and `keystore` the secrets kept at rest by the service, `client` what a patient
or institution runs on its side.
"""

from reencryption.errors import (
    CfragRejected,
    DecryptionFailed,
    InvalidKeyMaterial,
    ItemExists,
    KeyNotFound,
    KeystoreUnavailable,
    KfragRejected,
    RecordIntegrityError,
    ReencryptionError,
    SealedDataRejected,
    SignatureMismatch,
    WrongKeyEncryptionKey,
)
from reencryption.exchange import (
    EncryptedRecord,
    decrypt_original,
    decrypt_reencrypted,
    encrypt_for,
    generate_kfrags,
    reencrypt,
    verify_cfrag,
    verify_kfrag,
    verify_kfrags,
)
from reencryption.keys import PartyKeys, PublicKeys
from reencryption.keystore import Keystore
from reencryption.sealing import KfragVault, generate_kek

__all__ = [
    "CfragRejected",
    "DecryptionFailed",
    "EncryptedRecord",
    "InvalidKeyMaterial",
    "ItemExists",
    "KeyNotFound",
    "Keystore",
    "KeystoreUnavailable",
    "KfragRejected",
    "KfragVault",
    "PartyKeys",
    "PublicKeys",
    "RecordIntegrityError",
    "ReencryptionError",
    "SealedDataRejected",
    "SignatureMismatch",
    "WrongKeyEncryptionKey",
    "decrypt_original",
    "decrypt_reencrypted",
    "encrypt_for",
    "generate_kek",
    "generate_kfrags",
    "reencrypt",
    "verify_cfrag",
    "verify_kfrag",
    "verify_kfrags",
]
