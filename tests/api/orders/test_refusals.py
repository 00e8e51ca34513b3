"""Refusals of orders, each a clear problem+json that changes nothing: orders by others than
physicians, without a basis to write for the patient, to an unknown or unfit performer;
results by another performer, about another patient, of the wrong kind; another tenant's
order, which answers 404 as an unknown one does."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from api.audit.models import AccessLogEntry
from tests.api.conftest import Ohms
from tests.api.orders.factories import (
    at_the_lab,
    behind,
    lab_result,
    listed,
    order_body,
    orders_of,
    performer,
    place,
    placed,
    post_results,
    specimen,
    visit,
)
from tests.api.scheduling.factories import assert_problem, clinic, publish_keys


def test_only_physicians_order(ohms: Ohms) -> None:
    v = visit(ohms)
    for user in (v.hospital.nurse, v.hospital.helpdesk, v.lab.staff, v.patient):
        assert_problem(place(ohms, user, order_body(v)), 403)
    assert orders_of(ohms, v.patient) == 0


def test_a_physician_without_a_basis_for_the_patient_cannot_order(ohms: Ohms) -> None:
    v = visit(ohms)
    other = clinic(ohms)  # no encounter with the patient, no grant
    records_before = behind(ohms, None, v.patient).records
    r = place(ohms, other.physician, order_body(v, encounter=None))
    assert_problem(r, 403, "no basis to write for this patient")
    assert orders_of(ohms, v.patient) == 0
    assert behind(ohms, None, v.patient).records == records_before
    with ohms.db() as s:
        denied = s.scalar(select(func.count()).select_from(AccessLogEntry).where(
            AccessLogEntry.patient_uhid == v.patient.uhid,
            AccessLogEntry.accessor_id == uuid.UUID(other.physician.id),
            AccessLogEntry.outcome == "denied"))
    assert denied == 1
    # Naming another organisation's encounter does not help: it is not theirs (404).
    assert_problem(place(ohms, other.physician, order_body(v)), 404, "encounter")
    assert orders_of(ohms, v.patient) == 0


def test_the_performer_must_be_an_active_organisation_that_performs_the_order(
        ohms: Ohms) -> None:
    v = visit(ohms)
    pharmacy = ohms.create_org("pharmacy")
    for category, org in (("lab", str(uuid.UUID(int=0))), ("lab", str(uuid.uuid4())),
                          ("lab", pharmacy), ("lab", v.radiology.org),
                          ("imaging", v.lab.org)):
        assert_problem(place(ohms, v.physician, order_body(v, category=category,
                                                           performer=org)),
                       422, "performer")
    assert orders_of(ohms, v.patient) == 0


def test_bad_input_is_refused_and_nothing_is_ordered(ohms: Ohms) -> None:
    v = visit(ohms)
    snomed = {"system": "http://snomed.info/sct", "code": "43396009", "display": "HbA1c"}
    bad: list[dict[str, Any]] = [
        {"code": snomed},                                  # a lab test is named by LOINC
        {"code": {"system": "http://loinc.org", "code": "HBA1C", "display": "HbA1c"}},
        {"priority": "whenever"}, {"category": "pharmacy"}, {"reason": "   "},
        {"patient": "not-a-uhid"}, {"performer": "zero"},
    ]
    for overrides in bad:
        assert_problem(place(ohms, v.physician, order_body(v, **overrides)), 422)
    # Another person's encounter with this clinic: the encounter is with another patient.
    someone = ohms.register_patient()
    publish_keys(ohms, someone)
    assert_problem(place(ohms, v.physician, order_body(v, patient=someone.uhid)), 422,
                   "another patient")
    assert orders_of(ohms, v.patient) == 0 and orders_of(ohms, someone) == 0


def test_an_order_needs_the_patients_keys(ohms: Ohms) -> None:
    v = visit(ohms)
    keyless = ohms.register_patient()
    r = place(ohms, v.physician, order_body(v, patient=keyless.uhid, encounter=None))
    assert_problem(r, 409, "Umbral public keys")
    assert orders_of(ohms, keyless) == 0


def test_results_are_refused_unless_they_are_the_performers_about_the_orders_patient(
        ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v)
    at_the_lab(ohms, v, order["id"])
    before = behind(ohms, order["id"], v.patient)
    # Another lab: the order is not theirs to know of.
    rival = performer(ohms, "lab")
    assert_problem(post_results(ohms, rival.staff, order["id"], lab_result(v.patient.uhid)),
                   404)
    # The ordering physician does not perform it.
    assert_problem(post_results(ohms, v.physician, order["id"], lab_result(v.patient.uhid)),
                   403)
    # About another patient.
    someone = ohms.register_patient()
    assert_problem(post_results(ohms, v.lab.staff, order["id"], lab_result(someone.uhid)),
                   422, "not this patient")
    # Not a result, or not a lab result.
    condition = {"resourceType": "Condition",
                 "subject": {"reference": f"Patient/{v.patient.uhid}"}}
    assert_problem(post_results(ohms, v.lab.staff, order["id"], condition), 422,
                   "Observation or a DiagnosticReport")
    vitals = lab_result(v.patient.uhid).replace('"laboratory"', '"vital-signs"')
    assert_problem(post_results(ohms, v.lab.staff, order["id"], vitals), 422, "lab result")
    invalid = {"resourceType": "Observation", "status": "final"}  # no code
    assert_problem(post_results(ohms, v.lab.staff, order["id"], invalid), 422)
    r = ohms.client.post(f"/api/v1/orders/{order['id']}/results", headers=v.lab.staff.headers,
                         json={"resource": {"resourceType": "Observation"}, "extra": 1})
    assert_problem(r, 422, "resource")
    # An unknown order.
    assert_problem(post_results(ohms, v.lab.staff, str(uuid.uuid4()),
                                lab_result(v.patient.uhid)), 404)
    assert behind(ohms, order["id"], v.patient) == before
    assert before.status == "active" and before.result_record is None


def test_another_tenants_order_is_not_found(ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v)
    rival = performer(ohms, "lab")
    elsewhere = clinic(ohms)
    stranger = ohms.register_patient()
    for user in (rival.staff, elsewhere.physician, stranger, v.radiology.staff):
        assert order["id"] not in listed(ohms, user), user.email
    assert_problem(specimen(ohms, rival.staff, order["id"], "collected"), 404)
    assert_problem(specimen(ohms, v.radiology.staff, order["id"], "collected"), 404)
    # The ordering organisation knows of it but does not perform it; patients perform none.
    assert_problem(specimen(ohms, v.physician, order["id"], "collected"), 403)
    assert_problem(specimen(ohms, v.patient, order["id"], "collected"), 403)
    assert behind(ohms, order["id"], v.patient).specimen is None
