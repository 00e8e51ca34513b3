"""De-identified export of a study for research, after DICOM PS3.15 Annex E, Basic Profile.

No maintained library fits: `dicognito` replaces identifiers with realistic fake values and
shifts dates (not the Basic Profile's actions), and `deid` brings matplotlib and its own
recipe format. This module applies the Basic Application Level Confidentiality Profile's
actions (PS3.15 Table E.1-1, Basic Profile column, without options) to the attributes below:

- Z, emptied (or set to the caller's pseudonym for PatientName and PatientID): the
  `EMPTIED` table: patient name, ID, birth date and sex, accession number, study ID, study
  date and time, content date and time, referring physician, order numbers, content creator,
  verifying observer.
- X, removed: the `REMOVED` table: institution and department, other physicians and
  operators, station, descriptions and comments, other patient IDs and names, age, size,
  weight, address, telephone and telecom, ethnic group, occupation, history, religion,
  residence, alerts, allergies, pregnancy and smoking status, insurance, admission and visit
  data, device serial number, protocol name, request and procedure-step attributes, series,
  acquisition and instance-creation dates and times, referenced patient/study sequences,
  SR content sequence; also every private element, overlay data and comments (60xx,3000/4000)
  and curve data (50xx).
- U, UIDs replaced: every element of VR UI (at any depth, file meta included) except those
  naming a class or encoding (`KEPT_UIDS`, and any UID of the DICOM root 1.2.840.10008).
  New UIDs are `2.25.` UUID-derived values from a SHA-512 of a per-export secret and the old
  UID, so references stay consistent within an export and cannot be linked across exports.
- Stricter than the table: every other PN element at any depth is emptied.
- Added: PatientIdentityRemoved YES, DeidentificationMethod, DeidentificationMethodCode
  Sequence (DCM 113100, Basic Application Confidentiality Profile), and
  LongitudinalTemporalInformationModified REMOVED.

Instances with BurnedInAnnotation YES are refused: the Basic Profile requires their pixel
data to be cleaned, which this module does not do.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from pacs_bridge.errors import DicomInvalid
from pacs_bridge.manifest import ManifestEntry, StudyManifest
from pacs_bridge.store import DicomStore, write_instances_zip
from pacs_bridge.validation import parse_dicom, sha256_hex

DEIDENTIFICATION_METHOD = "PS3.15 E Basic Application Level Confidentiality Profile"

EMPTIED = frozenset({
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "AccessionNumber",
    "ReferringPhysicianName", "StudyID", "StudyDate", "StudyTime", "ContentDate",
    "ContentTime", "ContentCreatorName", "FillerOrderNumberImagingServiceRequest",
    "PlacerOrderNumberImagingServiceRequest", "VerifyingObserverName",
    "VerifyingObserverIdentificationCodeSequence", "ContrastBolusAgent",
})

REMOVED = frozenset({
    "InstitutionName", "InstitutionAddress", "InstitutionCodeSequence",
    "InstitutionalDepartmentName", "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers", "ReferringPhysicianIdentificationSequence",
    "ConsultingPhysicianName", "PhysiciansOfRecord", "PhysiciansOfRecordIdentificationSequence",
    "PerformingPhysicianName", "PerformingPhysicianIdentificationSequence",
    "NameOfPhysiciansReadingStudy", "PhysiciansReadingStudyIdentificationSequence",
    "OperatorsName", "OperatorIdentificationSequence", "StationName", "StudyDescription",
    "SeriesDescription", "AdmittingDiagnosesDescription", "AdmittingDiagnosesCodeSequence",
    "DerivationDescription", "IssuerOfPatientID", "PatientBirthTime", "OtherPatientIDs",
    "OtherPatientIDsSequence", "OtherPatientNames", "PatientBirthName", "PatientAge",
    "PatientSize", "PatientWeight", "PatientAddress", "PatientMotherBirthName", "MilitaryRank",
    "BranchOfService", "MedicalRecordLocator", "PatientTelephoneNumbers",
    "PatientTelecomInformation", "EthnicGroup", "Occupation", "AdditionalPatientHistory",
    "PatientComments", "PatientReligiousPreference", "CountryOfResidence", "RegionOfResidence",
    "MedicalAlerts", "Allergies", "SmokingStatus", "PregnancyStatus", "LastMenstrualDate",
    "PatientState", "SpecialNeeds", "PatientInsurancePlanCodeSequence",
    "PatientPrimaryLanguageCodeSequence", "ResponsiblePerson", "ResponsibleOrganization",
    "AdmissionID", "IssuerOfAdmissionIDSequence", "CurrentPatientLocation",
    "PatientInstitutionResidence", "VisitComments", "DeviceSerialNumber", "ProtocolName",
    "ImageComments", "AcquisitionComments", "FrameComments", "TextComments",
    "RequestAttributesSequence", "RequestingPhysician", "RequestingService",
    "RequestedProcedureDescription", "RequestedProcedureID", "ReasonForTheRequestedProcedure",
    "ReasonForStudy", "PerformedProcedureStepDescription", "PerformedProcedureStepID",
    "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime",
    "PerformedProcedureStepEndDate", "PerformedProcedureStepEndTime",
    "ScheduledProcedureStepDescription", "ScheduledProcedureStepID",
    "ScheduledPerformingPhysicianName", "ReferencedPatientSequence",
    "ReferencedStudySequence", "ReferencedPatientPhotoSequence", "SeriesDate", "SeriesTime",
    "AcquisitionDate", "AcquisitionTime", "AcquisitionDateTime", "InstanceCreationDate",
    "InstanceCreationTime", "SoftwareVersions", "ContentSequence",
})

KEPT_UIDS = frozenset({
    "SOPClassUID", "MediaStorageSOPClassUID", "ReferencedSOPClassUID",
    "ReferencedSOPClassUIDInFile", "TransferSyntaxUID", "ReferencedTransferSyntaxUIDInFile",
    "ImplementationClassUID", "CodingSchemeUID", "ContextUID", "PrivateInformationCreatorUID",
    "AffectedSOPClassUID", "RequestedSOPClassUID",
})
_DICOM_ROOT_UID = "1.2.840.10008."


class BurnedInAnnotation(DicomInvalid):
    """The instance declares identifying text burned into its pixels."""


class UidRemapper:
    """Replaces UIDs consistently within one export; a fresh secret unlinks exports."""

    def __init__(self, secret: str | None = None) -> None:
        self._secret = secret or secrets.token_hex(32)
        self._mapping: dict[str, str] = {}

    def __call__(self, uid: str) -> str:
        new_uid = self._mapping.get(uid)
        if new_uid is None:
            new_uid = generate_uid(prefix=None, entropy_srcs=[self._secret, uid])
            self._mapping[uid] = new_uid
        return new_uid


def _remap_uid_value(value: object, remap: UidRemapper) -> object:
    if isinstance(value, str):
        if not value or value.startswith(_DICOM_ROOT_UID):
            return value
        return remap(value)
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return [_remap_uid_value(v, remap) for v in value]  # type: ignore[attr-defined]
    return value


def _apply_profile(dataset: Dataset, remap: UidRemapper) -> None:
    def visit(current: Dataset, element: DataElement) -> None:
        keyword = element.keyword
        group = element.tag.group
        is_curve = 0x5000 <= group <= 0x50FF
        is_overlay_text_or_data = 0x6000 <= group <= 0x60FF and element.tag.element in (
            0x3000,
            0x4000,
        )
        if element.tag.is_private or keyword in REMOVED or is_curve or is_overlay_text_or_data:
            del current[element.tag]
        elif keyword in EMPTIED or element.VR == "PN":
            element.value = Sequence() if element.VR == "SQ" else ""
        elif element.VR == "UI" and keyword not in KEPT_UIDS:
            element.value = _remap_uid_value(element.value, remap)

    dataset.walk(visit)
    dataset.file_meta.walk(visit)


def deidentify_instance(
    data: bytes, remap: UidRemapper, *, patient_pseudonym: str | None = None
) -> bytes:
    """The Basic Profile applied to one instance's bytes; returns the new file's bytes."""
    dataset = parse_dicom(data, defer_values=False)
    if str(dataset.get("BurnedInAnnotation", "")).strip().upper() == "YES":
        raise BurnedInAnnotation(
            f"instance {dataset.get('SOPInstanceUID', '')} has burned-in annotation: "
            "its pixels would need cleaning before a de-identified export"
        )
    _apply_profile(dataset, remap)
    if patient_pseudonym is not None:
        dataset.PatientID = patient_pseudonym
        dataset.PatientName = patient_pseudonym
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = DEIDENTIFICATION_METHOD
    method_code = Dataset()
    method_code.CodeValue = "113100"
    method_code.CodingSchemeDesignator = "DCM"
    method_code.CodeMeaning = "Basic Application Confidentiality Profile"
    dataset.DeidentificationMethodCodeSequence = Sequence([method_code])
    dataset.LongitudinalTemporalInformationModified = "REMOVED"
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue()


@dataclass(frozen=True)
class DeidentifiedExport:
    """The de-identified study's new UID and the manifest of the de-identified instances."""

    study_instance_uid: str
    manifest: StudyManifest
    archive_bytes: int


def export_deidentified_study(
    store: DicomStore,
    study_instance_uid: str,
    out: BinaryIO,
    *,
    patient_pseudonym: str | None = None,
    secret: str | None = None,
) -> DeidentifiedExport:
    """Write a de-identified copy of the study as a ZIP to `out`, one instance at a time."""
    remap = UidRemapper(secret)
    new_study_uid = remap(study_instance_uid)
    entries: list[ManifestEntry] = []

    def members() -> Iterator[tuple[str, bytes]]:
        for _, data in store.export_study(study_instance_uid):
            cleaned = deidentify_instance(data, remap, patient_pseudonym=patient_pseudonym)
            new_sop_uid = str(pydicom.dcmread(io.BytesIO(cleaned), stop_before_pixels=True)
                              .SOPInstanceUID)
            entries.append(ManifestEntry(new_sop_uid, sha256_hex(cleaned), len(cleaned)))
            yield f"{new_sop_uid}.dcm", cleaned

    written = write_instances_zip(members(), out)
    return DeidentifiedExport(
        study_instance_uid=new_study_uid,
        manifest=StudyManifest.build(new_study_uid, entries),
        archive_bytes=written,
    )
