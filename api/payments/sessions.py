"""The payments context's uses of the system session, each with its reason: merged into the one
list in api/system_sessions.py (see there for the rules)."""

from __future__ import annotations

PATIENT_PAYS = ("a patient is of no organisation: they pay their own invoices (an "
                "organisation's rows) online and follow their payment intents; the payments "
                "service confines each query to invoices and intents of the caller")
PAYMENTS_READ = ("a patient is of no organisation: they read the payments of their own "
                 "invoices; the payments service confines the invoice to the caller's own, or "
                 "to the caller's organisation for its staff")
WEBHOOK = ("the payment provider is no one's tenant: its signed webhook (verified before "
           "anything is read) settles the invoice of whichever organisation the intent names, "
           "and webhook events are a system-only table")

# "METHOD /path" -> why the route opens the system session.
SYSTEM_SESSION_ROUTES: dict[str, str] = {
    "GET /api/v1/invoices/{invoice_id}/payments": PAYMENTS_READ,
    "POST /api/v1/invoices/{invoice_id}/payment-intents": PATIENT_PAYS,
    "GET /api/v1/payment-intents/{intent_id}": PATIENT_PAYS,
    "POST /api/v1/payments/webhook": WEBHOOK,
}
# Module -> why it opens `session_scope(..., SYSTEM)` itself (background work).
SYSTEM_SESSION_MODULES: dict[str, str] = {
    "api.payments.simulator": "the embedded simulated payment provider keeps its own state "
                              "(system-only tables, as a real provider's own database) and "
                              "delivers its webhooks from the background worker",
}
