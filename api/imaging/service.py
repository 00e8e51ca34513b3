"""Imaging use cases: upload a DICOM study into the uploader's PACS and file it as an
ImagingStudy record with an encrypted archive; pull it (consent-checked, logged) into a
grantee's PACS; previews and a de-identified export.

Conventions:
- A study's instances carry the patient's UHID as PatientID (0010,0020); anything else is
  refused, so studies in every institution's PACS are filed under the UHID.
- The archive (ZIP of the instances, bytes as uploaded) is encrypted as a stream of
  AES-256-GCM segments under a fresh data key, and the data key is encrypted to the patient
  with Umbral like a record (`reencryption.streaming`), so grantees get capsule fragments
  exactly as for records. The ImagingStudy FHIR resource names the study UID, the counts and
  the manifest digest (SHA-256 of the per-instance SHA-256 list) so a receiver can verify.
- Nothing holds a study in memory: uploads are spooled to disk by the web framework, read
  one instance at a time, the archive is written to a spooled temporary file, encrypted and
  stored segment by segment, and decrypted the same way on a pull.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, Protocol

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, sessionmaker

from api.access.gate import GRANT, NONE, SealedRead, Subject
from api.deps import Principal
from api.errors import Conflict, Forbidden, Invalid, NotFound, PayloadTooLarge, Unavailable
from api.identity.models import User
from api.imaging.models import (
    ARCHIVE_STREAMED,
    ARCHIVE_WHOLE_UMBRAL,
    ImagingReport,
    ImagingStudy,
)
from api.imaging.progress import UploadTracker
from api.imaging.stores import DicomStores
from api.keys.service import custodial_item, patient_public_key
from api.orders import service as orders
from api.orders.models import Order, OrderStatus
from api.orders.relationships import order_reference
from api.records import service as records
from api.records.fhir import UHID_SYSTEM
from api.records.service import RecordPorts
from api.roles.catalog import AUTHOR_ROLES, Role
from api.tenants.models import Organization, OrganizationKind
from pacs_bridge import (
    DicomInvalid,
    DicomNotFound,
    DicomStore,
    DicomStoreUnavailable,
    ManifestMismatch,
    PreviewUnsupported,
    StudyManifest,
    UploadedFile,
    UploadLimits,
    UploadResult,
    UploadTooLarge,
    export_deidentified_study,
    import_study_archive,
    upload_files,
    upload_zip,
)
from pacs_bridge.model import StoredInstance
from pacs_bridge.store import write_instances_zip
from pacs_bridge.upload import roll_back
from reencryption import (
    CfragRejected,
    DecryptionFailed,
    InvalidKeyMaterial,
    RecordIntegrityError,
)
from reencryption.client import KeyHolder
from reencryption.keys import public_key_from_hex
from reencryption.streaming import EncryptingReader, new_data_key, seal_data_key
from storage import (
    BlobIntegrityError,
    BlobInvalid,
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    BlobTooLarge,
)

log = logging.getLogger(__name__)
UPLOADER_ROLES = frozenset({Role.radiologist, Role.lab_technician})
UPLOADER_KINDS = frozenset({OrganizationKind.radiology, OrganizationKind.hospital})
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
# Studies filed before streamed archives decrypt in memory: the service does so up to this.
LEGACY_PULL_MAX_BYTES = 64 * 1024 * 1024
ARCHIVE_FORMATS = {ARCHIVE_WHOLE_UMBRAL: "umbral", ARCHIVE_STREAMED: "ohms-stream-aes256gcm"}


class ImagingPorts(RecordPorts, Protocol):
    """What the imaging use cases use, and all they may: the records' collaborators (a
    report is a record) and the DICOM stores, the study archives and a session factory
    (api.composition.Container is one)."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def dicom(self) -> DicomStores: ...

    @property
    def archives(self) -> BlobStore: ...


@dataclass(frozen=True)
class UploadedStudy:
    study: ImagingStudy
    record: Any
    upload_id: uuid.UUID


def _limits(ports: ImagingPorts) -> UploadLimits:
    cap = ports.settings.max_study_bytes
    return UploadLimits(max_instance_bytes=min(cap, UploadLimits().max_instance_bytes),
                        max_upload_bytes=cap, max_archive_bytes=cap)


