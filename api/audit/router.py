"""HTTP routes of the access log: search, inclusion proofs, batches; the dev chain's
read-only JSON-RPC for auditors verifying proofs against the embedded chain."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from api.access.catalog import Role
from api.audit import service
from api.audit.models import AccessLogEntry, AuditBatch
from api.audit.schemas import AuditEntryOut, BatchOut, EntryProof
from api.deps import ContainerDep, Principal, SystemDB, public, require
from api.errors import NotFound, problem_responses
from api.identity import service as identity
from chain import DevChain

router = APIRouter(tags=["audit"])


def _entry_out(e: AccessLogEntry) -> AuditEntryOut:
    return AuditEntryOut(id=e.id, accessor=e.accessor_uhid, accessor_org=e.accessor_org_id,
                         patient=e.patient_uhid, record=e.record, action=e.action,
                         purpose=e.purpose, outcome=e.outcome, basis=e.basis,
                         grant_id=e.grant_id, at=e.at, batch=e.batch)


def _is_auditor(principal: Principal) -> bool:
    return bool(principal.roles & {Role.auditor, Role.system_admin})


@router.get("/audit/entries")
def search_entries(
    principal: Annotated[Principal, Depends(require("audit:read"))], db: SystemDB,
    patient: Annotated[str | None, Query(max_length=20)] = None,
    outcome: Annotated[str | None, Query(pattern="^(granted|denied)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditEntryOut]:
    """Patients: who accessed their records. Auditors: any patient's, or all."""
    query = select(AccessLogEntry)
    if not _is_auditor(principal):
        query = query.where(AccessLogEntry.patient_id == principal.user_id)
        if patient is not None and identity.get_by_uhid(db, patient).id != principal.user_id:
            raise NotFound("no access history for this UHID")
    elif patient is not None:
        query = query.where(AccessLogEntry.patient_id == identity.get_by_uhid(db, patient).id)
    if outcome is not None:
        query = query.where(AccessLogEntry.outcome == outcome)
    rows = db.scalars(query.order_by(AccessLogEntry.at.desc(), AccessLogEntry.id)
                      .limit(limit).offset(offset))
    return [_entry_out(e) for e in rows]


@router.get("/audit/entries/{entry_id}/proof")
def entry_proof(
    entry_id: uuid.UUID, principal: Annotated[Principal, Depends(require("audit:read"))],
    db: SystemDB, container: ContainerDep,
) -> EntryProof:
    """The entry, its leaf and Merkle proof, and where its batch root is anchored."""
    entry = db.get(AccessLogEntry, entry_id)
    if entry is None or (not _is_auditor(principal) and entry.patient_id != principal.user_id):
        raise NotFound("no such audit entry")
    proof = service.inclusion_proof(db, entry)
    deployment = container.chain.deployment
    return EntryProof(entry=service.entry_document(entry), contract=deployment.audit_anchor,
                      chain_id=deployment.chain_id, **proof)


@router.get("/audit/entries/{entry_id}/fhir")
def entry_as_audit_event(
    entry_id: uuid.UUID, principal: Annotated[Principal, Depends(require("audit:read"))],
    db: SystemDB,
) -> dict[str, Any]:
    """The entry as a FHIR R4 AuditEvent resource."""
    entry = db.get(AccessLogEntry, entry_id)
    if entry is None or (not _is_auditor(principal) and entry.patient_id != principal.user_id):
        raise NotFound("no such audit entry")
    return service.as_fhir_audit_event(entry)


@router.get("/audit/batches")
def list_batches(
    principal: Annotated[Principal, Depends(require("audit:read"))], db: SystemDB,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[BatchOut]:
    rows = db.scalars(select(AuditBatch).order_by(AuditBatch.number.desc()).limit(limit))
    return [BatchOut(number=b.number, root=b.root, size=b.size, created_at=b.created_at,
                     anchored_block=b.anchored_block) for b in rows]


READ_ONLY_RPC = DevChain.READ_METHODS


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
