"""De-identified export of a study for research: DICOM PS3.15 Annex E Basic Profile,
applied as a keep-list.

No maintained library fits: `dicognito` replaces identifiers with realistic fake values and
shifts dates (not the Basic Profile's actions), and `deid` brings matplotlib and its own
recipe format. A remove-list misses whatever it does not name (free text in comments,
locations, reasons for visit, vendor fields), so this module keeps only what it names:

- Kept (`SAFE`): the technical attributes needed to display and measure the images (image
  pixel, plane, VOI/modality LUT, CT/MR acquisition parameters, series structure,
  manufacturer and model), recursively inside the functional-group and image-reference
  sequences it also keeps. Everything else goes: every date, time and free-text element,
  every private element, overlays and curves, every other sequence.
- U, UIDs replaced: every kept element of VR UI (at any depth) except those naming a class
  or encoding (`KEPT_UIDS`, and any UID of the DICOM root 1.2.840.10008). New UIDs are
  `2.25.` UUID-derived values from a SHA-512 of a per-export secret and the old UID, so
  references stay consistent within an export and cannot be linked across exports.
- Z, present but empty (type 2 attributes of the patient and study modules): patient name,
  ID, birth date and sex, study date and time, referring physician, study ID, accession
  number; the caller's pseudonym goes into PatientName and PatientID.
- Added: PatientIdentityRemoved YES, DeidentificationMethod, DeidentificationMethodCode
  Sequence (DCM 113100, Basic Application Confidentiality Profile; no retain options), and
  LongitudinalTemporalInformationModified REMOVED (every date is gone).
- File meta information is rebuilt: only the SOP class, the new SOP instance UID and the
  transfer syntax (no source AE title or implementation details of the sender).

Refused (`NotDeidentifiable`): instances that declare burned-in annotation, instances of
photographic or secondary-capture kinds (US, SC, XC, OT, DOC, ES, GM, SM, IO, PX) that do
not declare its absence, and encapsulated documents (PDF/CDA): their identifying content is
in pixels or documents, which this module does not clean.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from pacs_bridge.errors import DicomInvalid
from pacs_bridge.manifest import ManifestEntry, StudyManifest
from pacs_bridge.store import DicomStore, write_instances_zip
from pacs_bridge.validation import parse_dicom, sha256_hex

DEIDENTIFICATION_METHOD = "PS3.15 E Basic Profile, keep-list"

SAFE = frozenset({
    # SOP common and series structure
    "SOPClassUID", "SOPInstanceUID", "SpecificCharacterSet", "InstanceNumber",
    "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID", "SeriesNumber",
    "AcquisitionNumber", "Modality", "BodyPartExamined", "Laterality", "ImageLaterality",
    "PatientPosition", "ViewPosition", "ImageType", "PositionReferenceIndicator",
    "Manufacturer", "ManufacturerModelName", "BurnedInAnnotation",
    "RecognizableVisualFeatures", "PresentationIntentType",
    # image pixel
    "SamplesPerPixel", "PhotometricInterpretation", "Rows", "Columns", "BitsAllocated",
    "BitsStored", "HighBit", "PixelRepresentation", "PlanarConfiguration", "PixelData",
    "FloatPixelData", "DoubleFloatPixelData", "NumberOfFrames", "FrameIncrementPointer",
    "FrameTime", "PixelAspectRatio", "SmallestImagePixelValue", "LargestImagePixelValue",
    "PixelPaddingValue", "PixelPaddingRangeLimit",
    "RedPaletteColorLookupTableDescriptor", "GreenPaletteColorLookupTableDescriptor",
    "BluePaletteColorLookupTableDescriptor", "RedPaletteColorLookupTableData",
    "GreenPaletteColorLookupTableData", "BluePaletteColorLookupTableData",
    "LossyImageCompression", "LossyImageCompressionRatio", "LossyImageCompressionMethod",
    # image plane and geometry
    "PixelSpacing", "ImagerPixelSpacing", "ImageOrientationPatient", "ImagePositionPatient",
    "SliceThickness", "SliceLocation", "SpacingBetweenSlices", "PatientOrientation",
    # modality and VOI LUT
    "WindowCenter", "WindowWidth", "WindowCenterWidthExplanation", "RescaleIntercept",
    "RescaleSlope", "RescaleType", "VOILUTFunction",
    # CT and X-ray acquisition
    "KVP", "XRayTubeCurrent", "ExposureTime", "Exposure", "ConvolutionKernel",
    "ReconstructionDiameter", "GantryDetectorTilt", "TableHeight", "RotationDirection",
    "FilterType", "GeneratorPower", "FocalSpots", "DataCollectionDiameter",
    "SpiralPitchFactor", "CTDIvol", "ScanOptions", "SingleCollimationWidth",
    "TotalCollimationWidth", "TableSpeed", "TableFeedPerRotation",
    # MR acquisition
    "MagneticFieldStrength", "RepetitionTime", "EchoTime", "FlipAngle", "ScanningSequence",
    "SequenceVariant", "MRAcquisitionType", "EchoTrainLength", "InversionTime",
    "ImagingFrequency", "ImagedNucleus", "NumberOfAverages", "EchoNumbers",
    "PixelBandwidth", "SAR", "dBdt",
    # sequences kept, filtered by this same list inside
    "SourceImageSequence", "ReferencedImageSequence", "ReferencedSOPClassUID",
    "ReferencedSOPInstanceUID", "ReferencedFrameNumber",
    "SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence",
    "PixelMeasuresSequence", "PlanePositionSequence", "PlaneOrientationSequence",
    "FrameVOILUTSequence", "PixelValueTransformationSequence", "FrameContentSequence",
    "InStackPositionNumber", "StackID", "TemporalPositionIndex", "DimensionIndexValues",
})

# Type 2 attributes of the patient and general study modules: present, empty.
EMPTIED = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate",
           "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber")

# Kinds of images whose identifying content is typically in the pixels (photographs,
# screen captures, scanned documents): exported only when they declare none.
_PHOTOGRAPHIC_MODALITIES = frozenset({"US", "SC", "XC", "OT", "DOC", "ES", "GM", "SM", "IO",
                                      "PX"})

KEPT_UIDS = frozenset({
    "SOPClassUID", "MediaStorageSOPClassUID", "ReferencedSOPClassUID",
    "ReferencedSOPClassUIDInFile", "TransferSyntaxUID", "ReferencedTransferSyntaxUIDInFile",
    "ImplementationClassUID", "CodingSchemeUID", "ContextUID", "PrivateInformationCreatorUID",
    "AffectedSOPClassUID", "RequestedSOPClassUID",
})
_DICOM_ROOT_UID = "1.2.840.10008."


class NotDeidentifiable(DicomInvalid):
    """The instance's identifying content may be in its pixels or an embedded document."""


