"""Demo tenants and users for `make run` (idempotent: run it on every start)."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.composition import Container
from api.consent import service as consent
from api.consent.models import Consent, ConsentStatus
from api.db.base import utcnow
from api.db.session import SYSTEM, session_scope
from api.errors import Unavailable
from api.identity import service as identity
from api.identity.models import User
from api.keys import service as record_keys
from api.records import service as records
from api.records.fhir import UHID_SYSTEM
from api.records.models import Record
from api.roles.catalog import Role
from api.tenants import service as tenants
from api.tenants.models import Organization, OrganizationKind
from chain.consent import sign_typed_data
from reencryption.client import KeyHolder

if TYPE_CHECKING:
    from api.deps import Principal

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
    ("auditor@ohms.demo", "Paz Platform-Auditor", Role.platform_auditor, None),
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
            tenants.organization_address(session, container.keystore, orgs[name])
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
                elif role is Role.platform_auditor:
                    user = identity.create_platform_auditor(
                        session, container, email=email, password=DEMO_PASSWORD,
                        full_name=full_name)
                else:
                    assert org_name is not None
                    user = identity.create_staff(
                        session, container, organization_id=orgs[org_name].id, email=email,
                        password=DEMO_PASSWORD, full_name=full_name, roles=[role])
            # The demo's addresses count as confirmed, so its people get their
            # notification emails (api.notifications.outbox sends only to confirmed ones).
            user.email_confirmed_at = user.email_confirmed_at or utcnow()
            logins.append(DemoLogin(email=email, role=role.value, organization=org_name,
                                    uhid=user.uhid))
    seed_demo_records(container)
    seed_demo_scheduling(container)
    seed_demo_pharmacy(container)
    seed_demo_billing(container)
    return logins


# --- demo records shared between institutions ---------------------------------------------

DEMO_PATIENT = "patient@ohms.demo"
HOSPITAL = "City General Hospital"
LAB = "Precision Diagnostics Lab"
RADIOLOGY = "Clearview Radiology Centre"
RADIOLOGIST = "radiologist@radiology.demo"


def demo_key_file(container: Container, party: str) -> Path:
    """Where the demo keeps a party's Umbral keys, as that party's client would: a key file
    sealed with the demo password (`ohms client --key-file ...`). The service itself only
    ever receives the public half."""
    return Path(container.settings.data_dir) / "demo-keys" / f"{party}.json"


def demo_wallet_file(container: Container) -> Path:
    """The demo patient's wallet: an Ethereum keystore (Web3 Secret Storage) sealed with the
    demo password, as a wallet app would export it. The portal's built-in wallet imports
    it; her Umbral keys are derived from its signature, as every patient's are."""
    return Path(container.settings.data_dir) / "demo-keys" / "patient-wallet.json"


def _demo_patient_wallet(container: Container) -> LocalAccount:
    path = demo_wallet_file(container)
    if path.exists():
        found: LocalAccount = Account.from_key(Account.decrypt(path.read_text(), DEMO_PASSWORD))
        return found
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    account: LocalAccount = Account.create()
    # scrypt at 2^16 (not the 2^18 default): a demo credential, opened in a browser in
    # about a third of a second.
    path.write_text(json.dumps(Account.encrypt(account.key, DEMO_PASSWORD,
                                               iterations=2**16)))
    path.chmod(0o600)
    return account


def _demo_patient_keys(container: Container, wallet: LocalAccount) -> KeyHolder:
    """The patient's Umbral keys, derived from her wallet (kept beside the others as a key
    file for `ohms client`); a data directory seeded before the wallet keeps its keys."""
    path = demo_key_file(container, "patient")
    if path.exists():
        return KeyHolder.load(path, DEMO_PASSWORD)
    holder = KeyHolder.from_wallet_private_key(wallet.key)
    holder.save(path, DEMO_PASSWORD)
    return holder


def _demo_keys(container: Container, party: str) -> KeyHolder:
    path = demo_key_file(container, party)
    if path.exists():
        return KeyHolder.load(path, DEMO_PASSWORD)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    holder = KeyHolder.generate()
    holder.save(path, DEMO_PASSWORD)
    return holder


