"""Moving a study between institutions: export it from one store as a ZIP, import it into another.

The export writes a ZIP (one `<SOPInstanceUID>.dcm` member per instance, bytes exactly as
stored) to a stream the caller encrypts, and returns the manifest of what it wrote. The
import accepts the decrypted ZIP only if it holds exactly the manifest's instances with their
bytes, stores them all or nothing, then reads every instance back from the receiving store
and checks it against the manifest again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from pacs_bridge.errors import ManifestMismatch
from pacs_bridge.manifest import ManifestEntry, StudyManifest, verify_against_manifest
from pacs_bridge.store import DicomStore, write_instances_zip
from pacs_bridge.upload import ProgressCallback, UploadLimits, UploadResult, roll_back, upload_zip
from pacs_bridge.validation import sha256_hex


@dataclass(frozen=True)
class StudyExport:
    manifest: StudyManifest
    archive_bytes: int


def export_study_archive(
    store: DicomStore,
    study_instance_uid: str,
    out: BinaryIO,
    *,
    expected_manifest: StudyManifest | None = None,
) -> StudyExport:
    """Write the study as a ZIP to `out`, one instance in memory at a time.

    With `expected_manifest` (the one recorded at upload), refuse with `ManifestMismatch`
    when the sending store no longer holds exactly those bytes; the caller must then discard
    what was written to `out`.
    """
    entries: list[ManifestEntry] = []

    def members() -> Iterator[tuple[str, bytes]]:
        for sop_uid, data in store.export_study(study_instance_uid):
            entries.append(ManifestEntry(sop_uid, sha256_hex(data), len(data)))
            yield f"{sop_uid}.dcm", data

    written = write_instances_zip(members(), out)
    manifest = StudyManifest.build(study_instance_uid, entries)
    if expected_manifest is not None and manifest.digest != expected_manifest.digest:
        differing = {e.sop_instance_uid for e in manifest.entries} ^ {
            e.sop_instance_uid for e in expected_manifest.entries
        }
        differing |= {
            e.sop_instance_uid
            for e in manifest.entries
            if expected_manifest.entry(e.sop_instance_uid) not in (None, e)
        }
        raise ManifestMismatch(
            f"study {study_instance_uid} no longer matches its recorded manifest",
            mismatched_sop_uids=tuple(sorted(differing)),
        )
    return StudyExport(manifest=manifest, archive_bytes=written)


def import_study_archive(
    store: DicomStore,
    archive: BinaryIO,
    manifest: StudyManifest,
    *,
    expected_patient_id: str | None = None,
    limits: UploadLimits | None = None,
    on_progress: ProgressCallback | None = None,
) -> UploadResult:
    """Import a study ZIP verified against its manifest; nothing stays stored on refusal."""
    result = upload_zip(
        store,
        archive,
        expected_patient_id=expected_patient_id,
        limits=limits,
        on_progress=on_progress,
        manifest=manifest,
    )
    try:
        verify_against_manifest(store, manifest)
    except BaseException as exc:
        roll_back(store, [s for s in result.instances if s.newly_stored], exc)
        raise
    return result