def _dicom_errors(exc: Exception) -> Exception:
    if isinstance(exc, UploadTooLarge):
        return PayloadTooLarge(str(exc))
    if isinstance(exc, DicomStoreUnavailable):
        return Unavailable("the institution's DICOM store is unavailable; nothing was stored")
    if isinstance(exc, DicomNotFound):
        return NotFound("the study is not in the DICOM store")
    return Invalid(str(exc))


def _authorise_upload(session: Session, ports: ImagingPorts, uploader: Principal,
                      patient: User, order_id: uuid.UUID | None) -> uuid.UUID:
    """The uploader's organisation, if it may file an imaging study for the patient: under
    the patient's grant (or an encounter), or, naming an imaging order it performs for the
    patient, under that order (basis `order`)."""
    org = session.get(Organization, uploader.organization_id) \
        if uploader.organization_id else None
    if org is None or org.kind not in UPLOADER_KINDS or not uploader.roles & UPLOADER_ROLES:
        raise Forbidden("studies are uploaded by radiologists or lab staff of a radiology "
                        "centre or hospital")
    references: tuple[str, ...] = ()
    if order_id is not None:
        order = orders.order_for_study(session, organization_id=org.id, order_id=order_id,
                                       patient_id=patient.id)
        references = (order_reference(order.id),)
    ports.access_gate(session).authorise_write(author=uploader, patient=patient,
                                                   category="imaging",
                                                   record="category:imaging",
                                                   references=references)
    return org.id


def _imaging_study_resource(patient: User, manifest: StudyManifest,
                            result: UploadResult) -> dict[str, Any]:
    stored = [s for s in result.instances
              if s.study_instance_uid == manifest.study_instance_uid]
    modalities = sorted({s.identity.modality for s in stored if s.identity.modality})
    first = stored[0].identity
    resource: dict[str, Any] = {
        "resourceType": "ImagingStudy", "status": "available",
        "subject": {"reference": f"Patient/{patient.uhid}"},
        "identifier": [{"system": "urn:dicom:uid",
                        "value": f"urn:oid:{manifest.study_instance_uid}"}],
        "numberOfSeries": len({s.identity.series_instance_uid for s in stored}),
        "numberOfInstances": len(stored),
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": m}
                     for m in modalities],
        "extension": [{"url": "https://ohms.dev/fhir/StructureDefinition/manifest-sha256",
                       "valueString": manifest.digest}],
    }
    if first.study_description:
        resource["description"] = first.study_description
    resource["subject"]["identifier"] = {"system": UHID_SYSTEM, "value": patient.uhid}
    return resource


def _series_index(manifest: StudyManifest, result: UploadResult) -> str:
    series: dict[str, dict[str, Any]] = {}
    for stored in result.instances:
        ident = stored.identity
        if ident.study_instance_uid != manifest.study_instance_uid:
            continue
        entry = series.setdefault(ident.series_instance_uid, {
            "series_instance_uid": ident.series_instance_uid, "modality": ident.modality,
            "instances": []})
        if ident.sop_instance_uid not in entry["instances"]:
            entry["instances"].append(ident.sop_instance_uid)
    for entry in series.values():
        entry["instances"].sort()
    return json.dumps([series[uid] for uid in sorted(series)])


def _write_archive(store: DicomStore, manifest: StudyManifest, out: BinaryIO) -> None:
    """The study as a ZIP of the instances just stored, written to `out` one instance at a
    time; each read back must be exactly the bytes validated (else ManifestMismatch)."""

    def members() -> Iterator[tuple[str, bytes]]:
        for entry in manifest.entries:
            data = store.get_instance(entry.sop_instance_uid)
            manifest.check_instance(entry.sop_instance_uid, data)
            yield f"{entry.sop_instance_uid}.dcm", data

    write_instances_zip(members(), out)


class _Counting:
    """A reader that reports how much was read (the encrypting phase's progress)."""

    def __init__(self, source: BinaryIO, total: int, tracker: UploadTracker) -> None:
        self._source, self._total, self._tracker, self.done = source, total, tracker, 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._source.read(size)
        self.done += len(data)
        if data:
            self._tracker.bytes(self.done, self._total, force=self.done >= self._total)
        return data


