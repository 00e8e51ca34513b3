"""Background work of a service process: one daemon thread that runs each task's `run_once`
(the outbox, the event indexer, the audit batcher, ...), each on its own clock.

A task that did some work runs again at once, so its backlog drains without waiting for the
poll interval; a task that found nothing (or failed) waits `poll_seconds`. A busy task does
not make the idle ones poll: while the email outbox drains the mails of many bookings, the
indexer still asks the chain for its head once a poll interval, not after every mail (on
the embedded dev chain that question reopens the chain's file, about 10 ms of CPU, and took
a seventh of a server process's time under a booking load). Work of one task that is new work
for another (the outbox's transactions are new blocks for the indexer) makes that one due at
once (`wakes`).

A failing task is logged (its name and the exception's type, never a message that could carry
a payload) and the loop goes on with the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from api.composition import Container
from api.ledger.indexer import EventHandler, EventIndexer
from api.ledger.outbox import OutboxWorker, SettlementHook

log = logging.getLogger("ohms.ledger.workers")

Task = tuple[str, Callable[[], int]]


class BackgroundWorkers:
    """Runs `tasks` in a daemon thread between `start()` and `stop()`; `wakes` maps a task's
    name to the tasks its work makes due at once."""

    def __init__(self, tasks: Sequence[Task], *, poll_seconds: float,
                 wakes: Mapping[str, Sequence[str]] | None = None) -> None:
        if poll_seconds <= 0:
            raise ValueError("poll_seconds must be positive")
        self.tasks = list(tasks)
        names = [name for name, _ in self.tasks]
        if len(set(names)) != len(names):
            raise ValueError("task names must be unique")
        self.wakes = {name: tuple(woken) for name, woken in (wakes or {}).items()}
        unknown = {w for woken in self.wakes.values() for w in woken} | set(self.wakes)
        if not unknown <= set(names):
            raise ValueError(f"wakes names unknown tasks: {sorted(unknown - set(names))}")
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
        due = dict.fromkeys((name for name, _ in self.tasks), 0.0)  # monotonic clock
        while not self._stopping.is_set():
            for name, run_once in self.tasks:
                if self._stopping.is_set():
                    return
                if due[name] > time.monotonic():
                    continue
                if self._run_task(name, run_once) > 0:
                    due[name] = 0.0
                    for woken in self.wakes.get(name, ()):
                        due[woken] = 0.0
                else:
                    due[name] = time.monotonic() + self.poll_seconds
            # With no task at all, the loop only waits to be stopped.
            pause = min(due.values(), default=time.monotonic() + self.poll_seconds) \
                - time.monotonic()
            if pause > 0:
                self._stopping.wait(pause)

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
    wakes: Mapping[str, Sequence[str]] | None = None,
) -> BackgroundWorkers:
    """The workers of a service process: the outbox, the event indexer (with the handlers the
    consent and audit contexts register) and any `extra_tasks` (the audit batcher, ...);
    `wakes` names the tasks an extra task's work makes due at once (see BackgroundWorkers)."""
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
    # The outbox's transactions are new blocks for the indexer.
    return BackgroundWorkers(tasks, poll_seconds=settings.worker_poll_seconds,
                             wakes={"outbox": ["indexer"], **(wakes or {})})
