"""The roles of OHMS, the permissions (resource:action) they can hold, and their defaults.

A tenant administrator may add or remove tenant-grantable permissions of staff roles in
their organisation (RolePermissionOverride); `patient` and `system_admin` are not
tenant-configurable.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    patient = "patient"
    physician = "physician"
    nurse = "nurse"
    lab_technician = "lab_technician"
    radiologist = "radiologist"
    pharmacist = "pharmacist"
    drug_vendor = "drug_vendor"
    helpdesk = "helpdesk"
    org_admin = "org_admin"
    insurer = "insurer"
    auditor = "auditor"
    # Sees the whole platform's access log; system-level, appointed by a system administrator.
    platform_auditor = "platform_auditor"
    system_admin = "system_admin"


# Every permission the API knows, with what it allows. Routes name one of these.
PERMISSIONS: dict[str, str] = {
    "organization:create": "Create organisations (tenants)",
    "organization:read": "Read an organisation's profile",
    "organization:update": "Change an organisation's profile or deactivate it",
    "member:create": "Create or invite staff members of the organisation",
    "member:read": "List and read the organisation's staff",
    "member:update": "Change a member's roles, deactivate or reactivate them",
    "role:read": "Read the organisation's roles and their permissions",
    "role:update": "Change the permissions of the organisation's roles",
    "patient:read": "Look up a patient's demographics by UHID",
    "directory:read": "Search the directory of organisations",
    "consent:grant": "Grant and revoke access to one's own records",
    "consent:read": "Read consents given (patients) or received (institutions, people)",
    "access:check": "Ask whether a patient's grant covers a read (logged as an access)",
    "breakglass:use": "Read without consent in an emergency, with a stated reason",
    "audit:read": "Read the access log and its proofs (patients: accesses to their records; "
                  "auditors: accesses by their organisation's staff; platform auditors: all)",
    "platform_auditor:create": "Appoint platform auditors, who read the whole access log",
    "record:read": "Read records (one's own, or those a patient's grant covers; logged)",
    "record:write": "Write records for a patient (oneself, or under a treatment grant)",
    "schedule:write": "Set schedules, leave and directory profiles (practitioners: their own; "
                      "helpdesk and administrators: the organisation's, and its rooms and "
                      "equipment)",
    "appointment:book": "Book appointments (patients: for themselves; staff: for any patient "
                        "with the organisation's practitioners, rooms and equipment)",
    "appointment:manage": "Confirm, decline, reschedule, cancel and check in the "
                          "organisation's appointments, record no-shows, finish encounters",
    "appointment:read": "List appointments (one's own; helpdesk and administrators: the "
                        "organisation's)",
    "catalog:read": "Search the drug vendors' catalogues",
    "catalog:write": "Add and change the vendor's catalogue products; recall their lots",
    "inventory:read": "Read the pharmacy's stock: items, lots, reorder points",
    "inventory:write": "Add lots to the pharmacy's stock and set reorder points",
    "purchase_order:read": "List and read purchase orders (a pharmacy's own; a vendor's "
                           "inbox)",
    "purchase_order:write": "Write, send and cancel the pharmacy's purchase orders and "
                            "receive them into stock",
    "purchase_order:accept": "Accept purchase orders addressed to the vendor",
    "order:place": "Order lab tests and imaging procedures for a patient (physicians)",
    "order:read": "List orders (a patient's own; a physician's own; a performing "
                  "organisation's work list)",
    "order:perform": "Record specimen steps and file results of the organisation's orders",
    "prescription:write": "Prescribe medications to a pharmacy, after the allergy check "
                          "(physicians)",
    "prescription:read": "List prescriptions (a patient's own; a prescriber's own; a "
                         "pharmacy's queue)",
    "dispense:write": "Dispense the pharmacy's prescriptions from its stock",
    "price:read": "Read the organisation's price list",
    "price:write": "Add prices (new versions by date) to the organisation's price list",
    "billing:read": "List and read invoices (a patient's own; the organisation's) and their "
                    "PDFs",
    "billing:write": "Add manual charges, issue and void the organisation's invoices, write "
                     "credit notes",
    "payment:collect": "Take cash and card payments at the desk and refund payments",
    "payment:pay": "Pay one's own invoices online",
    "coverage:read": "Read insurance coverages (a patient's own; of patients the organisation "
                     "bills; an insurer's members) and check eligibility",
    "coverage:write": "Record a patient's insurance coverage (the patient, or the helpdesk)",
    "claim:read": "List and read claims (the organisation's; an insurer's queue; a "
                  "patient's own)",
    "claim:submit": "Submit claims for the organisation's invoices to an insurer",
    "claim:adjudicate": "Adjudicate claims addressed to the insurer",
    "report:read": "Read the organisation's revenue, receivables and claims reports",
}

SYSTEM_ONLY_PERMISSIONS = frozenset({"organization:create", "platform_auditor:create"})
# Held only by patients, for their own records: no organisation can hand these to staff.
PATIENT_ONLY_PERMISSIONS = frozenset({"consent:grant", "payment:pay"})

_STAFF_BASE = {"directory:read", "organization:read", "consent:read"}
_CLINICAL = _STAFF_BASE | {"patient:read", "access:check"}
_RECORDS = frozenset({"record:read", "record:write"})
# Practitioners whose time is booked; physicians and nurses do not book for patients (the
# helpdesk does), but they manage their own appointments and book follow-ups of encounters.
_PRACTICE = frozenset({"schedule:write", "appointment:manage", "appointment:read"})
# Pharmacy stock and ordering from vendors; a vendor's catalogue and order inbox.
_STOCK = frozenset({"catalog:read", "inventory:read", "inventory:write", "purchase_order:read",
                    "purchase_order:write"})
_VENDING = frozenset({"catalog:read", "catalog:write", "purchase_order:read",
                      "purchase_order:accept"})

# Lab tests and imaging: physicians order them; labs and radiology centres perform them.
_ORDERING = frozenset({"order:place", "order:read"})
_PERFORMING = frozenset({"order:perform", "order:read"})
# Prescriptions: physicians prescribe; pharmacists dispense (their pharmacy's queue).
_PRESCRIBING = frozenset({"prescription:write", "prescription:read"})
_DISPENSING = frozenset({"dispense:write", "prescription:read"})
# Billing: the desk (helpdesk, a pharmacy's counter) charges, issues, takes payments and
# submits claims; administrators also keep the price list and read the reports; insurers
# adjudicate the claims addressed to them.
_BILLING_DESK = frozenset({"price:read", "billing:read", "billing:write", "payment:collect",
                           "coverage:read", "coverage:write", "claim:read", "claim:submit"})
_BILLING_ADMIN = _BILLING_DESK | {"price:write", "report:read"}
_ADJUDICATING = frozenset({"coverage:read", "claim:read", "claim:adjudicate"})

DEFAULT_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.patient: frozenset({"directory:read", "consent:grant", "consent:read", "audit:read",
                             "appointment:book", "appointment:read", "order:read",
                             "prescription:read", "billing:read", "payment:pay",
                             "coverage:read", "coverage:write", "claim:read"} | _RECORDS),
    Role.physician: frozenset(_CLINICAL | _RECORDS | _PRACTICE | _ORDERING | _PRESCRIBING
                              | {"breakglass:use", "catalog:read"}),
    Role.nurse: frozenset(_CLINICAL | _RECORDS | _PRACTICE | {"breakglass:use"}),
    Role.lab_technician: frozenset(_CLINICAL | _RECORDS | _PRACTICE | _PERFORMING),
    Role.radiologist: frozenset(_CLINICAL | _RECORDS | _PRACTICE | _PERFORMING),
    Role.pharmacist: frozenset(_CLINICAL | _RECORDS | _STOCK | _DISPENSING | _BILLING_DESK),
    Role.drug_vendor: frozenset(_STAFF_BASE | _VENDING),
    Role.helpdesk: frozenset(_CLINICAL | _PRACTICE | _BILLING_DESK
                             | {"member:read", "appointment:book"}),
    Role.org_admin: frozenset(
        _STAFF_BASE | _PRACTICE | _BILLING_ADMIN
        | {"organization:update", "member:create", "member:read", "member:update",
           "role:read", "role:update"}
    ),
    Role.insurer: frozenset(_STAFF_BASE | _ADJUDICATING | {"access:check", "record:read"}),
    Role.auditor: frozenset(_STAFF_BASE | {"member:read", "role:read", "audit:read"}),
    Role.platform_auditor: frozenset({"directory:read", "organization:read", "audit:read"}),
    Role.system_admin: frozenset(PERMISSIONS),
}

TENANT_CONFIGURABLE_ROLES = frozenset(Role) - {Role.patient, Role.system_admin,
                                                Role.platform_auditor}
# Roles held outside any organisation, given only by a system administrator.
SYSTEM_ROLES = frozenset({Role.system_admin, Role.platform_auditor})

# An organisation must not be able to lock its own administrators out.
ADMIN_LOCKOUT_GUARD = frozenset({"role:read", "role:update"})

EMERGENCY_ROLES = frozenset({Role.physician, Role.nurse})

# Staff roles that author clinical records (under a treatment grant of the patient) and,
# in the organisation that made a study, see it as its authors.
AUTHOR_ROLES = frozenset({Role.physician, Role.nurse, Role.lab_technician, Role.radiologist,
                          Role.pharmacist})
