"""HTTP routes of imaging studies: upload, pull (transfer), sealed archive, previews and the
de-identified research export."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile, status
from fastapi.responses import Response, StreamingResponse

from api.deps import ContainerDep, Principal, SystemDB, require
from api.errors import problem_responses
from api.imaging import service
from api.imaging.schemas import (
    ImportedInstance,
    SealedArchiveOut,
    StudyPulled,
    StudyUploaded,
)
from api.records.service import patient_by_uhid

router = APIRouter(tags=["imaging"])
# Upload bodies may be as large as OHMS_MAX_STUDY_BYTES (see api.main's body limits).
UPLOAD_PATH_PATTERN = r"^/api/v1/patients/[^/]+/imaging/studies$"


@router.post("/patients/{uhid}/imaging/studies", status_code=status.HTTP_201_CREATED,
             responses=problem_responses(401, 403, 404, 409, 413, 422, 503))
def upload_study(
    uhid: str, files: Annotated[list[UploadFile], File(description=(
        "DICOM Part 10 files of one study, or one ZIP of them. Every instance's PatientID "
        "must be the patient's UHID."))],
    principal: Annotated[Principal, Depends(require("record:write"))], db: SystemDB,
    container: ContainerDep,
) -> StudyUploaded:
    """Upload a study into your institution's DICOM store and file it as the patient's
    ImagingStudy record (its archive encrypted to the patient). By a radiologist or lab
    staff of a radiology centre or hospital holding the patient's treatment grant for
    imaging. Refused input leaves nothing stored."""
    patient = patient_by_uhid(db, uhid)
    uploaded = service.upload_study(db, container, uploader=principal, patient=patient,
                                    files=[(f.filename or "", f.file) for f in files])
    s = uploaded.study
    return StudyUploaded(id=s.id, record_id=s.record_id,
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
            responses=problem_responses(401, 403, 404, 409, 502, 503))
def sealed_archive(
    study_id: uuid.UUID, principal: Annotated[Principal, Depends(require("record:read"))],
    db: SystemDB, container: ContainerDep,
) -> SealedArchiveOut:
    """The encrypted study archive with capsule fragments for your grant and the manifest:
    decrypt and import on your side (api.imaging.service.open_and_import). Logged."""
    return SealedArchiveOut(**service.sealed_archive(db, container, reader=principal,
                                                     study_id=study_id))


@router.get("/imaging/studies/{study_id}/instances/{sop_instance_uid}/preview.png",
            response_class=Response, responses=problem_responses(401, 403, 404, 422, 503))
def preview(
    study_id: uuid.UUID, sop_instance_uid: str,
    principal: Annotated[Principal, Depends(require("record:read"))], db: SystemDB,
    container: ContainerDep,
) -> Response:
    """A PNG preview of an instance: for the patient and the uploader's staff from the
    uploader's store; for a treatment grantee from its own store after a pull. Logged."""
    png = service.preview(db, container, reader=principal, study_id=study_id,
                          sop_instance_uid=sop_instance_uid)
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
