"""HTTP routes of the access log: search, inclusion proofs, batches; the dev chain's
read-only JSON-RPC for auditors verifying proofs against the embedded chain."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy import ColumnElement, or_, select, true

from api.audit import service
from api.audit.entries import entry_document
from api.audit.models import AccessLogEntry, AuditBatch
from api.audit.schemas import (
    AuditEntryOut,
    BatchOut,
    ChainInfo,
    EntryProof,
    PlatformAuditorCreate,
    PlatformAuditorOut,
)
from api.consent.catalog import PURPOSES
from api.deps import ContainerDep, Principal, SystemDB, public, require
from api.errors import Invalid, NotFound, problem_responses
from api.identity import service as identity
from api.paging import Page
from api.roles.catalog import Role
from chain import DevChain

router = APIRouter(tags=["audit"])


def _entry_out(e: AccessLogEntry) -> AuditEntryOut:
    return AuditEntryOut(id=e.id, accessor=e.accessor_uhid, accessor_org=e.accessor_org_id,
                         patient=e.patient_uhid, record=e.record, action=e.action,
                         purpose=e.purpose, outcome=e.outcome, basis=e.basis,
                         grant_id=e.grant_id, at=e.at, batch=e.batch)


def _visible_entries(principal: Principal) -> ColumnElement[bool]:
    """Which access-log entries the caller may read: a platform auditor all of them; an
    organisation's auditor the accesses made by its own staff; anyone the accesses to their
    own records."""
    if Role.platform_auditor in principal.roles:
        return true()
    own = AccessLogEntry.patient_id == principal.user_id
    if Role.auditor in principal.roles and principal.organization_id is not None:
        return or_(own, AccessLogEntry.accessor_org_id == principal.organization_id)
    return own


@router.get("/audit/entries")
def search_entries(
    principal: Annotated[Principal, Depends(require("audit:read"))], db: SystemDB,
    page: Page, patient: Annotated[str | None, Query(max_length=20)] = None,
    accessor: Annotated[str | None, Query(max_length=20)] = None,
    purpose: Annotated[str | None, Query(pattern=f"^({'|'.join(PURPOSES)})$")] = None,
    outcome: Annotated[str | None, Query(pattern="^(granted|denied)$")] = None,
    since: Annotated[AwareDatetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Before this time")] = None,
) -> list[AuditEntryOut]:
    """Accesses the caller may see (patients: to their records; auditors: by their
    organisation's staff; platform auditors: all), newest first. `patient` and `accessor`
    narrow to one UHID each (a UHID with nothing visible, known or not, gives an empty page);
    `purpose`, `outcome` and the time range [`since`, `until`) narrow further."""
    if since is not None and until is not None and since >= until:
        raise Invalid("`since` must be before `until`")
    query = select(AccessLogEntry).where(_visible_entries(principal))
    if patient is not None:
        query = query.where(AccessLogEntry.patient_uhid == patient)
    if accessor is not None:
        query = query.where(AccessLogEntry.accessor_uhid == accessor)
    if purpose is not None:
        query = query.where(AccessLogEntry.purpose == purpose)
    if outcome is not None:
        query = query.where(AccessLogEntry.outcome == outcome)
    if since is not None:
        query = query.where(AccessLogEntry.at >= since)
    if until is not None:
        query = query.where(AccessLogEntry.at < until)
    rows = db.scalars(query.order_by(AccessLogEntry.at.desc(), AccessLogEntry.id)
                      .limit(page.limit).offset(page.offset))
    return [_entry_out(e) for e in rows]


def _visible_entry(db: SystemDB, principal: Principal, entry_id: uuid.UUID) -> AccessLogEntry:
    entry = db.scalar(select(AccessLogEntry).where(AccessLogEntry.id == entry_id,
                                                   _visible_entries(principal)))
    if entry is None:
        raise NotFound("no such audit entry")
    return entry


@router.get("/audit/entries/{entry_id}/proof")
def entry_proof(
    entry_id: uuid.UUID, principal: Annotated[Principal, Depends(require("audit:read"))],
    db: SystemDB, container: ContainerDep,
) -> EntryProof:
    """The entry, its leaf and Merkle proof, and where its batch root is anchored: enough to
    check it against the chain alone (`ohms audit verify`)."""
    entry = _visible_entry(db, principal, entry_id)
    proof = service.inclusion_proof(db, entry)
    deployment = container.chain.deployment
    return EntryProof(entry=entry_document(entry), contract=deployment.audit_anchor,
                      chain_id=deployment.chain_id, **proof)


@router.get("/audit/entries/{entry_id}/fhir")
def entry_as_audit_event(
    entry_id: uuid.UUID, principal: Annotated[Principal, Depends(require("audit:read"))],
    db: SystemDB,
) -> dict[str, Any]:
    """The entry as a FHIR R4 AuditEvent resource."""
    return service.as_fhir_audit_event(_visible_entry(db, principal, entry_id))


@router.post("/audit/platform-auditors", status_code=status.HTTP_201_CREATED,
             responses=problem_responses(409))
def appoint_platform_auditor(
    body: PlatformAuditorCreate,
    principal: Annotated[Principal, Depends(require("platform_auditor:create"))],
    db: SystemDB, container: ContainerDep,
) -> PlatformAuditorOut:
    """A system administrator appoints an auditor of the whole platform's access log."""
    user = identity.create_platform_auditor(db, container, email=body.email,
                                            password=body.password, full_name=body.full_name)
    return PlatformAuditorOut(id=user.id, uhid=user.uhid, email=user.email,
                              full_name=user.full_name, roles=user.role_names,
                              organization_id=user.organization_id)


@router.get("/audit/batches")
def list_batches(
    principal: Annotated[Principal, Depends(require("audit:read"))], db: SystemDB,
    page: Page,
) -> list[BatchOut]:
    """Anchored batches of the access log, newest first."""
    rows = db.scalars(select(AuditBatch).order_by(AuditBatch.number.desc())
                      .limit(page.limit).offset(page.offset))
    return [BatchOut(number=b.number, root=b.root, size=b.size, created_at=b.created_at,
                     anchored_block=b.anchored_block) for b in rows]


READ_ONLY_RPC = DevChain.READ_METHODS
DEV_CHAIN_RPC_PATH = "/api/v1/chain/rpc"


@router.get("/chain", dependencies=[Depends(public)], responses=problem_responses(503))
def chain_info(container: ContainerDep) -> ChainInfo:
    """The chain the access log is anchored on, and the JSON-RPC URL a browser may read it
    from, so people can check entries against the chain without trusting this service."""
    deployment = container.chain.deployment
    rpc_url = container.settings.chain_public_rpc_url
    if rpc_url is None and container.chain.read_only_rpc is not None:
        rpc_url = DEV_CHAIN_RPC_PATH
    return ChainInfo(chain_id=deployment.chain_id, audit_anchor=deployment.audit_anchor,
                     consent_registry=deployment.consent_registry, rpc_url=rpc_url)


@router.post("/chain/rpc", dependencies=[Depends(public)],
             responses=problem_responses(404))
async def dev_chain_rpc(request: Request, container: ContainerDep) -> JSONResponse:
    """Read-only JSON-RPC of the embedded dev chain, so auditors can run `ohms audit verify`
    against it. A deployment on a real node answers 404: verify against that node."""
    rpc = container.chain.read_only_rpc
    if rpc is None:
        raise NotFound("this service uses an external chain node; query it directly")
    try:
        call: Any = await request.json()
        method, params, call_id = call["method"], call.get("params", []), call.get("id")
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"jsonrpc": "2.0", "id": None,
                             "error": {"code": -32600, "message": "invalid request"}})
    if method not in READ_ONLY_RPC or not isinstance(params, list):
        return JSONResponse({"jsonrpc": "2.0", "id": call_id,
                             "error": {"code": -32601, "message": "method not available"}})
    return JSONResponse(rpc(method, params, call_id))
