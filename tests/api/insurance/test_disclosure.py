"""A claim discloses only service names and amounts; the insurer reads the records supporting
it through the access gate, which needs the patient's grant on chain for the payment/claim
purpose, and logs every attempt, refused or granted."""

from __future__ import annotations

import uuid
from typing import Any

from fhir.resources.R4B.claim import Claim as FhirClaim
from sqlalchemy import select, update

from api.audit.models import AccessLogEntry
from api.billing.models import Charge
from reencryption.client import KeyHolder
from tests.api.billing_helpers import issued_invoice
from tests.api.conftest import Ohms
from tests.api.consent.conftest import WalletPatient, run_workers, sign, typed_data
from tests.api.insurance.factories import claim, coverage, desk
from tests.api.records.conftest import institution, keyed_patient, lab_result, marker, write


def entries(ohms: Ohms, accessor_uhid: str, record_id: str) -> list[tuple[str, str, str]]:
    with ohms.db() as s:
        return [(e.action, e.purpose, e.outcome) for e in s.scalars(
            select(AccessLogEntry).where(AccessLogEntry.accessor_uhid == accessor_uhid,
                                         AccessLogEntry.record == f"record:{record_id}")
            .order_by(AccessLogEntry.at))]


def payment_grant(ohms: Ohms, patient: WalletPatient, keys: KeyHolder, org: str,
                  org_keys: KeyHolder) -> dict[str, Any]:
    """The patient's grant to the insurer of their lab records, for the payment/claim purpose
    (the chain's CLAIM), with the kfrags that re-encrypt them for the insurer."""
    data = typed_data(ohms, patient, org, scope="category:lab", purpose="claim")
    r = ohms.client.post("/api/v1/consents", headers=patient.user.headers, json={
        "typed_data": data, "signature": sign(patient.wallet, data),
        "kfrags": keys.grant_kfrags(org_keys.key_document()["umbral_public_key"]),
        "verifying_key": keys.key_document()["verifying_key"]})
    assert r.status_code == 201, r.text
    run_workers(ohms)
    body: dict[str, Any] = r.json()
    return body


def test_the_insurer_reads_supporting_records_only_with_the_patients_grant(ohms: Ohms) -> None:
    patient, keys = keyed_patient(ohms)
    acme = institution(ohms, "insurer", "insurer")
    adjuster = acme.staff["insurer"]
    hospital = desk(ohms)
    secret = marker("glucose")
    record = write(ohms, patient.user, patient.user.uhid,
                   lab_result(patient.user.uhid, secret))
    cov = coverage(ohms, patient.user, patient.user, acme.org_id)
    invoice = issued_invoice(ohms, hospital.helpdesk, patient.user)
    # The charge was made for the service that record documents (as a billable event's
    # charge carries it).
    with ohms.db() as s:
        s.execute(update(Charge).where(Charge.invoice_id == uuid.UUID(invoice["id"]))
                  .values(record_id=uuid.UUID(record["id"])))
    made = claim(ohms, hospital.helpdesk, invoice["id"], cov["id"])
    assert made["items"][0]["record_id"] == record["id"]

    # The claim names the record and carries nothing of its content.
    r = ohms.client.get(f"/api/v1/claims/{made['id']}/fhir", headers=adjuster.headers)
    assert r.status_code == 200 and secret.encode() not in r.content
    resource = FhirClaim.model_validate_json(r.content)
    [info] = resource.supportingInfo
    assert info.valueReference.identifier.value == record["id"]
    assert info.valueReference.reference == f"Observation/{record['id']}"
    assert resource.item[0].informationSequence == [info.sequence]

    # Without the patient's grant the insurer's read is refused, and logged.
    url = f"/api/v1/records/{record['id']}"
    refused = ohms.client.get(url, headers=adjuster.headers, params={"purpose": "claim"})
    assert refused.status_code in (403, 404), refused.text
    assert secret not in refused.text
    assert entries(ohms, adjuster.uhid, record["id"]) == [("read", "claim", "denied")]

    # With the patient's grant (purpose payment/claim, lab records) it is granted, and
    # logged.
    consent = payment_grant(ohms, patient, keys, acme.org_id, acme.keys)
    assert consent["purpose"] == "claim"
    granted = ohms.client.get(url, headers=adjuster.headers, params={"purpose": "claim"})
    assert granted.status_code == 200, granted.text
    assert granted.json()["cfrags"], "re-encrypted for the insurer"
    assert entries(ohms, adjuster.uhid, record["id"]) == [("read", "claim", "denied"),
                                                          ("read", "claim", "granted")]
    # The grant is for payment only: a treatment read by the insurer is still refused.
    treatment = ohms.client.get(url, headers=adjuster.headers)
    assert treatment.status_code in (403, 404)
    assert entries(ohms, adjuster.uhid, record["id"])[-1] == ("read", "treatment", "denied")
