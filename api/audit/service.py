"""Batching access-log entries into Merkle trees anchored on chain through the outbox, and
serving inclusion proofs. Entries are written by the access gate alone (api.access.gate)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.audit.models import AccessLogEntry, AuditBatch
from api.chain_gateway import ChainGateway
from api.db.base import utcnow
from api.db.session import SYSTEM, session_scope
from api.errors import NotFound
from api.ledger.outbox import enqueue
from chain import ChainEvent, MerkleTree

log = logging.getLogger("ohms.audit")


class AuditBatcher:
    """Closes a batch when `max_entries` are waiting or the oldest waited `max_seconds`."""

    def __init__(self, sessions: sessionmaker[Session], chain: ChainGateway, *,
                 max_entries: int, max_seconds: float) -> None:
        self._sessions = sessions
        self._chain = chain
        self.max_entries = max_entries
        self.max_seconds = max_seconds

    def run_once(self, *, force: bool = False) -> int:
        """Close at most one batch; returns its size (0 when none was due)."""
        with session_scope(self._sessions, SYSTEM) as session:
            pending = session.scalar(select(func.count()).select_from(AccessLogEntry)
                                     .where(AccessLogEntry.batch.is_(None))) or 0
            if pending == 0:
                return 0
            oldest = session.scalar(select(func.min(AccessLogEntry.at))
                                    .where(AccessLogEntry.batch.is_(None)))
            due = force or pending >= self.max_entries or (
                oldest is not None and utcnow() - oldest >= timedelta(seconds=self.max_seconds))
            if not due:
                return 0
            rows = list(session.execute(
                select(AccessLogEntry.id, AccessLogEntry.leaf)
                .where(AccessLogEntry.batch.is_(None))
                .order_by(AccessLogEntry.at, AccessLogEntry.id).limit(self.max_entries)
            ))
            number = (session.scalar(select(func.max(AuditBatch.number))) or 0) + 1
            tree = MerkleTree.build([bytes.fromhex(leaf[2:]) for _, leaf in rows])
            root = "0x" + tree.root.hex()
            session.add(AuditBatch(number=number, root=root, size=len(rows)))
            try:
                session.flush()
            except IntegrityError:
                # Another process closed this batch number first; try again next round.
                session.rollback()
                return 0
            ids = [row_id for row_id, _ in rows]
            changed = session.execute(
                update(AccessLogEntry)
                .where(AccessLogEntry.id.in_(ids), AccessLogEntry.batch.is_(None))
                .values(batch=number)
            )
            if changed.rowcount != len(ids):  # type: ignore[attr-defined]
                session.rollback()
                return 0
            request = self._chain.ready().anchor_transaction(number, tree.root, len(rows))
            enqueue(session, kind="audit.anchor", request=request,
                    idempotency_key=f"audit.anchor:{number}", subject_id=str(number))
            log.info("audit batch closed", extra={"batch": number, "size": len(rows)})
            return len(rows)


def on_batch_anchored(session: Session, event: ChainEvent) -> None:
    batch = session.get(AuditBatch, int(event.args["batch"]))
    if batch is not None and batch.anchored_block is None:
        batch.anchored_block = event.block_number
        batch.anchored_at = datetime.fromtimestamp(int(event.args["anchoredAt"]), UTC)


def inclusion_proof(session: Session, entry: AccessLogEntry) -> dict[str, Any]:
    if entry.batch is None:
        raise NotFound("this entry is not in a batch yet; its proof exists once the batch "
                       "closes")
    batch = session.get(AuditBatch, entry.batch)
    assert batch is not None
    leaves = [bytes.fromhex(leaf[2:]) for leaf in session.scalars(
        select(AccessLogEntry.leaf).where(AccessLogEntry.batch == entry.batch))]
    tree = MerkleTree.build(leaves)
    leaf = bytes.fromhex(entry.leaf[2:])
    return {
        "leaf": entry.leaf,
        "proof": ["0x" + p.hex() for p in tree.proof(leaf)],
        "root": batch.root,
        "batch": batch.number,
        "anchored": batch.anchored_block is not None,
    }


_OUTCOME_CODES = {"granted": "0", "denied": "4"}  # FHIR AuditEvent.outcome: success, minor failure


def as_fhir_audit_event(entry: AccessLogEntry) -> dict[str, Any]:
    """The entry as a FHIR R4 AuditEvent (the same log, for FHIR clients and SIEMs)."""
    purpose = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
               "code": {"treatment": "TREAT", "claim": "HPAYMT", "research": "HRESCH",
                        "emergency": "ETREAT"}.get(entry.purpose, "HOPERAT")}
    return {
        "resourceType": "AuditEvent",
        "id": str(entry.id),
        "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                 "code": "rest", "display": "RESTful Operation"},
        "action": "R",
        "recorded": entry.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "outcome": _OUTCOME_CODES[entry.outcome],
        "purposeOfEvent": [{"coding": [purpose]}],
        "agent": [{
            "who": {"identifier": {"system": "urn:ohms:uhid", "value": entry.accessor_uhid}},
            "requestor": True,
            "policy": [entry.grant_id] if entry.grant_id else [],
            "purposeOfUse": [{"coding": [purpose]}],
        }],
        "source": {"observer": {"display": "OHMS"}},
        "entity": [{
            "what": {"identifier": {"system": "urn:ohms:uhid", "value": entry.patient_uhid}},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                     "code": "1", "display": "Person"},
            "description": entry.record,
            "detail": [{"type": "basis", "valueString": entry.basis},
                       {"type": "batch", "valueString": str(entry.batch or "")},
                       {"type": "leaf", "valueString": entry.leaf}],
        }],
    }
