"""Every refusal of the issue answers a clear problem+json and changes nothing, on both
backends: a prescription by a non-prescriber or to a non-pharmacy; a dispense by another
pharmacy, over the prescription, over the stock, from an expired, recalled or other
medication's lot, of a zero or negative quantity."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import Ohms
from tests.api.pharmacy.factories import product, set_expiry, vendor
from tests.api.prescriptions.factories import (
    METFORMIN,
    assert_problem,
    behind,
    dispense,
    lot,
    pharmacy,
    prescribe,
    prescribed,
    rx_body,
    setting,
)


def test_only_physicians_prescribe_and_only_to_a_pharmacy(ohms: Ohms) -> None:
    s = setting(ohms)
    count = behind(ohms, None, s.pharmacy.org, s.patient).records
    body = rx_body(s.patient.uhid, s.pharmacy.org)
    for who in (s.hospital.nurse, s.hospital.helpdesk, s.pharmacist, s.patient):
        assert_problem(prescribe(ohms, who, body), 403)
    assert_problem(prescribe(ohms, s.physician, rx_body(s.patient.uhid, s.hospital.org)),
                   422, "pharmacy")
    assert_problem(prescribe(ohms, s.physician, rx_body(s.patient.uhid, str(uuid.uuid4()))),
                   422)
    # A physician of another hospital, with no encounter and no grant: no basis to write.
    stranger = ohms.add_member(ohms.create_org("hospital"), "physician")
    assert_problem(prescribe(ohms, stranger, body), 403, "no basis")
    assert behind(ohms, None, s.pharmacy.org, s.patient).records == count
    assert ohms.client.get("/api/v1/prescriptions",
                           headers=s.physician.headers).json() == []


@pytest.mark.parametrize("change", [
    {"quantity": 0}, {"quantity": -3}, {"quantity": 2.5}, {"refills": -1},
    {"medication": {"system": "http://loinc.org", "code": "723", "display": "x"}},
    {"medication": {"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "amox", "display": "x"}},
    {"dosage": "   "},
])
def test_invalid_prescriptions_are_422(ohms: Ohms, change: dict[str, Any]) -> None:
    s = setting(ohms)
    r = prescribe(ohms, s.physician, rx_body(s.patient.uhid, s.pharmacy.org, **change))
    assert_problem(r, 422)
    assert ohms.client.get("/api/v1/prescriptions",
                           headers=s.physician.headers).json() == []


def test_dispense_refusals_change_nothing(ohms: Ohms) -> None:
    s = setting(ohms)
    stock = lot(ohms, s.pharmacist, quantity=6, lot_number=f"S{uuid.uuid4().hex[:6]}")
    big = lot(ohms, s.pharmacist, quantity=50, lot_number=f"B{uuid.uuid4().hex[:6]}")
    aging = lot(ohms, s.pharmacist, quantity=50, lot_number=f"A{uuid.uuid4().hex[:6]}")
    set_expiry(ohms, aging["id"], datetime.now(UTC).date() - timedelta(days=1))
    recalled = lot(ohms, s.pharmacist, quantity=50, lot_number=f"R{uuid.uuid4().hex[:6]}")
    v = vendor(ohms)
    amox = product(ohms, v.staff)
    assert ohms.client.post(f"/api/v1/catalog/products/{amox['id']}/recalls",
                            headers=v.staff.headers,
                            json={"lot_number": recalled["lot_number"]}).status_code == 201
    other_med = lot(ohms, s.pharmacist, medication=METFORMIN, quantity=50)
    rx = prescribed(ohms, s, quantity=10, refills=1)  # 20 units in all
    rival = pharmacy(ohms)
    rival_lot = lot(ohms, rival.pharmacist, quantity=50)
    before = behind(ohms, rx["id"], s.pharmacy.org, s.patient)
    rival_before = behind(ohms, None, rival.org, s.patient)

    # Another pharmacy does not know of it (404), nor of another pharmacy's lot.
    assert_problem(dispense(ohms, rival.pharmacist, rx["id"], rival_lot["id"], 1), 404)
    assert_problem(dispense(ohms, s.pharmacist, rx["id"], rival_lot["id"], 1), 404)
    assert_problem(dispense(ohms, s.pharmacist, str(uuid.uuid4()), stock["id"], 1), 404)
    # The prescriber and the patient do not dispense.
    assert_problem(dispense(ohms, s.physician, rx["id"], stock["id"], 1), 403)
    assert_problem(dispense(ohms, s.patient, rx["id"], stock["id"], 1), 403)
    # Zero, negative or not whole: 422.
    for bad in (0, -1, 1.5, "2"):
        assert_problem(dispense(ohms, s.pharmacist, rx["id"], stock["id"], bad), 422)
    # Over what is left to dispense (20), over the lot's stock (6).
    assert_problem(dispense(ohms, s.pharmacist, rx["id"], big["id"], 21), 409,
                   "more than is left to dispense")
    assert_problem(dispense(ohms, s.pharmacist, rx["id"], stock["id"], 7), 409,
                   "only 6 units")
    # Expired, recalled, another medication's lot.
    assert_problem(dispense(ohms, s.pharmacist, rx["id"], aging["id"], 1), 409, "expired")
    assert_problem(dispense(ohms, s.pharmacist, rx["id"], recalled["id"], 1), 409,
                   "recalled")
    assert_problem(dispense(ohms, s.pharmacist, rx["id"], other_med["id"], 1), 409,
                   "not of the prescribed")
    assert behind(ohms, rx["id"], s.pharmacy.org, s.patient) == before
    assert behind(ohms, None, rival.org, s.patient) == rival_before

    # All of it, then nothing more: the prescription is completed.
    assert dispense(ohms, s.pharmacist, rx["id"], big["id"], 20).status_code == 201
    done = behind(ohms, rx["id"], s.pharmacy.org, s.patient)
    assert_problem(dispense(ohms, s.pharmacist, rx["id"], big["id"], 1), 409, "completed")
    assert behind(ohms, rx["id"], s.pharmacy.org, s.patient) == done