def _size_of(fh: IO[bytes]) -> int | None:
    try:
        size = fh.seek(0, io.SEEK_END)
        fh.seek(0)
        return size
    except (OSError, ValueError):
        return None


def upload_study(session: Session, ports: ImagingPorts, *, uploader: Principal,
                 patient: User, files: list[tuple[str, IO[bytes]]],
                 upload_id: uuid.UUID | None = None,
                 order_id: uuid.UUID | None = None) -> UploadedStudy:
    """Validate and store one study in the uploader's PACS, then file it; all or nothing.
    Progress is recorded under `upload_id` (one is chosen when none is given). With
    `order_id`, the study is performed for that imaging order: filed under it, `basedOn`
    it, and the order records it."""
    org_id = _authorise_upload(session, ports, uploader, patient, order_id)
    keys_hex = patient_public_key(session, patient.id).umbral_public_key
    patient_id, uhid = patient.id, patient.uhid
    # The long phases (validating, storing, archiving, encrypting) hold no database
    # connection: the read-only transaction so far ends here, filing opens a short one.
    session.commit()
    sizes = [_size_of(fh) for _, fh in files]
    tracker = UploadTracker.start(
        ports.sessions, uploader.tenant, organization_id=org_id,
        uploader_id=uploader.user_id, patient_id=patient_id, upload_id=upload_id,
        bytes_total=None if None in sizes else sum(s or 0 for s in sizes))
    store = ports.dicom.of(org_id)
    added: list[StoredInstance] = []
    stored_blobs: list[str] = []
    try:
        result = _validate_and_store(ports, store, uhid, files, tracker)
        added = [s for s in result.instances if s.newly_stored]
        if len(result.manifests) != 1:
            raise Invalid(f"an upload holds one study; this one holds {len(result.manifests)}")
        manifest = next(iter(result.manifests.values()))
        _refuse_refiling(session, org_id, patient_id, manifest)
        session.commit()
        study, record = _file_study(session, ports, store, tracker, uploader=uploader,
                                    org_id=org_id, patient=patient, keys_hex=keys_hex,
                                    manifest=manifest, result=result,
                                    stored_blobs=stored_blobs, order_id=order_id)
        if order_id is not None:
            orders.link_study(session, order_id=order_id, study_record_id=record.id)
        tracker.complete_in(session, study.id)
        # Committed here, not after the response: if the commit fails, what this upload
        # put into the PACS and the blob store is removed again below.
        session.commit()
    except BaseException as exc:
        session.rollback()
        _undo_upload(ports, store, added, stored_blobs, exc)
        tracker.fail(exc)
        raise
    return UploadedStudy(study, record, tracker.upload_id)


def _refuse_refiling(session: Session, org_id: uuid.UUID, patient_id: uuid.UUID,
                     manifest: StudyManifest) -> None:
    """The same instances, uploaded again by the same institution (a retried upload), are
    not filed twice: 409 naming the study they are filed as."""
    existing = session.scalar(select(ImagingStudy.id).where(
        ImagingStudy.patient_id == patient_id, ImagingStudy.uploader_org_id == org_id,
        ImagingStudy.manifest_digest == manifest.digest))
    if existing is not None:
        raise Conflict(f"these instances are already filed as imaging study {existing}")


def _undo_upload(ports: ImagingPorts, store: DicomStore, added: list[StoredInstance],
                 blobs: list[str], exc: BaseException) -> None:
    """Remove the instances this upload added and the ciphertexts it stored. What cannot be
    removed (its store being down) is logged by count, never by UID or content."""
    roll_back(store, added, exc)
    left = [note for note in getattr(exc, "__notes__", []) if note.startswith("rollback")]
    if left:
        log.warning("imaging upload refused; %d of its instances could not be removed from "
                    "the DICOM store", len(left))
    for cid in blobs:
        try:
            ports.archives.delete(cid)
        except (BlobNotFound, BlobStoreUnavailable, BlobInvalid):
            log.warning("imaging upload refused; its encrypted archive could not be removed "
                        "from the blob store")


