"""Study manifests: the SHA-256 and size of every instance of a study, and one digest over them.

A manifest is recorded when a study is uploaded; after a transfer the receiving side checks
every instance it holds against it (`verify_against_manifest`). The digest is the SHA-256 of
the manifest's canonical JSON (sorted keys, entries sorted by SOP Instance UID, no spaces),
so it can be anchored or signed and any change to an entry changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pacs_bridge.errors import DicomInvalid, DicomNotFound, ManifestMismatch
from pacs_bridge.store import DicomStore
from pacs_bridge.validation import is_valid_uid, sha256_hex

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ManifestEntry:
    sop_instance_uid: str
    sha256: str
    size: int


@dataclass(frozen=True)
class StudyManifest:
    """What a study held when it was recorded: per SOP Instance UID, its SHA-256 and size."""

    study_instance_uid: str
    entries: tuple[ManifestEntry, ...]

    @classmethod
    def build(cls, study_instance_uid: str, entries: Iterable[ManifestEntry]) -> StudyManifest:
        by_uid: dict[str, ManifestEntry] = {}
        for entry in entries:
            known = by_uid.get(entry.sop_instance_uid)
            if known is not None and known != entry:
                raise ManifestMismatch(
                    f"instance {entry.sop_instance_uid} appears twice with different content",
                    mismatched_sop_uids=(entry.sop_instance_uid,),
                )
            by_uid[entry.sop_instance_uid] = entry
        return cls(
            study_instance_uid=study_instance_uid,
            entries=tuple(by_uid[uid] for uid in sorted(by_uid)),
        )

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self.entries)

    @cached_property
    def _entries_by_uid(self) -> dict[str, ManifestEntry]:
        return {entry.sop_instance_uid: entry for entry in self.entries}

    def entry(self, sop_instance_uid: str) -> ManifestEntry | None:
        return self._entries_by_uid.get(sop_instance_uid)

    def _canonical_body(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "study_instance_uid": self.study_instance_uid,
            "instances": [
                {"sop_instance_uid": e.sop_instance_uid, "sha256": e.sha256, "size": e.size}
                for e in self.entries
            ],
        }

    @property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the manifest."""
        canonical = json.dumps(self._canonical_body(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self) -> str:
        return json.dumps({**self._canonical_body(), "digest": self.digest}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> StudyManifest:
        """Parse a manifest, refusing one whose digest does not match its entries."""
        try:
            body = json.loads(text)
            manifest = cls.build(
                str(body["study_instance_uid"]),
                (
                    ManifestEntry(
                        sop_instance_uid=str(item["sop_instance_uid"]),
                        sha256=str(item["sha256"]),
                        size=int(item["size"]),
                    )
                    for item in body["instances"]
                ),
            )
            claimed = str(body["digest"])
            version = int(body["version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DicomInvalid(f"manifest is not valid JSON of the expected shape: {exc}") from None
        if version != MANIFEST_VERSION:
            raise DicomInvalid(f"manifest version {version} is not supported")
        if not is_valid_uid(manifest.study_instance_uid) or not all(
            is_valid_uid(e.sop_instance_uid) for e in manifest.entries
        ):
            raise DicomInvalid("manifest holds an invalid UID")
        if claimed != manifest.digest:
            raise ManifestMismatch("manifest digest does not match its entries")
        return manifest

    def check_instance(self, sop_instance_uid: str, data: bytes) -> None:
        """Refuse bytes that are not exactly the ones recorded for this SOP Instance UID."""
        self.check_digest(sop_instance_uid, sha256=sha256_hex(data), size=len(data))

    def check_digest(self, sop_instance_uid: str, *, sha256: str, size: int) -> None:
        """Refuse an instance whose SHA-256 or size is not the one recorded."""
        entry = self.entry(sop_instance_uid)
        if entry is None:
            raise ManifestMismatch(
                f"instance {sop_instance_uid} is not in the manifest of study "
                f"{self.study_instance_uid}",
                mismatched_sop_uids=(sop_instance_uid,),
            )
        if entry.size != size or entry.sha256 != sha256:
            raise ManifestMismatch(
                f"instance {sop_instance_uid} differs from the manifest (size or SHA-256)",
                mismatched_sop_uids=(sop_instance_uid,),
            )


def verify_against_manifest(store: DicomStore, manifest: StudyManifest) -> None:
    """Check that `store` holds every instance of the manifest with exactly its bytes.

    Instances are read one at a time. Raises `ManifestMismatch` naming every missing or
    differing SOP Instance UID; instances the store holds beyond the manifest are allowed.
    """
    mismatched: list[str] = []
    for entry in manifest.entries:
        try:
            data = store.get_instance(entry.sop_instance_uid)
        except DicomNotFound:
            mismatched.append(entry.sop_instance_uid)
            continue
        if len(data) != entry.size or sha256_hex(data) != entry.sha256:
            mismatched.append(entry.sop_instance_uid)
    if mismatched:
        raise ManifestMismatch(
            f"{len(mismatched)} of {len(manifest.entries)} instances of study "
            f"{manifest.study_instance_uid} are missing or differ from the manifest",
            mismatched_sop_uids=tuple(mismatched),
        )
