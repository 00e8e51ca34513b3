"""Organisations and staff: who may create what, and tenant isolation at the HTTP layer."""

from __future__ import annotations

import uuid

from api.identity.models import User as UserRow
from tests.api.conftest import PASSWORD, Ohms

PROBLEM = "application/problem+json"


def test_system_admin_creates_organizations_others_cannot(ohms: Ohms) -> None:
    r = ohms.client.post("/api/v1/organizations", headers=ohms.admin.headers,
                         json={"name": "St. Mary's", "kind": "hospital"})
    assert r.status_code == 201 and uuid.UUID(r.json()["id"])
    org_admin = ohms.add_member(r.json()["id"], "org_admin")
    patient = ohms.register_patient()
    for who in (org_admin, patient):
        denied = ohms.client.post("/api/v1/organizations", headers=who.headers,
                                  json={"name": "Rogue", "kind": "clinic"})
        assert denied.status_code == 403 and denied.headers["content-type"] == PROBLEM
    bad_kind = ohms.client.post("/api/v1/organizations", headers=ohms.admin.headers,
                                json={"name": "X", "kind": "casino"})
    assert bad_kind.status_code == 422
    no_token = ohms.client.post("/api/v1/organizations", json={"name": "X", "kind": "lab"})
    assert no_token.status_code == 401


def test_org_admin_manages_own_members(ohms: Ohms) -> None:
    org = ohms.create_org("lab")
    admin = ohms.add_member(org, "org_admin")
    tech = ohms.add_member(org, "lab_technician", by=admin)
    me = ohms.client.get("/api/v1/me", headers=tech.headers).json()
    assert me["roles"] == ["lab_technician"]
    assert me["organization"]["id"] == org and me["organization"]["kind"] == "lab"
    members = ohms.client.get(f"/api/v1/organizations/{org}/members", headers=admin.headers)
    assert {m["email"] for m in members.json()} == {admin.email, tech.email}
    # A lab has no pharmacists; a role that does not exist is refused too.
    for role in ("pharmacist", "wizard", "system_admin", "patient"):
        r = ohms.client.post(f"/api/v1/organizations/{org}/members", headers=admin.headers,
                             json={"email": f"x-{uuid.uuid4().hex[:6]}@example.com",
                                   "full_name": "X", "role": role, "password": PASSWORD})
        assert r.status_code == 422, role
    dup = ohms.client.post(f"/api/v1/organizations/{org}/members", headers=admin.headers,
                           json={"email": tech.email, "full_name": "X",
                                 "role": "lab_technician", "password": PASSWORD})
    assert dup.status_code == 409
    # Staff without member:create cannot add colleagues.
    r = ohms.client.post(f"/api/v1/organizations/{org}/members", headers=tech.headers,
                         json={"email": "y@example.com", "full_name": "Y",
                               "role": "lab_technician", "password": PASSWORD})
    assert r.status_code == 403


