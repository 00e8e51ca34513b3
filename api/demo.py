"""Demo tenants and users for `make run` (idempotent: run it on every start)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from api.access.catalog import Role
from api.composition import Container
from api.consent.service import organization_address
from api.db.session import SYSTEM, session_scope
from api.identity import service as identity
from api.identity.models import User
from api.tenants import service as tenants
from api.tenants.models import Organization, OrganizationKind

DEMO_PASSWORD = "Demo-Passw0rd-2026!"  # noqa: S105 - documented demo credential


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    organization: str | None
    uhid: str


ORGANIZATIONS: list[tuple[str, OrganizationKind]] = [
    ("City General Hospital", OrganizationKind.hospital),
    ("Riverside Family Clinic", OrganizationKind.clinic),
    ("Precision Diagnostics Lab", OrganizationKind.lab),
    ("Clearview Radiology Centre", OrganizationKind.radiology),
    ("Corner Pharmacy", OrganizationKind.pharmacy),
    ("SecureLife Insurance", OrganizationKind.insurer),
    ("MedSupply Drug Vendors", OrganizationKind.drug_vendor),
]

# (email, full name, role, organisation name or None)
PEOPLE: list[tuple[str, str, Role, str | None]] = [
    ("admin@ohms.demo", "Sam System", Role.system_admin, None),
    ("patient@ohms.demo", "Priya Patient", Role.patient, None),
    ("patient2@ohms.demo", "Arjun Patient", Role.patient, None),
    ("orgadmin@hospital.demo", "Olivia Admin", Role.org_admin, "City General Hospital"),
    ("physician@hospital.demo", "Dr. Farah Khan", Role.physician, "City General Hospital"),
    ("nurse@hospital.demo", "Nia Nurse", Role.nurse, "City General Hospital"),
    ("helpdesk@hospital.demo", "Hugo Helpdesk", Role.helpdesk, "City General Hospital"),
    ("auditor@hospital.demo", "Ada Auditor", Role.auditor, "City General Hospital"),
    ("physician@clinic.demo", "Dr. Chen Li", Role.physician, "Riverside Family Clinic"),
    ("orgadmin@lab.demo", "Liam Lab-Admin", Role.org_admin, "Precision Diagnostics Lab"),
    ("labtech@lab.demo", "Lena Labtech", Role.lab_technician, "Precision Diagnostics Lab"),
    ("radiologist@radiology.demo", "Dr. Ravi Rad", Role.radiologist,
     "Clearview Radiology Centre"),
    ("pharmacist@pharmacy.demo", "Paula Pharm", Role.pharmacist, "Corner Pharmacy"),
    ("insurer@insurer.demo", "Ian Insurer", Role.insurer, "SecureLife Insurance"),
    ("vendor@vendor.demo", "Vera Vendor", Role.drug_vendor, "MedSupply Drug Vendors"),
]


def seed_demo(container: Container) -> list[DemoLogin]:
    logins: list[DemoLogin] = []
    with session_scope(container.sessions, SYSTEM) as session:
        orgs: dict[str, Organization] = {}
        for name, kind in ORGANIZATIONS:
            org = session.scalar(select(Organization).where(Organization.name == name))
            orgs[name] = org or tenants.create_organization(session, name, kind)
            organization_address(session, container, orgs[name])
        for email, full_name, role, org_name in PEOPLE:
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                if role is Role.patient:
                    user = identity.register_patient(
                        session, container, email=email, password=DEMO_PASSWORD,
                        full_name=full_name, date_of_birth=date(1985, 4, 12))
                elif role is Role.system_admin:
                    user = identity.create_system_admin(
                        session, container, email=email, password=DEMO_PASSWORD,
                        full_name=full_name)
                else:
                    assert org_name is not None
                    user = identity.create_staff(
                        session, container, organization_id=orgs[org_name].id, email=email,
                        password=DEMO_PASSWORD, full_name=full_name, roles=[role])
            logins.append(DemoLogin(email=email, role=role.value, organization=org_name,
                                    uhid=user.uhid))
    return logins
