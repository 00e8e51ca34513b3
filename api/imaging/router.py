"""HTTP routes of imaging studies: upload, pull (transfer), sealed archive, previews and the
de-identified research export."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import Response, StreamingResponse

from api.composition import Container
from api.deps import ContainerDep, Principal, SystemDB, TenantDB, authenticate_apart, require
from api.errors import Forbidden, NotFound, problem_responses
from api.imaging import progress, service
from api.imaging.schemas import (
    ArchiveEnvelope,
    ImportedInstance,
    ReportLink,
    SeriesOut,
    StudyDetail,
    StudyPulled,
    StudySummary,
    StudyUploaded,
    UploadOut,
)
from api.paging import Page
from api.records.http import FHIR_REQUEST_BODY, FhirResource, record_written
from api.records.schemas import RecordWritten
from api.records.service import patient_by_uhid

router = APIRouter(tags=["imaging"])
# Upload bodies may be as large as OHMS_MAX_STUDY_BYTES (see api.main's body limits).
UPLOAD_PATH_PATTERN = r"^/api/v1/patients/[^/]+/imaging/studies$"
# Each uploaded file is kept in memory up to this size, then spooled to disk.
UPLOAD_SPOOL_MEMORY_BYTES = 64 * 1024
# Files per upload request (each spooled file holds a descriptor); larger studies come
# as one ZIP, which is read member by member.
MAX_FILES_PER_REQUEST = 1000


def authorise_upload_request(container: Container, token: str | None) -> str:
    """What may be checked before an upload's body is read (api.middleware.UploadGate):
    a live session of a user who may upload studies. Returns the user's id."""
    principal = authenticate_apart(container, token)
    if not principal.can("record:write") or not principal.roles & service.UPLOADER_ROLES:
        raise Forbidden("studies are uploaded by radiologists or lab staff")
    return str(principal.user_id)


@router.post("/patients/{uhid}/imaging/studies", status_code=status.HTTP_201_CREATED,
             form_limits={"max_files": MAX_FILES_PER_REQUEST},
             responses=problem_responses(401, 403, 404, 409, 413, 422, 429, 503))
def upload_study(
    uhid: str, files: Annotated[list[UploadFile], File(description=(
        "DICOM Part 10 files of one study (at most 1000 per request), or one ZIP of them "
        "(any number). Every instance's PatientID must be the patient's UHID."))],
    principal: Annotated[Principal, Depends(require("record:write"))], db: SystemDB,
    container: ContainerDep,
    upload_id: Annotated[uuid.UUID | None, Query(description=(
        "Your id for this upload (a new UUID each time): follow its progress at "
        "GET /imaging/uploads/{upload_id} while this request runs"))] = None,
    order: Annotated[uuid.UUID | None, Query(description=(
        "The imaging order this study is performed for: an active order your organisation "
        "performs for this patient. The study is then linked to it (`basedOn`) and needs no "
        "grant; a report on it completes the order"))] = None,
) -> StudyUploaded:
    """Upload a study into your institution's DICOM store and file it as the patient's
    ImagingStudy record (its archive encrypted to the patient). By a radiologist or lab
    staff of a radiology centre or hospital holding the patient's treatment grant for
    imaging, or performing the imaging order named by `order` (404 if your organisation
    does not perform it, 422 if it is another patient's or not imaging, 409 if it is no
    longer active or has its study). Refused input leaves nothing stored (the refusal is
    kept on the upload)."""
    patient = patient_by_uhid(db, uhid)
    uploaded = service.upload_study(db, container, uploader=principal, patient=patient,
                                    files=[(f.filename or "", f.file) for f in files],
                                    upload_id=upload_id, order_id=order)
    s = uploaded.study
    return StudyUploaded(id=s.id, upload_id=uploaded.upload_id, record_id=s.record_id,
                         study_instance_uid=s.study_instance_uid,
                         instance_count=s.instance_count, series_count=s.series_count,
                         manifest_digest=s.manifest_digest, archive_cid=s.archive_cid)


@router.post("/imaging/studies/{study_id}/pull",
             responses=problem_responses(401, 403, 404, 409, 502, 503))
def pull_study(
    study_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep,
) -> StudyPulled:
    """Import a granted study into your institution's DICOM store (keystore-tier
    institutions; others GET .../archive). Every instance is verified against the manifest
    recorded at upload; logged as a pull. 503 when your store is down: nothing imported."""
    instances = service.pull_study(db, container, reader=principal, study_id=study_id)
    study = service.get_study(db, study_id)
    return StudyPulled(id=study.id, study_instance_uid=study.study_instance_uid,
                       instances=[ImportedInstance(sop_instance_uid=i.sop_instance_uid,
                                                   sha256=i.sha256, size=i.size)
                                  for i in instances])


@router.get("/imaging/studies/{study_id}/archive",
            responses=problem_responses(401, 403, 404, 409))
def archive_envelope(
    study_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep,
) -> ArchiveEnvelope:
    """The keys to the encrypted study archive for your grant (or, for the patient, their
    own), and the manifest: download `content_url`, decrypt and import on your side
    (api.imaging.service.open_and_import). Logged as a pull."""
    return ArchiveEnvelope(**service.archive_envelope(db, container, reader=principal,
                                                      study_id=study_id))


@router.get("/imaging/studies/{study_id}/archive/content",
            response_class=StreamingResponse,
            responses={**problem_responses(401, 403, 404, 409, 502, 503),
                       200: {"content": {"application/octet-stream": {}},
                             "description": "The encrypted archive (streamed)"}})