def test_deactivated_member_loses_access_at_once(ohms: Ohms) -> None:
    org = ohms.create_org("clinic")
    admin = ohms.add_member(org, "org_admin")
    nurse = ohms.add_member(org, "nurse", by=admin)
    r = ohms.client.patch(f"/api/v1/organizations/{org}/members/{nurse.id}",
                          headers=admin.headers, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert ohms.client.get("/api/v1/me", headers=nurse.headers).status_code == 401
    assert ohms.login(nurse.email, PASSWORD).status_code == 401
    own = ohms.client.patch(f"/api/v1/organizations/{org}/members/{admin.id}",
                            headers=admin.headers, json={"is_active": False})
    assert own.status_code == 422


def test_tenant_a_cannot_see_or_change_tenant_b(ohms: Ohms) -> None:
    a, b = ohms.create_org("hospital"), ohms.create_org("hospital")
    admin_a = ohms.add_member(a, "org_admin")
    admin_b = ohms.add_member(b, "org_admin")
    doc_b = ohms.add_member(b, "physician", by=admin_b)
    attempts = [
        ohms.client.get(f"/api/v1/organizations/{b}", headers=admin_a.headers),
        ohms.client.patch(f"/api/v1/organizations/{b}", headers=admin_a.headers,
                          json={"name": "Hijacked"}),
        ohms.client.get(f"/api/v1/organizations/{b}/members", headers=admin_a.headers),
        ohms.client.get(f"/api/v1/organizations/{b}/members/{doc_b.id}", headers=admin_a.headers),
        ohms.client.patch(f"/api/v1/organizations/{b}/members/{doc_b.id}",
                          headers=admin_a.headers, json={"is_active": False}),
        ohms.client.post(f"/api/v1/organizations/{b}/members", headers=admin_a.headers,
                         json={"email": "spy@example.com", "full_name": "Spy",
                               "role": "physician", "password": PASSWORD}),
        ohms.client.get(f"/api/v1/organizations/{b}/roles", headers=admin_a.headers),
        ohms.client.put(f"/api/v1/organizations/{b}/roles/physician/permissions",
                        headers=admin_a.headers, json={"permissions": []}),
        # B's member addressed through A's organisation is not found either.
        ohms.client.get(f"/api/v1/organizations/{a}/members/{doc_b.id}", headers=admin_a.headers),
        ohms.client.patch(f"/api/v1/organizations/{a}/members/{doc_b.id}",
                          headers=admin_a.headers, json={"is_active": False}),
    ]
    for r in attempts:
        assert r.status_code == 404, (r.request.method, r.request.url, r.text)
        assert r.headers["content-type"] == PROBLEM
    # A made-up id answers exactly like B's real one: existence does not leak.
    ghost = ohms.client.get(f"/api/v1/organizations/{uuid.uuid4()}", headers=admin_a.headers)
    assert ghost.status_code == 404 and ghost.json()["detail"] == attempts[0].json()["detail"]
    # Nothing of B changed.
    org_b = ohms.client.get(f"/api/v1/organizations/{b}", headers=admin_b.headers).json()
    assert org_b["name"] != "Hijacked"
    assert ohms.client.get("/api/v1/me", headers=doc_b.headers).status_code == 200
    roles = ohms.client.get(f"/api/v1/organizations/{b}/roles", headers=admin_b.headers).json()
    assert "patient:read" in next(r for r in roles if r["role"] == "physician")["permissions"]
    with ohms.db() as s:
        assert s.query(UserRow).filter_by(email="spy@example.com").count() == 0
    listed = ohms.client.get("/api/v1/organizations", headers=admin_a.headers).json()
    assert [o["id"] for o in listed] == [a]


def test_directory_lists_active_organizations(ohms: Ohms) -> None:
    name = f"Findable Pharmacy {uuid.uuid4().hex[:6]}"
    org = ohms.create_org("pharmacy", name=name)
    patient = ohms.register_patient()
    r = ohms.client.get("/api/v1/directory/organizations",
                        params={"kind": "pharmacy", "q": name[-6:]}, headers=patient.headers)
    assert r.status_code == 200
    assert [e["id"] for e in r.json()] == [org]
    entry = r.json()[0]
    assert set(entry) >= {"id", "name", "kind", "address", "umbral_public_key"}
    assert entry["address"].startswith("0x") and len(entry["address"]) == 42
    wild = ohms.client.get("/api/v1/directory/organizations", params={"q": "%"},
                           headers=patient.headers)
    assert wild.status_code == 200 and all("%" in e["name"] for e in wild.json())
    assert ohms.client.get("/api/v1/directory/organizations").status_code == 401


def test_patient_lookup_by_uhid_for_staff_only(ohms: Ohms) -> None:
    org = ohms.create_org("hospital")
    desk = ohms.add_member(org, "helpdesk")
    patient, other = ohms.register_patient(), ohms.register_patient()
    r = ohms.client.get(f"/api/v1/patients/{patient.uhid}", headers=desk.headers)
    assert r.status_code == 200 and r.json()["uhid"] == patient.uhid
    assert ohms.client.get(f"/api/v1/patients/{patient.uhid}",
                           headers=other.headers).status_code == 403
    assert ohms.client.get(f"/api/v1/patients/{desk.uhid}", headers=desk.headers).status_code \
        == 404
