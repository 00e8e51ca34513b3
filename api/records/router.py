"""HTTP routes of records and of the Umbral public keys records are encrypted and shared to."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime
from sqlalchemy.orm import Session

from api.consent.catalog import canonical_purpose
from api.deps import ContainerDep, Principal, SystemDB, TenantDB, authenticated, require
from api.errors import Forbidden, NotFound, problem_responses
from api.keys.models import UmbralKeys
from api.keys.service import (
    create_custodial_organization_keys,
    keys_of_user,
    parse_public_keys,
    publish_organization_keys,
    publish_user_keys,
)
from api.paging import Page
from api.records import service
from api.records.http import (
    FHIR_JSON,
    FHIR_REQUEST_BODY,
    RESOURCE_SCHEMA,
    FhirResource,
    record_written,
)
from api.records.schemas import (
    PublicKeysIn,
    PublicKeysOut,
    RecordMetadata,
    RecordWritten,
    SealedRecordOut,
)
from api.roles.catalog import Role
from api.tenants.models import Organization

router = APIRouter(tags=["records"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 422, 503)
READ_ERRORS = problem_responses(401, 403, 404, 409, 502, 503)
Purpose = Literal["treatment", "claim", "payment", "research", "emergency"]
def _administered_organization(db: Session, principal: Principal,
                               organization_id: uuid.UUID) -> Organization:
    """The caller's own organisation (404 for any other), if the caller administers it."""
    org = db.get(Organization, organization_id)
    if org is None or (not principal.is_system_admin
                       and principal.organization_id != organization_id):
        raise NotFound("no such organisation")
    if not principal.is_system_admin and Role.org_admin not in principal.roles:
        raise Forbidden("only the organisation's administrators manage its keys")
    return org


def _keys_out(row: UmbralKeys) -> PublicKeysOut:
    return PublicKeysOut(umbral_public_key=row.umbral_public_key,
                         verifying_key=row.verifying_key)


@router.put("/me/keys", responses=problem_responses(401, 422))
def publish_my_keys(
    body: PublicKeysIn, principal: Annotated[Principal, Depends(authenticated)], db: SystemDB,
) -> PublicKeysOut:
    """Publish your Umbral public key (records are encrypted to it) and verifying key (your
    grants' kfrags are checked against it). Secret keys stay with you."""
    keys = parse_public_keys(body.umbral_public_key, body.verifying_key)
    return _keys_out(publish_user_keys(db, principal.user_id, keys))


@router.get("/me/keys", responses=problem_responses(401, 404))
def my_keys(principal: Annotated[Principal, Depends(authenticated)],
            db: SystemDB) -> PublicKeysOut:
    row = keys_of_user(db, principal.user_id)
    if row is None:
        raise NotFound("you have not published Umbral keys")
    return _keys_out(row)


@router.put("/organizations/{organization_id}/keys",
            responses=problem_responses(401, 403, 404, 422))
def publish_organization_keys_route(
    organization_id: uuid.UUID, body: PublicKeysIn,
    principal: Annotated[Principal, Depends(require("organization:update"))], db: TenantDB,
) -> PublicKeysOut:
    """The institution's Umbral public keys (kept by the institution), shown in the
    directory so patients can issue kfrags to it."""
    org = _administered_organization(db, principal, organization_id)
    keys = parse_public_keys(body.umbral_public_key, body.verifying_key)
    return _keys_out(publish_organization_keys(db, org, keys))


@router.post("/organizations/{organization_id}/keys/custodial",
             status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
def create_custodial_organization_keys_route(
    organization_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("organization:update"))], db: TenantDB,
    container: ContainerDep,
) -> PublicKeysOut:
    """Convenience tier: the service makes and keeps the institution's Umbral keys in its
    sealed keystore; granted records are then served decrypted to its staff
    (GET /records/{id}/resource). Institutions that hold their own keys use PUT .../keys."""
    org = _administered_organization(db, principal, organization_id)
    return _keys_out(create_custodial_organization_keys(db, container.keystore, org))


@router.post("/patients/{uhid}/records", status_code=status.HTTP_201_CREATED,
             responses=WRITE_ERRORS, openapi_extra=FHIR_REQUEST_BODY)
