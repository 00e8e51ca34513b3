"""DICOM bridge: the DicomStore port, its folder and Orthanc adapters, uploads, transfers."""

from pacs_bridge.deidentify import DeidentifiedExport, export_deidentified_study
from pacs_bridge.errors import (
    DicomInvalid,
    DicomNotFound,
    DicomStoreError,
    DicomStoreUnavailable,
    DuplicateInstanceConflict,
    ManifestMismatch,
    MissingRequiredTag,
    NotDicom,
    PatientMismatch,
    PreviewUnsupported,
    TruncatedDicom,
    UnsafeArchive,
    UploadTooLarge,
)
from pacs_bridge.local_folder import LocalFolderDicomStore
from pacs_bridge.manifest import ManifestEntry, StudyManifest, verify_against_manifest
from pacs_bridge.model import InstanceIdentity, InstanceSummary, StoredInstance, StudySummary
from pacs_bridge.orthanc import OrthancDicomStore
from pacs_bridge.store import DicomStore
from pacs_bridge.transfer import StudyExport, export_study_archive, import_study_archive
from pacs_bridge.upload import (
    UploadedFile,
    UploadLimits,
    UploadProgress,
    UploadResult,
    upload_files,
    upload_zip,
)
from pacs_bridge.validation import validate_instance

__all__ = [
    "DeidentifiedExport",
    "DicomInvalid",
    "DicomNotFound",
    "DicomStore",
    "DicomStoreError",
    "DicomStoreUnavailable",
    "DuplicateInstanceConflict",
    "InstanceIdentity",
    "InstanceSummary",
    "LocalFolderDicomStore",
    "ManifestEntry",
    "ManifestMismatch",
    "MissingRequiredTag",
    "NotDicom",
    "OrthancDicomStore",
    "PatientMismatch",
    "PreviewUnsupported",
    "StoredInstance",
    "StudyExport",
    "StudyManifest",
    "StudySummary",
    "TruncatedDicom",
    "UnsafeArchive",
    "UploadLimits",
    "UploadProgress",
    "UploadResult",
    "UploadTooLarge",
    "UploadedFile",
    "export_deidentified_study",
    "export_study_archive",
    "import_study_archive",
    "upload_files",
    "upload_zip",
    "validate_instance",
    "verify_against_manifest",
]
