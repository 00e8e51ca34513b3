"""An imaging study uploaded against its order is linked to it: filed under the order (the
radiology centre needs no grant), `basedOn` the order's ServiceRequest, recorded on the
order; the centre's report on it completes the order. Refused, with nothing stored, for an
order of another organisation (404) or of another patient (422). A rejected specimen tells
the ordering physician (inbox and email, nothing clinical)."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from api.imaging.models import ImagingStudy
from api.notifications.models import OutboundEmail
from api.orders.models import Order
from api.records.models import Record
from pacs_bridge.synthetic import ct_study
from tests.api.conftest import Ohms, User
from tests.api.orders.factories import (
    Visit,
    behind,
    imaging_report,
    inbox,
    last_entry,
    marker,
    performer,
    placed,
    specimen,
    visit,
)
from tests.api.scheduling.factories import assert_problem


def upload_for(ohms: Ohms, by: User, uhid: str, order_id: str | None,
               files: list[bytes]) -> httpx.Response:
    return ohms.client.post(
        f"/api/v1/patients/{uhid}/imaging/studies", headers=by.headers,
        params={"order": order_id} if order_id else None,
        files=[("files", (f"i{n}.dcm", io.BytesIO(data), "application/dicom"))
               for n, data in enumerate(files)])


def stored(ohms: Ohms) -> tuple[int, int]:
    with ohms.db() as s:
        return (int(s.scalar(select(func.count()).select_from(Record)) or 0),
                int(s.scalar(select(func.count()).select_from(ImagingStudy)) or 0))


def report(ohms: Ohms, by: User, study_id: str, resource: dict[str, Any]) -> httpx.Response:
    return ohms.client.post(f"/api/v1/imaging/studies/{study_id}/reports", headers=by.headers,
                            json=resource)


def test_a_study_uploaded_against_its_order_is_linked_and_its_report_completes_it(
        ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v, category="imaging")
    # Without the order the radiology centre has no basis to file a study for the patient.
    assert_problem(upload_for(ohms, v.radiology.staff, v.patient.uhid, None,
                              ct_study(v.patient.uhid, 2)), 403)

    r = upload_for(ohms, v.radiology.staff, v.patient.uhid, order["id"],
                   ct_study(v.patient.uhid, 2))
    assert r.status_code == 201, r.text
    study = r.json()
    entry = last_entry(ohms, v.patient)
    assert (entry.action, entry.outcome, entry.basis) == ("write", "granted", "order")
    with ohms.db() as s:
        row = s.get(Order, uuid.UUID(order["id"]))
        assert row is not None and str(row.study_record_id) == study["record_id"]
        assert row.status == "active"
    listed = ohms.client.get("/api/v1/orders", headers=v.physician.headers).json()
    assert [o["study_record"] for o in listed if o["id"] == order["id"]] == \
        [study["record_id"]]
    own = ohms.client.get(f"/api/v1/records/{study['record_id']}", headers=v.patient.headers)
    assert own.status_code == 200, own.text
    opened = json.loads(v.keys.open_record(own.json()))
    assert opened["resourceType"] == "ImagingStudy"
    assert opened["basedOn"] == [{"reference": f"ServiceRequest/{order['id']}"}]

    # A second study against the same order is refused, and nothing of it is kept.
    before = stored(ohms)
    assert_problem(upload_for(ohms, v.radiology.staff, v.patient.uhid, order["id"],
                              ct_study(v.patient.uhid, 1)), 409, "already")
    assert stored(ohms) == before

    # The centre's report on the study completes the order (still without a grant).
    conclusion = marker()
    r = report(ohms, v.radiology.staff, study["id"],
               imaging_report(v.patient.uhid, conclusion))
    assert r.status_code == 201, r.text
    assert conclusion not in r.text
    record_id = r.json()["id"]
    with ohms.db() as s:
        row = s.get(Order, uuid.UUID(order["id"]))
        assert row is not None and row.status == "completed"
        assert str(row.result_record) == record_id
    own = ohms.client.get(f"/api/v1/records/{record_id}", headers=v.patient.headers)
    opened = json.loads(v.keys.open_record(own.json()))
    assert opened["conclusion"] == conclusion
    assert opened["basedOn"] == [{"reference": f"ServiceRequest/{order['id']}"}]
    assert opened["imagingStudy"] == [{"reference": f"ImagingStudy/{study['record_id']}"}]
    told = [n for n in inbox(ohms, v.physician) if n["kind"] == "results_ready"]
    assert [n["subject_id"] for n in told] == [order["id"]]
    # A later report (an addendum) is not the order's: it needs the patient's grant.
    assert_problem(report(ohms, v.radiology.staff, study["id"],
                          imaging_report(v.patient.uhid, marker())), 403)


def test_a_study_is_not_uploaded_against_another_organisations_or_patients_order(
        ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v, category="imaging")
    lab_order = placed(ohms, v)
    other_centre = performer(ohms, "radiology")
    other: Visit = visit(ohms)
    other_order = placed(ohms, other, category="imaging")
    before = stored(ohms)

    # Another centre's order (here: one performed by the first centre), or no order at all.
    assert_problem(upload_for(ohms, other_centre.staff, v.patient.uhid, order["id"],
                              ct_study(v.patient.uhid, 1)), 404, "no such order")
    assert_problem(upload_for(ohms, v.radiology.staff, v.patient.uhid, str(uuid.uuid4()),
                              ct_study(v.patient.uhid, 1)), 404, "no such order")
    # Another patient's order of the same centre, uploaded for this patient: 422.
    assert_problem(upload_for(ohms, other.radiology.staff, v.patient.uhid, other_order["id"],
                              ct_study(v.patient.uhid, 1)), 422, "another patient")
    assert_problem(upload_for(ohms, v.radiology.staff, other.patient.uhid, order["id"],
                              ct_study(other.patient.uhid, 1)), 422, "another patient")
    # A lab order is not performed by the radiology centre.
    assert_problem(upload_for(ohms, v.radiology.staff, v.patient.uhid, lab_order["id"],
                              ct_study(v.patient.uhid, 1)), 404)
    assert stored(ohms) == before
    with ohms.db() as s:
        for order_id in (order["id"], other_order["id"]):
            row = s.get(Order, uuid.UUID(order_id))
            assert row is not None and row.study_record_id is None


def test_a_rejected_specimen_tells_the_ordering_physician_without_clinical_content(
        ohms: Ohms) -> None:
    v = visit(ohms)
    body_reason = marker()
    order = placed(ohms, v, reason=body_reason)
    assert specimen(ohms, v.lab.staff, order["id"], "collected").status_code == 200
    patient_before = behind(ohms, order["id"], v.patient).notifications
    r = specimen(ohms, v.lab.staff, order["id"], "rejected", "hemolysed")
    assert r.status_code == 200, r.text

    told = [n for n in inbox(ohms, v.physician) if n["kind"] == "specimen_rejected"]
    assert [n["subject_id"] for n in told] == [order["id"]]
    message = told[0]["message"]
    for clinical in (body_reason, "A1c", "4548-4", "hemolysed", v.patient.uhid):
        assert clinical not in message, clinical
    with ohms.db() as s:
        emails = s.scalars(select(OutboundEmail).where(
            OutboundEmail.user_id == uuid.UUID(v.physician.id),
            OutboundEmail.kind == "specimen_rejected")).all()
        assert [(e.subject_id, e.link_path) for e in emails] == [(order["id"], "#/orders")]
    # The patient is not told of the lab's work; nobody else is either.
    assert behind(ohms, order["id"], v.patient).notifications == patient_before
    assert not [n for n in inbox(ohms, v.lab.staff) if n["kind"] == "specimen_rejected"]
    # A rejection that does not happen (already rejected) tells nobody again.
    assert_problem(specimen(ohms, v.lab.staff, order["id"], "rejected", "clotted"), 409)
    assert len([n for n in inbox(ohms, v.physician) if n["kind"] == "specimen_rejected"]) == 1
