"""The billing context's uses of the system session, each with its reason: merged into the one
list in api/system_sessions.py (see there for the rules)."""

from __future__ import annotations

_PATIENT_NAMED = ("the charge's patient, of no organisation, is found by UHID (patients' "
                  "accounts are out of a tenant session's reach); the billing service "
                  "confines every statement to the caller's organisation's invoices")
_READERS = ("a patient is of no organisation: they read their own issued invoices of every "
            "organisation; the billing service confines each query to the caller's own issued "
            "invoices, or their organisation's")

# "METHOD /path" -> why the route opens the system session.
SYSTEM_SESSION_ROUTES: dict[str, str] = {
    "POST /api/v1/charges": _PATIENT_NAMED,
    "GET /api/v1/invoices": _READERS,
    "GET /api/v1/invoices/{invoice_id}": _READERS,
    "GET /api/v1/invoices/{invoice_id}/pdf": (
        _READERS + "; the PDF names the patient and lists the invoice's payments"),
}
# Module -> why it opens `session_scope(..., SYSTEM)` itself (background work).
SYSTEM_SESSION_MODULES: dict[str, str] = {}
