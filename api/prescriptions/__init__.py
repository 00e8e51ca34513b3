"""E-prescriptions (FHIR MedicationRequest) with an allergy check, and pharmacy dispensing."""
