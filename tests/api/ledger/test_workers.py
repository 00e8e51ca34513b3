"""Background workers: the outbox and the indexer run in a daemon thread of the service, and
one failing task never stops the others."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from sqlalchemy.orm import Session

from api.ledger.models import OutboxStatus
from api.ledger.workers import BackgroundWorkers, build_workers
from chain import ChainEvent
from tests.api.conftest import Ohms
from tests.api.ledger.conftest import chain_of, new_batch, queue_anchor, row


def wait_for(done: object, what: str, timeout: float = 30.0) -> None:
    assert callable(done)
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.01)


def test_a_failing_task_is_logged_and_never_stops_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ohms.ledger.workers")
    runs: list[int] = []

    def broken() -> int:
        raise RuntimeError("patient Zebediah's note")

    def counting() -> int:
        runs.append(1)
        return 0

    workers = BackgroundWorkers([("broken", broken), ("counting", counting)], poll_seconds=0.01)
    workers.start()
    try:
        wait_for(lambda: len(runs) >= 3, "three passes")
        assert workers.running
    finally:
        assert workers.stop(timeout=5)
    assert not workers.running

    failures = [r for r in caplog.records if r.getMessage() == "background task failed"]
    assert failures and all(getattr(r, "task", None) == "broken" for r in failures)
    logged = json.dumps([r.__dict__ for r in caplog.records], default=str)
    assert "Zebediah" not in logged
    assert workers.run_all_once() == {"broken": -1, "counting": 0}


def test_the_service_workers_send_and_index_in_the_background(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    indexed: list[int] = []
    lock = threading.Lock()

    def mirror(session: Session, event: ChainEvent) -> None:
        with lock:
            indexed.append(int(event.args["batch"]))

    extra_runs: list[int] = []
    workers = build_workers(ledger.container, [("audit-batcher", lambda: len(extra_runs))],
                            event_handlers={"BatchAnchored": mirror})
    assert [name for name, _ in workers.tasks] == ["outbox", "indexer", "audit-batcher"]

    batch = new_batch()
    queued = queue_anchor(ledger, batch)
    done = workers.run_all_once()
    assert done["outbox"] >= 1 and done["indexer"] >= 1 and done["audit-batcher"] == 0
    assert row(ledger, queued.id).status == OutboxStatus.confirmed and batch in indexed

    later = new_batch()
    queued_later = queue_anchor(ledger, later)
    workers.start()
    try:
        wait_for(lambda: row(ledger, queued_later.id).status == OutboxStatus.confirmed,
                 "the background outbox confirming")
        wait_for(lambda: later in indexed, "the background indexer handling the event")
    finally:
        assert workers.stop(timeout=10)
    assert chain.batch_root(later) is not None
    assert indexed.count(later) == 1
