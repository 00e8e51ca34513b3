"""A physician orders a lab test or an imaging procedure inside an encounter; the performer
tracks the specimen and files the results under the order (basis `order`); the physician and
the patient are told, and the patient opens both the order and its result. Reasons and
results are the patient's encrypted records, nowhere in plain text."""

from __future__ import annotations

import json
import uuid

from api.orders.models import Order
from tests.api.conftest import Ohms
from tests.api.orders.factories import (
    at_the_lab,
    behind,
    imaging_report,
    inbox,
    lab_result,
    last_entry,
    listed,
    marker,
    order_body,
    place,
    placed,
    post_results,
    row_text,
    specimen,
    visit,
)
from tests.api.scheduling.factories import assert_problem


def test_a_lab_order_goes_from_the_encounter_through_the_specimen_to_its_results(
        ohms: Ohms) -> None:
    v = visit(ohms)
    body = order_body(v, priority="urgent")
    r = place(ohms, v.physician, body)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "active" and order["category"] == "lab"
    assert order["priority"] == "urgent" and order["code"]["code"] == "4548-4"
    assert order["performer"] == v.lab.org and order["encounter"] == v.encounter
    assert order["patient"] == v.patient.uhid and order["specimen_status"] is None
    # The reason is the patient's encrypted ServiceRequest, written under the encounter.
    assert body["reason"] not in r.text and body["reason"] not in row_text(ohms, order["id"])
    entry = last_entry(ohms, v.patient)
    assert (entry.action, entry.outcome, entry.basis) == ("write", "granted", "encounter")
    own = ohms.client.get(f"/api/v1/records/{order['request_record']}",
                          headers=v.patient.headers)
    assert own.status_code == 200, own.text
    request = json.loads(v.keys.open_record(own.json()))
    assert request["resourceType"] == "ServiceRequest" and request["id"] == order["id"]
    assert request["reasonCode"] == [{"text": body["reason"]}]
    assert request["intent"] == "order" and request["priority"] == "urgent"
    assert request["subject"] == {"reference": f"Patient/{v.patient.uhid}"}
    assert request["encounter"] == {"reference": f"Encounter/{v.encounter}"}

    # Each party lists it: the physician's orders, the lab's work list, the patient's own.
    for user in (v.physician, v.lab.staff, v.patient):
        assert order["id"] in listed(ohms, user, "active"), user.email
        assert order["id"] not in listed(ohms, user, "completed")
    assert order["id"] not in listed(ohms, v.radiology.staff)

    for step in ("collected", "received", "in_progress"):
        r = specimen(ohms, v.lab.staff, order["id"], step)
        assert r.status_code == 200, r.text
        assert r.json()["specimen_status"] == step and r.json()["status"] == "active"

    before = behind(ohms, order["id"], v.patient)
    r = post_results(ohms, v.lab.staff, order["id"], lab_result(v.patient.uhid, "6.50"))
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["order"]["status"] == "completed"
    assert filed["order"]["specimen_status"] == "resulted"
    assert filed["order"]["result_record"] == filed["record"]
    after = behind(ohms, order["id"], v.patient)
    assert after.records == before.records + 1 and after.status == "completed"
    entry = last_entry(ohms, v.patient)
    assert (entry.action, entry.outcome, entry.basis) == ("write", "granted", "order")
    assert str(entry.accessor_id) == v.lab.staff.id

    # The patient opens the result: based on the order, the decimal as the lab wrote it.
    own = ohms.client.get(f"/api/v1/records/{filed['record']}", headers=v.patient.headers)
    assert own.status_code == 200, own.text
    assert own.json()["category"] == "lab" and own.json()["resource_type"] == "Observation"
    plain = v.keys.open_record(own.json())
    assert b'"value":6.50' in plain
    assert json.loads(plain)["basedOn"] == [{"reference": f"ServiceRequest/{order['id']}"}]

    # Both are told, with no result and no reason in the text.
    for user, subject in ((v.patient, filed["record"]), (v.physician, order["id"])):
        told = [n for n in inbox(ohms, user) if n["kind"] == "results_ready"]
        assert [n["subject_id"] for n in told] == [subject], user.email
        assert "6.5" not in told[0]["message"] and body["reason"] not in told[0]["message"]
    for user in (v.physician, v.lab.staff, v.patient):
        assert order["id"] in listed(ohms, user, "completed")


