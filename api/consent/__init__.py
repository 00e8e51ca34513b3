"""Consent: patients' on-chain grants to institutions and people, and break-glass access."""