def _demo_grant(session: Session, container: Container, patient: User, org: Organization, *,
                scope: str, patient_keys: KeyHolder, receiving: KeyHolder | None,
                wallet: LocalAccount | None) -> None:
    if session.scalar(select(Consent.id).where(
            Consent.patient_id == patient.id, Consent.grantee_org_id == org.id,
            Consent.scope == scope,
            Consent.status.in_([ConsentStatus.pending, ConsentStatus.active]))):
        return
    typed = consent.grant_typed_data_for(
        session, container, patient, grantee_ref=str(org.id), scope=scope,
        purpose="treatment", expires_at=datetime.now(UTC) + timedelta(days=365),
        data_from=None, data_to=None)
    kfrags = receiving and patient_keys.grant_kfrags(receiving.key_document()[
        "umbral_public_key"])
    # Signed by her wallet when it is linked (a custodial one signs in the service).
    signature = sign_typed_data(wallet.key, typed) \
        if wallet is not None and patient.wallet_address == wallet.address else None
    consent.submit_grant(session, container, patient, typed_data=typed, signature=signature,
                         kfrags=kfrags or None,
                         verifying_key=patient_keys.key_document()["verifying_key"]
                         if kfrags else None)


def _demo_resources(uhid: str) -> list[tuple[str, dict[str, Any]]]:
    subject = {"reference": f"Patient/{uhid}"}
    return [
        ("physician@hospital.demo", {
            "resourceType": "DocumentReference", "status": "current", "subject": subject,
            "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3",
                                 "display": "Progress note"}]},
            "description": "Follow-up visit: blood pressure controlled on current dose; "
                           "repeat HbA1c in three months.",
            "content": [{"attachment": {"contentType": "text/plain",
                                        "title": "Progress note"}}]}),
        ("physician@hospital.demo", {
            "resourceType": "Observation", "status": "final", "subject": subject,
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4",
                                 "display": "Hemoglobin A1c"}]},
            "valueQuantity": {"value": 6.4, "unit": "%"}}),
        (DEMO_PATIENT, {
            "resourceType": "AllergyIntolerance", "patient": {
                "identifier": {"system": UHID_SYSTEM, "value": uhid}},
            "code": {"text": "Penicillin"}, "criticality": "high"}),
    ]


def seed_demo_records(container: Container) -> None:
    """Demo records of the first demo patient: keys for the patient, the hospital and the
    lab; the hospital's treatment grant; a note and a lab result by the hospital physician;
    the lab result shared with the lab (a grant with kfrags). Idempotent; skipped while the
    chain is unreachable (the grants need it)."""
    from api.background import attach_background

    workers = attach_background(container)
    wallet = _demo_patient_wallet(container)
    patient_keys = _demo_patient_keys(container, wallet)
    hospital_keys, lab_keys = _demo_keys(container, "hospital"), _demo_keys(container, "lab")
    # Each grant takes the patient's next on-chain nonce: relay one before signing the next.
    radiology_keys = _demo_keys(container, "radiology")
    grants = [(HOSPITAL, "category:all", None, hospital_keys),
              (LAB, "category:lab", lab_keys, lab_keys),
              (RADIOLOGY, "category:imaging", None, radiology_keys)]
    for org_name, scope, receiving, org_keys in grants:
        with session_scope(container.sessions, SYSTEM) as session:
            patient = session.scalar(select(User).where(User.email == DEMO_PATIENT))
            org = session.scalar(select(Organization).where(Organization.name == org_name))
            if patient is None or org is None:
                return
            record_keys.publish_user_keys(session, patient.id, patient_keys.public_keys)
            record_keys.publish_organization_keys(session, org, org_keys.public_keys)
            if patient.wallet_address is None:
                patient.wallet_address = wallet.address  # her own wallet, not custodial
            try:
                _demo_grant(session, container, patient, org, scope=scope,
                            patient_keys=patient_keys, receiving=receiving, wallet=wallet)
            except Unavailable:
                return
        for _ in range(2):
            workers.run_all_once()
    with session_scope(container.sessions, SYSTEM) as session:
        patient = session.scalar(select(User).where(User.email == DEMO_PATIENT))
        assert patient is not None
        if session.scalar(select(Record.id).where(Record.patient_id == patient.id)):
            seed_demo_imaging(container)
            return
        for author_email, resource in _demo_resources(patient.uhid):
            author = session.scalar(select(User).where(User.email == author_email))
            assert author is not None
            valid, category = records.checked_resource(container, patient, resource)
            records.seal_and_store(session, container, author_id=author.id,
                                   author_org_id=author.organization_id, patient=patient,
                                   resource=valid, category=category)

    seed_demo_imaging(container)


