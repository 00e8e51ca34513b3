"""The event indexer: each confirmed event is handled once, in chain order, with the cursor
moving in the same database transaction as the handlers' writes."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session

from api.ledger.indexer import EventHandler, EventIndexer
from api.ledger.models import ChainCursor
from chain import ChainEvent
from tests.api.conftest import Ohms
from tests.api.ledger.conftest import chain_of, mine_blocks, new_batch, new_worker, queue_anchor


class AnchorMirror:
    """A handler that records which batches it saw, and writes a marker row per batch in the
    indexer's transaction (to see that handler writes commit or roll back with the cursor)."""

    def __init__(self, ohms: Ohms) -> None:
        self.ohms = ohms
        self.seen: list[int] = []
        self.fail_on: int | None = None

    def __call__(self, session: Session, event: ChainEvent) -> None:
        batch = int(event.args["batch"])
        if session.get(ChainCursor, f"seen-{batch}") is None:
            session.add(ChainCursor(name=f"seen-{batch}", last_block=event.block_number))
            session.flush()
        if batch == self.fail_on:
            raise RuntimeError("the mirror is broken")
        self.seen.append(batch)

    def marked(self, batch: int) -> bool:
        with self.ohms.db() as session:
            return session.get(ChainCursor, f"seen-{batch}") is not None


def indexer(ohms: Ohms, name: str, handlers: dict[str, EventHandler],
            confirmations: int = 0, batch_blocks: int = 2000,
            heartbeat_seconds: float = 0.0) -> EventIndexer:
    return EventIndexer(ohms.container.sessions, ohms.container.chain,
                        confirmations=confirmations, cursor_name=name, handlers=handlers,
                        batch_blocks=batch_blocks, heartbeat_seconds=heartbeat_seconds)


def anchor_now(ohms: Ohms, *batches: int) -> None:
    queued = [queue_anchor(ohms, batch) for batch in batches]
    new_worker(ohms).run_once()
    for item in queued:
        with ohms.db() as session:
            found = session.get(type(item), item.id)
            assert found is not None and found.status == "confirmed"


def test_events_are_handled_once_in_order_and_the_cursor_survives_restarts(
    ledger: Ohms,
) -> None:
    chain = chain_of(ledger)
    first, second = new_batch(), new_batch()
    anchor_now(ledger, first, second)
    mirror = AnchorMirror(ledger)
    # Small batches of blocks: the pass walks the whole range in several transactions.
    reader = indexer(ledger, "handled-once", {"BatchAnchored": mirror}, batch_blocks=3)

    handled = reader.run_once()

    assert handled == len(mirror.seen) >= 2
    assert [b for b in mirror.seen if b in (first, second)] == [first, second]
    assert reader.run_once() == 0
    cursor = reader.cursor()
    assert cursor is not None and cursor.last_block == chain.block_number()
    assert cursor.last_block_hash == chain.block_hash(cursor.last_block)

    restarted = indexer(ledger, "handled-once", {"BatchAnchored": mirror})
    assert restarted.run_once() == 0
    third = new_batch()
    anchor_now(ledger, third)
    assert restarted.run_once() == 1
    assert Counter(mirror.seen)[third] == 1 and Counter(mirror.seen)[first] == 1


def test_an_idle_pass_reads_and_writes_the_heartbeat_only_when_it_is_old(
    ledger: Ohms,
) -> None:
    """With nothing new on chain, a pass leaves the cursor row alone while its caught-up
    heartbeat is fresher than `heartbeat_seconds`; a new event is indexed at once anyway, and
    an old heartbeat is written again."""
    mirror = AnchorMirror(ledger)
    reader = indexer(ledger, "idle", {"BatchAnchored": mirror}, heartbeat_seconds=3600)
    reader.run_once()
    caught_up = reader.cursor()
    assert caught_up is not None and caught_up.caught_up_at is not None

    assert reader.run_once() == 0
    idle = reader.cursor()
    assert idle is not None
    assert (idle.updated_at, idle.caught_up_at) == (caught_up.updated_at, caught_up.caught_up_at)

    batch = new_batch()
    anchor_now(ledger, batch)
    assert reader.run_once() >= 1 and batch in mirror.seen
    after = reader.cursor()
    assert after is not None and after.caught_up_at is not None
    assert after.caught_up_at > caught_up.caught_up_at

    always = indexer(ledger, "idle", {"BatchAnchored": mirror}, heartbeat_seconds=0)
    always.run_once()
    written = always.cursor()
    assert written is not None and written.caught_up_at is not None
    assert written.caught_up_at > after.caught_up_at


