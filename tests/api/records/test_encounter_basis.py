"""The encounter basis (DESIGN.md, access bases): while an encounter is open, and for
OHMS_ENCOUNTER_WRITE_WINDOW_MINUTES after it finished, the clinicians of its organisation
write records for its patient without a grant, through the access gate and logged as
`encounter`; clinicians of other organisations do not, nor anyone once the window closed;
reading earlier records still needs the patient's grant."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from api.audit.models import AccessLogEntry
from api.db.base import utcnow
from api.scheduling.models import Encounter
from tests.api.conftest import Ohms, User
from tests.api.records.conftest import keyed_patient, marker, note, write
from tests.api.scheduling.factories import act, booked, clinic, make_schedule

DAY = "2030-01-07"  # a Monday


def _last_entry(ohms: Ohms, patient_uhid: str, accessor: User) -> AccessLogEntry:
    with ohms.db() as s:
        entry = s.scalars(select(AccessLogEntry).where(
            AccessLogEntry.patient_uhid == patient_uhid,
            AccessLogEntry.accessor_id == uuid.UUID(accessor.id))
            .order_by(AccessLogEntry.at.desc()).limit(1)).first()
    assert entry is not None
    return entry


def _post(ohms: Ohms, by: User, uhid: str) -> int:
    r = ohms.client.post(f"/api/v1/patients/{uhid}/records", headers=by.headers,
                         json=note(uhid, marker("visit")))
    return r.status_code


def test_an_open_encounter_lets_its_organisations_clinicians_write_and_no_one_else(
        ohms: Ohms) -> None:
    assert ohms.container.settings.encounter_write_window_minutes == 1440
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    earlier = write(ohms, patient.user, uhid, note(uhid, marker("own")))["id"]
    c, other = clinic(ohms), clinic(ohms)
    make_schedule(ohms, c.admin, c.physician)
    appointment = booked(ohms, patient.user, c.physician, f"{DAY}T09:00:00Z")

    # Booked but not checked in: no encounter, no basis.
    assert _post(ohms, c.physician, uhid) == 403
    assert _last_entry(ohms, uhid, c.physician).basis == "none"

    act(ohms, c.physician, appointment["id"], "confirm")
    encounter_id = act(ohms, c.helpdesk, appointment["id"], "check-in").json()["encounter"]

    # The organisation's clinicians write, without any grant; logged as `encounter`.
    for clinician in (c.physician, c.nurse):
        assert _post(ohms, clinician, uhid) == 201
        entry = _last_entry(ohms, uhid, clinician)
        assert (entry.action, entry.outcome, entry.basis, entry.grant_id) == \
            ("write", "granted", "encounter", None)
        assert str(entry.accessor_org_id) == c.org

    # A clinician of another organisation is refused, and the refusal is logged.
    assert _post(ohms, other.physician, uhid) == 403
    entry = _last_entry(ohms, uhid, other.physician)
    assert (entry.action, entry.outcome, entry.basis) == ("write", "denied", "none")

    # Writing is not reading: the patient's earlier record still needs their grant.
    r = ohms.client.get(f"/api/v1/records/{earlier}", headers=c.physician.headers)
    assert r.status_code in (403, 404), r.text
    entry = _last_entry(ohms, uhid, c.physician)
    assert (entry.action, entry.outcome) == ("read", "denied")
    listed = ohms.client.get(f"/api/v1/patients/{uhid}/records", headers=c.physician.headers)
    assert earlier not in {r["id"] for r in listed.json()}

    # Finished: writes go on within the window ...
    r = ohms.client.post(f"/api/v1/encounters/{encounter_id}/finish",
                         headers=c.physician.headers)
    assert r.status_code == 200, r.text
    assert _post(ohms, c.nurse, uhid) == 201
    assert _last_entry(ohms, uhid, c.nurse).basis == "encounter"
    # ... and not once it has closed.
    with ohms.db() as s:
        encounter = s.get(Encounter, uuid.UUID(encounter_id))
        assert encounter is not None
        encounter.finished_at = utcnow() - timedelta(minutes=1441)
    assert _post(ohms, c.physician, uhid) == 403
    entry = _last_entry(ohms, uhid, c.physician)
    assert (entry.action, entry.outcome, entry.basis) == ("write", "denied", "none")
