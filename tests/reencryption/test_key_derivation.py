"""Patient keys derived from a wallet signature: deterministic, bound to the wallet, frozen."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from reencryption import InvalidKeyMaterial, SignatureMismatch, encrypt_for
from reencryption.client import KeyHolder
from reencryption.derivation import (
    derive_patient_keys,
    key_derivation_typed_data,
    keys_from_signature,
    sign_key_derivation,
)
from reencryption.exchange import decrypt_original

# A fixed wallet and the keys it must always derive: if this changes, every patient loses
# access to their records.
WALLET_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
WALLET_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
EXPECTED_KEYS = {
    "umbral_public_key": "020fe21c9b87c889df1fbe059b68c89d84a5a77563d4100f78fd54190fb84ab9d0",
    "verifying_key": "02afc82da0733cd204240ef93271cfe84bd621f57fe99be879c6669acc95124091",
}


def test_eth_account_signs_the_derivation_message_deterministically() -> None:
    typed_data = key_derivation_typed_data(WALLET_ADDRESS)
    first = Account.sign_typed_data(WALLET_KEY, full_message=typed_data).signature
    second = Account.sign_typed_data(WALLET_KEY, full_message=typed_data).signature
    assert first == second


def test_the_same_wallet_always_derives_the_same_keys() -> None:
    first = derive_patient_keys(sign_key_derivation(WALLET_KEY), WALLET_ADDRESS)
    second = KeyHolder.from_wallet_private_key(WALLET_KEY)
    assert first.public.to_document() == second.key_document() == EXPECTED_KEYS


def test_keys_derived_again_open_records_encrypted_earlier() -> None:
    record = encrypt_for(KeyHolder.from_wallet_private_key(WALLET_KEY).public_keys.encrypting,
                         b"marker-derived")
    again = derive_patient_keys(sign_key_derivation(WALLET_KEY), WALLET_ADDRESS)
    assert decrypt_original(again.encrypting_secret, record.capsule,
                            record.ciphertext) == b"marker-derived"


def test_different_wallets_derive_different_keys() -> None:
    other = Account.create()
    mine = KeyHolder.from_wallet_private_key(WALLET_KEY).key_document()
    theirs = KeyHolder.from_wallet_private_key(other.key).key_document()
    assert mine["umbral_public_key"] != theirs["umbral_public_key"]
    assert mine["verifying_key"] != theirs["verifying_key"]
    assert mine["umbral_public_key"] != mine["verifying_key"]


def test_the_recovery_byte_encoding_does_not_change_the_keys() -> None:
    signature = sign_key_derivation(WALLET_KEY)
    assert signature[64] in (27, 28)
    zero_based = signature[:64] + bytes([signature[64] - 27])
    assert keys_from_signature(zero_based).public == keys_from_signature(signature).public
    assert derive_patient_keys("0x" + signature.hex(), WALLET_ADDRESS).public == \
        keys_from_signature(signature).public


def test_the_message_is_fixed_and_chain_independent() -> None:
    typed_data = key_derivation_typed_data(WALLET_ADDRESS.lower())
    assert typed_data["primaryType"] == "DeriveEncryptionKey"
    assert "chainId" not in typed_data["domain"]
    assert typed_data["message"]["account"] == WALLET_ADDRESS
    assert typed_data["message"]["keyVersion"] == 1
    # What eth_signTypedData_v4 hashes (domain separator, message struct hash) is frozen.
    signable = encode_typed_data(full_message=typed_data)
    assert signable.header.hex() == \
        "b1b41b8977882d39ff9d29391bb21555c41b65ad2b2f8e5a2201103189c0d568"
    assert signable.body.hex() == \
        "c233ee560700adacdc55c02ec1fee451f31a6c7fe8852ee096e0d30c1961d8ec"


def test_a_signature_by_another_wallet_is_refused() -> None:
    other = Account.create()
    with pytest.raises(SignatureMismatch):
        derive_patient_keys(sign_key_derivation(other.key), WALLET_ADDRESS)


def test_a_signature_over_another_message_is_refused() -> None:
    typed_data = key_derivation_typed_data(WALLET_ADDRESS)
    typed_data["message"] = {**typed_data["message"], "keyVersion": 2}
    signature = Account.sign_typed_data(WALLET_KEY, full_message=typed_data).signature
    with pytest.raises(SignatureMismatch):
        derive_patient_keys(bytes(signature), WALLET_ADDRESS)


@pytest.mark.parametrize("signature", ["0x1234", "zz" * 65, b"\x00" * 64])
def test_a_malformed_signature_is_refused(signature: str | bytes) -> None:
    with pytest.raises(InvalidKeyMaterial):
        derive_patient_keys(signature, WALLET_ADDRESS)


def test_an_unrecoverable_signature_is_refused() -> None:
    with pytest.raises(SignatureMismatch):
        derive_patient_keys(b"\x00" * 64 + b"\x1b", WALLET_ADDRESS)


def test_an_invalid_account_is_refused() -> None:
    with pytest.raises(InvalidKeyMaterial):
        key_derivation_typed_data("0x1234")
