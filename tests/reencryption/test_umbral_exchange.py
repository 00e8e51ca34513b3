"""Encrypt to a patient, delegate with kfrags, re-encrypt, decrypt: successes and refusals."""

from __future__ import annotations

import itertools
import os

import pytest
import umbral_pre

from reencryption import (
    CfragRejected,
    DecryptionFailed,
    InvalidKeyMaterial,
    KfragRejected,
    PartyKeys,
    decrypt_original,
    decrypt_reencrypted,
    encrypt_for,
    generate_kfrags,
    reencrypt,
    verify_cfrag,
    verify_kfrag,
    verify_kfrags,
)
from reencryption.keys import (
    PublicKeys,
    capsule_from_base64,
    capsule_to_base64,
    cfrag_from_base64,
    cfrag_to_base64,
    kfrag_from_base64,
    kfrag_to_base64,
    public_key_from_hex,
    public_key_to_hex,
    secret_key_from_hex,
    secret_key_to_hex,
)

NOTE = b'{"resourceType":"Observation","status":"final","valueString":"marker-7f3a"}'


@pytest.fixture
def patient() -> PartyKeys:
    return PartyKeys.generate()


@pytest.fixture
def lab() -> PartyKeys:
    return PartyKeys.generate()


@pytest.fixture
def pharmacy() -> PartyKeys:
    return PartyKeys.generate()


def grantee_reads(patient: PartyKeys, grantee: PartyKeys, capsule: umbral_pre.Capsule,
                  ciphertext: bytes, kfrags: list[umbral_pre.VerifiedKeyFrag]) -> bytes:
    cfrags = reencrypt(capsule, kfrags)
    verified = [verify_cfrag(bytes(c), capsule=capsule, verifying_key=patient.public.verifying,
                             delegating_key=patient.public.encrypting,
                             receiving_key=grantee.public.encrypting) for c in cfrags]
    return decrypt_reencrypted(grantee.encrypting_secret, patient.public.encrypting, capsule,
                               verified, ciphertext)


@pytest.mark.parametrize("size", [0, 1024, 1024 * 1024], ids=["empty", "1KiB", "1MiB"])
def test_the_patient_opens_a_record_encrypted_to_them(patient: PartyKeys, size: int) -> None:
    plaintext = os.urandom(size)
    record = encrypt_for(patient.public.encrypting, plaintext)
    assert plaintext not in record.ciphertext or size == 0
    assert decrypt_original(patient.encrypting_secret, record.capsule,
                            record.ciphertext) == plaintext


def test_another_key_cannot_open_the_patients_record(patient: PartyKeys, lab: PartyKeys) -> None:
    record = encrypt_for(patient.public.encrypting, NOTE)
    with pytest.raises(DecryptionFailed):
        decrypt_original(lab.encrypting_secret, record.capsule, record.ciphertext)


def test_a_tampered_ciphertext_does_not_open(patient: PartyKeys) -> None:
    record = encrypt_for(patient.public.encrypting, NOTE)
    damaged = bytearray(record.ciphertext)
    damaged[5] ^= 0x01
    with pytest.raises(DecryptionFailed):
        decrypt_original(patient.encrypting_secret, record.capsule, bytes(damaged))


def test_a_capsule_of_another_record_does_not_open(patient: PartyKeys) -> None:
    first = encrypt_for(patient.public.encrypting, NOTE)
    second = encrypt_for(patient.public.encrypting, NOTE)
    with pytest.raises(DecryptionFailed):
        decrypt_original(patient.encrypting_secret, second.capsule, first.ciphertext)


def test_a_grantee_reads_through_one_kfrag(patient: PartyKeys, lab: PartyKeys) -> None:
    record = encrypt_for(patient.public.encrypting, NOTE)
    kfrags = generate_kfrags(patient, lab.public.encrypting)
    assert grantee_reads(patient, lab, record.capsule, record.ciphertext, kfrags) == NOTE


def test_any_threshold_subset_of_cfrags_opens_the_record(patient: PartyKeys,
                                                          lab: PartyKeys) -> None:
    record = encrypt_for(patient.public.encrypting, NOTE)
    kfrags = generate_kfrags(patient, lab.public.encrypting, threshold=2, shares=3)
    for pair in itertools.combinations(kfrags, 2):
        assert grantee_reads(patient, lab, record.capsule, record.ciphertext,
                             list(pair)) == NOTE