def test_events_wait_for_their_confirmations(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    mirror = AnchorMirror(ledger)
    reader = indexer(ledger, "confirmed", {"BatchAnchored": mirror}, confirmations=2)
    reader.run_once()
    batch = new_batch()
    anchor_now(ledger, batch)

    reader.run_once()
    assert batch not in mirror.seen
    mine_blocks(chain, 1)
    reader.run_once()
    assert batch not in mirror.seen
    mine_blocks(chain, 1)
    assert reader.run_once() >= 1
    assert mirror.seen.count(batch) == 1
    cursor = reader.cursor()
    assert cursor is not None and cursor.last_block == chain.block_number() - 2


def test_a_failing_handler_rolls_back_its_batch_with_the_cursor(ledger: Ohms) -> None:
    mirror = AnchorMirror(ledger)
    reader = indexer(ledger, "rolled-back", {"BatchAnchored": mirror})
    reader.run_once()
    before = reader.cursor()
    assert before is not None
    first, second = new_batch(), new_batch()
    anchor_now(ledger, first, second)
    mirror.fail_on = second

    with pytest.raises(RuntimeError):
        reader.run_once()

    after = reader.cursor()
    assert after is not None and after.last_block == before.last_block
    assert not mirror.marked(first) and not mirror.marked(second)
    mirror.fail_on = None
    assert reader.run_once() == 2
    assert mirror.marked(first) and mirror.marked(second)
    assert mirror.seen[-2:] == [first, second]


def test_a_reorganisation_rewinds_and_reads_the_last_blocks_again(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    mirror = AnchorMirror(ledger)
    reader = indexer(ledger, "reorganised", {"BatchAnchored": mirror}, confirmations=1)
    batch = new_batch()
    anchor_now(ledger, batch)
    mine_blocks(chain, 1)
    reader.run_once()
    assert mirror.seen.count(batch) == 1
    # The block the cursor stands on is no longer the chain's: as after a reorganisation.
    with ledger.db() as session:
        cursor = session.get(ChainCursor, "reorganised")
        assert cursor is not None
        stood_on = cursor.last_block
        cursor.last_block_hash = "0x" + "00" * 32

    # Rewound by confirmations + 1 = 2 blocks: the events of those two blocks come again.
    replayed = [e for e in chain.events(stood_on - 1, stood_on) if e.name == "BatchAnchored"]
    assert reader.run_once() == len(replayed) >= 1

    assert mirror.seen.count(batch) == 2
    cursor_after = reader.cursor()
    assert cursor_after is not None and cursor_after.last_block == stood_on
    assert cursor_after.last_block_hash == chain.block_hash(stood_on)


def test_indexers_sharing_a_cursor_handle_each_event_once(ledger: Ohms) -> None:
    mirror = AnchorMirror(ledger)
    batches = [new_batch() for _ in range(3)]
    anchor_now(ledger, *batches)
    readers = [indexer(ledger, "shared", {"BatchAnchored": mirror}, batch_blocks=2)
               for _ in range(3)]

    with ThreadPoolExecutor(max_workers=len(readers)) as pool:
        handled = sum(f.result() for f in [pool.submit(r.run_once) for r in readers])

    assert handled == len(mirror.seen)
    assert Counter(mirror.seen).most_common(1)[0][1] == 1
    assert all(mirror.seen.count(batch) == 1 for batch in batches)
