"""Consent on chain through the API: signed grants relayed, confirmed, used, revoked; and
every refusal leaves the chain and the database unchanged."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import func, select

from api.consent.models import Consent
from api.ledger.models import OutboxTransaction
from tests.api.conftest import Ohms
from tests.api.consent.conftest import (
    check,
    grant,
    patient_with_wallet,
    run_workers,
    sign,
    typed_data,
)

PROBLEM = "application/problem+json"


def counts(ohms: Ohms) -> tuple[int, int]:
    with ohms.db() as s:
        return (int(s.scalar(select(func.count()).select_from(Consent)) or 0),
                int(s.scalar(select(func.count()).select_from(OutboxTransaction)) or 0))


def test_grant_is_pending_then_active_and_authorises_reads(ohms: Ohms) -> None:
    lab = ohms.create_org("lab")
    tech = ohms.add_member(lab, "lab_technician")
    patient = patient_with_wallet(ohms)
    assert check(ohms, tech, patient.user)["authorized"] is False

    data = typed_data(ohms, patient, lab)
    assert data["primaryType"] == "Grant"
    assert data["domain"]["chainId"] == ohms.container.chain.deployment.chain_id
    assert data["message"]["patient"] == patient.wallet.address
    r = ohms.client.post("/api/v1/consents", headers=patient.user.headers,
                         json={"typed_data": data, "signature": sign(patient.wallet, data)})
    assert r.status_code == 201, r.text
    consent = r.json()
    assert consent["status"] == "pending" and consent["grantee"]["id"] == lab
    run_workers(ohms)
    got = ohms.client.get(f"/api/v1/consents/{consent['id']}", headers=patient.user.headers)
    assert got.json()["status"] == "active"
    chain = ohms.container.chain.ready()
    assert chain.stored_grant(consent["grant_id"]) is not None

    allowed = check(ohms, tech, patient.user)
    assert allowed == {**allowed, "authorized": True, "basis": "grant",
                       "grant_id": consent["grant_id"]}
    # The lab sees the consent it received; another lab does not.
    received = ohms.client.get("/api/v1/consents", headers=tech.headers).json()
    assert consent["id"] in {c["id"] for c in received}
    other = ohms.add_member(ohms.create_org("lab"), "lab_technician")
    assert consent["id"] not in {c["id"] for c in
                                 ohms.client.get("/api/v1/consents", headers=other.headers).json()}
    assert ohms.client.get(f"/api/v1/consents/{consent['id']}",
                           headers=other.headers).status_code == 404
    assert check(ohms, other, patient.user)["authorized"] is False


def test_grant_covers_only_its_purpose_and_category(ohms: Ohms) -> None:
    clinic = ohms.create_org("clinic")
    doctor = ohms.add_member(clinic, "physician")
    patient = patient_with_wallet(ohms)
    grant(ohms, patient, clinic, scope="category:lab", purpose="treatment")
    run_workers(ohms)
    assert check(ohms, doctor, patient.user, "category:lab", "treatment")["authorized"]
    assert not check(ohms, doctor, patient.user, "category:imaging", "treatment")["authorized"]
    assert not check(ohms, doctor, patient.user, "category:lab", "research")["authorized"]
    assert not check(ohms, doctor, patient.user, "category:all", "treatment")["authorized"]


def test_revoked_grant_is_refused_at_once(ohms: Ohms) -> None:
    lab = ohms.create_org("lab")
    tech = ohms.add_member(lab, "lab_technician")
    patient = patient_with_wallet(ohms)
    consent = grant(ohms, patient, lab)
    run_workers(ohms)
    assert check(ohms, tech, patient.user)["authorized"]
    rev = ohms.client.post(f"/api/v1/consents/{consent['id']}/revocation/typed-data",
                           headers=patient.user.headers)
    assert rev.status_code == 200 and rev.json()["primaryType"] == "Revoke"
    stranger_sig = sign(Account.create(), rev.json())
    forged = ohms.client.post(f"/api/v1/consents/{consent['id']}/revocation",
                              headers=patient.user.headers,
                              json={"typed_data": rev.json(), "signature": stranger_sig})
    assert forged.status_code == 422 and forged.headers["content-type"] == PROBLEM
    assert check(ohms, tech, patient.user)["authorized"]  # a forged revocation changes nothing
    done = ohms.client.post(f"/api/v1/consents/{consent['id']}/revocation",
                            headers=patient.user.headers,
                            json={"typed_data": rev.json(),
                                  "signature": sign(patient.wallet, rev.json())})
    assert done.status_code == 200 and done.json()["status"] == "revoked"
    assert check(ohms, tech, patient.user)["authorized"] is False
    run_workers(ohms)
    chain = ohms.container.chain.ready()
    stored = chain.stored_grant(consent["grant_id"])
    assert stored is not None and stored.revoked
    assert check(ohms, tech, patient.user)["authorized"] is False
    again = ohms.client.post(f"/api/v1/consents/{consent['id']}/revocation",
                             headers=patient.user.headers, json={})
    assert again.status_code == 409


def test_bad_grants_are_refused_and_change_nothing(ohms: Ohms) -> None:
    lab = ohms.create_org("lab")
    patient = patient_with_wallet(ohms)
    data = typed_data(ohms, patient, lab)
    chain = ohms.container.chain.ready()
    nonce_before = chain.patient_nonce(patient.wallet.address)
    before = counts(ohms)

    def submit(td: dict[str, Any], signature: str) -> Any:
        return ohms.client.post("/api/v1/consents", headers=patient.user.headers,
                                json={"typed_data": td, "signature": signature})

    impostor = submit(data, sign(Account.create(), data))
    other_chain = copy.deepcopy(data)
    other_chain["domain"]["chainId"] = 1
    other_contract = copy.deepcopy(data)
    other_contract["domain"]["verifyingContract"] = Account.create().address
    expired = copy.deepcopy(data)
    expired["message"]["deadline"] = 1_600_000_000
    tampered = copy.deepcopy(data)
    tampered["message"]["scope"] = "category:all"
    results = {
        "impostor": impostor,
        "other chain": submit(other_chain, sign(patient.wallet, other_chain)),
        "other contract": submit(other_contract, sign(patient.wallet, other_contract)),
        "expired deadline": submit(expired, sign(patient.wallet, expired)),
        "changed after signing": submit(tampered, sign(patient.wallet, data)),
        "not typed data": submit({"domain": {}, "types": {}, "primaryType": "Grant",
                                  "message": {}}, sign(patient.wallet, data)),
    }
    for what, r in results.items():
        assert r.status_code == 422, (what, r.text)
        assert r.headers["content-type"] == PROBLEM, what
    assert counts(ohms) == before
    assert chain.patient_nonce(patient.wallet.address) == nonce_before

    # Someone else's grant, even correctly signed by that patient, is not yours to submit.
    other = patient_with_wallet(ohms)
    theirs = typed_data(ohms, other, lab)
    r = ohms.client.post("/api/v1/consents", headers=patient.user.headers,
                         json={"typed_data": theirs, "signature": sign(other.wallet, theirs)})
    assert r.status_code == 403
    assert counts(ohms) == before

    # The real one goes through once; the same signed grant again is a replay.
    ok = submit(data, sign(patient.wallet, data))
    assert ok.status_code == 201
    replay = submit(data, sign(patient.wallet, data))
    assert replay.status_code == 409 and replay.headers["content-type"] == PROBLEM
    run_workers(ohms)
    assert chain.patient_nonce(patient.wallet.address) == nonce_before + 1
    assert counts(ohms) == (before[0] + 1, before[1] + 1)


def test_custodial_wallet_signs_for_patients_without_one(ohms: Ohms) -> None:
    hospital = ohms.create_org("hospital")
    nurse = ohms.add_member(hospital, "nurse")
    patient = ohms.register_patient()
    r = ohms.client.post("/api/v1/me/custodial-wallet", headers=patient.headers)
    assert r.status_code == 201 and r.json()["custodial"] is True
    assert ohms.client.post("/api/v1/me/custodial-wallet",
                            headers=patient.headers).status_code == 409
    td = ohms.client.post("/api/v1/consents/typed-data", headers=patient.headers, json={
        "grantee": hospital, "scope": "category:all", "purpose": "treatment",
        "expires_at": "2099-01-01T00:00:00Z"}).json()
    submitted = ohms.client.post("/api/v1/consents", headers=patient.headers,
                                 json={"typed_data": td})
    assert submitted.status_code == 201 and submitted.json()["signed_by_custodial_key"] is True
    run_workers(ohms)
    assert check(ohms, nurse, patient, "category:imaging")["authorized"]
    # A patient with their own wallet must sign themselves.
    own = patient_with_wallet(ohms)
    td2 = typed_data(ohms, own, hospital)
    r = ohms.client.post("/api/v1/consents", headers=own.user.headers, json={"typed_data": td2})
    assert r.status_code == 422


def test_only_patients_grant_and_roles_are_enforced(ohms: Ohms) -> None:
    org = ohms.create_org("hospital")
    auditor = ohms.add_member(org, "auditor")
    doctor = ohms.add_member(org, "physician")
    patient = patient_with_wallet(ohms)
    consent = grant(ohms, patient, org)
    before = counts(ohms)
    body = {"grantee": org, "scope": "category:lab", "purpose": "treatment",
            "expires_at": "2099-01-01T00:00:00Z"}
    for who in (auditor, doctor):
        assert ohms.client.post("/api/v1/consents/typed-data", headers=who.headers,
                                json=body).status_code == 403
        assert ohms.client.post(f"/api/v1/consents/{consent['id']}/revocation",
                                headers=who.headers, json={}).status_code == 403
    # An auditor changes nothing anywhere.
    writes = [
        ohms.client.post("/api/v1/break-glass", headers=auditor.headers,
                         json={"patient": patient.user.uhid, "reason": "curious auditor here"}),
        ohms.client.post(f"/api/v1/organizations/{org}/members", headers=auditor.headers,
                         json={"email": "a@example.com", "full_name": "A", "role": "nurse",
                               "password": "Correct-Horse-Battery-9"}),
        ohms.client.put(f"/api/v1/organizations/{org}/roles/nurse/permissions",
                        headers=auditor.headers, json={"permissions": []}),
        ohms.client.patch(f"/api/v1/organizations/{org}", headers=auditor.headers,
                          json={"name": "Renamed"}),
        ohms.client.post("/api/v1/consents", headers=auditor.headers,
                         json={"typed_data": {"domain": {}, "types": {}, "primaryType": "Grant",
                                              "message": {}}}),
    ]
    assert [w.status_code for w in writes] == [403] * len(writes)
    assert counts(ohms) == before


def test_grants_signed_one_after_another_are_queued_in_nonce_order(ohms: Ohms) -> None:
    """A patient who signs several grants within seconds (the booking screen shares one
    category after another) is not refused: each next nonce is queued behind the ones still
    on their way, and all land on chain in order. A nonce with a gap before it is refused."""
    lab, clinic = ohms.create_org("lab"), ohms.create_org("clinic")
    patient = patient_with_wallet(ohms)
    chain = ohms.container.chain.ready()
    nonce_before = chain.patient_nonce(patient.wallet.address)

    submitted, nonces = [], []
    for grantee, scope in ((lab, "category:lab"), (clinic, "category:condition")):
        data = typed_data(ohms, patient, grantee, scope=scope)
        nonces.append(data["message"]["nonce"])
        submitted.append(ohms.client.post(
            "/api/v1/consents", headers=patient.user.headers,
            json={"typed_data": data, "signature": sign(patient.wallet, data)}))
    assert nonces == [nonce_before, nonce_before + 1]
    assert [r.status_code for r in submitted] == [201, 201], [r.text for r in submitted]

    # A nonce beyond what is queued has nothing to wait behind: refused, nothing stored.
    before = counts(ohms)
    gap = copy.deepcopy(typed_data(ohms, patient, lab, scope="category:imaging"))
    gap["message"]["nonce"] += 1
    refused = ohms.client.post("/api/v1/consents", headers=patient.user.headers,
                               json={"typed_data": gap, "signature": sign(patient.wallet, gap)})
    assert refused.status_code == 422 and "InvalidAccountNonce" in refused.json()["detail"]
    assert counts(ohms) == before

    run_workers(ohms)
    assert chain.patient_nonce(patient.wallet.address) == nonce_before + 2
    for r in submitted:
        got = ohms.client.get(f"/api/v1/consents/{r.json()['id']}", headers=patient.user.headers)
        assert got.status_code == 200 and got.json()["status"] == "active", got.text


def test_a_grant_whose_predecessor_lands_while_it_is_checked_is_accepted(
        ohms: Ohms, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race a browser test once hit on the real chain: the next grant's check is refused
    as ahead of the registry (the grant before it not on chain yet), and that grant lands
    before the service reads the registry's nonce again. The grant is checked again and
    accepted, not refused as InvalidAccountNonce."""
    lab, clinic = ohms.create_org("lab"), ohms.create_org("clinic")
    patient = patient_with_wallet(ohms)
    chain = ohms.container.chain.ready()
    nonce_before = chain.patient_nonce(patient.wallet.address)
    first = typed_data(ohms, patient, lab, scope="category:lab")
    assert ohms.client.post("/api/v1/consents", headers=patient.user.headers, json={
        "typed_data": first, "signature": sign(patient.wallet, first)}).status_code == 201
    second = typed_data(ohms, patient, clinic, scope="category:condition")
    assert second["message"]["nonce"] == nonce_before + 1

    read_nonce = chain.patient_nonce
    landed: list[int] = []

    def nonce_once_the_first_landed(address: str) -> int:
        if not landed:  # between the refused check and this read, the first grant lands
            landed.append(1)
            run_workers(ohms)
        return read_nonce(address)

    monkeypatch.setattr(chain, "patient_nonce", nonce_once_the_first_landed)
    accepted = ohms.client.post("/api/v1/consents", headers=patient.user.headers, json={
        "typed_data": second, "signature": sign(patient.wallet, second)})
    assert accepted.status_code == 201, accepted.text
    assert landed  # the race was run: the check was refused once, then read the nonce
    monkeypatch.undo()
    run_workers(ohms)
    assert chain.patient_nonce(patient.wallet.address) == nonce_before + 2
    got = ohms.client.get(f"/api/v1/consents/{accepted.json()['id']}",
                          headers=patient.user.headers)
    assert got.json()["status"] == "active", got.text