def _validate_and_store(ports: ImagingPorts, store: DicomStore, uhid: str,
                        files: list[tuple[str, IO[bytes]]],
                        tracker: UploadTracker) -> UploadResult:
    is_zip = len(files) == 1 and (files[0][0].lower().endswith(".zip")
                                  or _looks_like_zip(files[0][1]))
    try:
        if is_zip:
            return upload_zip(store, files[0][1], expected_patient_id=uhid,  # type: ignore[arg-type]
                              limits=_limits(ports), on_progress=tracker.on_progress)
        return upload_files(store, [UploadedFile(name, fh) for name, fh in files],  # type: ignore[arg-type]
                            expected_patient_id=uhid, limits=_limits(ports),
                            on_progress=tracker.on_progress)
    except (DicomInvalid, DicomStoreUnavailable) as exc:
        raise _dicom_errors(exc) from None


def _file_study(session: Session, ports: ImagingPorts, store: DicomStore,
                tracker: UploadTracker, *, uploader: Principal, org_id: uuid.UUID,
                patient: User, keys_hex: str, manifest: StudyManifest,
                result: UploadResult, stored_blobs: list[str],
                order_id: uuid.UUID | None = None) -> tuple[ImagingStudy, Any]:
    """ZIP the stored study, encrypt it as a stream under a fresh data key sealed to the
    patient, store the ciphertext blob, and file the ImagingStudy record (`basedOn` the
    order's ServiceRequest, if performed for one) and row."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
        tracker.phase("archiving", total=manifest.total_size)
        try:
            _write_archive(store, manifest, spool)  # type: ignore[arg-type]
        except (DicomStoreUnavailable, DicomNotFound) as exc:
            raise _dicom_errors(exc) from None
        except ManifestMismatch:
            raise Conflict("the DICOM store changed the study while it was being filed "
                           "(another upload of it at the same time?); upload it again") \
                from None
        archive_bytes = spool.tell()
        spool.seek(0)
        data_key = new_data_key()
        sealed_key = seal_data_key(public_key_from_hex(keys_hex), data_key)
        tracker.phase("encrypting", total=archive_bytes)
        reader = EncryptingReader(_Counting(spool, archive_bytes, tracker), data_key)  # type: ignore[arg-type]
        del data_key
        try:
            cid = ports.archives.put(reader)
            stored_blobs.append(cid)
        except BlobTooLarge:
            raise PayloadTooLarge("the study archive is larger than the store accepts") \
                from None
        except BlobStoreUnavailable:
            raise Unavailable("the record store is unavailable; nothing was stored") from None
    tracker.phase("filing")
    resource = _imaging_study_resource(patient, manifest, result)
    if order_id is not None:
        resource["basedOn"] = [{"reference": f"ServiceRequest/{order_id}"}]
    record = records.seal_and_store(
        session, ports, author_id=uploader.user_id, author_org_id=org_id,
        patient=patient, resource=resource, category="imaging")
    study = ImagingStudy(
        id=uuid.uuid4(), record_id=record.id, patient_id=patient.id,
        uploader_id=uploader.user_id, uploader_org_id=org_id,
        study_instance_uid=manifest.study_instance_uid,
        instance_count=len(manifest.entries), series_count=resource["numberOfSeries"],
        total_bytes=manifest.total_size, manifest=manifest.to_json(),
        manifest_digest=manifest.digest, archive_cid=cid,
        archive_capsule=bytes(sealed_key.capsule), delegating_key=keys_hex,
        archive_size=reader.ciphertext_bytes, archive_format=ARCHIVE_STREAMED,
        archive_key_ciphertext=sealed_key.ciphertext,
        series_index=_series_index(manifest, result))
    session.add(study)
    session.flush()
    return study, record


def _looks_like_zip(fh: IO[bytes]) -> bool:
    head = fh.read(4)
    fh.seek(0)
    return head == b"PK\x03\x04"


STUDY_NOT_FOUND = "no such imaging study"


def get_study(session: Session, study_id: uuid.UUID) -> ImagingStudy:
    study = session.get(ImagingStudy, study_id)
    if study is None:
        raise NotFound(STUDY_NOT_FOUND)
    return study


def _study_subject(study: ImagingStudy, patient: User, *,
                   logged_as: str | None = None) -> Subject:
    """The study as the access gate knows it: logged as its record (or `logged_as`), covered
    by grants of that record or of imaging; known to the uploader (person and institution)
    and to those the gate counts, nobody else."""
    target = f"record:{study.record_id}"
    return Subject(patient, logged_as or target, (target, "category:imaging"),
                   written_at=study.created_at, made_by=study.uploader_id,
                   made_by_org=study.uploader_org_id, not_found=STUDY_NOT_FOUND)


def _patient_of(session: Session, study: ImagingStudy) -> User:
    patient = session.get(User, study.patient_id)
    assert patient is not None
    return patient


# --- transfer -------------------------------------------------------------------------


def _authorise_pull(session: Session, ports: ImagingPorts, *, reader: Principal,
                    study: ImagingStudy, patient: User, purpose: str, action: str,
                    organisation_grant_only: bool = False) -> SealedRead:
    """A read of the study's archive through the access gate: the patient's own, or a
    grantee's (never break-glass) with capsule fragments for its key."""
    return ports.access_gate(session).read_sealed(
        _study_subject(study, patient), accessor=reader, purpose=purpose, action=action,
        capsule=study.capsule, delegating_key=study.delegating_key, accept=frozenset({GRANT}),
        forbidden="no active grant of the patient covers this study for this purpose",
        unkeyed="access is granted but the grant carries no key fragments for your key; the "
                "patient must grant again with kfrags",
        organisation_keys_only="the grant covering this study is to you in person: open it "
                               "with your own keys (GET .../archive, then its content_url)"
        if organisation_grant_only else None)


