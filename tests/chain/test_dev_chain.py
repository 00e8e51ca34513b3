"""The embedded dev chain keeps everything across restarts: same blocks, transactions,
contract addresses and state after reopening its SQLite file; one process at a time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from eth_account import Account

from chain import ChainUnavailable, DevChain, MerkleTree, leaf_hash, sign_typed_data


def test_dev_chain_survives_reopen_with_same_blocks_addresses_and_state(tmp_path: Path) -> None:
    path, book = tmp_path / "chain.sqlite", tmp_path / "book.json"
    patient, lab = Account.create(), Account.create()
    chain = DevChain(path)
    deployment = chain.deploy_contracts(book)
    typed = chain.grant_typed_data(patient=patient.address, grantee=lab.address,
                                   scope="category:imaging", purpose="treatment",
                                   expiry=chain.latest_timestamp() + 3600)
    grant_id = chain.relay_grant(typed, sign_typed_data(patient.key, typed))
    tree = MerkleTree.build([leaf_hash(b"entry-1"), leaf_hash(b"entry-2")])
    anchor_receipt = chain.anchor_batch(1, tree.root, 2)
    head = chain.block_number()
    hashes = [chain.block_hash(number) for number in range(head + 1)]
    operator_nonce = chain.pending_nonce()
    chain.close()

    reopened = DevChain(path)
    try:
        assert reopened.deploy_contracts(book) == deployment
        assert reopened.block_number() == head
        assert [reopened.block_hash(number) for number in range(head + 1)] == hashes
        assert reopened.receipt(anchor_receipt.tx_hash) == anchor_receipt
        assert reopened.is_authorized(patient.address, lab.address, "category:imaging",
                                      "treatment")
        stored = reopened.stored_grant(grant_id)
        assert stored is not None and not stored.revoked
        assert reopened.patient_nonce(patient.address) == 1
        assert reopened.batch_root(1) == "0x" + tree.root.hex()
        assert reopened.pending_nonce() == operator_nonce
        # And it goes on from there.
        assert reopened.anchor_batch(2, tree.root, 2).block_number == head + 1
        assert [event.name for event in reopened.events(0, head + 1)].count(
            "ConsentGranted") == 1
    finally:
        reopened.close()


def test_dev_chain_open_elsewhere_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "chain.sqlite"
    chain = DevChain(path)
    try:
        with pytest.raises(ChainUnavailable, match="open in another process"):
            DevChain(path)
    finally:
        chain.close()
    with pytest.raises(ChainUnavailable):
        chain.block_number()
    DevChain(path).close()


def test_dev_chain_funds_a_given_operator_key(tmp_path: Path) -> None:
    operator = Account.create()
    chain = DevChain(tmp_path / "chain.sqlite", operator_key=operator.key)
    try:
        assert chain.operator_address == operator.address
        assert chain.balance(operator.address) > 0
        deployment = chain.deploy_contracts(tmp_path / "book.json")
        assert chain.is_anchorer(operator.address)
        assert deployment.chain_id == chain.chain_id()
    finally:
        chain.close()


def test_an_idle_dev_chain_stamps_the_next_block_with_the_current_time(
    tmp_path: Path,
) -> None:
    now = [time.time()]
    chain = DevChain(tmp_path / "chain.sqlite", clock=lambda: now[0])
    patient, lab = Account.create(), Account.create()
    try:
        chain.deploy_contracts(tmp_path / "book.json")
        typed = chain.grant_typed_data(patient=patient.address, grantee=lab.address,
                                       scope="category:lab", purpose="treatment",
                                       expiry=int(now[0]) + 60)
        chain.relay_grant(typed, sign_typed_data(patient.key, typed))
        assert chain.is_authorized(patient.address, lab.address, "category:lab", "treatment")

        now[0] += 3600  # an hour without transactions
        chain.anchor_batch(1, leaf_hash(b"entry"), 1)

        assert chain.latest_timestamp() >= int(now[0])
        # The grant expired an hour ago by the chain's own clock.
        assert not chain.is_authorized(patient.address, lab.address, "category:lab",
                                       "treatment")
    finally:
        chain.close()
