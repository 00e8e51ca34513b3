"""Tenant isolation enforced by PostgreSQL itself: raw SQL in tenant B's session."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from api.db.session import TenantContext, session_scope
from tests.api.conftest import Ohms


# SQLite has no row-level security: this runs on PostgreSQL only; the HTTP-layer isolation
# tests run on both backends.
@pytest.mark.parametrize("databases", ["real"], indirect=True)
def test_raw_queries_in_one_tenant_never_touch_another(ohms: Ohms) -> None:
    assert ohms.container.engine.dialect.name == "postgresql"
    a, b = ohms.create_org("hospital"), ohms.create_org("lab")
    doc_a = ohms.add_member(a, "physician")
    tech_b = ohms.add_member(b, "lab_technician")
    patient = ohms.register_patient()
    with ohms.db() as s:
        s.execute(text("INSERT INTO role_permission_overrides (organization_id, role, permission,"
                       " granted, changed_at) VALUES (:o, 'nurse', 'member:read', true, now())"),
                  {"o": b})
    tenant_b = TenantContext(organization_id=uuid.UUID(b))
    with session_scope(ohms.container.sessions, tenant_b) as s:
        emails = set(s.execute(text("SELECT email FROM users")).scalars())
        assert tech_b.email in emails
        assert doc_a.email not in emails and patient.email not in emails
        assert s.execute(text("SELECT count(*) FROM users WHERE organization_id = :a"),
                         {"a": a}).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM user_roles WHERE organization_id = :a"),
                         {"a": a}).scalar() == 0
        changed = s.execute(text("UPDATE users SET full_name = 'pwned' WHERE organization_id = :a"),
                            {"a": a})
        assert changed.rowcount == 0  # type: ignore[attr-defined]
        gone = s.execute(text("DELETE FROM user_roles WHERE organization_id = :a"), {"a": a})
        assert gone.rowcount == 0  # type: ignore[attr-defined]
        renamed = s.execute(text("UPDATE organizations SET name = 'pwned' WHERE id = :a"),
                            {"a": a})
        assert renamed.rowcount == 0  # type: ignore[attr-defined]
        # Sign-in machinery is out of reach of any tenant.
        assert s.execute(text("SELECT count(*) FROM auth_sessions")).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM refresh_tokens")).scalar() == 0
    with pytest.raises(ProgrammingError, match="row-level security"), \
            session_scope(ohms.container.sessions, tenant_b) as s:
        s.execute(text("INSERT INTO role_permission_overrides (organization_id, role, permission,"
                       " granted, changed_at) VALUES (:a, 'nurse', 'member:read', true, now())"),
                  {"a": a})
    with pytest.raises(ProgrammingError, match="row-level security"), \
            session_scope(ohms.container.sessions, tenant_b) as s:
        s.execute(text("UPDATE users SET organization_id = :a WHERE email = :e"),
                  {"a": a, "e": tech_b.email})
    # Tenant A's rows are exactly as they were.
    with session_scope(ohms.container.sessions, TenantContext(uuid.UUID(a))) as s:
        assert s.execute(text("SELECT full_name FROM users WHERE email = :e"),
                         {"e": doc_a.email}).scalar() == "Physician Tester"
        assert s.execute(text("SELECT count(*) FROM user_roles")).scalar() == 1
        assert s.execute(text("SELECT count(*) FROM role_permission_overrides")).scalar() == 0


@pytest.mark.parametrize("databases", ["real"], indirect=True)
def test_an_organisations_keys_are_its_own_rows(ohms: Ohms) -> None:
    """Umbral keys: an organisation writes its own through its tenant session (the keys
    routes use it); another organisation's, and any person's, are out of its reach."""
    from reencryption.client import KeyHolder

    a, b = ohms.create_org("hospital"), ohms.create_org("lab")
    for org in (a, b):
        admin = ohms.add_member(org, "org_admin")
        r = ohms.client.put(f"/api/v1/organizations/{org}/keys", headers=admin.headers,
                            json=KeyHolder.generate().key_document())
        assert r.status_code == 200, r.text
    patient = ohms.register_patient()
    r = ohms.client.put("/api/v1/me/keys", headers=patient.headers,
                        json=KeyHolder.generate().key_document())
    assert r.status_code == 200, r.text
    with session_scope(ohms.container.sessions, TenantContext(uuid.UUID(b))) as s:
        seen = set(s.execute(text("SELECT organization_id FROM umbral_keys")).scalars())
        assert seen == {uuid.UUID(b)}  # neither A's row nor the patient's
        changed = s.execute(text("UPDATE umbral_keys SET verifying_key = 'x' "
                                 "WHERE organization_id = :a OR user_id IS NOT NULL"), {"a": a})
        assert changed.rowcount == 0  # type: ignore[attr-defined]
    with pytest.raises(ProgrammingError, match="row-level security"), \
            session_scope(ohms.container.sessions, TenantContext(uuid.UUID(b))) as s:
        s.execute(text("INSERT INTO umbral_keys (id, organization_id, umbral_public_key, "
                       "verifying_key, created_at, updated_at) "
                       "VALUES (:i, :a, 'k', 'v', now(), now())"), {"i": uuid.uuid4(), "a": a})
