"""FHIR R4 resources as records: validation (fhir.resources' R4B models), the category a
resource is filed under, and the check that it is about the patient it is written for.

A resource names its patient through `subject` or `patient` (top level). Either may be
absent (the record is filed under the patient of the URL); when present it must denote
that patient, as the literal reference `Patient/<UHID>` or as a logical reference whose
identifier has the system `UHID_SYSTEM` and the UHID as value. A `Patient` resource whose
identifiers carry a UHID must carry this patient's. Anything else is refused.
"""

from __future__ import annotations

from typing import Any

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from api.errors import Invalid
from api.identity.uhid import InvalidUHID, normalize_uhid

UHID_SYSTEM = "https://ohms.dev/fhir/sid/uhid"

# Resource types that are containers of other resources: write those one at a time.
_REFUSED_TYPES = frozenset({"Bundle", "Parameters"})

_BY_TYPE = {
    "Encounter": "encounter",
    "EpisodeOfCare": "encounter",
    "Condition": "condition",
    "AllergyIntolerance": "allergy",
    "Immunization": "immunization",
    "ImmunizationRecommendation": "immunization",
    "Procedure": "procedure",
    "ImagingStudy": "imaging",
    "Media": "imaging",
    "MedicationRequest": "medication",
    "MedicationStatement": "medication",
    "MedicationAdministration": "medication",
    "MedicationDispense": "medication",
    "Specimen": "lab",
}
_OBSERVATION_CATEGORIES = {"laboratory": "lab", "vital-signs": "vital_signs",
                           "imaging": "imaging"}
# HL7 v2 table 0074 diagnostic service sections (and the LOINC class codes Synthea uses).
_LAB_SECTIONS = frozenset({"LAB", "laboratory", "HM", "CH", "MB", "SP", "PAT", "BLB",
                           "CP", "HLA", "IMM", "SR", "TX", "VR", "MYC", "MCB", "CUS",
                           "LP7839-6"})
_IMAGING_SECTIONS = frozenset({"RAD", "RX", "CT", "MR", "NMR", "NMS", "RUS", "US", "VUS",
                               "OUS", "XRC", "CTH", "CUS-imaging", "LP29684-5"})


def _codes(resource: dict[str, Any], field: str) -> set[str]:
    value = resource.get(field)
    concepts = value if isinstance(value, list) else [value]
    codes: set[str] = set()
    for concept in concepts:
        if isinstance(concept, dict):
            for coding in concept.get("coding") or []:
                if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                    codes.add(coding["code"])
    return codes


def category_of(resource: dict[str, Any]) -> str:
    """The consent category a resource is filed under (a grant names categories).

    Observations go by their FHIR category (laboratory, vital-signs, imaging), diagnostic
    reports by their service section (laboratory or imaging); whatever has no clinical
    category of its own (notes, documents, compositions, demographics, observations such as
    social history) is a `document`.
    """
    kind = str(resource["resourceType"])
    if kind == "Observation":
        for code in sorted(_codes(resource, "category")):
            if code in _OBSERVATION_CATEGORIES:
                return _OBSERVATION_CATEGORIES[code]
        return "document"
    if kind == "DiagnosticReport":
        codes = _codes(resource, "category")
        if codes & _LAB_SECTIONS:
            return "lab"
        if codes & _IMAGING_SECTIONS:
            return "imaging"
        return "document"
    return _BY_TYPE.get(kind, "document")


def validate_resource(body: object) -> dict[str, Any]:
    """The resource, validated as FHIR R4; Invalid naming only where and why (never values:
    the payload is clinical)."""
    if not isinstance(body, dict):
        raise Invalid("the body must be one FHIR resource (a JSON object)")
    kind = body.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise Invalid("the resource has no resourceType")
    if kind in _REFUSED_TYPES:
        raise Invalid(f"{kind} is not a record: write its resources one at a time")
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError):
        raise Invalid("resourceType is not a FHIR R4 resource type") from None
    try:
        model.model_validate(body)
    except pydantic.ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(resource)'}: {err['type']}"
            for err in exc.errors(include_input=False, include_url=False)[:10])
        raise Invalid(f"not a valid FHIR R4 {kind}: {where}") from None
    return body


def _reference_uhid(reference: object) -> str | None:
    """The UHID a Reference denotes, or None when it denotes no patient by UHID."""
    if not isinstance(reference, dict):
        return None
    literal = reference.get("reference")
    if isinstance(literal, str):
        kind, _, ident = literal.partition("/")
        if kind != "Patient":
            return None
        try:
            return normalize_uhid(ident)
        except InvalidUHID:
            return None
    identifier = reference.get("identifier")
    if isinstance(identifier, dict) and identifier.get("system") == UHID_SYSTEM:
        try:
            return normalize_uhid(str(identifier.get("value", "")))
        except InvalidUHID:
            return None
    return None


def check_subject(resource: dict[str, Any], patient_uhid: str) -> None:
    """Refuse a resource that names another patient (or names its patient in a way that
    cannot be checked)."""
    if resource["resourceType"] == "Patient":
        for identifier in resource.get("identifier") or []:
            if isinstance(identifier, dict) and identifier.get("system") == UHID_SYSTEM \
                    and _reference_uhid({"identifier": identifier}) != patient_uhid:
                raise Invalid("the resource is about another patient")
        return
    for field in ("subject", "patient"):
        if field in resource and _reference_uhid(resource[field]) != patient_uhid:
            raise Invalid(f"the resource's {field} is not this patient: use "
                          f"Patient/<UHID> or an identifier of system {UHID_SYSTEM}")