def test_below_threshold_cfrags_do_not_open(patient: PartyKeys, lab: PartyKeys) -> None:
    record = encrypt_for(patient.public.encrypting, NOTE)
    kfrags = generate_kfrags(patient, lab.public.encrypting, threshold=2, shares=3)
    with pytest.raises(DecryptionFailed):
        grantee_reads(patient, lab, record.capsule, record.ciphertext, kfrags[:1])
    with pytest.raises(DecryptionFailed):
        grantee_reads(patient, lab, record.capsule, record.ciphertext, [])


def test_a_repeated_cfrag_does_not_count_twice(patient: PartyKeys, lab: PartyKeys) -> None:
    record = encrypt_for(patient.public.encrypting, NOTE)
    kfrags = generate_kfrags(patient, lab.public.encrypting, threshold=2, shares=3)
    with pytest.raises(DecryptionFailed):
        grantee_reads(patient, lab, record.capsule, record.ciphertext, [kfrags[0], kfrags[0]])


def test_kfrags_for_one_grantee_are_refused_for_another(patient: PartyKeys, lab: PartyKeys,
                                                        pharmacy: PartyKeys) -> None:
    record = encrypt_for(patient.public.encrypting, NOTE)
    lab_kfrags = generate_kfrags(patient, lab.public.encrypting)
    # The service checks kfrags against the grantee named in the grant...
    with pytest.raises(KfragRejected):
        verify_kfrag(bytes(lab_kfrags[0]), verifying_key=patient.public.verifying,
                     delegating_key=patient.public.encrypting,
                     receiving_key=pharmacy.public.encrypting)
    # ...the pharmacy refuses cfrags that were made for the lab...
    cfrags = reencrypt(record.capsule, lab_kfrags)
    with pytest.raises(CfragRejected):
        verify_cfrag(bytes(cfrags[0]), capsule=record.capsule,
                     verifying_key=patient.public.verifying,
                     delegating_key=patient.public.encrypting,
                     receiving_key=pharmacy.public.encrypting)
    # ...and even skipping that check, the pharmacy's key does not open the record.
    unchecked = [umbral_pre.CapsuleFrag.from_bytes(bytes(c)).skip_verification() for c in cfrags]
    with pytest.raises(DecryptionFailed):
        decrypt_reencrypted(pharmacy.encrypting_secret, patient.public.encrypting,
                            record.capsule, unchecked, record.ciphertext)


def test_a_grant_opens_only_the_record_it_was_used_on(patient: PartyKeys,
                                                       lab: PartyKeys) -> None:
    granted = encrypt_for(patient.public.encrypting, NOTE)
    not_granted = encrypt_for(patient.public.encrypting, b"marker-not-granted")
    kfrags = generate_kfrags(patient, lab.public.encrypting)
    cfrags_for_granted = reencrypt(granted.capsule, kfrags)
    # The lab's own secret key does not open the record...
    with pytest.raises(DecryptionFailed):
        decrypt_original(lab.encrypting_secret, not_granted.capsule, not_granted.ciphertext)
    # ...nor do cfrags of the granted record applied to another one.
    with pytest.raises(CfragRejected):
        verify_cfrag(bytes(cfrags_for_granted[0]), capsule=not_granted.capsule,
                     verifying_key=patient.public.verifying,
                     delegating_key=patient.public.encrypting,
                     receiving_key=lab.public.encrypting)
    with pytest.raises(DecryptionFailed):
        decrypt_reencrypted(lab.encrypting_secret, patient.public.encrypting,
                            not_granted.capsule, cfrags_for_granted, not_granted.ciphertext)


def test_forged_kfrags_are_refused(patient: PartyKeys, lab: PartyKeys) -> None:
    attacker = PartyKeys.generate()
    forged_by_other_delegator = generate_kfrags(attacker, lab.public.encrypting)[0]
    with pytest.raises(KfragRejected):
        verify_kfrag(bytes(forged_by_other_delegator), verifying_key=patient.public.verifying,
                     delegating_key=patient.public.encrypting,
                     receiving_key=lab.public.encrypting)
    # Right delegating key, but signed by a key that is not the patient's verifying key.
    impostor = PartyKeys(patient.encrypting_secret, attacker.signing_secret)
    wrongly_signed = generate_kfrags(impostor, lab.public.encrypting)[0]
    with pytest.raises(KfragRejected):
        verify_kfrag(bytes(wrongly_signed), verifying_key=patient.public.verifying,
                     delegating_key=patient.public.encrypting,
                     receiving_key=lab.public.encrypting)


