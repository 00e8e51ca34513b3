"""Background work of a service process: one daemon thread that runs each task's `run_once`
(the outbox, the event indexer, the audit batcher, ...) every `poll_seconds`.

A failing task is logged (its name and the exception's type, never a message that could carry
a payload) and the loop goes on with the next one. A pass that did some work is followed at
once by another, so a backlog drains without waiting for the poll interval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence

from api.composition import Container
from api.ledger.indexer import EventHandler, EventIndexer
from api.ledger.outbox import OutboxWorker, SettlementHook

log = logging.getLogger("ohms.ledger.workers")

Task = tuple[str, Callable[[], int]]


class BackgroundWorkers:
    """Runs `tasks` in a daemon thread between `start()` and `stop()`."""

    def __init__(self, tasks: Sequence[Task], *, poll_seconds: float) -> None:
        if poll_seconds <= 0:
            raise ValueError("poll_seconds must be positive")
        self.tasks = list(tasks)
        self.poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="ohms-workers", daemon=True)
        self._thread.start()
        log.info("background workers started", extra={"tasks": [name for name, _ in self.tasks]})

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the loop to end after the task it is running; True when it ended in time."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout)
        stopped = not thread.is_alive()
        if not stopped:
            log.warning("background workers did not stop in time", extra={"timeout": timeout})
        return stopped

    def run_all_once(self) -> dict[str, int]:
        """One pass over every task (tests, CLIs): how much each did, -1 for a task that
        failed."""
        return {name: self._run_task(name, run_once) for name, run_once in self.tasks}

    def _loop(self) -> None:
        while not self._stopping.is_set():
            done = 0
            for name, run_once in self.tasks:
                if self._stopping.is_set():
                    return
                done += max(self._run_task(name, run_once), 0)
            if done == 0:
                self._stopping.wait(self.poll_seconds)

    @staticmethod
    def _run_task(name: str, run_once: Callable[[], int]) -> int:
        try:
            return run_once()
        except Exception as exc:  # noqa: BLE001 - one failing task must not stop the others
            log.error("background task failed",
                      extra={"task": name, "error_type": type(exc).__name__})
            return -1


def build_workers(
    container: Container,
    extra_tasks: Sequence[Task] = (),
    *,
    event_handlers: Mapping[str, EventHandler] | None = None,
    on_settled: Mapping[str, SettlementHook] | None = None,
) -> BackgroundWorkers:
    """The workers of a service process: the outbox, the event indexer (with the handlers the
    consent and audit contexts register) and any `extra_tasks` (the audit batcher, ...)."""
    settings = container.settings
    outbox = OutboxWorker(
        container.sessions,
        container.chain,
        max_attempts=settings.outbox_max_attempts,
        on_settled=on_settled,
    )
    indexer = EventIndexer(
        container.sessions,
        container.chain,
        confirmations=settings.chain_confirmations,
        handlers=event_handlers or {},
        # Well within the bound access decisions trust the mirror for.
        heartbeat_seconds=settings.mirror_max_lag_seconds / 4,
    )
    container.indexer = indexer

    def index() -> int:
        return container.index_mirror()

    tasks: list[Task] = [("outbox", outbox.run_once), ("indexer", index)]
    tasks.extend(extra_tasks)
    return BackgroundWorkers(tasks, poll_seconds=settings.worker_poll_seconds)
