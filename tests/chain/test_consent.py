"""Consent on chain, on the dev chain and on a real node: grants, revocations, break-glass, and
every refusal ConsentRegistry makes, each leaving the chain unchanged."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from chain import (
    Chain,
    ChainNotFound,
    ChainReverted,
    InvalidChainRequest,
    NonceTooLow,
    Purpose,
    recover_signer,
    scope_hash,
    sign_typed_data,
    typed_data_digest,
)
from tests.chain.conftest import ConsentSigner


def _refused(error_name: str) -> pytest.RaisesExc[ChainReverted]:
    return pytest.raises(ChainReverted, match=rf"reverted with {error_name}\(")


def test_grant_authorizes_its_grantee_scope_and_purpose_only(
    chain: Chain, signer: ConsentSigner, patient: LocalAccount, lab: LocalAccount
) -> None:
    typed, signature = signer.grant(patient, lab.address, "category:lab", "treatment",
                                    data_from=1_600_000_000, data_to=1_700_000_000)
    assert recover_signer(typed, signature) == patient.address

    grant_id = chain.relay_grant(typed, signature)

    assert grant_id == typed_data_digest(typed)
    assert chain.patient_nonce(patient.address) == 1
    assert chain.is_authorized(patient.address, lab.address, "category:lab", Purpose.TREATMENT)
    assert not chain.is_authorized(patient.address, lab.address, "category:lab", "research")
    assert not chain.is_authorized(patient.address, lab.address, "category:imaging", "treatment")
    other = Account.create().address
    assert not chain.is_authorized(patient.address, other, "category:lab", "treatment")
    stored = chain.stored_grant(grant_id)
    assert stored is not None
    assert (stored.patient, stored.grantee, stored.purpose) == (
        patient.address, lab.address, Purpose.TREATMENT)
    assert stored.scope_hash == "0x" + scope_hash("category:lab").hex()
    assert (stored.data_from, stored.data_to) == (1_600_000_000, 1_700_000_000)
    assert stored.expiry == typed["message"]["expiry"]
    assert not stored.revoked
    assert chain.stored_grant("0x" + "00" * 32) is None


def test_all_category_covers_every_scope_for_its_purpose(
    chain: Chain, granted: Callable[..., str], patient: LocalAccount, lab: LocalAccount
) -> None:
    granted(scope="category:all", purpose="claim")
    assert chain.is_authorized(patient.address, lab.address, "category:imaging", "claim")
    assert chain.is_authorized(patient.address, lab.address, "record:obs-7", "claim")
    assert not chain.is_authorized(patient.address, lab.address, "record:obs-7", "treatment")


def test_a_record_is_covered_by_its_own_grant_or_its_category(
    chain: Chain, granted: Callable[..., str], patient: LocalAccount, lab: LocalAccount
) -> None:
    granted(scope="category:lab")
    assert chain.is_authorized_for_record(
        patient.address, lab.address, "record:obs-1", "category:lab", "treatment")
    assert not chain.is_authorized_for_record(
        patient.address, lab.address, "record:img-1", "category:imaging", "treatment")
    granted(scope="record:img-1")
    assert chain.is_authorized_for_record(
        patient.address, lab.address, "record:img-1", "category:imaging", "treatment")
    assert not chain.is_authorized(patient.address, lab.address, "record:img-2", "treatment")


def test_grant_signed_by_someone_else_is_refused(
    chain: Chain, signer: ConsentSigner, patient: LocalAccount, lab: LocalAccount
) -> None:
    typed, _ = signer.grant(patient, lab.address)
    forged = sign_typed_data(Account.create().key, typed)
    block = chain.block_number()

    with _refused("InvalidPatientSignature") as refusal:
        chain.relay_grant(typed, forged)

    assert refusal.value.error_args == {"patient": patient.address}
    assert chain.block_number() == block
    assert chain.patient_nonce(patient.address) == 0
    assert not chain.is_authorized(patient.address, lab.address, "category:lab", "treatment")


def test_replayed_signature_is_refused(
    chain: Chain, signer: ConsentSigner, patient: LocalAccount, lab: LocalAccount
) -> None:
    typed, signature = signer.grant(patient, lab.address)
    chain.relay_grant(typed, signature)
    block = chain.block_number()

    with _refused("InvalidAccountNonce") as refusal:
        chain.relay_grant(typed, signature)

    assert refusal.value.error_args == {"account": patient.address, "currentNonce": 1}
    assert chain.block_number() == block
    assert chain.patient_nonce(patient.address) == 1


def test_expired_deadline_is_refused(
    chain: Chain, signer: ConsentSigner, patient: LocalAccount, lab: LocalAccount
) -> None:
    deadline = chain.latest_timestamp() - 1
    typed, signature = signer.grant(patient, lab.address, deadline=deadline)

    with _refused("SignatureExpired") as refusal:
        chain.relay_grant(typed, signature)

    assert refusal.value.error_args == {"deadline": deadline}
    assert chain.patient_nonce(patient.address) == 0


@pytest.mark.parametrize("foreign_domain", ["another chain id", "another contract"])
def test_signature_for_another_domain_is_refused(
    chain: Chain, signer: ConsentSigner, patient: LocalAccount, lab: LocalAccount,
    foreign_domain: str,
) -> None:
    typed, _ = signer.grant(patient, lab.address)
    elsewhere = copy.deepcopy(typed)
    if foreign_domain == "another chain id":
        elsewhere["domain"]["chainId"] = chain.chain_id() + 1
    else:
        elsewhere["domain"]["verifyingContract"] = chain.deployment.audit_anchor
    signed_elsewhere = sign_typed_data(patient.key, elsewhere)

    # The genuine message with a signature made for the other domain: the contract refuses.
    with _refused("InvalidPatientSignature"):
        chain.relay_grant(typed, signed_elsewhere)
    # The other domain's typed data itself is refused before anything is sent.
    with pytest.raises(InvalidChainRequest, match="another chain or contract"):
        chain.relay_grant(elsewhere, signed_elsewhere)
    assert chain.patient_nonce(patient.address) == 0


def test_revoked_grant_is_no_longer_authorised(
    chain: Chain, signer: ConsentSigner, granted: Callable[..., str],
    patient: LocalAccount, lab: LocalAccount,
) -> None:
    grant_id = granted()
    typed, signature = signer.revoke(patient, grant_id)

    receipt = chain.relay_revoke(typed, signature)

    assert receipt.succeeded
    [revoked] = [event for event in receipt.events if event.name == "ConsentRevoked"]
    assert revoked.args == {"grantId": grant_id, "patient": patient.address,
                            "grantee": lab.address, "nonce": 1}
    assert not chain.is_authorized(patient.address, lab.address, "category:lab", "treatment")
    stored = chain.stored_grant(grant_id)
    assert stored is not None and stored.revoked

    again, again_signature = signer.revoke(patient, grant_id)
    with _refused("GrantAlreadyRevoked"):
        chain.relay_revoke(again, again_signature)


def test_revocation_refusals(
    chain: Chain, signer: ConsentSigner, granted: Callable[..., str],
    patient: LocalAccount, lab: LocalAccount,
) -> None:
    grant_id = granted()

    typed, _ = signer.revoke(patient, grant_id)
    with _refused("InvalidPatientSignature"):
        chain.relay_revoke(typed, sign_typed_data(Account.create().key, typed))

    intruder = Account.create()
    typed, signature = signer.revoke(intruder, grant_id)
    with _refused("GrantOfAnotherPatient"):
        chain.relay_revoke(typed, signature)

    typed, signature = signer.revoke(patient, "0x" + "ab" * 32)
    with _refused("UnknownGrant"):
        chain.relay_revoke(typed, signature)

    typed, signature = signer.revoke(patient, grant_id, deadline=chain.latest_timestamp() - 1)
    with _refused("SignatureExpired"):
        chain.relay_revoke(typed, signature)

    assert chain.is_authorized(patient.address, lab.address, "category:lab", "treatment")


def test_newer_grant_for_the_same_scope_supersedes_the_older(
    chain: Chain, signer: ConsentSigner, granted: Callable[..., str],
    patient: LocalAccount, lab: LocalAccount,
) -> None:
    first = granted()
    expiry = chain.latest_timestamp() + 3600
    renewal = granted(expiry=expiry)
    stored = chain.stored_grant(renewal)
    assert stored is not None and stored.expiry == expiry
    typed, signature = signer.revoke(patient, first)
    chain.relay_revoke(typed, signature)
    assert chain.is_authorized(patient.address, lab.address, "category:lab", "treatment")


def test_break_glass_is_recorded_by_recorders_only(
    chain: Chain, stranger: Chain, patient: LocalAccount, lab: LocalAccount
) -> None:
    reason = "unconscious patient admitted to the emergency department"
    receipt = chain.record_break_glass(patient=patient.address, grantee=lab.address,
                                       scope="category:all", reason=reason)

    [event] = receipt.events
    assert event.name == "BreakGlassAccess"
    assert event.args == {"patient": patient.address, "grantee": lab.address,
                          "scope": "0x" + scope_hash("category:all").hex(),
                          "reasonHash": "0x" + keccak(text=reason).hex(),
                          "recorder": chain.operator_address}
    assert not chain.is_authorized(patient.address, lab.address, "category:lab", "emergency")

    with _refused("AccessControlUnauthorizedAccount"):
        stranger.record_break_glass(patient=patient.address, grantee=lab.address,
                                    scope="category:all", reason=reason)
    with pytest.raises(InvalidChainRequest, match="reason"):
        chain.record_break_glass(patient=patient.address, grantee=lab.address,
                                 scope="category:all", reason="  ")

    chain.add_break_glass_recorder(stranger.operator_address)
    assert stranger.record_break_glass(patient=patient.address, grantee=lab.address,
                                       scope="record:enc-9", reason=reason).succeeded


def test_events_of_a_block_range_in_chain_order(
    chain: Chain, signer: ConsentSigner, granted: Callable[..., str],
    patient: LocalAccount, lab: LocalAccount,
) -> None:
    start = chain.block_number() + 1
    grant_id = granted(scope="record:obs-3", purpose="research")
    typed, signature = signer.revoke(patient, grant_id)
    chain.relay_revoke(typed, signature)

    events = chain.events(start, chain.block_number())

    assert [event.name for event in events] == ["ConsentGranted", "ConsentRevoked"]
    granted_event = events[0]
    assert granted_event.contract == "ConsentRegistry"
    assert granted_event.args["grantId"] == grant_id
    assert granted_event.args["scope"] == "record:obs-3"
    assert granted_event.args["purpose"] == Purpose.RESEARCH
    assert granted_event.block_number < events[1].block_number
    assert chain.events(start, start - 1) == []
    assert chain.events(chain.block_number() + 1, chain.block_number() + 5) == []


def test_malformed_input_is_refused_before_sending(
    chain: Chain, signer: ConsentSigner, patient: LocalAccount, lab: LocalAccount
) -> None:
    with pytest.raises(InvalidChainRequest, match="scope"):
        signer.grant(patient, lab.address, scope="lab")
    with pytest.raises(InvalidChainRequest, match="purpose"):
        signer.grant(patient, lab.address, purpose="marketing")
    with pytest.raises(InvalidChainRequest, match="grantee"):
        signer.grant(patient, "0x1234")
    with pytest.raises(InvalidChainRequest, match="data_from"):
        signer.grant(patient, lab.address, data_from=20, data_to=10)
    typed, _ = signer.grant(patient, lab.address)
    with pytest.raises(InvalidChainRequest, match="signature"):
        chain.relay_grant(typed, "not-hex")
    tampered = copy.deepcopy(typed)
    tampered["primaryType"] = "Revoke"
    with pytest.raises(InvalidChainRequest, match="Grant"):
        chain.grant_transaction(tampered, "0x" + "00" * 65)


def test_a_failed_transaction_is_explained_from_its_receipt(
    chain: Chain, signer: ConsentSigner, patient: LocalAccount, lab: LocalAccount
) -> None:
    typed, signature = signer.grant(patient, lab.address)
    chain.relay_grant(typed, signature)

    # Sent without pre-flight, as the outbox does: the replay is mined and fails.
    tx_hash = chain.send_transaction(chain.grant_transaction(typed, signature),
                                     chain.pending_nonce())
    receipt = chain.wait_for_receipt(tx_hash)

    assert not receipt.succeeded
    explained = chain.explain_failure(tx_hash)
    assert explained.error_name == "InvalidAccountNonce"
    assert explained.tx_hash == tx_hash
    assert chain.receipt("0x" + "12" * 32) is None
    with pytest.raises(ChainNotFound):
        chain.explain_failure("0x" + "12" * 32)


def test_a_signed_transaction_resent_never_applies_twice(
    chain: Chain, signer: ConsentSigner, patient: LocalAccount, lab: LocalAccount
) -> None:
    typed, signature = signer.grant(patient, lab.address)
    signed = chain.sign_transaction(chain.grant_transaction(typed, signature),
                                    chain.pending_nonce())

    assert chain.send_raw_transaction(signed.raw) == signed.tx_hash
    assert chain.wait_for_receipt(signed.tx_hash).succeeded
    with pytest.raises(NonceTooLow):
        chain.send_raw_transaction(signed.raw)
    assert chain.patient_nonce(patient.address) == 1