def test_an_imaging_order_is_reported_by_the_radiology_centre(ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v, category="imaging", priority="stat")
    assert order["performer"] == v.radiology.org
    assert order["id"] in listed(ohms, v.radiology.staff, "active")
    assert order["id"] not in listed(ohms, v.lab.staff)
    # An imaging procedure has no specimen.
    assert_problem(specimen(ohms, v.radiology.staff, order["id"], "collected"), 409,
                   "no specimen")
    conclusion = marker()
    r = post_results(ohms, v.radiology.staff, order["id"],
                     imaging_report(v.patient.uhid, conclusion))
    assert r.status_code == 201, r.text
    assert conclusion not in r.text
    assert r.json()["order"]["status"] == "completed"
    assert r.json()["order"]["specimen_status"] is None
    own = ohms.client.get(f"/api/v1/records/{r.json()['record']}", headers=v.patient.headers)
    assert own.json()["category"] == "imaging"
    report = json.loads(v.keys.open_record(own.json()))
    assert report["conclusion"] == conclusion
    assert report["basedOn"] == [{"reference": f"ServiceRequest/{order['id']}"}]


def test_the_order_lets_the_performer_write_that_orders_results_and_nothing_else(
        ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v)
    # Without the order's reference, the lab has no basis to write for the patient.
    r = ohms.client.post(f"/api/v1/patients/{v.patient.uhid}/records",
                         headers=v.lab.staff.headers,
                         content=lab_result(v.patient.uhid).encode())
    assert_problem(r, 403)
    # Nor to read the patient's records (the order's own included): that needs a grant.
    r = ohms.client.get(f"/api/v1/records/{order['request_record']}",
                        headers=v.lab.staff.headers)
    assert r.status_code in (403, 404), r.text
    at_the_lab(ohms, v, order["id"])
    assert post_results(ohms, v.lab.staff, order["id"],
                        lab_result(v.patient.uhid)).status_code == 201
    # Once completed, the order lets nothing more in.
    before = behind(ohms, order["id"], v.patient)
    assert_problem(post_results(ohms, v.lab.staff, order["id"], lab_result(v.patient.uhid)),
                   409, "completed")
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "in_progress"), 409)
    assert behind(ohms, order["id"], v.patient) == before


def test_a_rejected_specimen_ends_the_order_and_a_new_one_is_needed(ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v)
    assert specimen(ohms, v.lab.staff, order["id"], "collected").status_code == 200
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "rejected"), 422, "reason")
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "received", "hemolysed"), 422)
    r = specimen(ohms, v.lab.staff, order["id"], "rejected", "hemolysed")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["specimen_status"] == "rejected"
    assert r.json()["specimen_reject_reason"] == "hemolysed"
    assert order["id"] in listed(ohms, v.physician, "revoked")
    assert order["id"] not in listed(ohms, v.lab.staff, "active")

    before = behind(ohms, order["id"], v.patient)
    assert_problem(post_results(ohms, v.lab.staff, order["id"], lab_result(v.patient.uhid)),
                   409, "rejected")
    for step in ("received", "in_progress", "collected"):
        assert_problem(specimen(ohms, v.lab.staff, order["id"], step), 409, "rejected")
    assert behind(ohms, order["id"], v.patient) == before
    # A new order goes through.
    again = placed(ohms, v)
    at_the_lab(ohms, v, again["id"])
    assert post_results(ohms, v.lab.staff, again["id"],
                        lab_result(v.patient.uhid)).status_code == 201


def test_specimen_steps_only_go_forward(ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v)
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "in_progress"), 409,
                   "no specimen step")
    # Not yet at the lab: no results.
    assert_problem(post_results(ohms, v.lab.staff, order["id"], lab_result(v.patient.uhid)),
                   409, "received")
    assert specimen(ohms, v.lab.staff, order["id"], "collected").status_code == 200
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "collected"), 409,
                   "specimen is collected")
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "in_progress"), 409)
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "resulted"), 422)
    assert specimen(ohms, v.lab.staff, order["id"], "received").status_code == 200
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "collected"), 409)
    with ohms.db() as s:
        row = s.get(Order, uuid.UUID(order["id"]))
        assert row is not None
        assert (row.status, row.specimen_status) == ("active", "received")
    # A sample drawn at the clinic may be received at the lab without a collection step.
    other = placed(ohms, v)
    assert specimen(ohms, v.lab.staff, other["id"], "received").status_code == 200
