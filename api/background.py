"""The service's background work: the outbox sender, the chain event indexer (the grants and
anchors mirror), the audit batcher and consent reconciliation, run in one worker loop."""

from __future__ import annotations

from api.audit.service import AuditBatcher, on_batch_anchored
from api.composition import Container
from api.consent import service as consent
from api.db.session import SYSTEM, session_scope
from api.ledger.workers import BackgroundWorkers, build_workers


def attach_background(container: Container) -> BackgroundWorkers:
    """Build the workers, give the container its indexer, and return the loop (not started)."""
    settings = container.settings
    batcher = AuditBatcher(container.sessions, container.chain,
                           max_entries=settings.audit_batch_max_entries,
                           max_seconds=settings.audit_batch_max_seconds)

    def reconcile() -> int:
        with session_scope(container.sessions, SYSTEM) as session:
            return consent.reconcile_rejected(session) + consent.expire_consents(session)

    return build_workers(
        container,
        [("audit-batcher", batcher.run_once), ("consent-reconcile", reconcile)],
        event_handlers={
            "ConsentGranted": consent.on_consent_granted,
            "ConsentRevoked": consent.on_consent_revoked,
            "BatchAnchored": on_batch_anchored,
        },
    )