def write_record(
    uhid: str, principal: Annotated[Principal, Depends(require("record:write"))],
    resource: FhirResource, db: SystemDB, container: ContainerDep,
) -> RecordWritten:
    """Write a record: validated as FHIR R4, encrypted to the patient's public key, the
    ciphertext stored as a blob. By the patient, a clinician whose organisation holds the
    patient's treatment grant for the record's category, or a clinician of an organisation
    with an encounter with the patient, open or finished less than
    OHMS_ENCOUNTER_WRITE_WINDOW_MINUTES ago (basis `encounter`; reading needs a grant)."""
    patient = service.patient_by_uhid(db, uhid)
    return record_written(service.write_record(db, container, author=principal, patient=patient,
                                         resource=resource))


@router.put("/records/{record_id}", status_code=status.HTTP_201_CREATED,
            responses=WRITE_ERRORS, openapi_extra=FHIR_REQUEST_BODY)
def update_record(
    record_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:write"))],
    resource: FhirResource, db: SystemDB, container: ContainerDep,
) -> RecordWritten:
    """A new version of a record, linked to this one (which is kept as it was)."""
    return record_written(service.new_version(db, container, author=principal, record_id=record_id,
                                        resource=resource))


@router.get("/patients/{uhid}/records", responses=READ_ERRORS)
def list_records(
    uhid: str, principal: Annotated[Principal, Depends(require("record:read"))], db: SystemDB,
    container: ContainerDep,
    category: Annotated[str | None, Query(max_length=16)] = None,
    type: Annotated[str | None, Query(max_length=64, description="FHIR resourceType")] = None,
    purpose: Purpose = "treatment",
    author: Annotated[str | None, Query(max_length=20, description="Author's UHID")] = None,
    since: Annotated[AwareDatetime | None, Query(description="Written at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Written before")] = None,
    *, page: Page,
) -> list[RecordMetadata]:
    """Metadata of the newest version of each record the caller may read (the patient: all;
    others: what their active grants cover), by category, FHIR type, author and date,
    newest first, one page at a time. Logged as a search."""
    patient = service.patient_by_uhid(db, uhid)
    listed = service.list_records(db, container, reader=principal, patient=patient,
                                  category=category, resource_type=type,
                                  purpose=canonical_purpose(purpose),
                                  author_uhid=author, since=since, until=until,
                                  limit=page.limit, offset=page.offset)
    return [RecordMetadata(
        id=r.record.id, patient_uhid=r.patient_uhid, cid=r.record.cid,
        category=r.record.category, resource_type=r.record.resource_type,
        version=r.record.version, previous_id=r.record.previous_id,
        lineage_id=r.record.lineage_id, author_uhid=r.author_uhid,
        author_org_id=r.record.author_org_id, size=r.record.size,
        ciphertext_sha256=r.record.ciphertext_sha256, created_at=r.record.created_at,
    ) for r in listed]


@router.get("/records/{record_id}/resource", response_class=Response,
            responses={**READ_ERRORS, 200: {
                "description": "The FHIR resource, exactly as written",
                "content": {FHIR_JSON: {"schema": RESOURCE_SCHEMA}}}})
def read_record_resource(
    record_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep, purpose: Purpose = "treatment",
) -> Response:
    """The FHIR resource itself, for staff of an organisation on the keystore tier (the same
    consent check and access-log entry as /records/{id}). 409 for those holding their keys."""
    plaintext = service.read_record_for_custodial_grantee(
        db, container, reader=principal, record_id=record_id,
        purpose=canonical_purpose(purpose))
    return Response(plaintext, media_type=FHIR_JSON, headers={"Cache-Control": "no-store"})


@router.get("/records/{record_id}", responses=READ_ERRORS, response_model_exclude_none=True)
def read_record(
    record_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep, purpose: Purpose = "treatment",
) -> SealedRecordOut:
    """Ciphertext and capsule to decrypt on your side; for a grantee also the capsule
    fragments re-encrypted with the grant's kfrags. Every attempt is logged."""
    sealed = service.read_record(db, container, reader=principal, record_id=record_id,
                                 purpose=canonical_purpose(purpose))
    return SealedRecordOut(**sealed.to_document())
