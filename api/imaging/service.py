"""Imaging use cases: upload a DICOM study into the uploader's PACS and file it as an
ImagingStudy record with an encrypted archive; pull it (consent-checked, logged) into a
grantee's PACS; previews and a de-identified export.

Conventions:
- A study's instances carry the patient's UHID as PatientID (0010,0020); anything else is
  refused, so studies in every institution's PACS are filed under the UHID.
- The archive (ZIP of the instances, bytes as uploaded) is encrypted to the patient with
  Umbral like a record; the ImagingStudy FHIR resource names the study UID, the counts and
  the manifest digest (SHA-256 of the per-instance SHA-256 list) so a receiver can verify.
- Umbral encrypts a byte string, so the archive is in memory while it is encrypted (and
  while a custodial pull decrypts it); uploads themselves are spooled to disk.
"""

from __future__ import annotations

import base64
import io
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from sqlalchemy.orm import Session

from api.access.catalog import Role
from api.composition import Container
from api.consent.service import decide_access
from api.deps import Principal
from api.errors import Conflict, Forbidden, Invalid, NotFound, PayloadTooLarge, Unavailable
from api.identity.models import User
from api.imaging.models import ImagingStudy
from api.records import service as records
from api.records.fhir import UHID_SYSTEM
from api.records.keys import custodial_item
from api.tenants.models import Organization, OrganizationKind
from pacs_bridge import (
    DicomInvalid,
    DicomNotFound,
    DicomStore,
    DicomStoreUnavailable,
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
    encrypt_for,
)
from reencryption.client import KeyHolder
from reencryption.keys import public_key_from_hex
from storage import BlobIntegrityError, BlobNotFound, BlobStoreUnavailable, BlobTooLarge

UPLOADER_ROLES = frozenset({Role.radiologist, Role.lab_technician})
UPLOADER_KINDS = frozenset({OrganizationKind.radiology, OrganizationKind.hospital})
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class UploadedStudy:
    study: ImagingStudy
    record: Any


def _limits(container: Container) -> UploadLimits:
    cap = container.settings.max_study_bytes
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


def _authorise_upload(session: Session, container: Container, uploader: Principal,
                      patient: User) -> uuid.UUID:
    org = session.get(Organization, uploader.organization_id) \
        if uploader.organization_id else None
    if org is None or org.kind not in UPLOADER_KINDS or not uploader.roles & UPLOADER_ROLES:
        raise Forbidden("studies are uploaded by radiologists or lab staff of a radiology "
                        "centre or hospital")
    records.authorise_write(session, container, uploader, patient, "imaging",
                            "category:imaging")
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


def _archive(store: DicomStore, manifest: StudyManifest) -> bytes:
    """The study as a ZIP of the instances just stored (exactly the manifest's)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES) as spool:
        write_instances_zip(((f"{e.sop_instance_uid}.dcm",
                              store.get_instance(e.sop_instance_uid))
                             for e in manifest.entries), spool)  # type: ignore[arg-type]
        spool.seek(0)
        return spool.read()


def upload_study(session: Session, container: Container, *, uploader: Principal,
                 patient: User, files: list[tuple[str, IO[bytes]]]) -> UploadedStudy:
    """Validate and store one study in the uploader's PACS, then file it; all or nothing."""
    org_id = _authorise_upload(session, container, uploader, patient)
    keys = records.patient_public_key(session, patient)
    store = container.dicom.of(org_id)
    is_zip = len(files) == 1 and (files[0][0].lower().endswith(".zip")
                                  or _looks_like_zip(files[0][1]))
    try:
        if is_zip:
            result = upload_zip(store, files[0][1], expected_patient_id=patient.uhid,  # type: ignore[arg-type]
                                limits=_limits(container))
        else:
            result = upload_files(store, [UploadedFile(name, fh) for name, fh in files],  # type: ignore[arg-type]
                                  expected_patient_id=patient.uhid,
                                  limits=_limits(container))
    except (DicomInvalid, DicomStoreUnavailable) as exc:
        raise _dicom_errors(exc) from None
    added: list[StoredInstance] = [s for s in result.instances if s.newly_stored]
    try:
        if len(result.manifests) != 1:
            raise Invalid(f"an upload holds one study; this one holds {len(result.manifests)}")
        manifest = next(iter(result.manifests.values()))
        try:
            archive = _archive(store, manifest)
        except (DicomStoreUnavailable, DicomNotFound) as exc:
            raise _dicom_errors(exc) from None
        encrypted = encrypt_for(public_key_from_hex(keys.umbral_public_key), archive)
        del archive
        try:
            cid = container.archives.put(encrypted.ciphertext)
        except BlobTooLarge:
            raise PayloadTooLarge("the study archive is larger than the store accepts") from None
        except BlobStoreUnavailable:
            raise Unavailable("the record store is unavailable; nothing was stored") from None
        resource = _imaging_study_resource(patient, manifest, result)
        record = records.seal_and_store(
            session, container, author_id=uploader.user_id, author_org_id=org_id,
            patient=patient, resource=resource, category="imaging")
        study = ImagingStudy(
            id=uuid.uuid4(), record_id=record.id, patient_id=patient.id,
            uploader_id=uploader.user_id, uploader_org_id=org_id,
            study_instance_uid=manifest.study_instance_uid,
            instance_count=len(manifest.entries), series_count=resource["numberOfSeries"],
            total_bytes=manifest.total_size, manifest=manifest.to_json(),
            manifest_digest=manifest.digest, archive_cid=cid,
            archive_capsule=bytes(encrypted.capsule), delegating_key=keys.umbral_public_key,
            archive_size=len(encrypted.ciphertext))
        session.add(study)
        session.flush()
    except BaseException as exc:
        roll_back(store, added, exc)
        raise
    return UploadedStudy(study, record)


