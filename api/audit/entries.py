"""The canonical document of an access-log entry and the Merkle leaf it is committed to.

Entries themselves are written by the access gate alone (api.access.gate); this module is
the format both the gate and the batches and proofs (api.audit.service) rely on."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from api.audit.models import AccessLogEntry
from chain import leaf_hash


def entry_document(entry: AccessLogEntry) -> dict[str, Any]:
    """The fields an entry's leaf commits to, in their canonical form."""
    return {
        "id": str(entry.id),
        "at": entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "accessor": entry.accessor_uhid,
        "accessor_org": str(entry.accessor_org_id) if entry.accessor_org_id else None,
        "patient": entry.patient_uhid,
        "record": entry.record,
        "action": entry.action,
        "purpose": entry.purpose,
        "outcome": entry.outcome,
        "basis": entry.basis,
        "grant_id": entry.grant_id,
    }


def canonical_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode()


def document_leaf(document: dict[str, Any]) -> str:
    return "0x" + leaf_hash(canonical_bytes(document)).hex()
