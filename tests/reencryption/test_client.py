"""The client side against API-shaped records: patient, grantee and outsider, keys on disk."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from reencryption import (
    CfragRejected,
    DecryptionFailed,
    InvalidKeyMaterial,
    KfragRejected,
    KfragVault,
    RecordIntegrityError,
    SealedDataRejected,
    generate_kek,
    reencrypt,
    verify_kfrags,
)
from reencryption.client import KeyHolder, SealedRecord
from reencryption.keys import (
    PublicKeys,
    capsule_from_base64,
    cfrag_to_base64,
    kfrag_from_base64,
)
from storage import compute_cid

WALLET_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
NOTE = json.dumps({"resourceType": "Observation", "status": "final",
                   "code": {"text": "HbA1c"}, "valueString": "marker-client-5c1d"}).encode()


class ServiceSide:
    """What the API does with these libraries: verify and seal kfrags at grant time, and on
    an authorised read re-encrypt the capsule. It holds public keys and sealed kfrags only."""

    def __init__(self) -> None:
        self.vault = KfragVault(generate_kek())
        self.sealed_kfrags: dict[str, list[bytes]] = {}

    def accept_grant(self, grant_id: str, patient: dict[str, str], grantee: dict[str, str],
                     kfrags_b64: list[str]) -> None:
        patient_keys = PublicKeys.from_hex(**patient)
        grantee_keys = PublicKeys.from_hex(**grantee)
        verified = verify_kfrags([kfrag_from_base64(k) for k in kfrags_b64],
                                 verifying_key=patient_keys.verifying,
                                 delegating_key=patient_keys.encrypting,
                                 receiving_key=grantee_keys.encrypting)
        self.sealed_kfrags[grant_id] = [
            self.vault.seal(bytes(kfrag), f"grant:{grant_id}:kfrag:{index}")
            for index, kfrag in enumerate(verified)]

    def read_as_grantee(self, grant_id: str, stored: dict[str, Any], patient: dict[str, str],
                        grantee: dict[str, str]) -> dict[str, Any]:
        patient_keys = PublicKeys.from_hex(**patient)
        kfrags = verify_kfrags(
            [self.vault.open(sealed, f"grant:{grant_id}:kfrag:{index}")
             for index, sealed in enumerate(self.sealed_kfrags[grant_id])],
            verifying_key=patient_keys.verifying, delegating_key=patient_keys.encrypting,
            receiving_key=PublicKeys.from_hex(**grantee).encrypting)
        cfrags = reencrypt(capsule_from_base64(stored["capsule"]), kfrags)
        return {**stored, "cfrags": [cfrag_to_base64(c) for c in cfrags],
                "verifying_key": patient["verifying_key"]}


@pytest.fixture
def patient() -> KeyHolder:
    return KeyHolder.from_wallet_private_key(WALLET_KEY)


@pytest.fixture
def lab() -> KeyHolder:
    return KeyHolder.generate()


@pytest.fixture
def stored_record(patient: KeyHolder) -> dict[str, Any]:
    """A record as the API stores and serves it to its owner (no cfrags)."""
    encrypted = KeyHolder.encrypt_for_patient(patient.key_document()["umbral_public_key"], NOTE)
    return {"id": "rec-1", "cid": compute_cid(encrypted.ciphertext),
            **encrypted.to_document(),
            "delegating_key": patient.key_document()["umbral_public_key"]}


def test_the_patient_opens_their_own_record(patient: KeyHolder,
                                            stored_record: dict[str, Any]) -> None:
    assert patient.open_record(stored_record) == NOTE
    assert patient.open_record(SealedRecord.from_api(stored_record)) == NOTE


def test_a_granted_lab_opens_the_record_and_an_outsider_does_not(
        patient: KeyHolder, lab: KeyHolder, stored_record: dict[str, Any]) -> None:
    service = ServiceSide()
    service.accept_grant("g1", patient.key_document(), lab.key_document(),
                         patient.grant_kfrags(lab.key_document()["umbral_public_key"],
                                              threshold=2, shares=3))
    served = service.read_as_grantee("g1", stored_record, patient.key_document(),
                                     lab.key_document())
    assert NOTE not in json.dumps(served).encode()
    assert lab.open_record(served) == NOTE

    outsider = KeyHolder.generate()
    with pytest.raises(CfragRejected):
        outsider.open_record(served)
    with pytest.raises(DecryptionFailed):
        outsider.open_record(stored_record)
    with pytest.raises(DecryptionFailed):
        lab.open_record(stored_record)


def test_below_threshold_cfrags_from_the_service_do_not_open(
        patient: KeyHolder, lab: KeyHolder, stored_record: dict[str, Any]) -> None:
    service = ServiceSide()
    service.accept_grant("g1", patient.key_document(), lab.key_document(),
                         patient.grant_kfrags(lab.key_document()["umbral_public_key"],
                                              threshold=2, shares=3))
    served = service.read_as_grantee("g1", stored_record, patient.key_document(),
                                     lab.key_document())
    with pytest.raises(DecryptionFailed):
        lab.open_record({**served, "cfrags": served["cfrags"][:1]})


def test_the_service_refuses_kfrags_issued_for_someone_else(patient: KeyHolder,
                                                            lab: KeyHolder) -> None:
    pharmacy = KeyHolder.generate()
    kfrags_for_pharmacy = patient.grant_kfrags(pharmacy.key_document()["umbral_public_key"])
    with pytest.raises(KfragRejected):
        ServiceSide().accept_grant("g1", patient.key_document(), lab.key_document(),
                                   kfrags_for_pharmacy)


def test_the_service_refuses_kfrags_not_issued_by_the_patient(patient: KeyHolder,
                                                              lab: KeyHolder) -> None:
    impostor = KeyHolder.generate()
    forged = impostor.grant_kfrags(lab.key_document()["umbral_public_key"])
    with pytest.raises(KfragRejected):
        ServiceSide().accept_grant("g1", patient.key_document(), lab.key_document(), forged)


def test_a_ciphertext_that_does_not_match_its_cid_is_refused(
        patient: KeyHolder, stored_record: dict[str, Any]) -> None:
    swapped = KeyHolder.encrypt_for_patient(patient.key_document()["umbral_public_key"],
                                            b"another record")
    with pytest.raises(RecordIntegrityError):
        patient.open_record({**stored_record, **swapped.to_document()})


def test_cfrags_without_a_verifying_key_are_refused(
        patient: KeyHolder, lab: KeyHolder, stored_record: dict[str, Any]) -> None:
    service = ServiceSide()
    service.accept_grant("g1", patient.key_document(), lab.key_document(),
                         patient.grant_kfrags(lab.key_document()["umbral_public_key"]))
    served = service.read_as_grantee("g1", stored_record, patient.key_document(),
                                     lab.key_document())
    with pytest.raises(InvalidKeyMaterial):
        lab.open_record({**served, "verifying_key": None})


@pytest.mark.parametrize("change", [
    {"capsule": "bm90IGEgY2Fwc3VsZQ=="},
    {"capsule": None},
    {"ciphertext": "%%%"},
    {"delegating_key": "02abc"},
    {"cfrags": "not a list"},
    {"cfrags": [123]},
])
def test_a_malformed_api_record_is_refused(patient: KeyHolder, stored_record: dict[str, Any],
                                           change: dict[str, Any]) -> None:
    with pytest.raises(InvalidKeyMaterial):
        patient.open_record({**stored_record, **change})


def test_keys_are_saved_sealed_under_a_passphrase(tmp_path: Path, lab: KeyHolder) -> None:
    path = tmp_path / "lab.keys.json"
    lab.save(path, "correct horse battery staple")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert lab.keys.encrypting_secret.to_be_bytes().hex().encode() not in content
    assert base64.b64encode(lab.keys.to_bytes()) not in content
    assert KeyHolder.load(path, "correct horse battery staple").key_document() == \
        lab.key_document()


def test_a_wrong_passphrase_or_altered_key_file_is_refused(tmp_path: Path,
                                                           lab: KeyHolder) -> None:
    path = tmp_path / "lab.keys.json"
    lab.save(path, "right")
    with pytest.raises(SealedDataRejected):
        KeyHolder.load(path, "wrong")
    document = json.loads(path.read_text())
    sealed = bytearray(base64.b64decode(document["sealed"]))
    sealed[0] ^= 1
    document["sealed"] = base64.b64encode(bytes(sealed)).decode()
    path.write_text(json.dumps(document))
    with pytest.raises(SealedDataRejected):
        KeyHolder.load(path, "right")
    path.write_text("{not json")
    with pytest.raises(InvalidKeyMaterial):
        KeyHolder.load(path, "right")
    with pytest.raises(InvalidKeyMaterial):
        KeyHolder.load(tmp_path / "missing.json", "right")
