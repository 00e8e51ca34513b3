"""Orders: lab tests and imaging procedures (FHIR ServiceRequest) and their specimens."""
