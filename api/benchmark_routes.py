"""Routes that exist only for the benchmarks (OHMS_BENCHMARK_ROUTES=true, off by default):
`scripts/bench_exchange.py`'s baseline of a grantee read (the same authentication, database
session and blob fetch of an unencrypted blob, with no consent, access log or cryptography),
`scripts/bench_clinic.py`'s baseline of a free-slot search (the same rows read, no slots
computed), and `scripts/bench_pharmacy.py`'s baseline of the pharmacy queue (the same page of
prescriptions by a plain indexed select, no lot suggestion or serialisation of the rows)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from api.deps import ContainerDep, Principal, SystemDB, require
from api.errors import Invalid, NotFound
from api.paging import Page
from api.prescriptions.models import Prescription, PrescriptionStatus
from api.scheduling import service as scheduling
from api.scheduling.schemas import Moment

router = APIRouter(prefix="/bench", tags=["benchmark"], include_in_schema=False)


@router.put("/plain")
async def store_plain(
    request: Request, principal: Annotated[Principal, Depends(require("record:write"))],
    container: ContainerDep,
) -> dict[str, str]:
    body = await request.body()
    if not body:
        raise Invalid("an empty blob")
    return {"cid": container.blobs.put(body)}


@router.get("/plain/{cid}")
def read_plain(
    cid: str, principal: Annotated[Principal, Depends(require("record:read"))], db: SystemDB,
    container: ContainerDep,
) -> dict[str, str]:
    return {"cid": cid, "content": base64.b64encode(container.blobs.get(cid)).decode()}


@router.get("/schedule-rows")
def schedule_rows(
    practitioner: uuid.UUID, start: Annotated[Moment, Query()], end: Annotated[Moment, Query()],
    principal: Annotated[Principal, Depends(require("directory:read"))], db: SystemDB,
) -> dict[str, int]:
    schedules, busy = scheduling.slot_rows(db, practitioner, start.astimezone(UTC),
                                           end.astimezone(UTC))
    return {"schedules": schedules, "busy": busy}


@router.get("/prescription-rows")
def prescription_rows(
    pharmacy: uuid.UUID, principal: Annotated[Principal, Depends(require("dispense:write"))],
    db: SystemDB, page: Page,
) -> list[str]:
    """The ids of the page of the pharmacy's active prescriptions its queue shows (oldest
    first), by one select on ix_prescriptions_pharmacy_status_created: in the same session
    as the queue, for the caller's own pharmacy only."""
    if principal.organization_id != pharmacy:
        raise NotFound("no such pharmacy of yours")
    return [str(i) for i in db.scalars(
        select(Prescription.id)
        .where(Prescription.pharmacy_org_id == pharmacy,
               Prescription.status == PrescriptionStatus.active.value)
        .order_by(Prescription.created_at.asc(), Prescription.id)
        .limit(page.limit).offset(page.offset))]