def _looks_like_zip(fh: IO[bytes]) -> bool:
    head = fh.read(4)
    fh.seek(0)
    return head == b"PK\x03\x04"


def get_study(session: Session, study_id: uuid.UUID) -> ImagingStudy:
    study = session.get(ImagingStudy, study_id)
    if study is None:
        raise NotFound("no such imaging study")
    return study


def _patient_of(session: Session, study: ImagingStudy) -> User:
    patient = session.get(User, study.patient_id)
    assert patient is not None
    return patient


# --- transfer -------------------------------------------------------------------------


def sealed_archive(session: Session, container: Container, *, reader: Principal,
                   study_id: uuid.UUID, purpose: str = "treatment") -> dict[str, Any]:
    """The encrypted archive with capsule fragments for the grantee (consent-checked and
    logged as a `pull` of the study's record), plus the manifest to verify the import."""
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    target = f"record:{study.record_id}"
    decision = decide_access(session, container, accessor=reader, patient=patient,
                             purpose=purpose, scopes=[target, "category:imaging"])
    consent = decision.consent
    if reader.user_id == patient.id:
        cfrags: list[str] | None = []
    elif not decision.granted or consent is None:
        records.log_access(container, reader, patient, record=target, action="pull",
                           purpose=purpose, granted=False, basis=decision.basis)
        raise Forbidden("no active grant of the patient covers this study for this purpose")
    else:
        cfrags = records.reencrypt_for_grantee(session, container, study, consent)
    if cfrags is None:
        records.log_access(container, reader, patient, record=target, action="pull",
                           purpose=purpose, granted=False, basis="no_kfrags",
                           grant_id=consent.grant_id if consent else None)
        raise Conflict("access is granted but the grant carries no key fragments for your "
                       "key; the patient must grant again with kfrags")
    records.log_access(container, reader, patient, record=target, action="pull",
                       purpose=purpose, granted=True,
                       basis="owner" if reader.user_id == patient.id else decision.basis,
                       grant_id=consent.grant_id if consent else None)
    try:
        ciphertext = container.archives.get(study.archive_cid)
    except BlobStoreUnavailable:
        raise Unavailable("the record store is unavailable; try again shortly") from None
    except (BlobIntegrityError, BlobNotFound):
        raise records.StoredRecordDamaged("the study archive is missing or damaged") from None
    return {
        "id": str(study.id), "record_id": str(study.record_id), "cid": study.archive_cid,
        "study_instance_uid": study.study_instance_uid,
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "capsule": base64.b64encode(study.archive_capsule).decode(),
        "delegating_key": study.delegating_key, "cfrags": cfrags or None,
        "verifying_key": consent.verifying_key if consent and cfrags else None,
        "manifest": study.manifest, "patient_uhid": patient.uhid,
    }


