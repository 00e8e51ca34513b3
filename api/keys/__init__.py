"""Umbral public keys of patients, people and organisations: what records are encrypted and
re-encrypted to, and what key fragments are checked against."""
