"""Scheduling's staff work runs in the tenant session (row-level security applies); only what
patients (of no organisation) book and read, the cross-tenant directory and slots, and a
follow-up (whose reason is written as the patient's encrypted record, a system table) use the
system session."""

from __future__ import annotations

from api.deps import authenticate, system_db, tenant_db
from api.scheduling.router import router
from api.system_sessions import SYSTEM_SESSION_ROUTES, route_keys

PREFIX = "/api/v1"


def test_staff_routes_use_the_tenant_session_and_patient_routes_are_listed() -> None:
    routers = [(router, PREFIX)]
    system = route_keys(routers, system_db, besides=(authenticate, tenant_db))
    tenant = route_keys(routers, tenant_db)
    assert system == {
        "GET /api/v1/slots", "GET /api/v1/directory/practitioners",
        "POST /api/v1/appointments", "GET /api/v1/appointments",
        "POST /api/v1/appointments/{appointment_id}/cancel",
        "POST /api/v1/appointments/{appointment_id}/reschedule",
        "POST /api/v1/encounters/{encounter_id}/follow-up"}
    assert system <= SYSTEM_SESSION_ROUTES.keys()
    assert tenant == {
        "POST /api/v1/schedules", "GET /api/v1/schedules",
        "POST /api/v1/schedules/{schedule_id}/exceptions",
        "POST /api/v1/resources", "GET /api/v1/resources",
        "PUT /api/v1/practitioners/{practitioner_id}/profile",
        "GET /api/v1/practitioners/{practitioner_id}/profile",
        "POST /api/v1/appointments/{appointment_id}/confirm",
        "POST /api/v1/appointments/{appointment_id}/decline",
        "POST /api/v1/appointments/{appointment_id}/check-in",
        "POST /api/v1/appointments/{appointment_id}/no-show",
        "POST /api/v1/encounters/{encounter_id}/finish"}