def seed_demo_imaging(container: Container) -> None:
    """A chest CT of the demo patient (synthetic phantom slices), uploaded by the demo
    radiologist into the radiology centre's DICOM store, with the radiologist's report.
    Idempotent; skipped while the chain is unreachable."""
    from api.deps import Principal
    from api.imaging import service as imaging
    from api.imaging.models import ImagingStudy
    from api.roles.service import effective_permissions
    from pacs_bridge.synthetic import ct_study

    # Two transactions: on SQLite a consent check while a write is open would wait on it.
    with session_scope(container.sessions, SYSTEM) as session:
        patient = session.scalar(select(User).where(User.email == DEMO_PATIENT))
        radiologist = session.scalar(select(User).where(User.email == RADIOLOGIST))
        if patient is None or radiologist is None or session.scalar(
                select(ImagingStudy.id).where(ImagingStudy.patient_id == patient.id)):
            return
        roles = frozenset({Role.radiologist})
        principal = Principal(
            user_id=radiologist.id, uhid=radiologist.uhid, email=radiologist.email,
            organization_id=radiologist.organization_id, roles=roles,
            permissions=effective_permissions(session, radiologist.organization_id,
                                              list(roles)),
            session_id=uuid.uuid4())
        slices = ct_study(patient.uhid, 12, series=1, rows=256, columns=256, phantom=True,
                          patient_name="Patient^Priya", description="CT chest")
        try:
            study_id = imaging.upload_study(
                session, container, uploader=principal, patient=patient,
                files=[(f"slice-{n:02d}.dcm", io.BytesIO(data))
                       for n, data in enumerate(slices)]).study.id
        except Unavailable:
            return
    with session_scope(container.sessions, SYSTEM) as session:
        try:
            imaging.add_report(session, container, author=principal, study_id=study_id,
                               resource={
                                   "resourceType": "DiagnosticReport", "status": "final",
                                   "code": {"coding": [{"system": "http://loinc.org",
                                                        "code": "24627-2",
                                                        "display": "CT Chest"}]},
                                   "conclusion": "No acute cardiopulmonary findings."})
        except Unavailable:
            return


# --- demo schedules and an appointment ----------------------------------------------------

# (email, SNOMED CT specialty, its term, languages, fee in INR)
DEMO_PRACTICES: list[tuple[str, str, str, list[str], str]] = [
    ("physician@hospital.demo", "419192003", "Internal medicine", ["en", "hi"], "800.00"),
    ("physician@clinic.demo", "394814009", "General practice", ["en", "hi", "ta"], "500.00"),
]
DEMO_TIMEZONE = "Asia/Kolkata"
# Every day of the week, so the demo always has free slots whatever day it is shown on.
DEMO_HOURS = [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(7)]


def seed_demo_scheduling(container: Container) -> None:
    """Directory profiles and weekly hours (Asia/Kolkata, 15-minute slots, valid from the
    day of the first seed) of the demo physicians, and one confirmed appointment of the
    demo patient with the hospital physician two days ahead. Idempotent: each is made once."""
    from decimal import Decimal

    from api.deps import Principal
    from api.roles.service import effective_permissions
    from api.scheduling import service as scheduling
    from api.scheduling.models import (
        Appointment,
        AppointmentStatus,
        PractitionerProfile,
        Schedule,
    )

    with session_scope(container.sessions, SYSTEM) as session:
        for email, code, term, languages, fee in DEMO_PRACTICES:
            user = session.scalar(select(User).where(User.email == email))
            if user is None or user.organization_id is None:
                continue
            if session.get(PractitionerProfile, user.id) is None:
                session.add(PractitionerProfile(
                    user_id=user.id, organization_id=user.organization_id,
                    specialty_code=code, specialty=term, languages=languages,
                    fee_amount=Decimal(fee), fee_currency="INR"))
            if session.scalar(select(Schedule.id).where(
                    Schedule.practitioner_id == user.id)) is None:
                session.add(Schedule(
                    organization_id=user.organization_id, practitioner_id=user.id,
                    timezone=DEMO_TIMEZONE, slot_minutes=15, weekly_hours=DEMO_HOURS,
                    valid_from=datetime.now(UTC).date(), valid_to=None, created_by=user.id))
        session.flush()

        patient = session.scalar(select(User).where(User.email == DEMO_PATIENT))
        physician = session.scalar(select(User).where(User.email == DEMO_PRACTICES[0][0]))
        if patient is None or physician is None or session.scalar(
                select(Appointment.id).where(Appointment.patient_id == patient.id)):
            return
        after = datetime.now(UTC) + timedelta(days=2)
        free = scheduling.free_slots_of(
            session, scheduling.Bookable(practitioner_id=physician.id), start=after,
            end=after + timedelta(days=7), first=True)
        if not free:
            return
        roles = frozenset({Role.patient})
        principal = Principal(
            user_id=patient.id, uhid=patient.uhid, email=patient.email,
            organization_id=None, roles=roles,
            permissions=effective_permissions(session, None, list(roles)),
            session_id=uuid.uuid4())
        appointment = scheduling.book_appointment(
            session, container, principal=principal, practitioner_id=physician.id,
            resource_id=None, start=free[0].start, reason=None, patient_uhid=None)
        appointment.status = AppointmentStatus.booked.value


