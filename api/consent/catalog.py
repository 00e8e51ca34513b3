"""Record categories a grant can cover and the purposes of use, as the API names them."""

from __future__ import annotations

from chain import Purpose

# FHIR resources are filed under one of these; `all` covers every record of the patient.
RECORD_CATEGORIES = frozenset({
    "encounter", "condition", "allergy", "medication", "lab", "imaging", "immunization",
    "procedure", "vital_signs", "document", "all",
})

PURPOSES: dict[str, Purpose] = {
    "treatment": Purpose.TREATMENT,
    "payment": Purpose.CLAIM,  # FHIR's and ABDM's name; listed first so CLAIM answers "claim"
    "claim": Purpose.CLAIM,
    "research": Purpose.RESEARCH,
    "emergency": Purpose.EMERGENCY,
}
PURPOSE_NAMES = {v: k for k, v in PURPOSES.items()}


def canonical_purpose(name: str) -> str:
    """The name a purpose is stored and logged under ("payment" is kept as "claim")."""
    return PURPOSE_NAMES[PURPOSES[name]]
