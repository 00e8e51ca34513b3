"""Routes that exist only for `scripts/bench_exchange.py` (OHMS_BENCHMARK_ROUTES=true, off by
default): the baseline of a grantee read, the same authentication, database session and blob
fetch of an unencrypted blob, with no consent, access log or cryptography."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from api.deps import ContainerDep, Principal, SystemDB, require
from api.errors import Invalid

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
