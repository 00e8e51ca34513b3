"""Where the system database session is used, and why: the one list of them.

Tenant-owned data (an organisation's members, roles, role permissions, keys and uploads,
and every table the workflows add: schedules, orders, inventory, invoices, claims, beds) is
read and written through the caller's tenant session (`api.deps.TenantDB`), which
PostgreSQL's row-level security confines to the caller's organisation, whatever a query
forgets. The system session (`api.deps.SystemDB`, or `session_scope(..., SYSTEM)`) bypasses
row-level security; it is for what is cross-tenant by nature, and for nothing else:

- sign-in machinery: accounts, sessions, tokens and nonces are found before there is a
  tenant, or whatever the tenant;
- what belongs to a person rather than an organisation: a patient's own account, keys and
  inbox (a patient is of no organisation);
- the exchange: a patient's clinical data and grants belong to the patient and are shown to
  other organisations; the access gate decides who may see what, and logs it;
- the access log, which spans organisations (the audit router decides who sees which
  entries), and the platform's own machinery (background workers, the command line).

tests/api/test_system_sessions.py fails when a route opens the system session without being
listed in SYSTEM_SESSION_ROUTES, when a listed route no longer opens it, and when a module
outside SYSTEM_SESSION_MODULES opens one; `check_routes` refuses to build such an app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIRouter

from api.billing import sessions as billing_sessions
from api.insurance import sessions as insurance_sessions
from api.payments import sessions as payments_sessions

SIGN_IN = ("sign-in machinery: accounts, sessions, refresh tokens, SIWE nonces and mailed "
           "account tokens (email confirmation, password reset) are looked up before there "
           "is a tenant (system-only tables)")
OWN_ACCOUNT = ("the caller's own account, keys, inbox or email preferences: a patient is of "
               "no organisation, and accounts, sessions and preferences are system-only "
               "tables")
PATIENT_DIRECTORY = ("patients are of no organisation: staff find a patient by UHID across "
                     "the platform")
EXCHANGE = ("a patient's clinical data belongs to the patient and is read by other "
            "organisations: the access gate decides who may, and logs every attempt")
GRANTS = ("a patient's grants name other organisations and are mirrored from the chain: "
          "the patient's own, or checked by the access gate")
AUDIT = ("the access log spans organisations: the audit router's visibility rules decide "
         "which entries a caller sees (own records, own staff, or platform auditor)")
PLATFORM_ADMIN = "system administration: the account made belongs to no organisation"
BOOKING = ("a patient is of no organisation: they book, list, move and cancel their own "
           "appointments with any organisation's practitioners, and the helpdesk books for a "
           "patient found by UHID; the scheduling service confines each query to the caller's "
           "own appointments or their organisation's")
FOLLOW_UP = ("a follow-up's reason is written as the patient's encrypted record (records are "
             "the patient's, a system table) and the patient, of no organisation, is read; the "
             "scheduling service confines the encounter and practitioner to the caller's "
             "organisation")
SLOTS = ("free slots are offered across organisations to patients, who are of none: only "
         "the practitioner's schedule, leave and busy times are read, no patient's data")
PRACTITIONER_DIRECTORY = ("the practitioner directory spans organisations: names, "
                          "specialties, fees and next free slot of active practitioners")
BENCHMARK = ("the benchmarks' baselines: bench_exchange's plain read and bench_clinic's "
             "schedule rows, in the same session as what they are the baseline of (off unless "
             "OHMS_BENCHMARK_ROUTES)")
PHARMACY_BENCHMARK = ("bench_pharmacy's baseline of the pharmacy queue: the same page of "
                      "prescription rows, in the same session as the queue it is the baseline "
                      "of (off unless OHMS_BENCHMARK_ROUTES)")

SYSTEM_SESSION_ROUTES: dict[str, str] = {
    "POST /api/v1/auth/register": SIGN_IN,
    "POST /api/v1/auth/token": SIGN_IN,
    "POST /api/v1/auth/refresh": SIGN_IN,
    "POST /api/v1/auth/logout": SIGN_IN,
    "POST /api/v1/auth/password-reset": SIGN_IN,
    "POST /api/v1/auth/password-reset/confirm": SIGN_IN,
    "POST /api/v1/auth/email/confirm": SIGN_IN,
    "POST /api/v1/me/email/confirmation": OWN_ACCOUNT,
    "GET /api/v1/me/notification-preferences": OWN_ACCOUNT,
    "PUT /api/v1/me/notification-preferences": OWN_ACCOUNT,
    "POST /api/v1/auth/siwe/nonce": SIGN_IN,
    "POST /api/v1/auth/siwe/verify": SIGN_IN,
    "POST /api/v1/me/password": OWN_ACCOUNT,
    "POST /api/v1/me/wallet": OWN_ACCOUNT,
    "POST /api/v1/me/custodial-wallet": OWN_ACCOUNT,
    "PUT /api/v1/me/keys": OWN_ACCOUNT,
    "GET /api/v1/me/keys": OWN_ACCOUNT,
    "GET /api/v1/me/notifications": OWN_ACCOUNT,
    "POST /api/v1/me/notifications/{notification_id}/read": OWN_ACCOUNT,
    "GET /api/v1/patients/{uhid}": PATIENT_DIRECTORY,
    "POST /api/v1/consents/typed-data": GRANTS,
    "POST /api/v1/consents": GRANTS,
    "GET /api/v1/consents": GRANTS,
    "GET /api/v1/consents/{consent_id}": GRANTS,
    "POST /api/v1/consents/{consent_id}/revocation/typed-data": GRANTS,
    "POST /api/v1/consents/{consent_id}/revocation": GRANTS,
    "POST /api/v1/break-glass": EXCHANGE,
    "POST /api/v1/access/check": EXCHANGE,
    "POST /api/v1/patients/{uhid}/records": EXCHANGE,
    "PUT /api/v1/records/{record_id}": EXCHANGE,
    "GET /api/v1/patients/{uhid}/records": EXCHANGE,
    "GET /api/v1/records/{record_id}/resource": EXCHANGE,
    "GET /api/v1/records/{record_id}": EXCHANGE,
    "POST /api/v1/patients/{uhid}/imaging/studies": EXCHANGE,
    "POST /api/v1/imaging/studies/{study_id}/pull": EXCHANGE,
    "GET /api/v1/imaging/studies/{study_id}/archive": EXCHANGE,
    "GET /api/v1/imaging/studies/{study_id}/archive/content": EXCHANGE,
    "GET /api/v1/imaging/studies/{study_id}/instances/{sop_instance_uid}/preview.png":
        EXCHANGE,
    "GET /api/v1/imaging/studies/{study_id}/deidentified.zip": EXCHANGE,
    "GET /api/v1/patients/{uhid}/imaging/studies": EXCHANGE,
    "GET /api/v1/imaging/studies/{study_id}": EXCHANGE,
    "POST /api/v1/imaging/studies/{study_id}/reports": EXCHANGE,
    "GET /api/v1/audit/entries": AUDIT,
    "GET /api/v1/audit/entries/{entry_id}/proof": AUDIT,
    "GET /api/v1/audit/entries/{entry_id}/fhir": AUDIT,
    "GET /api/v1/audit/batches": AUDIT,
    "POST /api/v1/audit/platform-auditors": PLATFORM_ADMIN,
    "GET /api/v1/slots": SLOTS,
    "GET /api/v1/directory/practitioners": PRACTITIONER_DIRECTORY,
    "POST /api/v1/appointments": BOOKING,
    "GET /api/v1/appointments": BOOKING,
    "POST /api/v1/appointments/{appointment_id}/cancel": BOOKING,
    "POST /api/v1/appointments/{appointment_id}/reschedule": BOOKING,
    "POST /api/v1/encounters/{encounter_id}/follow-up": FOLLOW_UP,
    "POST /api/v1/orders": (
        "an order's reason is written as the patient's encrypted ServiceRequest record "
        "(records are the patient's, a system table) and the patient, of no organisation, is "
        "found by UHID; the orders service confines the encounter to the caller's "
        "organisation"),
    "GET /api/v1/orders": (
        "a patient is of no organisation: they list their own orders from every "
        "organisation; the orders service confines each query to the caller's own orders, "
        "or their organisation's work list"),
    "POST /api/v1/orders/{order_id}/results": (
        "results are written as the patient's encrypted record (a system table) under the "
        "order, which the access gate checks; the orders service confines the order to the "
        "caller's performing organisation"),
    "POST /api/v1/prescriptions": (
        "a prescription is written as the patient's encrypted MedicationRequest record "
        "(records are the patient's, a system table), the patient, of no organisation, is "
        "found by UHID, and the allergy check reads the patient's records through the access "
        "gate; the prescriptions service confines the row to the caller's organisation"),
    "GET /api/v1/prescriptions": (
        "a patient is of no organisation: they list their own prescriptions from every "
        "organisation; the prescriptions service confines each query to the caller's own "
        "prescriptions, or their pharmacy's queue and its own stock"),
    "POST /api/v1/prescriptions/{prescription_id}/dispenses": (
        "a dispense is written as the patient's encrypted MedicationDispense record (a "
        "system table) under the prescription, which the access gate checks; the "
        "prescriptions service confines the prescription and the lot to the caller's "
        "pharmacy"),
    "GET /bench/plain/{cid}": BENCHMARK,
    "GET /bench/schedule-rows": BENCHMARK,
    "GET /bench/prescription-rows": PHARMACY_BENCHMARK,
}
# Billing, payments and insurance keep their lists beside their code.
for _context in (billing_sessions, payments_sessions, insurance_sessions):
    SYSTEM_SESSION_ROUTES.update(_context.SYSTEM_SESSION_ROUTES)

# Code that opens `session_scope(..., SYSTEM)` itself, outside any route.
SYSTEM_SESSION_MODULES: dict[str, str] = {
    "api.deps": "authentication (sign-in machinery) and the SystemDB dependency itself",
    "api.main": "the bootstrap administrator, made at start-up before any tenant exists",
    "api.cli": "`ohms create-admin`: a system administrator belongs to no organisation",
    "api.demo": "`ohms seed-demo` sets up organisations, their staff and patients",
    "api.background": "expiring and reconciling grants across the platform",
    "api.access.journal": "access-log entries, committed apart from the caller's unit of "
                          "work (which may be a tenant session)",
    "api.audit.service": "the audit batcher closes batches of the whole platform's log",
    "api.ledger.indexer": "the chain indexer mirrors every organisation's grants and anchors",
    "api.ledger.outbox": "the outbox sends every organisation's chain transactions",
    "api.notifications.outbox": "the email outbox sends every person's emails (the outbox "
                                "and accounts are system-only tables)",
    "api.notifications.reminders": "reminders of every organisation's confirmed "
                                   "appointments, to their patients (of no organisation)",
}
for _context in (billing_sessions, payments_sessions, insurance_sessions):
    SYSTEM_SESSION_MODULES.update(_context.SYSTEM_SESSION_MODULES)


def route_keys(routers: Iterable[tuple[APIRouter, str]], dependency: Any, *,
               besides: tuple[Any, ...] = ()) -> set[str]:
    """"METHOD /path" of every route of `routers` whose dependencies include `dependency`
    (at any depth), not counting its use by the dependencies `besides` (authentication,
    which checks the sign-in in the request's system unit of work whatever the route uses,
    and the tenant session, which ends that unit of work)."""
    found = set()
    for router, prefix in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and _depends_on(route.dependant, dependency,
                                                           besides):
                found |= {f"{method} {prefix}{route.path}" for method in route.methods or ()}
    return found


def check_routes(routers: Iterable[tuple[APIRouter, str]], dependency: Any, *,
                 besides: tuple[Any, ...] = ()) -> None:
    """Refuse routes that open the system session (`dependency`) without being listed."""
    opened = route_keys(routers, dependency, besides=besides)
    unlisted = sorted(opened - SYSTEM_SESSION_ROUTES.keys())
    if unlisted:
        raise RuntimeError("routes open the system session without a reason listed in "
                           f"api/system_sessions.py: {', '.join(unlisted)}")


def _depends_on(dependant: Dependant, dependency: Any, besides: tuple[Any, ...]) -> bool:
    if any(dependant.call is b for b in besides):
        return False
    return dependant.call is dependency or any(
        _depends_on(d, dependency, besides) for d in dependant.dependencies)