def open_and_import(holder: KeyHolder, sealed: dict[str, Any], store: DicomStore,
                    *, limits: UploadLimits | None = None) -> list[StoredInstance]:
    """Client side of a pull: decrypt the archive with one's own keys and import it into
    one's own DICOM store, every instance checked against the recorded manifest (all or
    nothing). Raises reencryption or pacs_bridge errors."""
    plaintext = holder.open_record(sealed)
    manifest = StudyManifest.from_json(sealed["manifest"])
    result = import_study_archive(store, io.BytesIO(plaintext), manifest,
                                  expected_patient_id=sealed["patient_uhid"], limits=limits)
    return list(result.instances)


def pull_study(session: Session, container: Container, *, reader: Principal,
               study_id: uuid.UUID) -> list[StoredInstance]:
    """For an institution on the keystore tier: the checked, logged read of the archive,
    opened with its keystore key and imported into its own DICOM store."""
    if reader.organization_id is None:
        raise Forbidden("studies are pulled by an institution's staff")
    item = custodial_item(reader.organization_id)
    if item is None or not container.keystore.contains(item):
        raise Conflict("your keys are held on your side: GET /imaging/studies/{id}/archive, "
                       "decrypt and import there")
    sealed = sealed_archive(session, container, reader=reader, study_id=study_id)
    holder = KeyHolder(container.keystore.load_party_keys(item))
    store = container.dicom.of(reader.organization_id)
    try:
        return open_and_import(holder, sealed, store, limits=_limits(container))
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


def preview(session: Session, container: Container, *, reader: Principal,
            study_id: uuid.UUID, sop_instance_uid: str) -> bytes:
    """A PNG of one instance. The patient and the uploader institution's staff read it from
    the uploader's PACS; a grantee (treatment) from its own PACS, after a pull."""
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    manifest = StudyManifest.from_json(study.manifest)
    if manifest.entry(sop_instance_uid) is None:
        raise NotFound("no such instance in this study")
    target = f"record:{study.record_id}"
    if reader.user_id == patient.id or reader.organization_id == study.uploader_org_id:
        basis, grant_id, org = ("owner" if reader.user_id == patient.id else "author",
                                None, study.uploader_org_id)
    else:
        decision = decide_access(session, container, accessor=reader, patient=patient,
                                 purpose="treatment", scopes=[target, "category:imaging"])
        if not decision.granted or reader.organization_id is None:
            records.log_access(container, reader, patient, record=target, action="preview",
                               purpose="treatment", granted=False, basis=decision.basis)
            raise Forbidden("no active grant of the patient covers this study")
        basis = decision.basis
        grant_id = decision.consent.grant_id if decision.consent else None
        org = reader.organization_id
    records.log_access(container, reader, patient, record=target, action="preview",
                       purpose="treatment", granted=True, basis=basis, grant_id=grant_id)
    try:
        return container.dicom.of(org).render_preview(sop_instance_uid)
    except DicomNotFound:
        raise NotFound("the instance is not in your DICOM store; pull the study first") \
            from None
    except PreviewUnsupported:
        raise Invalid("this instance has no pixel data that can be previewed") from None
    except DicomStoreUnavailable:
        raise Unavailable("the DICOM store is unavailable") from None


def deidentified_export(session: Session, container: Container, *, reader: Principal,
                        study_id: uuid.UUID) -> Iterator[bytes]:
    """A PS3.15 Basic Profile de-identified ZIP of the study, for a research grantee."""
    study = get_study(session, study_id)
    patient = _patient_of(session, study)
    target = f"record:{study.record_id}"
    decision = decide_access(session, container, accessor=reader, patient=patient,
                             purpose="research", scopes=[target, "category:imaging"])
    allowed = decision.granted and reader.user_id != patient.id
    records.log_access(container, reader, patient, record=target, action="deidentified",
                       purpose="research", granted=allowed,
                       basis=decision.basis if allowed else "none",
                       grant_id=decision.consent.grant_id
                       if allowed and decision.consent else None)
    if not allowed:
        raise Forbidden("no active research grant of the patient covers this study")
    spool: BinaryIO = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # type: ignore[assignment]  # noqa: SIM115
    try:
        export_deidentified_study(container.dicom.of(study.uploader_org_id),
                                  study.study_instance_uid, spool,
                                  patient_pseudonym=f"OHMS-{uuid.uuid4().hex[:12]}")
    except (DicomInvalid, DicomNotFound, DicomStoreUnavailable) as exc:
        spool.close()
        raise _dicom_errors(exc) from None
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while chunk := spool.read(1024 * 1024):
                yield chunk

    return chunks()