def archive_envelope(session: Session, ports: ImagingPorts, *, reader: Principal,
                     study_id: uuid.UUID, purpose: str = "treatment",
                     organisation_grant_only: bool = False) -> dict[str, Any]:
    """What a reader needs to open the study archive on its side: the data key sealed to
    the patient with capsule fragments for the grantee's key, the archive's CID and size,
    and the manifest to verify the import. Consent-checked and logged as a `pull`."""
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    read = _authorise_pull(session, ports, reader=reader, study=study, patient=patient,
                           purpose=purpose, action="pull",
                           organisation_grant_only=organisation_grant_only)
    consent, cfrags = read.consent, read.cfrags
    streamed = study.archive_format == ARCHIVE_STREAMED
    if not streamed and organisation_grant_only and study.archive_size > LEGACY_PULL_MAX_BYTES:
        raise Conflict("this study was filed before streamed archives; it opens on the "
                       "client side only (GET .../archive, then its content_url)")
    return {
        "id": str(study.id), "record_id": str(study.record_id), "cid": study.archive_cid,
        "study_instance_uid": study.study_instance_uid, "patient_uhid": patient.uhid,
        "format": ARCHIVE_FORMATS[study.archive_format], "size": study.archive_size,
        "key_ciphertext": base64.b64encode(study.archive_key_ciphertext).decode()
        if streamed and study.archive_key_ciphertext is not None else None,
        "capsule": base64.b64encode(study.archive_capsule).decode(),
        "delegating_key": study.delegating_key, "cfrags": cfrags or None,
        "verifying_key": consent.verifying_key if consent and cfrags else None,
        "manifest": study.manifest,
        "content_url": f"/api/v1/imaging/studies/{study.id}/archive/content",
    }


def archive_content(session: Session, ports: ImagingPorts, *, reader: Principal,
                    study_id: uuid.UUID, purpose: str = "treatment") -> Iterator[bytes]:
    """The encrypted archive, streamed from the blob store (ciphertext only: it opens with
    the envelope's key). Consent-checked and logged as a `download`. The first piece is read
    before returning, so a store that is down is a 503, not a broken response."""
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    _authorise_pull(session, ports, reader=reader, study=study, patient=patient,
                    purpose=purpose, action="download")
    pieces = _blob_pieces(ports, study)
    try:
        first = next(pieces, b"")
    except (BlobStoreUnavailable, BlobIntegrityError, BlobNotFound) as exc:
        raise _blob_errors(exc) from None

    def stream() -> Iterator[bytes]:
        yield first
        yield from pieces

    return stream()