def archive_content(
    study_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep,
) -> StreamingResponse:
    """The encrypted study archive as stored (its CID is in the envelope), streamed. Only
    the envelope's key opens it; still consent-checked, and logged as a download."""
    pieces = service.archive_content(db, container, reader=principal, study_id=study_id)
    return StreamingResponse(pieces, media_type="application/octet-stream",
                             headers={"Cache-Control": "no-store"})


@router.get("/imaging/uploads/{upload_id}", responses=problem_responses(401, 403, 404))
def upload_progress(
    upload_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:write"))],
    db: TenantDB,
) -> UploadOut:
    """Progress of one of your institution's uploads while it runs, then its outcome (the
    study, or the refusal's status and reason)."""
    row = None if principal.organization_id is None else \
        progress.find(db, principal.organization_id, upload_id)
    if row is None:
        raise NotFound("no such upload in your organisation")
    return UploadOut.model_validate(row, from_attributes=True)


@router.get("/imaging/uploads", responses=problem_responses(401, 403))
def recent_uploads(
    principal: Annotated[Principal, Depends(require("record:write"))], db: TenantDB,
    page: Page,
    status: Annotated[Literal["processing", "completed", "failed"] | None, Query()] = None,
) -> list[UploadOut]:
    """Your institution's most recent uploads, newest first."""
    if principal.organization_id is None:
        return []
    return [UploadOut.model_validate(row, from_attributes=True) for row in
            progress.recent(db, principal.organization_id, status=status, page=page)]


@router.get("/imaging/studies/{study_id}/instances/{sop_instance_uid}/preview.png",
            response_class=Response, responses=problem_responses(401, 403, 404, 422, 503))
def preview(
    study_id: uuid.UUID, sop_instance_uid: str,
    principal: Annotated[Principal, Depends(require("record:read"))], db: SystemDB,
    container: ContainerDep,
    size: Annotated[int, Query(ge=32, le=1024, description=(
        "The PNG fits a square of this many pixels: 64-128 for thumbnails"))] = 256,
) -> Response:
    """A PNG preview of an instance: for the patient and the uploader's staff from the
    uploader's store; for a treatment grantee from its own store after a pull. Logged."""
    png = service.preview(db, container, reader=principal, study_id=study_id,
                          sop_instance_uid=sop_instance_uid, size=size)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/imaging/studies/{study_id}/deidentified.zip",
            response_class=StreamingResponse,
            responses=problem_responses(401, 403, 404, 422, 503))
def deidentified(
    study_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep,
) -> StreamingResponse:
    """The study de-identified after DICOM PS3.15 Basic Profile (new UIDs, identifying
    attributes emptied or removed), for a grantee of the patient's research grant."""
    chunks = service.deidentified_export(db, container, reader=principal, study_id=study_id)
    return StreamingResponse(chunks, media_type="application/zip",
                             headers={"Cache-Control": "no-store"})


def _summary(view: service.StudyView) -> dict[str, object]:
    s = view.study
    return {"id": s.id, "record_id": s.record_id, "patient_uhid": view.patient_uhid,
            "study_instance_uid": s.study_instance_uid, "modalities": view.modalities,
            "series_count": s.series_count, "instance_count": s.instance_count,
            "total_bytes": s.total_bytes, "manifest_digest": s.manifest_digest,
            "uploader_org_id": s.uploader_org_id, "created_at": s.created_at}


@router.get("/patients/{uhid}/imaging/studies", responses=problem_responses(401, 403, 404, 503))
def list_studies(
    uhid: str, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep, page: Page,
) -> list[StudySummary]:
    """The patient's imaging studies you may see, newest first, one page at a time (the
    patient: all; a treatment grantee of imaging: all; otherwise those a grant names or your
    institution uploaded). Logged as a search."""
    patient = patient_by_uhid(db, uhid)
    return [StudySummary.model_validate(_summary(v)) for v in
            service.list_studies(db, container, reader=principal, patient=patient,
                                 limit=page.limit, offset=page.offset)]


@router.get("/imaging/studies/{study_id}", responses=problem_responses(401, 403, 404, 503))
def study_details(
    study_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep,
) -> StudyDetail:
    """A study's series and instances and its radiology reports. Logged."""
    view = service.study_details(db, container, reader=principal, study_id=study_id)
    return StudyDetail.model_validate({
        **_summary(view),
        "series": [SeriesOut.model_validate(s) for s in view.series],
        "reports": [ReportLink(record_id=r.record_id, author_uhid=uhid,
                               created_at=r.created_at) for r, uhid in view.reports]})


@router.post("/imaging/studies/{study_id}/reports", status_code=status.HTTP_201_CREATED,
             responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503),
             openapi_extra=FHIR_REQUEST_BODY)
def add_report(
    study_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:write"))],
    resource: FhirResource, db: SystemDB, container: ContainerDep,
) -> RecordWritten:
    """File your radiology report (a FHIR R4 DiagnosticReport) about this study as the
    patient's record, encrypted to the patient and linked to the study. By a radiologist
    whose institution holds the patient's treatment grant for imaging, or performs the
    active imaging order the study was uploaded against: the report is then `basedOn` the
    order, completes it, and the ordering physician and the patient are told."""
    return record_written(service.add_report(db, container, author=principal, study_id=study_id,
                                       resource=resource))
