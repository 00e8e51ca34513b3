"""Umbral public keys of patients and organisations, and the check that a grant's key
fragments were issued by the patient for exactly that grantee."""

from __future__ import annotations

import base64
import binascii
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import Conflict, Invalid
from api.keys.models import UmbralKeys
from api.tenants.models import Organization
from reencryption import InvalidKeyMaterial, Keystore, KfragRejected, PublicKeys, verify_kfrags
from reencryption.keys import public_key_to_hex


def parse_public_keys(umbral_public_key: str, verifying_key: str) -> PublicKeys:
    try:
        return PublicKeys.from_hex(umbral_public_key, verifying_key)
    except InvalidKeyMaterial as exc:
        raise Invalid(str(exc)) from None


def keys_of_user(session: Session, user_id: uuid.UUID) -> UmbralKeys | None:
    return session.scalar(select(UmbralKeys).where(UmbralKeys.user_id == user_id))


def keys_of_organization(session: Session, organization_id: uuid.UUID) -> UmbralKeys | None:
    return session.scalar(select(UmbralKeys).where(
        UmbralKeys.organization_id == organization_id))


def patient_public_key(session: Session, patient_id: uuid.UUID) -> UmbralKeys:
    """The keys a patient's records are encrypted to; 409 until the patient publishes them."""
    keys = keys_of_user(session, patient_id)
    if keys is None:
        raise Conflict("the patient has not registered an Umbral public key "
                       "(PUT /api/v1/me/keys); records cannot be encrypted to them yet")
    return keys


def _store(row: UmbralKeys, keys: PublicKeys) -> UmbralKeys:
    row.umbral_public_key = public_key_to_hex(keys.encrypting)
    row.verifying_key = public_key_to_hex(keys.verifying)
    return row


def publish_user_keys(session: Session, user_id: uuid.UUID, keys: PublicKeys) -> UmbralKeys:
    """Register (or replace) a person's public keys. Records already written stay encrypted
    to the key they were written with (each record keeps its delegating key)."""
    row = keys_of_user(session, user_id) or UmbralKeys(user_id=user_id)
    session.add(_store(row, keys))
    session.flush()
    return row


def publish_organization_keys(session: Session, org: Organization,
                              keys: PublicKeys) -> UmbralKeys:
    row = keys_of_organization(session, org.id) or UmbralKeys(organization_id=org.id)
    session.add(_store(row, keys))
    # The directory shows the encryption key institutions are granted to.
    org.umbral_public_key = row.umbral_public_key
    session.flush()
    return row


def custodial_item(organization_id: uuid.UUID) -> str:
    """Keystore item of an organisation's server-held Umbral keys (the convenience tier)."""
    return f"org-umbral-{organization_id}"


def create_custodial_organization_keys(session: Session, keystore: Keystore,
                                       org: Organization) -> UmbralKeys:
    """The convenience tier: the service generates the institution's Umbral key pair and
    keeps the secret in the sealed keystore (under the KEK from settings, never in the
    database); its staff then read granted records decrypted by the service."""
    if keys_of_organization(session, org.id) is not None:
        raise Conflict("this organisation already has Umbral keys")
    _, public = keystore.generate_party_keys(custodial_item(org.id))
    return publish_organization_keys(session, org, public)


def verify_grant_kfrags(session: Session, *, patient_id: uuid.UUID,
                        grantee_user_id: uuid.UUID | None,
                        grantee_org_id: uuid.UUID | None, kfrags: list[str],
                        verifying_key: str | None) -> None:
    """Refuse kfrags that are malformed, forged, or made for another patient key, signing
    key or grantee: they must verify against the patient's registered keys and the
    grantee's published encryption key."""
    patient_keys = keys_of_user(session, patient_id)
    if patient_keys is None:
        raise Invalid("register your Umbral keys (PUT /api/v1/me/keys) before sending kfrags")
    if verifying_key is None or \
            verifying_key.lower().removeprefix("0x") != patient_keys.verifying_key:
        raise Invalid("verifying_key is not the verifying key you registered")
    if grantee_org_id is not None:
        grantee_keys = keys_of_organization(session, grantee_org_id)
    else:
        assert grantee_user_id is not None
        grantee_keys = keys_of_user(session, grantee_user_id)
    if grantee_keys is None:
        raise Invalid("the grantee has not published an Umbral public key to receive kfrags")
    try:
        raw = [base64.b64decode(k, validate=True) for k in kfrags]
    except (binascii.Error, ValueError):
        raise Invalid("kfrags must be base64") from None
    patient = parse_public_keys(patient_keys.umbral_public_key, patient_keys.verifying_key)
    grantee = parse_public_keys(grantee_keys.umbral_public_key, grantee_keys.verifying_key)
    try:
        verify_kfrags(raw, verifying_key=patient.verifying, delegating_key=patient.encrypting,
                      receiving_key=grantee.encrypting)
    except (KfragRejected, InvalidKeyMaterial):
        raise Invalid("the kfrags were not issued with your keys for this grantee") from None
