"""Prescribing and dispensing, on both backends: a physician prescribes inside an encounter
(the prescription is the patient's encrypted MedicationRequest record; the row keeps what
the pharmacy needs); each party lists its prescriptions; the pharmacy's queue suggests the
lot to dispense from first; the pharmacy dispenses part, then the rest from a second lot,
each an encrypted MedicationDispense record with the stock taken in the same transaction;
stock falling below its reorder point alerts the pharmacy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from api.records.models import Record
from tests.api.conftest import Ohms
from tests.api.prescriptions.factories import (
    AMOXICILLIN,
    alerts,
    behind,
    dispense,
    listed,
    lot,
    prescribed,
    row_text,
    setting,
)

SOON = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
LATER = (datetime.now(UTC).date() + timedelta(days=500)).isoformat()


def test_prescribe_list_and_dispense_in_parts_from_two_lots(ohms: Ohms) -> None:
    s = setting(ohms)
    later = lot(ohms, s.pharmacist, quantity=30, expiry=LATER, lot_number="LATER1",
                reorder_point=25)
    sooner = lot(ohms, s.pharmacist, quantity=8, expiry=SOON, lot_number="SOON1")
    dosage = f"1 capsule three times a day DOSE{uuid.uuid4().hex}"
    rx = prescribed(ohms, s, dosage=dosage, quantity=10, refills=1)
    assert rx["status"] == "active" and rx["dispensed"] == 0 and rx["remaining"] == 20
    assert rx["medication"] == AMOXICILLIN and rx["dosage"] == dosage
    assert rx["patient"] == s.patient.uhid and rx["pharmacy"] == s.pharmacy.org
    # The hospital holds no keys on the service: its portal checks allergies.
    assert rx["allergy_check"] == "client"
    with ohms.db() as db:
        record = db.get(Record, uuid.UUID(rx["request_record"]))
        assert record is not None and record.resource_type == "MedicationRequest"
        assert record.category == "medication"
        assert str(record.patient_id) == s.patient.id

    # Each party's list: the pharmacy's queue (with the first-expiry lot), the prescriber's,
    # the patient's; nobody else's.
    queue = listed(ohms, s.pharmacist, "active")
    assert [p["id"] for p in queue] == [rx["id"]]
    assert queue[0]["suggested_lot"]["id"] == sooner["id"]
    assert [p["id"] for p in listed(ohms, s.physician)] == [rx["id"]]
    assert [p["id"] for p in listed(ohms, s.patient)] == [rx["id"]]
    assert ohms.client.get("/api/v1/prescriptions",
                           headers=s.hospital.nurse.headers).status_code == 403
    assert listed(ohms, ohms.register_patient()) == []
    assert listed(ohms, s.hospital.physician, "completed") == []

    before = behind(ohms, rx["id"], s.pharmacy.org, s.patient)
    first = dispense(ohms, s.pharmacist, rx["id"], sooner["id"], 8)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["quantity"] == 8 and body["lot_quantity_left"] == 0
    assert body["prescription"]["dispensed"] == 8 and body["prescription"]["status"] == "active"
    with ohms.db() as db:
        made = db.get(Record, uuid.UUID(body["record"]))
        assert made is not None and made.resource_type == "MedicationDispense"
        assert str(made.author_org_id) == s.pharmacy.org
    # The emptied lot is no longer suggested: the next one is.
    assert listed(ohms, s.pharmacist, "active")[0]["suggested_lot"]["id"] == later["id"]

    rest = dispense(ohms, s.pharmacist, rx["id"], later["id"], 12)
    assert rest.status_code == 201, rest.text
    assert rest.json()["prescription"]["status"] == "completed"
    assert rest.json()["prescription"]["remaining"] == 0
    after = behind(ohms, rx["id"], s.pharmacy.org, s.patient)
    assert (after.dispensed, after.status) == (20, "completed")
    assert after.dispenses == before.dispenses + 2 and after.records == before.records + 2
    assert dict(after.lots) == {"LATER1": 18, "SOON1": 0}
    assert dict(after.on_hand) == {AMOXICILLIN["code"]: 18}
    # 18 is below the reorder point of 25: the pharmacist was alerted.
    assert alerts(ohms, s.pharmacist) == 1
    assert listed(ohms, s.pharmacist, "active") == []
    done = listed(ohms, s.pharmacist, "completed")
    assert [p["id"] for p in done] == [rx["id"]] and done[0]["suggested_lot"] is None
    # The label's dosage is operational; nothing of the records' content is in the row
    # beyond what the pharmacy needs.
    assert dosage in row_text(ohms, rx["id"])


def test_dispense_basis_is_the_prescription_and_is_logged(ohms: Ohms) -> None:
    s = setting(ohms)
    stock = lot(ohms, s.pharmacist, quantity=5)
    rx = prescribed(ohms, s, quantity=2)
    r = dispense(ohms, s.pharmacist, rx["id"], stock["id"], 2)
    assert r.status_code == 201, r.text
    history = ohms.client.get("/api/v1/audit/entries", headers=s.patient.headers).json()
    writes = [e for e in history if e["accessor"] == s.pharmacist.uhid]
    assert writes and writes[0]["outcome"] == "granted", writes
