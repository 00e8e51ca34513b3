"""HTTP pieces of every route that takes a FHIR resource (records, imaging reports): the body
reader that keeps the client's numbers as written, its OpenAPI documentation, and the answer
to a written record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from api.errors import Invalid
from api.records import fhir
from api.records.models import Record
from api.records.schemas import RecordWritten

FHIR_JSON = "application/fhir+json"
RESOURCE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["resourceType"], "additionalProperties": True,
    "properties": {"resourceType": {"type": "string"}}}
# The body is read by `fhir_resource_body`, not by FastAPI (whose JSON parsing turns FHIR
# decimals into floats): its documentation is given here.
FHIR_REQUEST_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "One FHIR R4 resource (JSON), stored exactly as written (decimals keep "
                   "their digits). Its subject/patient, when present, is Patient/<UHID> or "
                   "an identifier of system https://ohms.dev/fhir/sid/uhid",
    "content": {FHIR_JSON: {"schema": RESOURCE_SCHEMA},
                "application/json": {"schema": RESOURCE_SCHEMA}}}}


async def fhir_resource_body(request: Request) -> object:
    """The request body as JSON, its numbers kept as written (see api.records.fhir)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and not (media_type == "application/json" or media_type.endswith("+json")):
        raise Invalid(f"the body is one FHIR resource as JSON ({FHIR_JSON} or "
                      "application/json)")
    return fhir.parse_json(await request.body())


FhirResource = Annotated[object, Depends(fhir_resource_body)]


def record_written(record: Record) -> RecordWritten:
    return RecordWritten(id=record.id, cid=record.cid, category=record.category,
                         resource_type=record.resource_type, version=record.version,
                         previous_id=record.previous_id)
