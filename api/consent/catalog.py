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
    "claim": Purpose.CLAIM,
    "research": Purpose.RESEARCH,
    "emergency": Purpose.EMERGENCY,
}
PURPOSE_NAMES = {v: k for k, v in PURPOSES.items()}
