"""Encrypted clinical records: FHIR R4 resources encrypted to their patient, stored as blobs."""
