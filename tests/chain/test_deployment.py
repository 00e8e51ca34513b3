"""Deployment and the address book, on the dev chain and on a real node: contracts are deployed
once per chain and found again, and redeployed where the book points at nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from chain import (
    AddressBook,
    Chain,
    ChainNotFound,
    ContractsNotDeployed,
    Deployment,
    InvalidChainRequest,
)


def test_contracts_are_deployed_once_and_found_again(bare_chain: Chain, tmp_path: Path) -> None:
    book = tmp_path / "book.json"

    first = bare_chain.deploy_contracts(book)
    block = bare_chain.block_number()
    again = bare_chain.deploy_contracts(book)

    assert again == first
    assert bare_chain.block_number() == block
    assert first.chain_id == bare_chain.chain_id()
    assert first.consent_registry != first.audit_anchor
    recorded = json.loads(book.read_text())["chains"][str(first.chain_id)]
    assert recorded["ConsentRegistry"] == first.consent_registry
    assert recorded["AuditAnchor"] == first.audit_anchor
    assert bare_chain.deployment.consent_domain.verifying_contract == first.consent_registry


def test_a_book_pointing_at_no_code_is_redeployed_and_other_chains_kept(
    bare_chain: Chain, tmp_path: Path
) -> None:
    book_path = tmp_path / "book.json"
    book = AddressBook(book_path)
    chain_id = bare_chain.chain_id()
    # What a restarted in-memory node leaves behind: addresses with no code any more.
    stale = Deployment(chain_id=chain_id, consent_registry=Account.create().address,
                       audit_anchor=Account.create().address, block_number=1,
                       source_hash="stale")
    elsewhere = Deployment(chain_id=chain_id + 1, consent_registry=Account.create().address,
                           audit_anchor=Account.create().address, block_number=9,
                           source_hash="other")
    book.put(stale)
    book.put(elsewhere)

    fresh = bare_chain.deploy_contracts(book_path)

    assert fresh.consent_registry != stale.consent_registry
    assert book.get(chain_id) == fresh
    assert book.get(chain_id + 1) == elsewhere


def test_contract_calls_need_a_deployment(bare_chain: Chain) -> None:
    patient, lab = Account.create().address, Account.create().address
    with pytest.raises(ContractsNotDeployed):
        bare_chain.is_authorized(patient, lab, "category:lab", "treatment")
    with pytest.raises(ContractsNotDeployed):
        bare_chain.batch_root(1)


def test_a_deployment_of_another_chain_cannot_be_attached(bare_chain: Chain) -> None:
    foreign = Deployment(chain_id=bare_chain.chain_id() + 1,
                         consent_registry=Account.create().address,
                         audit_anchor=Account.create().address, block_number=1,
                         source_hash="x")
    with pytest.raises(InvalidChainRequest, match="chain"):
        bare_chain.attach(foreign)


def test_blocks_not_mined_yet_are_not_found(bare_chain: Chain) -> None:
    head = bare_chain.block_number()
    assert bare_chain.block_hash(head).startswith("0x")
    with pytest.raises(ChainNotFound):
        bare_chain.block_hash(head + 1000)


def test_a_malformed_address_book_is_refused(bare_chain: Chain, tmp_path: Path) -> None:
    book = tmp_path / "book.json"
    book.write_text("{not json")
    with pytest.raises(InvalidChainRequest, match="address book"):
        bare_chain.deploy_contracts(book)
