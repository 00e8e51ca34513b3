"""The staff roles an organisation of each kind may assign."""

from __future__ import annotations

from api.roles.catalog import Role
from api.tenants.models import OrganizationKind

_ADMIN_ROLES = {Role.org_admin, Role.helpdesk, Role.auditor}
ASSIGNABLE_ROLES: dict[OrganizationKind, frozenset[Role]] = {
    OrganizationKind.hospital: frozenset(_ADMIN_ROLES | {
        Role.physician, Role.nurse, Role.lab_technician, Role.radiologist, Role.pharmacist}),
    OrganizationKind.clinic: frozenset(_ADMIN_ROLES | {
        Role.physician, Role.nurse, Role.lab_technician, Role.pharmacist}),
    OrganizationKind.lab: frozenset(_ADMIN_ROLES | {Role.lab_technician, Role.physician}),
    OrganizationKind.radiology: frozenset(_ADMIN_ROLES | {Role.radiologist, Role.physician}),
    OrganizationKind.pharmacy: frozenset(_ADMIN_ROLES | {Role.pharmacist}),
    OrganizationKind.insurer: frozenset(_ADMIN_ROLES | {Role.insurer}),
    OrganizationKind.drug_vendor: frozenset(_ADMIN_ROLES | {Role.drug_vendor}),
}
