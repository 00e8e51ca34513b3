"""Secrets sealed at rest: the keystore directory and the kfrag vault for database columns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reencryption import (
    InvalidKeyMaterial,
    ItemExists,
    KeyNotFound,
    Keystore,
    KeystoreUnavailable,
    KfragVault,
    PartyKeys,
    SealedDataRejected,
    WrongKeyEncryptionKey,
    generate_kek,
    generate_kfrags,
)


@pytest.fixture
def kek() -> bytes:
    return generate_kek()


@pytest.fixture
def keystore(tmp_path: Path, kek: bytes) -> Keystore:
    return Keystore(tmp_path / "keystore", kek)


def item_file(tmp_path: Path, item_id: str) -> Path:
    return tmp_path / "keystore" / "items" / f"{item_id}.sealed"


def every_file_bytes(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in root.rglob("*") if path.is_file())


def test_a_key_pair_round_trips_and_only_its_public_half_leaves(keystore: Keystore,
                                                                tmp_path: Path,
                                                                kek: bytes) -> None:
    item_id, public = keystore.generate_party_keys("org-lab-1")
    loaded = keystore.load_party_keys(item_id)
    assert loaded.public == public
    on_disk = every_file_bytes(tmp_path)
    assert loaded.encrypting_secret.to_be_bytes() not in on_disk
    assert loaded.signing_secret.to_be_bytes() not in on_disk
    assert kek not in on_disk


def test_the_keystore_survives_a_restart(tmp_path: Path, kek: bytes) -> None:
    keys = PartyKeys.generate()
    item_id = Keystore(tmp_path / "keystore", kek).store_party_keys(keys)
    assert Keystore(tmp_path / "keystore", kek).load_party_keys(item_id).public == keys.public


def test_a_wrong_kek_is_refused_at_start_up(tmp_path: Path, keystore: Keystore) -> None:
    keystore.generate_party_keys("org-1")
    with pytest.raises(WrongKeyEncryptionKey):
        Keystore(tmp_path / "keystore", generate_kek())


def test_a_wrong_kek_is_refused_when_reading(tmp_path: Path, kek: bytes) -> None:
    # Opened empty with one KEK, then filled by a process configured with another.
    reader = Keystore(tmp_path / "keystore", kek)
    Keystore(tmp_path / "keystore", generate_kek()).store_secret("kfrag-1", b"secret kfrag")
    with pytest.raises(WrongKeyEncryptionKey):
        reader.load_secret("kfrag-1")


@pytest.mark.parametrize("offset", [0, 3, 12, 30, -1], ids=["version", "fingerprint", "nonce",
                                                            "ciphertext", "tag"])
def test_a_tampered_item_is_refused(keystore: Keystore, tmp_path: Path, offset: int) -> None:
    keystore.generate_party_keys("org-1")
    path = item_file(tmp_path, "org-1")
    damaged = bytearray(path.read_bytes())
    damaged[offset] ^= 0x01
    path.write_bytes(bytes(damaged))
    with pytest.raises(SealedDataRejected):
        keystore.load_party_keys("org-1")


def test_a_truncated_item_is_refused(keystore: Keystore, tmp_path: Path) -> None:
    keystore.store_secret("kfrag-1", b"x" * 310)
    path = item_file(tmp_path, "kfrag-1")
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(SealedDataRejected):
        keystore.load_secret("kfrag-1")


def test_an_item_moved_under_another_id_does_not_open(keystore: Keystore,
                                                      tmp_path: Path) -> None:
    keystore.generate_party_keys("org-victim")
    keystore.generate_party_keys("org-attacker")
    item_file(tmp_path, "org-victim").replace(item_file(tmp_path, "org-attacker"))
    with pytest.raises(SealedDataRejected):
        keystore.load_party_keys("org-attacker")


def test_destroy_overwrites_then_removes(keystore: Keystore, tmp_path: Path) -> None:
    keystore.store_secret("kfrag-1", b"kfrag bytes")
    path = item_file(tmp_path, "kfrag-1")
    sealed = path.read_bytes()
    # A second link to the same inode shows what destroy wrote before unlinking.
    witness = tmp_path / "witness"
    os.link(path, witness)
    keystore.destroy("kfrag-1")
    assert not path.exists()
    assert not keystore.contains("kfrag-1")
    assert witness.read_bytes() != sealed
    assert len(witness.read_bytes()) == len(sealed)
    with pytest.raises(KeyNotFound):
        keystore.load_secret("kfrag-1")
    with pytest.raises(KeyNotFound):
        keystore.destroy("kfrag-1")


def test_missing_items_are_not_found(keystore: Keystore) -> None:
    with pytest.raises(KeyNotFound):
        keystore.load_party_keys("nobody")
    assert not keystore.contains("nobody")


def test_an_existing_item_is_replaced_only_on_request(keystore: Keystore) -> None:
    keystore.store_secret("kfrag-1", b"first")
    with pytest.raises(ItemExists):
        keystore.store_secret("kfrag-1", b"second")
    keystore.store_secret("kfrag-1", b"second", replace=True)
    assert keystore.load_secret("kfrag-1") == b"second"


def test_items_keep_their_kind(keystore: Keystore) -> None:
    keystore.store_secret("kfrag-1", b"k" * 64)
    keystore.generate_party_keys("org-1")
    with pytest.raises(InvalidKeyMaterial):
        keystore.load_party_keys("kfrag-1")
    with pytest.raises(InvalidKeyMaterial):
        keystore.load_secret("org-1")
    assert keystore.item_ids() == ["kfrag-1", "org-1"]


@pytest.mark.parametrize("item_id", ["", "../escape", "a/b", ".hidden", "x" * 129, "sp ace"])
def test_unsafe_item_ids_are_refused(keystore: Keystore, item_id: str) -> None:
    with pytest.raises(InvalidKeyMaterial):
        keystore.store_secret(item_id, b"x")


def test_a_kek_rotation_keeps_items_readable(tmp_path: Path, kek: bytes) -> None:
    Keystore(tmp_path / "keystore", kek).store_secret("kfrag-1", b"kfrag bytes")
    new_kek = generate_kek()
    rotating = Keystore(tmp_path / "keystore", new_kek, previous_keks=[kek])
    assert rotating.load_secret("kfrag-1") == b"kfrag bytes"
    assert rotating.reseal_all() == 1
    assert Keystore(tmp_path / "keystore", new_kek).load_secret("kfrag-1") == b"kfrag bytes"
    with pytest.raises(WrongKeyEncryptionKey):
        Keystore(tmp_path / "keystore", kek)


def test_an_unusable_directory_is_unavailable(tmp_path: Path, kek: bytes) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(KeystoreUnavailable):
        Keystore(blocker / "keystore", kek)


def test_a_kek_must_be_256_bits(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Keystore(tmp_path, b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        KfragVault(b"x" * 16)


def test_the_vault_seals_kfrags_for_a_database_column(kek: bytes) -> None:
    patient, lab = PartyKeys.generate(), PartyKeys.generate()
    kfrag = bytes(generate_kfrags(patient, lab.public.encrypting)[0])
    vault = KfragVault(kek)
    sealed = vault.seal(kfrag, "grant:42:kfrag:0")
    assert kfrag not in sealed
    assert vault.seal(kfrag, "grant:42:kfrag:0") != sealed  # fresh nonce every time
    assert KfragVault(kek).open(sealed, "grant:42:kfrag:0") == kfrag


def test_a_sealed_kfrag_copied_to_another_grant_does_not_open(kek: bytes) -> None:
    vault = KfragVault(kek)
    sealed = vault.seal(b"kfrag", "grant:42:kfrag:0")
    with pytest.raises(SealedDataRejected):
        vault.open(sealed, "grant:43:kfrag:0")


def test_the_vault_refuses_a_wrong_kek_and_tampering(kek: bytes) -> None:
    sealed = KfragVault(kek).seal(b"kfrag", "grant:1")
    with pytest.raises(WrongKeyEncryptionKey):
        KfragVault(generate_kek()).open(sealed, "grant:1")
    for offset in range(len(sealed)):
        damaged = bytearray(sealed)
        damaged[offset] ^= 0x40
        with pytest.raises(SealedDataRejected):
            KfragVault(kek).open(bytes(damaged), "grant:1")
    for truncated in (b"", sealed[:10], sealed[:-1]):
        with pytest.raises(SealedDataRejected):
            KfragVault(kek).open(truncated, "grant:1")


def test_the_vault_and_the_keystore_use_separate_keys(kek: bytes, keystore: Keystore,
                                                      tmp_path: Path) -> None:
    keystore.store_secret("grant-1", b"kfrag")
    sealed_in_keystore = item_file(tmp_path, "grant-1").read_bytes()
    with pytest.raises(SealedDataRejected):
        KfragVault(kek).open(sealed_in_keystore, "keystore-item:grant-1")


def test_the_vault_rotates_keks(kek: bytes) -> None:
    sealed = KfragVault(kek).seal(b"kfrag", "grant:1")
    rotating = KfragVault(generate_kek(), previous_keks=[kek])
    assert rotating.needs_reseal(sealed)
    assert rotating.open(sealed, "grant:1") == b"kfrag"
    resealed = rotating.seal(rotating.open(sealed, "grant:1"), "grant:1")
    assert not rotating.needs_reseal(resealed)