# --- demo pharmacy: a vendor's catalogue, a pharmacy's stock, a prescription -------------

PHARMACY = "Corner Pharmacy"
VENDOR = "MedSupply Drug Vendors"
PHARMACIST = "pharmacist@pharmacy.demo"
VENDOR_LOGIN = "vendor@vendor.demo"
PRESCRIBER = "physician@hospital.demo"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# RxNorm clinical drugs (RxCUI, name as RxNorm writes it; RxNav, rxnav.nlm.nih.gov). 308191
# and 861007 are also used by tests/api/pharmacy/factories.py. 313782 is the 325 mg
# acetaminophen tablet; the 500 mg tablet is 198440.
AMOXICILLIN = ("308191", "amoxicillin 500 MG Oral Capsule")
METFORMIN = ("861007", "metformin hydrochloride 500 MG Oral Tablet")
PARACETAMOL = ("198440", "acetaminophen 500 MG Oral Tablet")
# (product name, medication, strength, form, units per pack, price of a pack in INR)
DEMO_PRODUCTS: list[tuple[str, tuple[str, str], str, str, int, str]] = [
    ("Amoxicillin 500 mg capsules", AMOXICILLIN, "500 mg", "capsule", 100, "450.00"),
    ("Metformin 500 mg tablets", METFORMIN, "500 mg", "tablet", 100, "120.00"),
    ("Paracetamol 500 mg tablets", PARACETAMOL, "500 mg", "tablet", 100, "60.00"),
]
# (medication, lot number, days to expiry, units, the item's reorder point): two lots of
# amoxicillin and of metformin expiring apart (first expiry, first out), paracetamol just
# above its reorder point; metformin drops below its point once the prescription is filled.
DEMO_LOTS: list[tuple[tuple[str, str], str, int, int, int]] = [
    (AMOXICILLIN, "AMX-2401", 90, 40, 30),
    (AMOXICILLIN, "AMX-2507", 540, 100, 30),
    (METFORMIN, "MET-2403", 120, 30, 40),
    (METFORMIN, "MET-2511", 600, 60, 40),
    (PARACETAMOL, "PCM-2409", 365, 24, 20),
]
# The prescription: metformin for the demo patient (her HbA1c is 6.4%), 60 tablets, the
# first lot holding 30: filling it takes both lots and the item below its reorder point.
DEMO_PRESCRIPTION = (METFORMIN, "500 mg by mouth twice a day with meals", 60, 0)


def _staff_principal(session: Session, user: User) -> Principal:
    from api.deps import Principal
    from api.roles.service import effective_permissions

    roles = frozenset(Role(r) for r in user.role_names)
    return Principal(user_id=user.id, uhid=user.uhid, email=user.email,
                     organization_id=user.organization_id, roles=roles,
                     permissions=effective_permissions(session, user.organization_id,
                                                       list(roles)),
                     session_id=uuid.uuid4())


