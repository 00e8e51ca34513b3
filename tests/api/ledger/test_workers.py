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


def test_a_busy_task_does_not_make_the_idle_ones_poll() -> None:
    # The email outbox draining a backlog must not have the indexer ask the chain for its
    # head after every mail: an idle task waits its poll interval, whoever else is busy.
    backlog = [1] * 300
    idle_runs: list[int] = []

    def busy() -> int:
        if backlog:
            backlog.pop()
            return 1
        return 0

    def idle() -> int:
        idle_runs.append(1)
        return 0

    workers = BackgroundWorkers([("busy", busy), ("idle", idle)], poll_seconds=30)
    workers.start()
    try:
        wait_for(lambda: not backlog, "the backlog drained")
    finally:
        assert workers.stop(timeout=5)
    assert len(idle_runs) == 1  # its first pass; the next is due 30 s later


def test_work_of_one_task_makes_the_tasks_it_wakes_due_at_once() -> None:
    # The outbox's transactions are new blocks: the indexer runs right after, not a poll
    # interval later. A task nobody wakes keeps its interval.
    woken_runs: list[int] = []
    other_runs: list[int] = []
    sent = [1, 1]

    def indexer() -> int:
        woken_runs.append(1)
        return 0

    def other() -> int:
        other_runs.append(1)
        return 0

    def outbox() -> int:
        return sent.pop() if sent else 0

    workers = BackgroundWorkers([("indexer", indexer), ("other", other), ("outbox", outbox)],
                                poll_seconds=30, wakes={"outbox": ["indexer"]})
    workers.start()
    try:
        # Passes 1 and 2 send (each wakes the indexer), pass 3 runs the indexer and finds the
        # outbox idle.
        wait_for(lambda: len(woken_runs) >= 3, "the indexer woken twice")
    finally:
        assert workers.stop(timeout=5)
    assert len(woken_runs) == 3 and len(other_runs) == 1


def test_workers_without_tasks_wait_to_be_stopped() -> None:
    workers = BackgroundWorkers([], poll_seconds=0.01)
    workers.start()
    time.sleep(0.1)
    assert workers.running  # the loop did not die on an empty clock
    assert workers.stop(timeout=5)
    assert workers.run_all_once() == {}


def test_wakes_must_name_tasks_that_exist() -> None:
    with pytest.raises(ValueError, match="unknown tasks"):
        BackgroundWorkers([("outbox", lambda: 0)], poll_seconds=1, wakes={"outbox": ["indxer"]})
    with pytest.raises(ValueError, match="unique"):
        BackgroundWorkers([("a", lambda: 0), ("a", lambda: 0)], poll_seconds=1)


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
