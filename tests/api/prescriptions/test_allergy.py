"""The allergy check before a prescription is accepted: the table matches by ingredient and
drug class (pure tests); through the API, for a keystore-tier hospital the service reads the
patient's allergies the physician may read (their grant) and a match is 409
`.../allergy-warning` naming the allergy, unless an override reason is given, which is kept
in the encrypted record only. On both backends."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from api.prescriptions import allergy
from api.prescriptions.models import Prescription
from api.records.models import Record
from reencryption.client import KeyHolder
from tests.api.conftest import Ohms, User
from tests.api.consent.conftest import WalletPatient, run_workers
from tests.api.prescriptions.factories import (
    AMOXICILLIN,
    METFORMIN,
    Pharmacy,
    assert_problem,
    pharmacy,
    prescribe,
    row_text,
    rx_body,
)
from tests.api.records.conftest import keyed_patient, submit_grant

RXNORM = allergy.RXNORM
SNOMED = allergy.SNOMED_CT
IBUPROFEN = {"system": RXNORM, "code": "5640", "display": "ibuprofen"}
CEFALEXIN = {"system": RXNORM, "code": "309114", "display": "cephalexin 500 MG Oral Capsule"}


def allergy_to(text: str | None = None, codings: list[dict[str, str]] | None = None,
               patient: str = "X", **extra: Any) -> dict[str, Any]:
    code: dict[str, Any] = {}
    if text is not None:
        code["text"] = text
    if codings is not None:
        code["coding"] = codings
    return {"resourceType": "AllergyIntolerance", "patient": {"reference": f"Patient/{patient}"},
            "code": code, **extra}


def meds(m: dict[str, str]) -> allergy.Substances:
    return allergy.medication_substances(m["system"], m["code"], m["display"])


@pytest.mark.parametrize(("allergy_resource", "medication", "why"), [
    (allergy_to("Penicillin"), AMOXICILLIN, "class penicillins (ATC J01C)"),
    (allergy_to(codings=[{"system": SNOMED, "code": "764146007"}]), AMOXICILLIN,
     "class penicillins"),
    (allergy_to(codings=[{"system": RXNORM, "code": "723", "display": "amoxicillin"}]),
     AMOXICILLIN, "ingredient amoxicillin"),
    (allergy_to("Ampicillin rash"), AMOXICILLIN, "class penicillins"),
    (allergy_to("sulfa drugs"), {"system": RXNORM, "code": "10180",
                                 "display": "sulfamethoxazole"}, "class sulfonamides"),
    (allergy_to("NSAIDs"), IBUPROFEN, "class NSAIDs (ATC M01A)"),
    (allergy_to("Aspirin"), IBUPROFEN, "class NSAIDs"),
    (allergy_to("Codeine"), {"system": RXNORM, "code": "7804", "display": "oxycodone"},
     "class opioids (ATC N02A)"),
    (allergy_to("Cephalosporins"), CEFALEXIN, "class cephalosporins"),
])
def test_the_table_matches_by_ingredient_and_class(allergy_resource: dict[str, Any],
                                                   medication: dict[str, str],
                                                   why: str) -> None:
    found = allergy.match(meds(medication), allergy_resource)
    assert found is not None and why in found.reason


@pytest.mark.parametrize(("allergy_resource", "medication"), [
    (allergy_to("Penicillin"), METFORMIN),
    (allergy_to("Penicillin"), CEFALEXIN),   # classes are kept apart
    (allergy_to("Peanut"), AMOXICILLIN),
    (allergy_to("Penicillin", verificationStatus={"coding": [{"code": "refuted"}]}),
     AMOXICILLIN),
    (allergy_to("Penicillin", clinicalStatus={"coding": [{"code": "resolved"}]}), AMOXICILLIN),
    ({"resourceType": "Observation", "code": {"text": "Penicillin"}}, AMOXICILLIN),
])
def test_the_table_does_not_match_otherwise(allergy_resource: dict[str, Any],
                                            medication: dict[str, str]) -> None:
    assert allergy.match(meds(medication), allergy_resource) is None


@dataclass
class KeystoreHospital:
    org: str
    physician: User
    key: str


def keystore_hospital(ohms: Ohms) -> KeystoreHospital:
    org = ohms.create_org("hospital")
    admin = ohms.add_member(org, "org_admin")
    made = ohms.client.post(f"/api/v1/organizations/{org}/keys/custodial",
                            headers=admin.headers)
    assert made.status_code == 201, made.text
    return KeystoreHospital(org, ohms.add_member(org, "physician", by=admin),
                            made.json()["umbral_public_key"])


@dataclass
class AllergicPatient:
    patient: WalletPatient
    keys: KeyHolder
    hospital: KeystoreHospital
    pharmacy: Pharmacy
    allergy_record: str


def allergic_patient(ohms: Ohms) -> AllergicPatient:
    """A patient with a recorded penicillin allergy who granted a keystore-tier hospital
    treatment access to all their records (with key fragments for its key)."""
    patient, keys = keyed_patient(ohms)
    hospital = keystore_hospital(ohms)
    r = submit_grant(ohms, patient, hospital.org, scope="category:all",
                     kfrags=keys.grant_kfrags(hospital.key),
                     verifying_key=keys.key_document()["verifying_key"])
    assert r.status_code == 201, r.text
    run_workers(ohms)
    uhid = patient.user.uhid
    written = ohms.client.post(
        f"/api/v1/patients/{uhid}/records", headers=patient.user.headers,
        json=allergy_to(codings=[{"system": SNOMED, "code": "764146007",
                                  "display": "Penicillin"}], text="Penicillin", patient=uhid,
                        clinicalStatus={"coding": [{
                            "system": "http://terminology.hl7.org/CodeSystem/"
                                      "allergyintolerance-clinical",
                            "code": "active"}]}))
    assert written.status_code == 201, written.text
    return AllergicPatient(patient, keys, hospital, pharmacy(ohms), written.json()["id"])


def test_a_matching_allergy_is_a_warning_unless_overridden(ohms: Ohms) -> None:
    a = allergic_patient(ohms)
    uhid = a.patient.user.uhid
    body = rx_body(uhid, a.pharmacy.org)
    warned = prescribe(ohms, a.hospital.physician, body)
    assert_problem(warned, 409, "Penicillin")
    problem = warned.json()
    assert problem["type"].endswith("allergy-warning")
    assert a.allergy_record in problem["detail"] and "penicillins" in problem["detail"]
    assert ohms.client.get("/api/v1/prescriptions",
                           headers=a.hospital.physician.headers).json() == []

    # Another medication passes the check (the service read the allergy to know).
    ok = prescribe(ohms, a.hospital.physician, rx_body(uhid, a.pharmacy.org,
                                                       medication=METFORMIN))
    assert ok.status_code == 201, ok.text
    assert ok.json()["allergy_check"] == "passed"

    reason = f"Tolerated amoxicillin in 2024 under observation OVERRIDE{uuid.uuid4().hex}"
    over = prescribe(ohms, a.hospital.physician, {**body, "allergy_override_reason": reason})
    assert over.status_code == 201, over.text
    rx = over.json()
    assert rx["status"] == "active" and rx["allergy_check"] == "overridden"
    # The reason is kept in the encrypted record only: not in the row, not in the answer.
    assert reason not in over.text and reason not in row_text(ohms, rx["id"])
    record = ohms.client.get(f"/api/v1/records/{rx['request_record']}/resource",
                             headers=a.hospital.physician.headers)
    assert record.status_code == 200, record.text
    opened = record.json()
    assert opened["resourceType"] == "MedicationRequest"
    assert reason in json.dumps(opened["note"]) and "Penicillin" in json.dumps(opened["note"])
    with ohms.db() as s:
        row = s.get(Prescription, uuid.UUID(rx["id"]))
        assert row is not None and row.allergy_check == "overridden"
        stored = s.get(Record, uuid.UUID(rx["request_record"]))
        assert stored is not None and stored.resource_type == "MedicationRequest"


def test_a_prescriber_without_a_read_grant_is_not_warned_of_what_it_cannot_read(
        ohms: Ohms) -> None:
    """The check covers the allergies the prescriber may read: a keystore-tier hospital
    whose grant does not cover allergy records sees none; the check passes on what it
    could read (and its reads were refused and logged, as any read)."""
    a = allergic_patient(ohms)
    other = keystore_hospital(ohms)
    r = submit_grant(ohms, a.patient, other.org, scope="category:medication",
                     kfrags=a.keys.grant_kfrags(other.key),
                     verifying_key=a.keys.key_document()["verifying_key"])
    assert r.status_code == 201, r.text
    run_workers(ohms)
    ok = prescribe(ohms, other.physician, rx_body(a.patient.user.uhid, a.pharmacy.org))
    assert ok.status_code == 201, ok.text
    assert ok.json()["allergy_check"] == "passed"


def test_allergies_listed_but_not_openable_make_the_check_partial(ohms: Ohms) -> None:
    """A grant without key fragments lets the hospital list the allergy records but not open
    them: the prescription is accepted and says the check was partial."""
    a = allergic_patient(ohms)
    other = keystore_hospital(ohms)
    r = submit_grant(ohms, a.patient, other.org, scope="category:all")
    assert r.status_code == 201, r.text
    run_workers(ohms)
    ok = prescribe(ohms, other.physician, rx_body(a.patient.user.uhid, a.pharmacy.org))
    assert ok.status_code == 201, ok.text
    assert ok.json()["allergy_check"] == "partial"