def seed_demo_pharmacy(container: Container) -> None:
    """MedSupply's catalogue, Corner Pharmacy's stock (lots expiring apart, reorder points)
    and one active prescription of the demo patient from the hospital physician to Corner
    Pharmacy, written through the service as her encrypted MedicationRequest record.
    Idempotent: each part is made once; the prescription is skipped while it cannot be
    written (no keys or grant yet, the chain unreachable)."""
    from decimal import Decimal

    from api.errors import DomainError
    from api.pharmacy import service as pharmacy
    from api.pharmacy.models import CatalogProduct, InventoryItem
    from api.prescriptions import service as prescriptions
    from api.prescriptions.models import Prescription

    with session_scope(container.sessions, SYSTEM) as session:
        vendor = session.scalar(select(User).where(User.email == VENDOR_LOGIN))
        pharmacist = session.scalar(select(User).where(User.email == PHARMACIST))
        if vendor is None or pharmacist is None:
            return
        if session.scalar(select(CatalogProduct.id).where(
                CatalogProduct.vendor_id == vendor.organization_id)) is None:
            seller = _staff_principal(session, vendor)
            for name, (code, display), strength, form, pack, price in DEMO_PRODUCTS:
                pharmacy.create_product(
                    session, principal=seller, name=name,
                    medication=pharmacy.Medication(RXNORM, code, display), strength=strength,
                    form=form, pack_size=pack, price=pharmacy.Price(Decimal(price), "INR"))
        if session.scalar(select(InventoryItem.id).where(
                InventoryItem.organization_id == pharmacist.organization_id)) is None:
            stocker = _staff_principal(session, pharmacist)
            today = datetime.now(UTC).date()
            for (code, display), lot, days, units, point in DEMO_LOTS:
                pharmacy.add_lot(
                    session, principal=stocker,
                    medication=pharmacy.Medication(RXNORM, code, display), lot_number=lot,
                    expiry=today + timedelta(days=days), quantity=units, reorder_point=point)
    # Refused (no keys or grant yet, the chain unreachable): the whole unit rolls back.
    try:
        with session_scope(container.sessions, SYSTEM) as session:
            patient = session.scalar(select(User).where(User.email == DEMO_PATIENT))
            physician = session.scalar(select(User).where(User.email == PRESCRIBER))
            store = session.scalar(select(Organization).where(Organization.name == PHARMACY))
            if patient is None or physician is None or store is None or session.scalar(
                    select(Prescription.id).where(Prescription.patient_id == patient.id)):
                return
            (code, display), dosage, quantity, refills = DEMO_PRESCRIPTION
            prescriptions.prescribe(
                session, container, principal=_staff_principal(session, physician),
                patient_uhid=patient.uhid, pharmacy_id=store.id,
                medication=prescriptions.Medication(RXNORM, code, display), dosage=dosage,
                quantity=quantity, refills=refills, allergy_override_reason=None)
    except DomainError:
        return


# --- demo billing: price lists, a coverage, invoices, a claim ------------------------------

