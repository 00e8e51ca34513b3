"""Who reads which access-log entries: patients the accesses to their own records, an
organisation's auditor the accesses made by its own staff, a platform auditor (appointed by
a system administrator only) all of them. Whatever is not visible answers like what does
not exist."""

from __future__ import annotations

import uuid

from api.audit.service import AuditBatcher
from tests.api.conftest import PASSWORD, Ohms, User
from tests.api.consent.conftest import check, grant, patient_with_wallet, run_workers


def entry_ids(ohms: Ohms, user: User, **params: str) -> set[str]:
    r = ohms.client.get("/api/v1/audit/entries", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return {e["id"] for e in r.json()}


def appoint_platform_auditor(ohms: Ohms, by: User) -> tuple[int, User | None]:
    email = f"platform-auditor-{uuid.uuid4().hex[:8]}@example.com"
    r = ohms.client.post("/api/v1/audit/platform-auditors", headers=by.headers, json={
        "email": email, "full_name": "Pia Platform", "password": PASSWORD})
    if r.status_code != 201:
        return r.status_code, None
    body = r.json()
    assert body["roles"] == ["platform_auditor"] and body["organization_id"] is None
    return 201, ohms.signed_in(User(id=body["id"], uhid=body["uhid"], email=email,
                                    password=PASSWORD))


def test_each_auditor_sees_what_their_role_covers(ohms: Ohms) -> None:
    lab, hospital = ohms.create_org("lab"), ohms.create_org("hospital")
    tech = ohms.add_member(lab, "lab_technician")
    doctor = ohms.add_member(hospital, "physician")
    lab_auditor = ohms.add_member(lab, "auditor")
    hospital_auditor = ohms.add_member(hospital, "auditor")
    patient = patient_with_wallet(ohms)
    other = patient_with_wallet(ohms)
    grant(ohms, patient, lab)
    run_workers(ohms)
    by_tech = check(ohms, tech, patient.user)["audit_entry"]
    by_doctor = check(ohms, doctor, other.user)["audit_entry"]

    # An organisation's auditor: its own staff's accesses only, whichever patient.
    assert by_tech in entry_ids(ohms, lab_auditor)
    assert by_doctor not in entry_ids(ohms, lab_auditor)
    assert by_doctor in entry_ids(ohms, hospital_auditor)
    assert by_tech not in entry_ids(ohms, hospital_auditor)
    assert entry_ids(ohms, hospital_auditor, patient=patient.user.uhid) == set()
    # Patients: every access to their own records, nobody else's.
    assert by_tech in entry_ids(ohms, patient.user)
    assert by_tech not in entry_ids(ohms, other.user)

    AuditBatcher(ohms.container.sessions, ohms.container.chain, max_entries=1000,
                 max_seconds=3600).run_once(force=True)
    run_workers(ohms)
    for path in ("proof", "fhir"):
        url = f"/api/v1/audit/entries/{by_tech}/{path}"
        assert ohms.client.get(url, headers=lab_auditor.headers).status_code == 200
        hidden = ohms.client.get(url, headers=hospital_auditor.headers)
        unknown = ohms.client.get(f"/api/v1/audit/entries/{uuid.uuid4()}/{path}",
                                  headers=hospital_auditor.headers)
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json()["detail"] == unknown.json()["detail"]

    # A platform auditor sees everything; only a system administrator appoints one.
    org_admin = ohms.add_member(lab, "org_admin")
    for refused_by in (org_admin, lab_auditor, patient.user):
        assert appoint_platform_auditor(ohms, refused_by)[0] == 403
    status, platform = appoint_platform_auditor(ohms, ohms.admin)
    assert status == 201 and platform is not None
    assert {by_tech, by_doctor} <= entry_ids(ohms, platform)
    assert entry_ids(ohms, platform, patient=other.user.uhid) >= {by_doctor}
    assert ohms.client.get(f"/api/v1/audit/entries/{by_doctor}/proof",
                           headers=platform.headers).status_code == 200
    # Tenants cannot hand out the role or its appointing permission.
    r = ohms.client.post(f"/api/v1/organizations/{lab}/members", headers=org_admin.headers,
                         json={"email": f"x-{uuid.uuid4().hex[:8]}@example.com",
                               "full_name": "Would Be", "role": "platform_auditor",
                               "password": PASSWORD})
    assert r.status_code == 422, r.text


def test_a_patient_cannot_tell_someone_elses_uhid_from_an_unknown_one(ohms: Ohms) -> None:
    doctor = ohms.add_member(ohms.create_org("hospital"), "physician")
    patient = patient_with_wallet(ohms)
    check(ohms, doctor, patient.user)
    stranger = ohms.register_patient()
    known = ohms.client.get("/api/v1/audit/entries", headers=stranger.headers,
                            params={"patient": patient.user.uhid})
    unknown = ohms.client.get("/api/v1/audit/entries", headers=stranger.headers,
                              params={"patient": "99999999999999"})
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json() == []