def _blob_errors(exc: Exception) -> Exception:
    if isinstance(exc, BlobStoreUnavailable):
        return Unavailable("the record store is unavailable; try again shortly")
    return records.StoredRecordDamaged("the study archive is missing or damaged")


def _blob_pieces(ports: ImagingPorts, study: ImagingStudy) -> Iterator[bytes]:
    try:
        return ports.archives.iter_chunks(study.archive_cid)
    except (BlobStoreUnavailable, BlobIntegrityError, BlobNotFound) as exc:
        raise _blob_errors(exc) from None


def open_and_import(holder: KeyHolder, envelope: dict[str, Any], pieces: Iterable[bytes],
                    store: DicomStore, *, limits: UploadLimits | None = None,
                    ) -> list[StoredInstance]:
    """Client side of a pull: open the archive's data key with one's own keys, decrypt the
    encrypted archive (`pieces`, from `content_url`) segment by segment to a temporary
    file, and import it into one's own DICOM store, every instance checked against the
    recorded manifest (all or nothing). Raises reencryption or pacs_bridge errors."""
    manifest = StudyManifest.from_json(envelope["manifest"])
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as archive:
        if envelope.get("format") == ARCHIVE_FORMATS[ARCHIVE_WHOLE_UMBRAL]:
            archive.write(holder.open_record({**envelope, "ciphertext": base64.b64encode(
                b"".join(pieces)).decode()}))
        else:
            for piece in holder.open_stream(envelope, pieces):
                archive.write(piece)
        archive.seek(0)
        result = import_study_archive(store, archive, manifest,  # type: ignore[arg-type]
                                      expected_patient_id=envelope["patient_uhid"],
                                      limits=limits)
    return list(result.instances)


def pull_study(session: Session, ports: ImagingPorts, *, reader: Principal,
               study_id: uuid.UUID) -> list[StoredInstance]:
    """For an institution on the keystore tier: the checked, logged read of the archive,
    opened with its keystore key and imported into its own DICOM store."""
    if reader.organization_id is None:
        raise Forbidden("studies are pulled by an institution's staff")
    item = custodial_item(reader.organization_id)
    if item is None or not ports.keystore.contains(item):
        raise Conflict("your keys are held on your side: GET /imaging/studies/{id}/archive, "
                       "decrypt and import there")
    envelope = archive_envelope(session, ports, reader=reader, study_id=study_id,
                                organisation_grant_only=True)
    holder = KeyHolder(ports.keystore.load_party_keys(item))
    store = ports.dicom.of(reader.organization_id)
    study = get_study(session, study_id)
    try:
        return open_and_import(holder, envelope, _blob_pieces(ports, study), store,
                               limits=_limits(ports))
    except (BlobStoreUnavailable, BlobIntegrityError, BlobNotFound) as exc:
        raise _blob_errors(exc) from None
    except (RecordIntegrityError, CfragRejected, DecryptionFailed, InvalidKeyMaterial):
        raise records.StoredRecordDamaged("the study archive could not be opened with the "
                                          "capsule fragments of this grant") from None
    except (DicomInvalid, DicomStoreUnavailable) as exc:
        if isinstance(exc, DicomStoreUnavailable):
            raise Unavailable("your DICOM store is unavailable; nothing was imported, pull "
                              "again when it is back") from None
        raise records.StoredRecordDamaged("the study archive does not match its manifest; "
                                          "nothing was imported") from None


# --- viewing --------------------------------------------------------------------------


def _authorise_read(session: Session, ports: ImagingPorts, *, reader: Principal,
                    study: ImagingStudy, patient: User, action: str) -> str:
    """May `reader` see the study (metadata, previews)? The patient, the uploader
    institution's clinicians, or a treatment grantee (or break-glass) for the study or
    imaging, acting for an institution. Logged by the gate either way; returns the basis."""
    return ports.access_gate(session).view(
        _study_subject(study, patient), accessor=reader, action=action,
        forbidden="no active grant of the patient covers this study")


