"""HTTP routes of consent: typed data to sign, signed grants and revocations, break-glass."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.orm import Session

from api.consent import service
from api.consent.models import Consent
from api.consent.schemas import (
    AccessCheckOut,
    AccessCheckRequest,
    BreakGlassOut,
    BreakGlassRequest,
    ConsentOut,
    ConsentSubmission,
    CustodialWallet,
    GranteeOut,
    GrantRequest,
    RevocationSubmission,
    TypedData,
)
from api.deps import ContainerDep, Principal, SystemDB, authenticated, require
from api.errors import Forbidden, NotFound, problem_responses
from api.identity import service as identity
from api.identity.models import User
from api.paging import Page
from api.roles.catalog import Role
from api.tenants.models import Organization

router = APIRouter(tags=["consent"])
CHAIN_ERRORS = problem_responses(409, 503)


def _patient(db: Session, principal: Principal) -> User:
    if Role.patient not in principal.roles:
        raise Forbidden("only patients grant access to their records")
    user = db.get(User, principal.user_id)
    assert user is not None
    return user


def consent_out(db: Session, consent: Consent) -> ConsentOut:
    service.refresh_expiry(consent)
    patient = db.get(User, consent.patient_id)
    assert patient is not None
    if consent.grantee_org_id is not None:
        org = db.get(Organization, consent.grantee_org_id)
        assert org is not None
        grantee = GranteeOut(kind="organization", id=org.id, name=org.name,
                             address=consent.grantee_address)
    else:
        assert consent.grantee_user_id is not None
        person = db.get(User, consent.grantee_user_id)
        assert person is not None
        grantee = GranteeOut(kind="person", id=person.id, name=person.full_name,
                             address=consent.grantee_address)
    return ConsentOut(
        id=consent.id, status=consent.status.value, status_detail=consent.status_detail,
        patient_uhid=patient.uhid, grantee=grantee, scope=consent.scope,
        purpose=consent.purpose, expires_at=consent.expires_at, data_from=consent.data_from,
        data_to=consent.data_to, grant_id=consent.grant_id,
        signed_by_custodial_key=consent.signed_by_custodial_key,
        has_kfrags=consent.kfrags_sealed is not None, created_at=consent.created_at,
        revoked_at=consent.revoked_at,
    )


@router.post("/me/custodial-wallet", status_code=status.HTTP_201_CREATED,
             responses=problem_responses(409))
def create_custodial_wallet(
    principal: Annotated[Principal, Depends(authenticated)], db: SystemDB,
    container: ContainerDep,
) -> CustodialWallet:
    """For people without a wallet: the service holds an Ethereum key for you in its sealed
    keystore and signs your consents when you ask it to (marked as custodial)."""
    user = db.get(User, principal.user_id)
    assert user is not None
    return CustodialWallet(address=service.create_custodial_wallet(db, container, user))


@router.post("/consents/typed-data", responses=CHAIN_ERRORS)
def grant_typed_data(
    body: GrantRequest, principal: Annotated[Principal, Depends(require("consent:grant"))],
    db: SystemDB, container: ContainerDep,
) -> TypedData:
    """The EIP-712 grant to sign (nonce, chain id, contract and deadline filled in)."""
    data = service.grant_typed_data_for(
        db, container, _patient(db, principal), grantee_ref=body.grantee, scope=body.scope,
        purpose=body.purpose, expires_at=body.expires_at, data_from=body.data_from,
        data_to=body.data_to)
    return TypedData(**data)


@router.post("/consents", status_code=status.HTTP_201_CREATED,
             responses={**CHAIN_ERRORS, 202: {"model": ConsentOut,
                                              "description": "Queued while the chain is down"}})
def submit_consent(
    body: ConsentSubmission, response: Response,
    principal: Annotated[Principal, Depends(require("consent:grant"))], db: SystemDB,
    container: ContainerDep,
) -> ConsentOut:
    """Relay a signed grant. `pending` until the chain confirms it, then `active`."""
    submitted = service.submit_grant(
        db, container, _patient(db, principal), typed_data=body.typed_data.model_dump(),
        signature=body.signature, kfrags=body.kfrags, verifying_key=body.verifying_key)
    if submitted.queued_offline:
        response.status_code = status.HTTP_202_ACCEPTED
    return consent_out(db, submitted.consent)


@router.get("/consents")
def list_consents(
    principal: Annotated[Principal, Depends(require("consent:read"))], db: SystemDB,
    page: Page,
) -> list[ConsentOut]:
    """Patients: the consents they gave. Staff: those their organisation or they received.
    Newest first, one page."""
    if Role.patient in principal.roles:
        consents = service.consents_of_patient(db, principal.user_id, page=page)
    else:
        consents = service.consents_received(db, principal, page=page)
    return [consent_out(db, c) for c in consents]


@router.get("/consents/{consent_id}")
def get_consent(
    consent_id: uuid.UUID, principal: Annotated[Principal, Depends(require("consent:read"))],
    db: SystemDB,
) -> ConsentOut:
    return consent_out(db, service.visible_consent(db, principal, consent_id))


@router.post("/consents/{consent_id}/revocation/typed-data", responses=CHAIN_ERRORS)
def revocation_typed_data(
    consent_id: uuid.UUID, principal: Annotated[Principal, Depends(require("consent:grant"))],
    db: SystemDB, container: ContainerDep,
) -> TypedData:
    patient = _patient(db, principal)
    consent = service.visible_consent(db, principal, consent_id)
    if consent.patient_id != patient.id:
        raise Forbidden("only the patient revokes a consent")
    return TypedData(**service.revocation_typed_data_for(db, container, patient, consent))


@router.post("/consents/{consent_id}/revocation", responses=CHAIN_ERRORS)
def revoke(
    consent_id: uuid.UUID, body: RevocationSubmission,
    principal: Annotated[Principal, Depends(require("consent:grant"))], db: SystemDB,
    container: ContainerDep,
) -> ConsentOut:
    """Revoke: refused from now on, key fragments destroyed; the chain records it."""
    patient = _patient(db, principal)
    consent = service.visible_consent(db, principal, consent_id)
    if consent.patient_id != patient.id:
        raise Forbidden("only the patient revokes a consent")
    typed: dict[str, Any] | None = body.typed_data.model_dump() if body.typed_data else None
    service.submit_revocation(db, container, patient, consent, typed_data=typed,
                              signature=body.signature)
    return consent_out(db, consent)


@router.post("/break-glass", status_code=status.HTTP_201_CREATED,
             responses=problem_responses(503))
def break_glass(
    body: BreakGlassRequest, principal: Annotated[Principal, Depends(require("breakglass:use"))],
    db: SystemDB, container: ContainerDep,
) -> BreakGlassOut:
    """Emergency access without consent: reason required, flagged on chain, patient told."""
    patient = identity.get_by_uhid(db, body.patient)
    if Role.patient.value not in patient.role_names:
        raise NotFound("no patient has this UHID")
    access = service.break_glass(db, container, accessor=principal, patient=patient,
                                 scope=body.scope, reason=body.reason)
    db.commit()
    container.access_gate(db).log_break_glass(access, accessor=principal, patient=patient)
    return BreakGlassOut(id=access.id, patient_uhid=patient.uhid, scope=access.scope,
                         expires_at=access.expires_at)


@router.post("/access/check", responses=problem_responses(503))
def check_access(
    body: AccessCheckRequest, principal: Annotated[Principal, Depends(require("access:check"))],
    db: SystemDB, container: ContainerDep,
) -> AccessCheckOut:
    """Would a read of this scope of the patient's records be allowed now? The answer comes
    from the on-chain grants (mirror brought up to the latest block) and is logged."""
    patient = identity.get_by_uhid(db, body.patient)
    scope = service.validate_scope(body.scope)
    checked = container.access_gate(db).check(accessor=principal, patient=patient,
                                               scope=scope, purpose=body.purpose)
    decision = checked.decision
    return AccessCheckOut(authorized=decision.granted, basis=decision.basis,
                          grant_id=decision.grant_id, audit_entry=checked.entry_id)