def test_altered_kfrag_bytes_are_refused(patient: PartyKeys, lab: PartyKeys) -> None:
    good = bytes(generate_kfrags(patient, lab.public.encrypting)[0])
    for position in (0, 40, 100, len(good) - 1):
        damaged = bytearray(good)
        damaged[position] ^= 0x01
        with pytest.raises((KfragRejected, InvalidKeyMaterial)):
            verify_kfrag(bytes(damaged), verifying_key=patient.public.verifying,
                         delegating_key=patient.public.encrypting,
                         receiving_key=lab.public.encrypting)
    with pytest.raises(InvalidKeyMaterial):
        verify_kfrag(b"not a kfrag", verifying_key=patient.public.verifying,
                     delegating_key=patient.public.encrypting,
                     receiving_key=lab.public.encrypting)


def test_a_grant_needs_distinct_kfrags(patient: PartyKeys, lab: PartyKeys) -> None:
    kfrags = [bytes(k) for k in generate_kfrags(patient, lab.public.encrypting,
                                                threshold=2, shares=2)]
    keys = {"verifying_key": patient.public.verifying,
            "delegating_key": patient.public.encrypting,
            "receiving_key": lab.public.encrypting}
    assert len(verify_kfrags(kfrags, **keys)) == 2
    with pytest.raises(KfragRejected):
        verify_kfrags([], **keys)
    with pytest.raises(KfragRejected):
        verify_kfrags([kfrags[0], kfrags[0]], **keys)


@pytest.mark.parametrize(("threshold", "shares"), [(0, 1), (2, 1), (1, 0), (1, 256)])
def test_impossible_thresholds_are_refused(patient: PartyKeys, lab: PartyKeys,
                                           threshold: int, shares: int) -> None:
    with pytest.raises(InvalidKeyMaterial):
        generate_kfrags(patient, lab.public.encrypting, threshold=threshold, shares=shares)


def test_wire_forms_round_trip(patient: PartyKeys, lab: PartyKeys) -> None:
    record = encrypt_for(patient.public.encrypting, NOTE)
    kfrag = generate_kfrags(patient, lab.public.encrypting)[0]
    cfrag = reencrypt(record.capsule, [kfrag])[0]
    public_hex = public_key_to_hex(patient.public.encrypting)
    assert len(public_hex) == 66
    assert public_key_from_hex("0x" + public_hex) == patient.public.encrypting
    assert secret_key_from_hex(secret_key_to_hex(patient.encrypting_secret)).public_key() == \
        patient.public.encrypting
    assert bytes(capsule_from_base64(capsule_to_base64(record.capsule))) == bytes(record.capsule)
    assert bytes(kfrag_from_base64(kfrag_to_base64(kfrag))) == bytes(kfrag)
    assert bytes(cfrag_from_base64(cfrag_to_base64(cfrag))) == bytes(cfrag)
    document = patient.public.to_document()
    assert PublicKeys.from_hex(**document) == patient.public
    assert PartyKeys.from_bytes(patient.to_bytes()).public == patient.public
    assert secret_key_to_hex(patient.encrypting_secret) not in repr(patient)


@pytest.mark.parametrize("text", ["zz", "02" + "00" * 31, "02" + "ff" * 32, "04" + "11" * 32, ""])
def test_malformed_public_keys_are_refused(text: str) -> None:
    with pytest.raises(InvalidKeyMaterial):
        public_key_from_hex(text)


@pytest.mark.parametrize("text", ["00" * 32, "ff" * 32, "12" * 31, "xyz"])
def test_malformed_secret_keys_are_refused(text: str) -> None:
    with pytest.raises(InvalidKeyMaterial):
        secret_key_from_hex(text)


@pytest.mark.parametrize("text", ["not base64!", "AAAA", ""])
def test_malformed_capsules_and_fragments_are_refused(text: str) -> None:
    for parse in (capsule_from_base64, kfrag_from_base64, cfrag_from_base64):
        with pytest.raises(InvalidKeyMaterial):
            parse(text)
