"""Issue 14 end to end, across tenants, through the API (on both backends; on `real`:
PostgreSQL, the Hardhat chain and IPFS). In an encounter a physician of a keystore-tier
hospital orders an HbA1c at a lab and a chest X-ray at a radiology centre; the lab collects,
receives and results the sample; the radiology centre uploads the study against its order
and reports it; the physician and the patient are notified (inbox rows, emails queued with
no clinical text) and read the results (the patient decrypting them with their own keys,
the hospital through its keystore and the patient's grant). The physician prescribes
amoxicillin to the patient, whose penicillin allergy is recorded: 409 allergy warning, then
an override with a reason. The pharmacy dispenses part from one lot and the rest from a
second; stock falls below its reorder point and the alert is raised; a purchase order goes
to a vendor who accepts it, and a partial receipt adds exactly what was received."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

from sqlalchemy import select

from api.notifications.models import Notification, OutboundEmail
from pacs_bridge.synthetic import ct_study
from tests.api.conftest import Ohms, User
from tests.api.consent.conftest import run_workers
from tests.api.orders.factories import (
    Visit,
    at_the_lab,
    imaging_report,
    lab_result,
    marker,
    open_encounter,
    order_body,
    performer,
    place,
    post_results,
)
from tests.api.pharmacy.factories import (
    FAR_EXPIRY,
    NEAR_EXPIRY,
    accepted_order,
    items,
    lot,
    pharmacy,
    product,
    receipt,
    snapshot,
    vendor,
)
from tests.api.prescriptions.factories import (
    AMOXICILLIN,
    alerts,
    assert_problem,
    dispense,
    prescribe,
    row_text,
    rx_body,
)
from tests.api.prescriptions.factories import behind as rx_behind
from tests.api.records.conftest import keyed_patient, submit_grant
from tests.api.scheduling.factories import clinic

SNOMED = "http://snomed.info/sct"
PENICILLIN_ALLERGY = {"system": SNOMED, "code": "764146007", "display": "Penicillin"}


def penicillin_allergy(uhid: str) -> dict[str, Any]:
    return {"resourceType": "AllergyIntolerance", "patient": {"reference": f"Patient/{uhid}"},
            "code": {"coding": [PENICILLIN_ALLERGY], "text": "Penicillin"},
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                "code": "active"}]}}


def kinds_of(ohms: Ohms, user: User, kind: str) -> list[Notification]:
    with ohms.db() as s:
        return list(s.scalars(select(Notification).where(
            Notification.user_id == uuid.UUID(user.id), Notification.kind == kind)
            .order_by(Notification.created_at)))


def emails_of(ohms: Ohms, user: User, kind: str) -> list[OutboundEmail]:
    with ohms.db() as s:
        return list(s.scalars(select(OutboundEmail).where(
            OutboundEmail.user_id == uuid.UUID(user.id), OutboundEmail.kind == kind)))


def columns(row: Any) -> str:
    """The row's words: its text columns, without identifiers and times (a timestamp's
    "17.27" would hold a lab value's "7.2", and a UUID may hold a LOINC code's digits)."""
    words = []
    for column in type(row).__table__.columns:
        value = getattr(row, column.key)
        if not isinstance(value, str):
            continue
        try:
            uuid.UUID(value)
        except ValueError:
            words.append(value)
    return " ".join(words)


def test_orders_results_prescription_dispensing_and_restocking_across_tenants(
        ohms: Ohms) -> None:
    # --- the parties: five tenants, and the patient ------------------------------------
    hospital = clinic(ohms)
    keyed = ohms.client.post(f"/api/v1/organizations/{hospital.org}/keys/custodial",
                             headers=hospital.admin.headers)
    assert keyed.status_code == 201, keyed.text
    hospital_key = keyed.json()["umbral_public_key"]
    lab, radiology = performer(ohms, "lab"), performer(ohms, "radiology")
    shop, supplier = pharmacy(ohms), vendor(ohms)
    wallet_patient, keys = keyed_patient(ohms)
    patient = wallet_patient.user
    uhid = patient.uhid
    # The patient grants the hospital treatment access (with key fragments for its key)
    # and has a penicillin allergy on record.
    granted = submit_grant(ohms, wallet_patient, hospital.org, scope="category:all",
                           kfrags=keys.grant_kfrags(hospital_key),
                           verifying_key=keys.key_document()["verifying_key"])
    assert granted.status_code == 201, granted.text
    run_workers(ohms)
    allergy = ohms.client.post(f"/api/v1/patients/{uhid}/records", headers=patient.headers,
                               json=penicillin_allergy(uhid))
    assert allergy.status_code == 201, allergy.text
    physician = hospital.physician
    v = Visit(hospital, patient, keys, open_encounter(ohms, hospital, patient), lab, radiology)

    # --- orders, in the encounter ------------------------------------------------------
    hba1c_body = order_body(v)
    hba1c = place(ohms, physician, hba1c_body)
    assert hba1c.status_code == 201, hba1c.text
    xray_body = order_body(v, category="imaging", priority="urgent")
    xray = place(ohms, physician, xray_body)
    assert xray.status_code == 201, xray.text
    hba1c_id, xray_id = hba1c.json()["id"], xray.json()["id"]
    for order, body in ((hba1c.json(), hba1c_body), (xray.json(), xray_body)):
        assert order["status"] == "active" and order["encounter"] == v.encounter
        # The reason is only inside the patient's encrypted ServiceRequest.
        assert body["reason"] not in json.dumps(order)
    work = ohms.client.get("/api/v1/orders", headers=lab.staff.headers,
                           params={"status": "active"}).json()
    assert [o["id"] for o in work] == [hba1c_id]
    queue = ohms.client.get("/api/v1/orders", headers=radiology.staff.headers,
                            params={"status": "active"}).json()
    assert [o["id"] for o in queue] == [xray_id]

    # --- the lab: collected, received, resulted ------------------------------------------
    at_the_lab(ohms, v, hba1c_id)
    lab_filed = post_results(ohms, lab.staff, hba1c_id, lab_result(uhid, "7.20"))
    assert lab_filed.status_code == 201, lab_filed.text
    assert lab_filed.json()["order"]["status"] == "completed"
    assert lab_filed.json()["order"]["specimen_status"] == "resulted"
    lab_record = lab_filed.json()["record"]

    # --- the radiology centre: the study against the order, then its report ------------
    study_files = ct_study(uhid, 2)
    uploaded = ohms.client.post(
        f"/api/v1/patients/{uhid}/imaging/studies", headers=radiology.staff.headers,
        params={"order": xray_id},
        files=[("files", (f"i{n}.dcm", io.BytesIO(d), "application/dicom"))
               for n, d in enumerate(study_files)])
    assert uploaded.status_code == 201, uploaded.text
    study = uploaded.json()
    linked = [o for o in ohms.client.get("/api/v1/orders", headers=physician.headers).json()
              if o["id"] == xray_id]
    assert linked[0]["study_record"] == study["record_id"] and linked[0]["status"] == "active"
    conclusion = marker()
    reported = ohms.client.post(f"/api/v1/imaging/studies/{study['id']}/reports",
                                headers=radiology.staff.headers,
                                json=imaging_report(uhid, conclusion))
    assert reported.status_code == 201, reported.text
    report_record = reported.json()["id"]
    done = {o["id"]: o for o in ohms.client.get("/api/v1/orders", headers=physician.headers,
                                                 params={"status": "completed"}).json()}
    assert set(done) == {hba1c_id, xray_id}
    assert done[xray_id]["result_record"] == report_record

    # --- both are told: inbox rows and queued emails, nothing clinical -------------------
    told_patient = kinds_of(ohms, patient, "results_ready")
    assert sorted(n.subject_id or "" for n in told_patient) == sorted([lab_record,
                                                                      report_record])
    told_physician = kinds_of(ohms, physician, "results_ready")
    assert sorted(n.subject_id or "" for n in told_physician) == sorted([hba1c_id, xray_id])
    secrets = [hba1c_body["reason"], xray_body["reason"], conclusion, "7.20", "7.2",
               "A1c", "Chest", "4548-4"]
    for user, rows in ((patient, told_patient), (physician, told_physician)):
        emails = emails_of(ohms, user, "results_ready")
        assert len(emails) == 2, user.email
        for row in [*rows, *emails]:
            text = columns(row)
            for secret in secrets:
                assert secret not in text, (secret, text)

    # --- they read the results -----------------------------------------------------------
    # The patient opens each with their own keys (the ciphertext comes to them).
    own = ohms.client.get(f"/api/v1/records/{lab_record}", headers=patient.headers)
    assert own.status_code == 200, own.text
    plain = keys.open_record(own.json())
    assert b'"value":7.20' in plain
    assert json.loads(plain)["basedOn"] == [{"reference": f"ServiceRequest/{hba1c_id}"}]
    own = ohms.client.get(f"/api/v1/records/{report_record}", headers=patient.headers)
    opened = json.loads(keys.open_record(own.json()))
    assert opened["conclusion"] == conclusion
    assert opened["basedOn"] == [{"reference": f"ServiceRequest/{xray_id}"}]
    own = ohms.client.get(f"/api/v1/records/{study['record_id']}", headers=patient.headers)
    opened = json.loads(keys.open_record(own.json()))
    assert opened["resourceType"] == "ImagingStudy"
    assert opened["basedOn"] == [{"reference": f"ServiceRequest/{xray_id}"}]
    # The keystore-tier hospital reads them under the patient's grant.
    read = ohms.client.get(f"/api/v1/records/{lab_record}/resource",
                           headers=physician.headers)
    assert read.status_code == 200, read.text
    assert read.json()["valueQuantity"]["value"] == 7.2
    read = ohms.client.get(f"/api/v1/records/{report_record}/resource",
                           headers=physician.headers)
    assert read.status_code == 200, read.text
    assert read.json()["conclusion"] == conclusion

    # --- the prescription: the allergy warning, then the override ------------------------
    first = lot(ohms, shop.pharmacist, lot_number="AMX-A", quantity=20, expiry=NEAR_EXPIRY,
                reorder_point=15)
    second = lot(ohms, shop.pharmacist, lot_number="AMX-B", quantity=20, expiry=FAR_EXPIRY)
    body = rx_body(uhid, shop.org, quantity=30)
    warned = prescribe(ohms, physician, body)
    assert_problem(warned, 409, "Penicillin")
    assert warned.json()["type"].endswith("allergy-warning")
    assert allergy.json()["id"] in warned.json()["detail"]
    assert ohms.client.get("/api/v1/prescriptions", headers=physician.headers).json() == []
    override = f"Tolerated amoxicillin under observation OVERRIDE{uuid.uuid4().hex}"
    rx = prescribe(ohms, physician, {**body, "allergy_override_reason": override})
    assert rx.status_code == 201, rx.text
    prescription = rx.json()
    assert prescription["status"] == "active"
    assert prescription["allergy_check"] == "overridden"
    # The reason is kept in the encrypted MedicationRequest only.
    assert override not in rx.text and override not in row_text(ohms, prescription["id"])
    kept = ohms.client.get(f"/api/v1/records/{prescription['request_record']}/resource",
                           headers=physician.headers)
    assert kept.status_code == 200, kept.text
    assert override in json.dumps(kept.json()["note"])
    queue = ohms.client.get("/api/v1/prescriptions", headers=shop.pharmacist.headers,
                            params={"status": "active"}).json()
    assert [p["id"] for p in queue] == [prescription["id"]]

    # --- dispensing: part from the first lot, the rest from the second ------------------
    assert alerts(ohms, shop.pharmacist) == 0
    part = dispense(ohms, shop.pharmacist, prescription["id"], first["id"], 20)
    assert part.status_code == 201, part.text
    after_part = rx_behind(ohms, prescription["id"], shop.org, patient)
    assert (after_part.dispensed, after_part.status) == (20, "active")
    assert after_part.on_hand == ((AMOXICILLIN["code"], 20),)
    assert alerts(ohms, shop.pharmacist) == 0   # 20 is not below 15
    rest = dispense(ohms, shop.pharmacist, prescription["id"], second["id"], 10)
    assert rest.status_code == 201, rest.text
    after = rx_behind(ohms, prescription["id"], shop.org, patient)
    assert (after.dispensed, after.status, after.dispenses) == (30, "completed", 2)
    assert after.lots == (("AMX-A", 0), ("AMX-B", 10))
    # Nothing more to dispense; stock is below its reorder point and the alert is raised.
    assert_problem(dispense(ohms, shop.pharmacist, prescription["id"], second["id"], 1), 409)
    stock = items(ohms, shop.pharmacist)[AMOXICILLIN["code"]]
    assert (stock["on_hand"], stock["reorder_point"], stock["below_reorder_point"]) == \
        (10, 15, True)
    assert alerts(ohms, shop.pharmacist) == 1
    assert any(n["kind"] == "stock_below_reorder_point" for n in ohms.client.get(
        "/api/v1/me/notifications", headers=shop.pharmacist.headers).json())

    # --- restocking: a purchase order, accepted, partly received ------------------------
    amoxil = product(ohms, supplier.staff, pack_size=10)
    order = accepted_order(ohms, shop, supplier, [(amoxil["id"], 5)])
    assert order["status"] == "accepted"
    before = snapshot(ohms, shop.org)
    received = receipt(ohms, shop.pharmacist, order["id"], [
        {"product": amoxil["id"], "lot_number": "AMX-C", "expiry": FAR_EXPIRY,
         "quantity": 2}])
    assert received.status_code == 201, received.text
    assert received.json()["purchase_order"]["status"] == "partly_received"
    stock = items(ohms, shop.pharmacist)[AMOXICILLIN["code"]]
    assert stock["on_hand"] == 10 + 2 * 10   # two packs of ten, and nothing else
    assert stock["below_reorder_point"] is False
    after_receipt = snapshot(ohms, shop.org)
    assert sorted(after_receipt.lots) == sorted([*before.lots, ("AMX-C", 20)])
