"""Routes that exist only for the benchmarks (OHMS_BENCHMARK_ROUTES=true, off by default):
`scripts/bench_exchange.py`'s baseline of a grantee read (the same authentication, database
session and blob fetch of an unencrypted blob, with no consent, access log or cryptography),
and `scripts/bench_clinic.py`'s baseline of a free-slot search (the same rows read, no slots
computed)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.deps import ContainerDep, Principal, SystemDB, require
from api.errors import Invalid
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
