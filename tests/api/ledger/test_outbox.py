"""The transactional outbox: every queued transaction lands exactly once, with managed nonces,
through reverts, rejections, crashes and a chain that goes away for a while."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from eth_account import Account

from api.ledger.indexer import EventIndexer
from api.ledger.models import OutboxStatus
from api.ledger.outbox import FILLER_KIND, enqueue, outbox_by_tx_hash, outbox_status
from tests.api.conftest import Ohms
from tests.api.ledger.conftest import (
    Outage,
    anchored_events,
    chain_of,
    new_batch,
    new_worker,
    queue_anchor,
    row,
    rows_with_key_prefix,
    run_until,
)


def test_a_queued_transaction_is_confirmed_with_its_receipt(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    batch, root = new_batch(), secrets.token_bytes(32)
    anchor = queue_anchor(ledger, batch, root)
    anchorer = Account.create().address
    with ledger.db() as session:
        role = enqueue(session, kind="audit.anchorer", idempotency_key=f"anchorer:{anchorer}",
                       request=chain.add_anchorer_transaction(anchorer))
    assert anchor.status == OutboxStatus.pending and anchor.nonce is None

    assert new_worker(ledger).run_once() == 2

    landed = row(ledger, anchor.id)
    assert landed.status == OutboxStatus.confirmed and landed.last_error is None
    assert landed.sender == chain.operator_address and landed.nonce is not None
    assert landed.block_number is not None and landed.gas_used and landed.gas_used > 21_000
    receipt = chain.receipt(landed.tx_hash or "")
    assert receipt is not None and receipt.block_number == landed.block_number
    assert chain.batch_root(batch) == "0x" + root.hex()
    assert row(ledger, role.id).status == OutboxStatus.confirmed
    assert chain.is_anchorer(anchorer)
    with ledger.db() as session:
        found = outbox_by_tx_hash(session, landed.tx_hash or "")
        assert found is not None and found.id == anchor.id


def test_the_same_idempotency_key_queues_one_transaction(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    batch = new_batch()
    key = f"audit-batch:{batch}"
    first = queue_anchor(ledger, batch, key=key)
    again = queue_anchor(ledger, batch, key=key)
    with ledger.db() as session:  # twice in one unit of work as well
        request = chain.anchor_transaction(batch, secrets.token_bytes(32), 1)
        same = enqueue(session, kind="audit.anchor", request=request, idempotency_key=key)
        twice = enqueue(session, kind="audit.anchor", request=request, idempotency_key=key)
    assert first.id == again.id == same.id == twice.id
    assert len(rows_with_key_prefix(ledger, key)) == 1

    nonce_before = chain.pending_nonce()
    new_worker(ledger).run_once()
    new_worker(ledger).run_once()

    assert chain.pending_nonce() == nonce_before + 1
    assert len(anchored_events(chain, batch)) == 1
    with ledger.db() as session:
        status = outbox_status(session, key)
        assert status is not None and status.status == OutboxStatus.confirmed
        assert outbox_status(session, "never-queued") is None


def test_a_request_that_would_revert_fails_before_spending_a_nonce(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    batch = new_batch()
    first = queue_anchor(ledger, batch)
    replay = queue_anchor(ledger, batch)
    later = queue_anchor(ledger, new_batch())

    new_worker(ledger).run_once()

    first_row, replay_row, later_row = (row(ledger, r.id) for r in (first, replay, later))
    assert first_row.status == OutboxStatus.confirmed
    assert replay_row.status == OutboxStatus.failed
    assert replay_row.last_error == "BatchAlreadyAnchored"
    assert replay_row.nonce is None and replay_row.tx_hash is None
    assert later_row.status == OutboxStatus.confirmed
    assert first_row.nonce is not None and later_row.nonce == first_row.nonce + 1
    assert len(anchored_events(chain, batch)) == 1


def test_a_revert_found_on_chain_fails_the_row_and_spends_its_nonce(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    worker = new_worker(ledger)
    batch = new_batch()
    first, replay = queue_anchor(ledger, batch), queue_anchor(ledger, batch)
    # Both signed before either is sent: the replay depends on a transaction in flight, so it
    # is not pre-flighted and goes to the chain, where it reverts.
    assert worker.assign_and_sign(first.id) == OutboxStatus.signed
    assert worker.assign_and_sign(replay.id) == OutboxStatus.signed

    worker.run_once()
    after = queue_anchor(ledger, new_batch())
    worker.run_once()

    first_row, replay_row, after_row = (row(ledger, r.id) for r in (first, replay, after))
    assert first_row.status == OutboxStatus.confirmed
    assert replay_row.status == OutboxStatus.failed
    assert replay_row.last_error == "BatchAlreadyAnchored"
    assert replay_row.block_number is not None and replay_row.gas_used
    receipt = chain.receipt(replay_row.tx_hash or "")
    assert receipt is not None and not receipt.succeeded
    assert first_row.nonce is not None and replay_row.nonce == first_row.nonce + 1
    assert after_row.status == OutboxStatus.confirmed and after_row.nonce == first_row.nonce + 2


def test_a_crash_after_signing_or_after_sending_never_applies_twice(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    crashed = new_worker(ledger)
    sent_batch, signed_batch = new_batch(), new_batch()
    sent, signed = queue_anchor(ledger, sent_batch), queue_anchor(ledger, signed_batch)
    nonce_before = chain.pending_nonce()
    crashed.assign_and_sign(sent.id)
    crashed.assign_and_sign(signed.id)
    assert chain.batch_root(sent_batch) is None and chain.batch_root(signed_batch) is None
    # The first was sent and mined, then the process died before recording it.
    sent_row = row(ledger, sent.id)
    assert sent_row.status == OutboxStatus.signed and sent_row.raw_tx
    assert chain.send_raw_transaction(bytes.fromhex(sent_row.raw_tx)) == sent_row.tx_hash

    restarted = new_worker(ledger)
    assert restarted.run_once() == 2
    assert restarted.run_once() == 0
    # Sending the stored bytes again is harmless: the node knows that nonce is spent.
    assert restarted.broadcast(sent.id) == OutboxStatus.confirmed

    assert row(ledger, sent.id).tx_hash == sent_row.tx_hash
    assert row(ledger, signed.id).status == OutboxStatus.confirmed
    assert chain.pending_nonce() == nonce_before + 2
    assert len(anchored_events(chain, sent_batch)) == 1
    assert len(anchored_events(chain, signed_batch)) == 1


def test_many_rows_in_one_pass_get_consecutive_nonces(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    batches = [new_batch() for _ in range(6)]
    queued = [queue_anchor(ledger, batch) for batch in batches]

    assert new_worker(ledger).run_once() == len(queued)

    landed = [row(ledger, r.id) for r in queued]
    assert all(r.status == OutboxStatus.confirmed for r in landed)
    nonces = [r.nonce for r in landed]
    assert nonces[0] is not None
    assert nonces == list(range(nonces[0], nonces[0] + len(queued)))
    assert [r.block_number for r in landed] == sorted(r.block_number or 0 for r in landed)
    assert chain.pending_nonce() == nonces[0] + len(queued)
    assert all(chain.batch_root(batch) for batch in batches)


def test_a_rejected_last_nonce_is_reused_by_the_next_row(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    worker = new_worker(ledger, max_attempts=2)
    good = queue_anchor(ledger, new_batch())
    # More gas than a block (or the node's cap) allows: the node refuses the signed bytes.
    oversized = queue_anchor(ledger, new_batch(), gas=10**9)
    worker.assign_and_sign(good.id)
    worker.assign_and_sign(oversized.id)  # not pre-flighted: a transaction is in flight

    worker.run_once()
    retried = row(ledger, oversized.id)
    assert retried.status == OutboxStatus.signed and retried.attempts == 1
    assert (retried.last_error or "").startswith("rejected:")
    run_until(worker.run_once, lambda: row(ledger, oversized.id).settled, "giving up")
    nxt = queue_anchor(ledger, new_batch())
    worker.run_once()

    good_row, failed, next_row = (row(ledger, r.id) for r in (good, oversized, nxt))
    assert failed.status == OutboxStatus.failed and failed.attempts == 2
    assert failed.nonce is None and failed.block_number is None
    assert good_row.nonce is not None and next_row.nonce == good_row.nonce + 1
    assert next_row.status == OutboxStatus.confirmed
    assert chain.pending_nonce() == good_row.nonce + 2


def test_a_rejected_nonce_in_the_middle_is_filled_so_later_rows_land(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    worker = new_worker(ledger, max_attempts=1)
    first = queue_anchor(ledger, new_batch())
    oversized = queue_anchor(ledger, new_batch(), gas=10**9)
    last_batch = new_batch()
    last = queue_anchor(ledger, last_batch)
    for queued in (first, oversized, last):
        assert worker.assign_and_sign(queued.id) == OutboxStatus.signed
    base = row(ledger, first.id).nonce
    assert base is not None

    run_until(worker.run_once, lambda: row(ledger, last.id).settled, "the last row landing")

    assert row(ledger, first.id).status == OutboxStatus.confirmed
    assert row(ledger, oversized.id).status == OutboxStatus.failed
    last_row = row(ledger, last.id)
    assert last_row.status == OutboxStatus.confirmed and last_row.nonce == base + 2
    fillers = [r for r in rows_with_key_prefix(ledger, FILLER_KIND) if r.nonce == base + 1]
    assert len(fillers) == 1 and fillers[0].status == OutboxStatus.confirmed
    assert chain.pending_nonce() == base + 3
    assert chain.batch_root(last_batch) is not None


def test_nothing_is_lost_while_the_chain_is_down(outage: Outage) -> None:
    ohms = outage.ohms
    chain = chain_of(ohms)
    indexer = EventIndexer(ohms.container.sessions, ohms.container.chain, confirmations=0,
                           cursor_name="outage", handlers={})
    indexer.run_once()
    cursor_before = indexer.cursor()
    batches = [new_batch() for _ in range(3)]
    signed_first = queue_anchor(ohms, batches[0])
    worker = new_worker(ohms, base_backoff=1.0, max_backoff=1.0)
    assert worker.assign_and_sign(signed_first.id) == OutboxStatus.signed
    waiting = [queue_anchor(ohms, batch) for batch in batches[1:]]
    nonce_before = row(ohms, signed_first.id).nonce
    assert nonce_before is not None

    went_down = datetime.now(UTC)
    outage.take_down()
    assert worker.run_once() == 0
    assert indexer.run_once() == 0

    held = row(ohms, signed_first.id)
    assert held.status == OutboxStatus.signed and held.attempts == 1
    for queued in waiting:
        pending = row(ohms, queued.id)
        assert pending.status == OutboxStatus.pending and pending.nonce is None
        assert pending.attempts == 1 and pending.last_error == "chain unavailable"
        assert pending.next_attempt_at >= went_down + timedelta(seconds=1)
    cursor_after = indexer.cursor()
    assert cursor_before is not None and cursor_after is not None
    assert cursor_after.last_block == cursor_before.last_block

    gateway = outage.bring_back()
    recovered = new_worker(ohms, gateway, base_backoff=0.05, max_backoff=0.2)
    queued_ids = [signed_first.id, *(q.id for q in waiting)]
    run_until(recovered.run_once,
              lambda: all(row(ohms, i).status == OutboxStatus.confirmed for i in queued_ids),
              "every queued transaction confirming")

    chain = gateway.ready()
    assert [row(ohms, i).nonce for i in queued_ids] == [nonce_before + k for k in range(3)]
    assert row(ohms, signed_first.id).tx_hash == held.tx_hash
    assert chain.pending_nonce() == nonce_before + 3
    for batch in batches:
        assert len(anchored_events(chain, batch)) == 1


def test_workers_running_side_by_side_spend_each_nonce_once(ledger: Ohms) -> None:
    chain = chain_of(ledger)
    queued = [queue_anchor(ledger, new_batch()) for _ in range(8)]
    workers = [new_worker(ledger) for _ in range(3)]
    nonce_before = chain.pending_nonce()

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        for future in [pool.submit(worker.run_once) for worker in workers]:
            future.result()
    run_until(workers[0].run_once,
              lambda: all(row(ledger, q.id).settled for q in queued), "every row settling")

    landed = [row(ledger, q.id) for q in queued]
    assert all(r.status == OutboxStatus.confirmed for r in landed)
    assert sorted(r.nonce or 0 for r in landed) == list(range(nonce_before,
                                                              nonce_before + len(queued)))
    assert chain.pending_nonce() == nonce_before + len(queued)