INSURER = "SecureLife Insurance"
HOSPITAL_ADMIN = "orgadmin@hospital.demo"
HOSPITAL_DESK = "helpdesk@hospital.demo"
CONSULTATION = "https://ohms.health/fhir/CodeSystem/consultation"
LOINC = "http://loinc.org"
# The prices' first day: before any demo service, so every demo charge finds its price.
DEMO_PRICES_FROM = date(2025, 1, 1)
# (system, code, display, unit price in INR, tax rate, department): GST-like rates, 0 % for
# consultations, 5 % or 12 % for medicines, 18 % for diagnostics. The consultation codes are
# the practitioners' SNOMED CT specialties (api/billing/events.py consultation_code).
HOSPITAL_PRICES: list[tuple[str, str, str, str, str, str]] = [
    (CONSULTATION, "419192003", "Consultation \u2013 Internal medicine", "800.00", "0",
     "Internal medicine"),
    (CONSULTATION, "general", "Consultation \u2013 General practice", "500.00", "0",
     "General practice"),
    (LOINC, "4548-4", "Hemoglobin A1c", "450.00", "0.18", "Laboratory"),
    (LOINC, "58410-2", "Complete blood count", "350.00", "0.18", "Laboratory"),
    (LOINC, "57698-3", "Lipid panel", "600.00", "0.18", "Laboratory"),
    (LOINC, "2345-7", "Glucose, serum", "120.00", "0.18", "Laboratory"),
    (LOINC, "2160-0", "Creatinine, serum", "200.00", "0.18", "Laboratory"),
    (LOINC, "3016-3", "TSH", "400.00", "0.18", "Laboratory"),
    (LOINC, "36643-5", "Chest X-ray, 2 views", "900.00", "0.18", "Radiology"),
    (LOINC, "30799-1", "CT head without contrast", "3500.00", "0.18", "Radiology"),
    (RXNORM, METFORMIN[0], METFORMIN[1], "1.50", "0.12", "Pharmacy"),
    (RXNORM, AMOXICILLIN[0], AMOXICILLIN[1], "5.00", "0.12", "Pharmacy"),
    (RXNORM, PARACETAMOL[0], PARACETAMOL[1], "0.80", "0.05", "Pharmacy"),
]
PHARMACY_PRICES: list[tuple[str, str, str, str, str, str]] = [
    (RXNORM, METFORMIN[0], METFORMIN[1], "1.40", "0.12", "Pharmacy"),
    (RXNORM, AMOXICILLIN[0], AMOXICILLIN[1], "4.75", "0.12", "Pharmacy"),
    (RXNORM, PARACETAMOL[0], PARACETAMOL[1], "0.75", "0.05", "Pharmacy"),
]
# Priya's coverage at SecureLife: INR 100 co-pay per claim, then 20 % co-insurance.
DEMO_COVERAGE = ("SLI-2026-004512", "Family Health Silver", "100.00", "0.20")
# Her three visits' services at the hospital, each becoming one invoice: (what the desk does
# with it, [(kind, system, code, display, department, the record it documents)]). Paid in
# full by card; part paid in cash (a balance left); claimed from her insurer.
_VISITS: list[tuple[str, list[tuple[str, str, str, str, str, str | None]]]] = [
    ("paid", [("consultation", CONSULTATION, "419192003",
               "Consultation \u2013 Internal medicine", "Internal medicine", None)]),
    ("part-paid", [("lab_order", LOINC, "57698-3", "Lipid panel", "Laboratory", None),
                   ("lab_order", LOINC, "2345-7", "Glucose, serum", "Laboratory", None)]),
    ("claimed", [("consultation", CONSULTATION, "419192003",
                  "Consultation \u2013 Internal medicine", "Internal medicine",
                  "DocumentReference"),
                 ("lab_order", LOINC, "4548-4", "Hemoglobin A1c", "Laboratory", "Observation"),
                 ("lab_order", LOINC, "58410-2", "Complete blood count", "Laboratory", None)]),
]
DEMO_CASH_PAYMENT = "400.00"
_DEMO_EVENTS = uuid.UUID("6f1c9d52-3a0e-4c57-9d8e-0b7d3f1e2a41")


def _demo_event_id(visit: str, n: int) -> uuid.UUID:
    # The same source on every seed, so a second seed reports nothing new (UNIQUE kind, source).
    return uuid.uuid5(_DEMO_EVENTS, f"{visit}/{n}")


def _seed_price_list(session: Session, admin: User,
                     items: list[tuple[str, str, str, str, str, str]]) -> None:
    from decimal import Decimal

    from api.billing import prices
    from api.billing.models import PriceItem

    if admin.organization_id is None or session.scalar(select(PriceItem.id).where(
            PriceItem.organization_id == admin.organization_id).limit(1)) is not None:
        return
    principal = _staff_principal(session, admin)
    for system, code, display, amount, rate, department in items:
        prices.add_price(session, principal=principal,
                         code=prices.ServiceCode(system, code, display), amount=Decimal(amount),
                         currency="INR", tax_rate=Decimal(rate), valid_from=DEMO_PRICES_FROM,
                         department=department)


