"""Organisations and staff: who may create what, and tenant isolation at the HTTP layer."""

from __future__ import annotations

import uuid

import pytest

from api.errors import Forbidden
from api.identity.models import User as UserRow
from api.tenants import service
from api.tenants.models import Organization, OrganizationKind
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


def test_deactivated_organisation_locks_out_its_staff_until_a_system_admin_reactivates(
        ohms: Ohms) -> None:
    org = ohms.create_org("clinic")
    admin = ohms.add_member(org, "org_admin")
    nurse = ohms.add_member(org, "nurse", by=admin)
    url = f"/api/v1/organizations/{org}"
    # The organisation's own admin may deactivate it...
    off = ohms.client.patch(url, headers=admin.headers, json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    # ...and from the next request on, none of its staff gets in: live tokens, sign-in, refresh.
    for who in (nurse, admin):
        live = ohms.client.get("/api/v1/me", headers=who.headers)
        assert live.status_code == 401 and live.headers["content-type"] == PROBLEM
        assert "organisation" in live.json()["detail"] and "deactivated" in live.json()["detail"]
        assert ohms.login(who.email, PASSWORD).status_code == 401
        refreshed = ohms.client.post("/api/v1/auth/refresh", json={"refresh_token": who.refresh})
        assert refreshed.status_code == 401 and refreshed.headers["content-type"] == PROBLEM
    # Its admin cannot undo it.
    back = ohms.client.patch(url, headers=admin.headers, json={"is_active": True})
    assert back.status_code in (401, 403) and back.headers["content-type"] == PROBLEM
    assert ohms.client.get(url, headers=ohms.admin.headers).json()["is_active"] is False
    # A system administrator can; then the staff sign in again.
    on = ohms.client.patch(url, headers=ohms.admin.headers, json={"is_active": True})
    assert on.status_code == 200 and on.json()["is_active"] is True
    again = ohms.signed_in(nurse)
    assert ohms.client.get("/api/v1/me", headers=again.headers).status_code == 200


def test_only_a_system_admin_reactivates_an_organisation() -> None:
    org = Organization(name="Closed Clinic", kind=OrganizationKind.clinic, is_active=False)
    with pytest.raises(Forbidden):
        service.update_organization(org, name=None, is_active=True, system=False)
    assert org.is_active is False
    # The org admin may still rename or deactivate; re-asserting "active" on an active
    # organisation changes nothing and is no reactivation.
    service.update_organization(org, name="Renamed", is_active=False, system=False)
    assert org.name == "Renamed"
    service.update_organization(org, name=None, is_active=True, system=True)
    assert org.is_active is True
    service.update_organization(org, name=None, is_active=True, system=False)
    assert org.is_active is True


def test_organisation_and_member_lists_are_paged(ohms: Ohms) -> None:
    org = ohms.create_org("lab")
    admin = ohms.add_member(org, "org_admin")
    techs = [ohms.add_member(org, "lab_technician", by=admin) for _ in range(2)]
    url = f"/api/v1/organizations/{org}/members"
    pages = [ohms.client.get(url, headers=admin.headers, params={"limit": 2, "offset": offset})
             for offset in (0, 2)]
    assert [p.status_code for p in pages] == [200, 200]
    assert [len(p.json()) for p in pages] == [2, 1]
    assert {m["email"] for p in pages for m in p.json()} == {admin.email,
                                                             *(t.email for t in techs)}
    ohms.create_org("lab")  # so the system admin sees more than two organisations
    orgs = ohms.client.get("/api/v1/organizations", headers=ohms.admin.headers,
                           params={"limit": 2})
    assert orgs.status_code == 200 and len(orgs.json()) == 2
    following = ohms.client.get("/api/v1/organizations", headers=ohms.admin.headers,
                                params={"limit": 2, "offset": 2})
    assert {o["id"] for o in orgs.json()}.isdisjoint({o["id"] for o in following.json()})
    for bad in ({"limit": 201}, {"limit": 0}, {"offset": -1}):
        for path in (url, "/api/v1/organizations"):
            r = ohms.client.get(path, headers=admin.headers, params=bad)
            assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (path, bad)


def test_names_with_control_or_bidi_characters_are_refused(ohms: Ohms) -> None:
    org = ohms.create_org("clinic")
    for bad in ("Evil\u202eClinic", "Null\x00Clinic", "Iso\u2066late", "Mark\u200fed",
                "Line\nbreak"):
        r = ohms.client.post("/api/v1/organizations", headers=ohms.admin.headers,
                             json={"name": bad, "kind": "clinic"})
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, repr(bad)
        renamed = ohms.client.patch(f"/api/v1/organizations/{org}", headers=ohms.admin.headers,
                                    json={"name": bad})
        assert renamed.status_code == 422, repr(bad)
        member = ohms.client.post(f"/api/v1/organizations/{org}/members",
                                  headers=ohms.admin.headers,
                                  json={"email": f"x-{uuid.uuid4().hex[:6]}@example.com",
                                        "full_name": bad, "role": "nurse",
                                        "password": PASSWORD})
        assert member.status_code == 422 and member.headers["content-type"] == PROBLEM, repr(bad)
    # Accents, other scripts and the joiners those scripts need are names like any other.
    persian_with_zwnj = "\u0646\u0631\u06af\u0633\u200c\u062e\u0627\u0646\u0645"
    for good in ("Clínica São José", "ശ്രീ ആശുപത്രി", persian_with_zwnj):
        r = ohms.client.post("/api/v1/organizations", headers=ohms.admin.headers,
                             json={"name": good, "kind": "clinic"})
        assert r.status_code == 201 and r.json()["name"] == good, r.text