@dataclass(frozen=True)
class StudyView:
    study: ImagingStudy
    patient_uhid: str
    series: list[dict[str, Any]]
    reports: list[tuple[ImagingReport, str]]

    @property
    def modalities(self) -> list[str]:
        return sorted({s["modality"] for s in self.series if s.get("modality")})


def _view(session: Session, study: ImagingStudy, patient_uhid: str, *,
          with_reports: bool) -> StudyView:
    if study.series_index is not None:
        series: list[dict[str, Any]] = json.loads(study.series_index)
    else:  # studies filed before the index: one entry without series UIDs
        manifest = StudyManifest.from_json(study.manifest)
        series = [{"series_instance_uid": None, "modality": None,
                   "instances": [e.sop_instance_uid for e in manifest.entries]}]
    reports: list[tuple[ImagingReport, str]] = []
    if with_reports:
        reports = [(r, uhid) for r, uhid in session.execute(
            select(ImagingReport, User.uhid).join(User, User.id == ImagingReport.author_id)
            .where(ImagingReport.study_id == study.id)
            .order_by(ImagingReport.created_at)).all()]
    return StudyView(study, patient_uhid, series, reports)


def study_details(session: Session, ports: ImagingPorts, *, reader: Principal,
                  study_id: uuid.UUID) -> StudyView:
    """A study's series and instances (what a viewer asks previews of) and its reports."""
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    _authorise_read(session, ports, reader=reader, study=study, patient=patient,
                    action="read")
    return _view(session, study, patient.uhid, with_reports=True)


def list_studies(session: Session, ports: ImagingPorts, *, reader: Principal,
                 patient: User, limit: int = 50, offset: int = 0) -> list[StudyView]:
    """The patient's studies the caller may see, newest first, one page (`limit` from
    `offset`): all for the patient and for a treatment grantee of imaging; those a grant
    names one by one; those the caller's institution uploaded. Logged as one search."""
    query = select(ImagingStudy).where(ImagingStudy.patient_id == patient.id) \
        .order_by(ImagingStudy.created_at.desc(), ImagingStudy.id)
    gate = ports.access_gate(session)
    search = gate.open_search(accessor=reader, patient=patient, purpose="treatment",
                              record="search:imaging")
    if not search.covers("imaging"):
        visible: list[ColumnElement[bool]] = [ImagingStudy.record_id.in_(search.record_ids)]
        if reader.organization_id is not None and reader.roles & AUTHOR_ROLES:
            visible.append(ImagingStudy.uploader_org_id == reader.organization_id)
        query = query.where(or_(*visible))
    studies = list(session.scalars(query.limit(limit).offset(offset)))
    # Without a grant, the search is allowed if it finds some of the caller's own uploads
    # (on any page).
    gate.log_search(search, found_own=search.basis == NONE and (bool(studies) or bool(
        offset and session.scalar(select(query.exists())))))
    return [_view(session, s, patient.uhid, with_reports=False) for s in studies]


