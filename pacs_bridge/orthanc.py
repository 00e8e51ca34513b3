"""OrthancDicomStore: the DicomStore port over one institution's Orthanc REST API (pyorthanc).

Orthanc keeps the exact bytes of an uploaded file (GET /instances/{id}/file), so the SHA-256
taken before upload still holds after retrieval. Orthanc identifies resources by its own
hashes; this adapter finds them from DICOM UIDs with /tools/lookup. Transport failures,
refused credentials and server errors become `DicomStoreUnavailable`; HTTP 400 on upload
becomes `DicomInvalid`; unknown UIDs become `DicomNotFound`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import httpx
from PIL import Image, UnidentifiedImageError
from pyorthanc import Orthanc

from pacs_bridge.errors import (
    DicomInvalid,
    DicomNotFound,
    DicomStoreUnavailable,
    DuplicateInstanceConflict,
    PreviewUnsupported,
)
from pacs_bridge.model import InstanceSummary, StoredInstance, StudySummary
from pacs_bridge.preview import DEFAULT_PREVIEW_SIZE, render_preview_png, shrink_png
from pacs_bridge.validation import (
    DEFAULT_MAX_INSTANCE_BYTES,
    parse_dicom,
    read_instance_bytes,
    sha256_hex,
    validate_instance,
)

_STREAM_CHUNK_BYTES = 1024 * 1024


class OrthancDicomStore:
    """One Orthanc server, reached over HTTP with basic authentication."""

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        max_instance_bytes: int = DEFAULT_MAX_INSTANCE_BYTES,
    ) -> None:
        self.url = url.rstrip("/")
        self.max_instance_bytes = max_instance_bytes
        self._client = Orthanc(
            self.url,
            username=username,
            password=password,
            return_raw_response=True,
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OrthancDicomStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- HTTP ----------------------------------------------------------------------------

    def _call(self, request: Callable[..., Any], *args: Any, **kwargs: Any) -> httpx.Response:
        """Run one pyorthanc/httpx request; map what means "Orthanc is down" to Unavailable."""
        try:
            response = request(*args, **kwargs)
        except httpx.TransportError as exc:
            raise DicomStoreUnavailable(
                f"Orthanc at {self.url} cannot be reached ({type(exc).__name__})"
            ) from None
        if not isinstance(response, httpx.Response):
            raise DicomStoreUnavailable(f"Orthanc at {self.url} gave an unexpected answer")
        self._refuse_unavailable(response)
        return response

    def _refuse_unavailable(self, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise DicomStoreUnavailable(f"Orthanc at {self.url} refused our credentials")
        if response.status_code >= 500:
            raise DicomStoreUnavailable(
                f"Orthanc at {self.url} failed with HTTP {response.status_code}"
            )

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code != 200:
            raise DicomStoreUnavailable(
                f"Orthanc at {self.url} answered HTTP {response.status_code} unexpectedly"
            )
        try:
            return response.json()
        except ValueError:
            raise DicomStoreUnavailable(f"Orthanc at {self.url} sent invalid JSON") from None

    def _lookup(self, dicom_uid: str, level: str) -> str | None:
        """Orthanc's identifier of the resource of `level` with this DICOM UID, if any."""
        response = self._call(self._client.post, f"{self.url}/tools/lookup", content=dicom_uid)
        for item in self._json(response):
            if item.get("Type") == level:
                return str(item["ID"])
        return None

    def _instance_id(self, sop_instance_uid: str) -> str:
        instance_id = self._lookup(sop_instance_uid, "Instance")
        if instance_id is None:
            raise DicomNotFound(f"no instance {sop_instance_uid} in this store")
        return instance_id

    def _study_id(self, study_instance_uid: str) -> str:
        study_id = self._lookup(study_instance_uid, "Study")
        if study_id is None:
            raise DicomNotFound(f"no study {study_instance_uid} in this store")
        return study_id

    def _instance_file(self, instance_id: str, sop_instance_uid: str) -> bytes:
        response = self._call(self._client.get_instances_id_file, instance_id)
        if response.status_code == 404:
            raise DicomNotFound(f"no instance {sop_instance_uid} in this store")
        if response.status_code != 200:
            raise DicomStoreUnavailable(
                f"Orthanc at {self.url} answered HTTP {response.status_code} for a file"
            )
        return response.content

    # -- DicomStore ----------------------------------------------------------------------

    def store_instance(
        self, source: bytes | BinaryIO, *, expected_patient_id: str | None = None
    ) -> StoredInstance:
        data = read_instance_bytes(source, max_instance_bytes=self.max_instance_bytes)
        validated = validate_instance(
            data,
            expected_patient_id=expected_patient_id,
            max_instance_bytes=self.max_instance_bytes,
        )
        sop_uid = validated.identity.sop_instance_uid
        # Orthanc's instance identifier also hashes the PatientID, so the same SOP Instance
        # UID under another PatientID would be stored beside the first: look it up first.
        existing_id = self._lookup(sop_uid, "Instance")
        if existing_id is None:
            response = self._call(self._client.post_instances, data)
            if response.status_code == 400:
                raise DicomInvalid(f"Orthanc refused instance {sop_uid} as invalid DICOM")
            status = self._json(response).get("Status")
            if status == "Success":
                return StoredInstance(
                    identity=validated.identity,
                    sha256=validated.sha256,
                    size=validated.size,
                    newly_stored=True,
                )
            if status != "AlreadyStored":
                raise DicomInvalid(f"Orthanc did not store instance {sop_uid} (status {status})")
            existing_id = self._instance_id(sop_uid)
        stored_bytes = self._instance_file(existing_id, sop_uid)
        if sha256_hex(stored_bytes) != validated.sha256:
            raise DuplicateInstanceConflict(
                f"instance {sop_uid} is already stored with different content"
            )
        return StoredInstance(
            identity=validated.identity,
            sha256=validated.sha256,
            size=validated.size,
            newly_stored=False,
        )

    def get_instance(self, sop_instance_uid: str) -> bytes:
        return self._instance_file(self._instance_id(sop_instance_uid), sop_instance_uid)

    def list_studies(self, patient_id: str | None = None) -> list[StudySummary]:
        query = {"PatientID": patient_id} if patient_id is not None else {}
        response = self._call(
            self._client.post_tools_find, {"Level": "Study", "Query": query, "Expand": True}
        )
        studies: list[StudySummary] = []
        for study in self._json(response):
            tags = study.get("MainDicomTags", {})
            patient_tags = study.get("PatientMainDicomTags", {})
            study_patient_id = str(patient_tags.get("PatientID", ""))
            # Orthanc treats * and ? in a query as wildcards: keep exact matches only.
            if patient_id is not None and study_patient_id != patient_id:
                continue
            studies.append(
                StudySummary(
                    study_instance_uid=str(tags["StudyInstanceUID"]),
                    patient_id=study_patient_id,
                    study_date=tags.get("StudyDate") or None,
                    study_description=tags.get("StudyDescription") or None,
                )
            )
        return sorted(studies, key=lambda s: s.study_instance_uid)

    def _study_instances(self, study_instance_uid: str) -> list[tuple[str, InstanceSummary]]:
        study_id = self._study_id(study_instance_uid)
        series_uids = {
            str(series["ID"]): str(series["MainDicomTags"]["SeriesInstanceUID"])
            for series in self._json(self._call(self._client.get_studies_id_series, study_id))
        }
        instances = [
            (
                str(instance["ID"]),
                InstanceSummary(
                    sop_instance_uid=str(instance["MainDicomTags"]["SOPInstanceUID"]),
                    series_instance_uid=series_uids.get(str(instance["ParentSeries"]), ""),
                    study_instance_uid=study_instance_uid,
                    size=int(instance.get("FileSize", 0)),
                ),
            )
            for instance in self._json(self._call(self._client.get_studies_id_instances, study_id))
        ]
        if not instances:
            raise DicomNotFound(f"no study {study_instance_uid} in this store")
        return sorted(instances, key=lambda i: (i[1].series_instance_uid, i[1].sop_instance_uid))

    def list_instances(self, study_instance_uid: str) -> list[InstanceSummary]:
        return [summary for _, summary in self._study_instances(study_instance_uid)]

    def export_study(self, study_instance_uid: str) -> Iterator[tuple[str, bytes]]:
        instances = self._study_instances(study_instance_uid)
        return (
            (summary.sop_instance_uid, self._instance_file(instance_id, summary.sop_instance_uid))
            for instance_id, summary in instances
        )

    def export_study_zip(self, study_instance_uid: str, out: BinaryIO) -> int:
        study_id = self._study_id(study_instance_uid)
        written = 0
        try:
            with self._client.stream("GET", f"{self.url}/studies/{study_id}/archive") as response:
                self._refuse_unavailable(response)
                if response.status_code == 404:
                    raise DicomNotFound(f"no study {study_instance_uid} in this store")
                if response.status_code != 200:
                    raise DicomStoreUnavailable(
                        f"Orthanc at {self.url} answered HTTP {response.status_code} for an archive"
                    )
                for chunk in response.iter_bytes(_STREAM_CHUNK_BYTES):
                    out.write(chunk)
                    written += len(chunk)
        except httpx.TransportError as exc:
            raise DicomStoreUnavailable(
                f"Orthanc at {self.url} failed during the archive ({type(exc).__name__})"
            ) from None
        return written

    def delete_study(self, study_instance_uid: str) -> None:
        response = self._call(self._client.delete_studies_id, self._study_id(study_instance_uid))
        if response.status_code == 404:
            raise DicomNotFound(f"no study {study_instance_uid} in this store")
        self._json(response)

    def delete_instance(self, sop_instance_uid: str) -> None:
        instance_id = self._instance_id(sop_instance_uid)
        response = self._call(self._client.delete_instances_id, instance_id)
        if response.status_code == 404:
            raise DicomNotFound(f"no instance {sop_instance_uid} in this store")
        self._json(response)

    def render_preview(
        self, sop_instance_uid: str, *, max_size: int = DEFAULT_PREVIEW_SIZE
    ) -> bytes:
        instance_id = self._instance_id(sop_instance_uid)
        # /rendered applies rescale and the stored window like the embedded renderer; it is
        # fetched at full size and shrunk here so both adapters give the same dimensions.
        response = self._call(
            self._client.get_instances_id_rendered,
            instance_id,
            headers={"Accept": "image/png"},
        )
        if response.status_code == 404:
            raise DicomNotFound(f"no instance {sop_instance_uid} in this store")
        if response.status_code in (400, 415):
            # Orthanc renders no JPEG 2000 without its GDCM plugin, and answers the same for
            # an instance without pixel data: render here with the embedded decoders, which
            # either succeed or raise the precise reason (no pixel data, encoding named).
            data = self._instance_file(instance_id, sop_instance_uid)
            return render_preview_png(parse_dicom(data, defer_values=False), max_size=max_size)
        if response.status_code != 200:
            raise DicomStoreUnavailable(
                f"Orthanc at {self.url} answered HTTP {response.status_code} for a preview"
            )
        try:
            image = Image.open(io.BytesIO(response.content))
            image.load()
        except (UnidentifiedImageError, OSError):
            raise PreviewUnsupported(
                f"Orthanc's preview of instance {sop_instance_uid} is not an image"
            ) from None
        return shrink_png(image, max_size=max_size)

    def ping(self) -> None:
        self._json(self._call(self._client.get_system))