def seed_demo_billing(container: Container) -> None:
    """City General Hospital's and Corner Pharmacy's price lists; Priya's coverage at
    SecureLife Insurance; three invoices of hers at the hospital from billable events charged
    by the charging worker: one paid by card, one part paid in cash, one claimed from her
    insurer (in its queue). Through the services, as the desk would; idempotent: each step
    looks at what the previous seed left (events are reported under fixed source ids)."""
    from decimal import Decimal

    from api.billing import invoices
    from api.billing.charging import charge_pending
    from api.billing.events import Billable, report_billable
    from api.billing.models import BillableEventKind, Charge, Invoice, InvoiceStatus
    from api.insurance import service as insurance
    from api.insurance.models import Claim, Coverage
    from api.payments import service as payments
    from api.payments.models import PaymentMethod

    with session_scope(container.sessions, SYSTEM) as session:
        admin = session.scalar(select(User).where(User.email == HOSPITAL_ADMIN))
        pharmacist = session.scalar(select(User).where(User.email == PHARMACIST))
        if admin is not None:
            _seed_price_list(session, admin, HOSPITAL_PRICES)
        # Corner Pharmacy has no administrator in the demo: its list is entered in the
        # pharmacist's name (the service records who added a price; the route checks roles).
        if pharmacist is not None:
            _seed_price_list(session, pharmacist, PHARMACY_PRICES)

    with session_scope(container.sessions, SYSTEM) as session:
        patient = session.scalar(select(User).where(User.email == DEMO_PATIENT))
        insurer = session.scalar(select(Organization).where(Organization.name == INSURER))
        hospital = session.scalar(select(Organization).where(Organization.name == HOSPITAL))
        desk = session.scalar(select(User).where(User.email == HOSPITAL_DESK))
        if patient is None or insurer is None or hospital is None or desk is None:
            return
        coverage = session.scalar(select(Coverage).where(Coverage.patient_id == patient.id,
                                                         Coverage.insurer_id == insurer.id))
        if coverage is None:
            member, plan, copay, coinsurance = DEMO_COVERAGE
            today = datetime.now(UTC).date()
            coverage = insurance.record_coverage(
                session, principal=_staff_principal(session, patient),
                patient_uhid=patient.uhid, insurer_id=insurer.id, member_id=member, plan=plan,
                valid_from=date(today.year, 1, 1), valid_to=date(today.year + 1, 12, 31),
                copay=insurance.Price(Decimal(copay), "INR"), coinsurance=Decimal(coinsurance))
        coverage_id = coverage.id
        records_by_type = {r.resource_type: r.id for r in session.scalars(
            select(Record).where(Record.patient_id == patient.id))}
        patient_id, uhid, hospital_id = patient.id, patient.uhid, hospital.id
        desk_id = desk.id

    for visit, services in _VISITS:
        with session_scope(container.sessions, SYSTEM) as session:
            when = utcnow()
            for n, (kind, system, code, display, department, record) in enumerate(services):
                report_billable(session, Billable(
                    kind=BillableEventKind(kind), source_id=_demo_event_id(visit, n),
                    organization_id=hospital_id, patient_id=patient_id, code_system=system,
                    code=code, display=display, occurred_at=when, department=department,
                    record_id=records_by_type.get(record) if record else None,
                    patient_uhid=uhid))
            session.flush()
            charge_pending(session)
        with session_scope(container.sessions, SYSTEM) as session:
            invoice = session.scalar(select(Invoice).join(Charge, Charge.invoice_id == Invoice.id)
                                     .where(Charge.event_id.in_(_visit_event_ids(session, visit))))
            desk_user = session.get(User, desk_id)
            if invoice is None or desk_user is None:
                return  # unpriced: the price list was not seeded
            clerk = _staff_principal(session, desk_user)
            if invoice.status == InvoiceStatus.draft.value:
                invoice = invoices.issue_invoice(session, principal=clerk, invoice_id=invoice.id)
            invoice_id, status, balance = invoice.id, invoice.status, Decimal(invoice.balance)
        with session_scope(container.sessions, SYSTEM) as session:
            clerk = _staff_principal(session, session.get_one(User, desk_id))
            if visit == "paid" and status == InvoiceStatus.issued.value:
                payments.collect_payment(
                    session, principal=clerk, invoice_id=invoice_id,
                    idempotency_key=f"demo-{invoice_id}", method=PaymentMethod.card,
                    amount=balance, currency="INR", reference="Demo card payment")
            elif visit == "part-paid" and status == InvoiceStatus.issued.value:
                payments.collect_payment(
                    session, principal=clerk, invoice_id=invoice_id,
                    idempotency_key=f"demo-{invoice_id}", method=PaymentMethod.cash,
                    amount=Decimal(DEMO_CASH_PAYMENT), currency="INR", reference=None)
            elif visit == "claimed" and session.scalar(
                    select(Claim.id).where(Claim.invoice_id == invoice_id)) is None:
                insurance.submit_claim(session, principal=clerk, invoice_id=invoice_id,
                                       coverage_id=coverage_id)


def _visit_event_ids(session: Session, visit: str) -> list[uuid.UUID]:
    from api.billing.models import BillableEvent

    sources = [_demo_event_id(visit, n) for n in range(len(dict(_VISITS)[visit]))]
    return list(session.scalars(select(BillableEvent.id)
                                .where(BillableEvent.source_id.in_(sources))))