BurnedInAnnotation = NotDeidentifiable  # the name earlier callers used


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


def _keep_only_safe(dataset: Dataset, remap: UidRemapper) -> None:
    """Delete every element not in SAFE (recursing into the kept sequences); remap UIDs."""
    for element in list(dataset):
        keyword = element.keyword
        if element.tag.is_private or keyword not in SAFE:
            del dataset[element.tag]
        elif element.VR == "SQ":
            for item in element.value:
                _keep_only_safe(item, remap)
        elif element.VR == "UI" and keyword not in KEPT_UIDS:
            element.value = _remap_uid_value(element.value, remap)


def _refuse_unsafe_content(dataset: Dataset) -> None:
    sop = dataset.get("SOPInstanceUID", "")
    burned_in = str(dataset.get("BurnedInAnnotation", "")).strip().upper()
    if burned_in == "YES":
        raise NotDeidentifiable(f"instance {sop} has burned-in annotation: its pixels would "
                                "need cleaning before a de-identified export")
    if "EncapsulatedDocument" in dataset:
        raise NotDeidentifiable(f"instance {sop} is an encapsulated document, which is not "
                                "de-identified by this export")
    if str(dataset.get("Modality", "")).upper() in _PHOTOGRAPHIC_MODALITIES and burned_in != "NO":
        raise NotDeidentifiable(f"instance {sop} is of a kind that often carries identifying "
                                "text in its pixels and does not declare BurnedInAnnotation NO")


def deidentify_instance(
    data: bytes, remap: UidRemapper, *, patient_pseudonym: str | None = None
) -> bytes:
    """The keep-list profile applied to one instance's bytes; returns the new file's bytes."""
    dataset = parse_dicom(data, defer_values=False)
    _refuse_unsafe_content(dataset)
    transfer_syntax = dataset.file_meta.TransferSyntaxUID
    _keep_only_safe(dataset, remap)
    for keyword in EMPTIED:
        setattr(dataset, keyword, "")
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
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    meta.TransferSyntaxUID = transfer_syntax
    dataset.file_meta = meta
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue()


@dataclass(frozen=True)
class DeidentifiedExport:
    """The de-identified study's new UID and the manifest of the de-identified instances."""

    study_instance_uid: str
    manifest: StudyManifest
    archive_bytes: int


def _recorded_instances(store: DicomStore, manifest: StudyManifest) -> Iterator[bytes]:
    """Exactly the instances a manifest names, each checked against it."""
    for entry in manifest.entries:
        data = store.get_instance(entry.sop_instance_uid)
        manifest.check_instance(entry.sop_instance_uid, data)
        yield data


def export_deidentified_study(
    store: DicomStore,
    study_instance_uid: str,
    out: BinaryIO,
    *,
    patient_pseudonym: str | None = None,
    secret: str | None = None,
    manifest: StudyManifest | None = None,
) -> DeidentifiedExport:
    """Write a de-identified copy of the study as a ZIP to `out`, one instance at a time.

    With `manifest`, exactly its instances (checked against it; `ManifestMismatch`
    otherwise), not whatever else the store holds under the same Study Instance UID.
    """
    remap = UidRemapper(secret)
    new_study_uid = remap(study_instance_uid)
    entries: list[ManifestEntry] = []
    source = (_recorded_instances(store, manifest) if manifest is not None
              else (data for _, data in store.export_study(study_instance_uid)))

    def members() -> Iterator[tuple[str, bytes]]:
        for data in source:
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
