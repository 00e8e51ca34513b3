"""Upload progress an institution can follow while its upload request is being processed.

The row is written in transactions of its own (at most every `MIN_INTERVAL_SECONDS`, and at
each change of phase), so `GET /imaging/uploads/{upload_id}` sees it from another request
or another worker process. The outcome is written with the study, in the upload's own
transaction, when it succeeds; after a refusal the upload's transaction is rolled back
first, then the failure is recorded. Only counts, phases and the refusal's message are kept
(messages name positions in the upload, never file names or DICOM values).
"""

from __future__ import annotations

import time
import uuid
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.db.base import utcnow
from api.db.session import TenantContext, session_scope
from api.errors import Conflict, DomainError
from api.imaging.models import ImagingUpload, UploadStatus
from api.paging import PageRequest
from pacs_bridge import UploadProgress

Phase = Literal["validating", "storing", "archiving", "encrypting", "filing"]
MIN_INTERVAL_SECONDS = 0.5


class UploadTracker:
    """Records one upload's phase and counts as it goes."""

    def __init__(self, sessions: sessionmaker[Session], tenant: TenantContext, *,
                 row_id: uuid.UUID, upload_id: uuid.UUID) -> None:
        self._sessions = sessions
        self._tenant = tenant
        self.row_id = row_id
        self.upload_id = upload_id
        self._phase: str | None = None
        self._last_write = 0.0

    @classmethod
    def start(cls, sessions: sessionmaker[Session], tenant: TenantContext, *,
              organization_id: uuid.UUID, uploader_id: uuid.UUID, patient_id: uuid.UUID,
              upload_id: uuid.UUID | None, bytes_total: int | None) -> UploadTracker:
        """Create the progress row; 409 when the institution already used `upload_id`."""
        chosen = upload_id or uuid.uuid4()
        row = ImagingUpload(id=uuid.uuid4(), organization_id=organization_id,
                            upload_id=chosen, uploader_id=uploader_id, patient_id=patient_id,
                            status=UploadStatus.processing.value, phase="validating",
                            instances_done=0, bytes_done=0, bytes_total=bytes_total,
                            updated_at=utcnow())
        try:
            with session_scope(sessions, tenant) as session:
                session.add(row)
        except IntegrityError:
            raise Conflict("an upload with this upload_id exists; use a new one per upload") \
                from None
        tracker = cls(sessions, tenant, row_id=row.id, upload_id=chosen)
        tracker._phase = "validating"
        return tracker

    def _write(self, **values: object) -> None:
        with session_scope(self._sessions, self._tenant) as session:
            row = session.get(ImagingUpload, self.row_id)
            if row is None:
                return
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
        self._last_write = time.monotonic()

    def phase(self, phase: Phase, *, total: int | None = None) -> None:
        """Enter `phase`; with `total`, its byte count restarts at 0 of `total`."""
        self._phase = phase
        if total is None:
            self._write(phase=phase)
        else:
            self._write(phase=phase, bytes_done=0, bytes_total=total)

    def bytes(self, done: int, total: int | None, *, force: bool = False) -> None:
        if force or time.monotonic() - self._last_write >= MIN_INTERVAL_SECONDS:
            self._write(bytes_done=done, bytes_total=total)

    def on_progress(self, progress: UploadProgress) -> None:
        """The pacs_bridge upload callback (every instance, both passes)."""
        changed = progress.phase != self._phase
        finished = (progress.instances_total is not None
                    and progress.instances_done == progress.instances_total)
        if not (changed or finished) and \
                time.monotonic() - self._last_write < MIN_INTERVAL_SECONDS:
            return
        self._phase = progress.phase
        values: dict[str, object] = {
            "phase": progress.phase, "instances_done": progress.instances_done,
            "instances_total": progress.instances_total, "bytes_done": progress.bytes_done}
        if progress.bytes_total is not None:  # else keep the request's size
            values["bytes_total"] = progress.bytes_total
        self._write(**values)

    def complete_in(self, session: Session, study_id: uuid.UUID) -> None:
        """Mark it completed inside the transaction that files the study."""
        row = session.get(ImagingUpload, self.row_id)
        if row is not None:
            row.status = UploadStatus.completed.value
            row.phase = None
            row.study_id = study_id
            row.updated_at = utcnow()

    def fail(self, exc: BaseException) -> None:
        """Record the refusal (call after rolling the upload's own transaction back)."""
        if isinstance(exc, DomainError):
            status, detail = exc.status, exc.detail
        else:
            status, detail = 500, "the upload failed on the server; nothing was stored"
        self._write(status=UploadStatus.failed.value, error_status=status,
                    error_detail=detail)


def find(session: Session, organization_id: uuid.UUID, upload_id: uuid.UUID,
         ) -> ImagingUpload | None:
    return session.scalar(select(ImagingUpload).where(
        ImagingUpload.organization_id == organization_id,
        ImagingUpload.upload_id == upload_id))


def recent(session: Session, organization_id: uuid.UUID, *, status: str | None,
           page: PageRequest) -> list[ImagingUpload]:
    query = select(ImagingUpload).where(ImagingUpload.organization_id == organization_id)
    if status is not None:
        query = query.where(ImagingUpload.status == status)
    return list(session.scalars(query.order_by(ImagingUpload.created_at.desc(),
                                               ImagingUpload.id)
                                .limit(page.limit).offset(page.offset)))