REPORT_ROLES = frozenset({Role.radiologist})
_RAD = {"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "RAD"}


def add_report(session: Session, ports: ImagingPorts, *, author: Principal,
               study_id: uuid.UUID, resource: object) -> Any:
    """File a radiologist's DiagnosticReport about the study as the patient's record (the
    subject, the RAD category and the ImagingStudy reference are filled in when missing)
    and link it to the study."""
    if not author.roles & REPORT_ROLES:
        raise Forbidden("imaging reports are written by radiologists")
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    # Logged, if refused, as the write it would have been (`category:imaging`).
    ports.access_gate(session).require_known(
        _study_subject(study, patient, logged_as="category:imaging"), accessor=author,
        action="write")
    if not isinstance(resource, dict) or resource.get("resourceType") != "DiagnosticReport":
        raise Invalid("an imaging report is one FHIR R4 DiagnosticReport (a JSON object)")
    report = dict(resource)
    link = {"reference": f"ImagingStudy/{study.record_id}"}
    named = report.get("imagingStudy") or []
    if not isinstance(named, list) or any(
            not isinstance(n, dict) or n.get("reference") != link["reference"] for n in named):
        raise Invalid("imagingStudy may only reference the study the report is filed "
                      "against (leave it out: it is filled in)")
    report["imagingStudy"] = [link]
    report.setdefault("subject", {"reference": f"Patient/{patient.uhid}"})
    report.setdefault("category", [{"coding": [_RAD]}])
    order = _order_reported(session, author, study)
    if order is not None:
        report["basedOn"] = [{"reference": f"ServiceRequest/{order.id}"}]
    valid, category = records.checked_resource(ports, patient, report)
    if category != "imaging":
        raise Invalid("an imaging report's category is a radiology section (e.g. v2-0074 RAD)")
    if order is None:
        record = records.write_record(session, ports, author=author, patient=patient,
                                      resource=report)
    else:
        # The order's report: written under the order (no grant needed) and completing it.
        ports.access_gate(session).authorise_write(
            author=author, patient=patient, category=category, record=f"category:{category}",
            references=(order_reference(order.id),))
        orders.claim_results(session, principal=author, order=order)
        record = records.seal_and_store(
            session, ports, author_id=author.user_id, author_org_id=author.organization_id,
            patient=patient, resource=valid, category=category)
        orders.resulted(session, order=order, record=record)
    session.add(ImagingReport(id=uuid.uuid4(), study_id=study.id, record_id=record.id,
                              author_id=author.user_id))
    session.flush()
    return record


def _order_reported(session: Session, author: Principal,
                    study: ImagingStudy) -> Order | None:
    """The active order the study was uploaded against, if the author's organisation
    performs it: its first report completes it. Later reports (addenda) are written as any
    other, under the patient's grant."""
    order = orders.order_of_study(session, study.record_id)
    if order is None or order.performer_org_id != author.organization_id or \
            order.status != OrderStatus.active.value:
        return None
    return order


def preview(session: Session, ports: ImagingPorts, *, reader: Principal,
            study_id: uuid.UUID, sop_instance_uid: str, size: int = 256) -> bytes:
    """A PNG of one instance fitting a `size` square (thumbnails and previews). The patient
    and the uploader institution's staff read it from the uploader's PACS; a grantee
    (treatment) from its own PACS, after a pull."""
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    basis = _authorise_read(session, ports, reader=reader, study=study, patient=patient,
                            action="preview")
    if StudyManifest.from_json(study.manifest).entry(sop_instance_uid) is None:
        raise NotFound("no such instance in this study")
    org = study.uploader_org_id if basis in ("owner", "author") else reader.organization_id
    assert org is not None
    try:
        return ports.dicom.of(org).render_preview(sop_instance_uid, max_size=size)
    except DicomNotFound:
        raise NotFound("the instance is not in your DICOM store; pull the study first") \
            from None
    except PreviewUnsupported as exc:
        # The bridge says why: no pixel data, or the encoding it cannot decode (named).
        raise Invalid(str(exc)) from None
    except DicomStoreUnavailable:
        raise Unavailable("the DICOM store is unavailable") from None


def deidentified_export(session: Session, ports: ImagingPorts, *, reader: Principal,
                        study_id: uuid.UUID) -> Iterator[bytes]:
    """A PS3.15 Basic Profile de-identified ZIP of the study, for a research grantee."""
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    # Research takes the patient's own research grant: never break-glass, never the owner.
    ports.access_gate(session).use_for_research(
        _study_subject(study, patient), accessor=reader, action="deidentified",
        forbidden="no active research grant of the patient covers this study")
    spool: BinaryIO = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # type: ignore[assignment]  # noqa: SIM115
    try:
        export_deidentified_study(ports.dicom.of(study.uploader_org_id),
                                  study.study_instance_uid, spool,
                                  patient_pseudonym=f"OHMS-{uuid.uuid4().hex[:12]}",
                                  manifest=StudyManifest.from_json(study.manifest))
    except ManifestMismatch:
        spool.close()
        raise records.StoredRecordDamaged("the uploader's DICOM store no longer holds this "
                                          "study as recorded") from None
    except (DicomInvalid, DicomNotFound, DicomStoreUnavailable) as exc:
        spool.close()
        raise _dicom_errors(exc) from None
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(1024 * 1024):
                yield chunk

    return chunks()
